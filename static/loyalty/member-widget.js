/*
 * The loyalty programme's member widget for the web shop (docs/member-api.md).
 *
 *   <script src="https://loyalty.example.com/static/loyalty/member-widget.js" defer></script>
 *   <loyalty-member-widget token="…" lang="nl" basket-amount="34.40"></loyalty-member-widget>
 *
 * Shows the member's points, store credit, tier progress and, for a basket, the points it would
 * earn. `token` is a member token the shop's server got from POST /api/v1/member-tokens/;
 * `api` is the engine's address (by default where this script came from); `lang` is nl or en
 * (by default the page's language). Set `element.basket = {amount: "34.40", lines: [...]}` for
 * a basket with lines. When the token has expired the element fires `loyalty-token-expired`;
 * give it a fresh `token` attribute and it loads again. Plain JavaScript, no build step.
 */
(function () {
  "use strict";

  var SCRIPT = document.currentScript;
  var DEFAULT_API = SCRIPT && SCRIPT.src ? new URL(SCRIPT.src).origin : "";

  var TEXT = {
    nl: {
      title: "Je spaarpunten",
      points: function (n) { return n === 1 ? "1 punt" : n + " punten"; },
      credit: "Tegoed",
      tier: "Niveau",
      toNext: function (points, tier) { return "Nog " + points + " punten tot " + tier; },
      top: "Je hebt het hoogste niveau bereikt",
      progress: "Voortgang naar het volgende niveau",
      expiring: function (points, date) { return points + " vervallen op " + date; },
      earn: function (points) { return "Met deze bestelling spaar je " + points; },
      loading: "Laden…",
      failed: "Je punten kunnen nu niet worden geladen.",
      expired: "Je sessie is verlopen. Laad de pagina opnieuw.",
      locale: "nl-NL"
    },
    en: {
      title: "Your points",
      points: function (n) { return n === 1 ? "1 point" : n + " points"; },
      credit: "Store credit",
      tier: "Tier",
      toNext: function (points, tier) { return points + " points to " + tier; },
      top: "You have reached the top tier",
      progress: "Progress to the next tier",
      expiring: function (points, date) { return points + " expire on " + date; },
      earn: function (points) { return "You'll earn " + points + " with this order"; },
      loading: "Loading…",
      failed: "Your points cannot be loaded right now.",
      expired: "Your session has expired. Please reload the page.",
      locale: "en-GB"
    }
  };

  var STYLE = [
    ":host{display:block;font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;",
    "color:#1d2433;max-width:420px}",
    ".card{border:1px solid #d7dce5;border-radius:12px;padding:16px 18px;background:#fff}",
    "h2{font-size:15px;font-weight:600;margin:0 0 4px;color:#4a5468}",
    ".balance{font-size:28px;font-weight:700;margin:0}",
    ".row{display:flex;justify-content:space-between;gap:12px;margin-top:10px;flex-wrap:wrap}",
    ".muted{color:#5b6478;font-size:13px}",
    ".bar{height:8px;border-radius:4px;background:#e8ebf1;overflow:hidden;margin-top:6px}",
    ".bar span{display:block;height:100%;background:var(--tier-colour,#2f6fde)}",
    ".earn{margin-top:12px;padding:8px 10px;border-radius:8px;background:#eef6ee;",
    "color:#1e5b25;font-weight:600}",
    ".error{color:#8a1c1c}",
    "[hidden]{display:none!important}"
  ].join("");

  function language(element) {
    var lang = (element.getAttribute("lang") || document.documentElement.lang || "nl")
      .slice(0, 2).toLowerCase();
    return TEXT[lang] ? lang : "nl";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  class LoyaltyMemberWidget extends HTMLElement {
    static get observedAttributes() { return ["token", "lang", "basket-amount", "api"]; }

    constructor() {
      super();
      this._basket = null;
      this._generation = 0;
      this.attachShadow({ mode: "open" });
    }

    connectedCallback() { this.refresh(); }

    attributeChangedCallback() { if (this.isConnected) this.refresh(); }

    get basket() { return this._basket; }

    set basket(value) { this._basket = value; if (this.isConnected) this.refresh(); }

    _call(path, body) {
      var api = (this.getAttribute("api") || DEFAULT_API).replace(/\/$/, "");
      var text = TEXT[language(this)];
      return fetch(api + path, {
        method: body ? "POST" : "GET",
        headers: Object.assign(
          {
            Authorization: "Bearer " + (this.getAttribute("token") || ""),
            Accept: "application/json",
            "Accept-Language": language(this)
          },
          body ? { "Content-Type": "application/json" } : {}
        ),
        body: body ? JSON.stringify(body) : undefined
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) {
            var error = new Error(data.message || text.failed);
            error.code = data.code;
            throw error;
          }
          return data;
        });
      });
    }

    _basketBody() {
      if (this._basket && this._basket.amount) return this._basket;
      var amount = this.getAttribute("basket-amount");
      return amount ? { amount: amount } : null;
    }

    refresh() {
      var self = this;
      var generation = ++this._generation;
      var text = TEXT[language(this)];
      this._render({ loading: true }, text);
      var basket = this._basketBody();
      Promise.all([
        this._call("/api/v1/me/"),
        basket ? this._call("/api/v1/me/quote/", basket) : Promise.resolve(null)
      ]).then(function (answers) {
        if (generation === self._generation) {
          self._render({ me: answers[0], quote: answers[1] }, text);
        }
      }).catch(function (error) {
        if (generation !== self._generation) return;
        var expired = error.code === "token_expired";
        if (expired) {
          self.dispatchEvent(new CustomEvent("loyalty-token-expired", { bubbles: true }));
        }
        self._render({ error: expired ? text.expired : text.failed }, text);
      });
    }

    _render(state, text) {
      var root = this.shadowRoot;
      root.textContent = "";
      var style = el("style");
      style.textContent = STYLE;
      root.appendChild(style);
      var card = el("section", "card");
      card.setAttribute("part", "card");
      card.setAttribute("aria-live", "polite");
      card.appendChild(el("h2", "", text.title));
      root.appendChild(card);
      if (state.loading) {
        card.appendChild(el("p", "muted", text.loading));
        return;
      }
      if (state.error) {
        card.appendChild(el("p", "error", state.error));
        return;
      }
      var numbers = new Intl.NumberFormat(text.locale);
      var money = new Intl.NumberFormat(text.locale, { style: "currency", currency: "EUR" });
      var dates = new Intl.DateTimeFormat(text.locale, { day: "numeric", month: "long", year: "numeric" });
      var points = function (n) { return text.points(numbers.format(n)); };
      var me = state.me;
      var balance = el("p", "balance", points(me.points_balance));
      balance.setAttribute("data-points", String(me.points_balance));
      card.appendChild(balance);

      if (Number(me.store_credit) > 0) {
        var credit = el("div", "row");
        credit.appendChild(el("span", "muted", text.credit));
        credit.appendChild(el("span", "", money.format(Number(me.store_credit))));
        card.appendChild(credit);
      }
      if (me.tier || me.next_tier) {
        var tier = el("div", "row");
        tier.appendChild(el("span", "", text.tier + " " + (me.tier ? me.tier.name : "—")));
        tier.appendChild(el(
          "span",
          "muted",
          me.next_tier
            ? text.toNext(numbers.format(me.points_to_next_tier), me.next_tier.name)
            : text.top
        ));
        card.appendChild(tier);
        var bar = el("div", "bar");
        bar.setAttribute("role", "progressbar");
        bar.setAttribute("aria-valuemin", "0");
        bar.setAttribute("aria-valuemax", "100");
        bar.setAttribute("aria-valuenow", String(me.tier_progress));
        bar.setAttribute("aria-label", text.progress);
        var fill = el("span");
        fill.style.width = me.tier_progress + "%";
        if (me.tier && /^#[0-9a-fA-F]{3,8}$/.test(me.tier.colour || "")) {
          bar.style.setProperty("--tier-colour", me.tier.colour);
        }
        bar.appendChild(fill);
        card.appendChild(bar);
      }
      var expiring = me.points_expiring_soon;
      if (expiring && expiring.points > 0) {
        card.appendChild(el(
          "p",
          "muted",
          text.expiring(points(expiring.points), dates.format(new Date(expiring.by)))
        ));
      }
      if (state.quote) {
        var earn = el("p", "earn", text.earn(points(state.quote.points_earned)));
        earn.setAttribute("data-points-earned", String(state.quote.points_earned));
        card.appendChild(earn);
      }
    }
  }

  if (!customElements.get("loyalty-member-widget")) {
    customElements.define("loyalty-member-widget", LoyaltyMemberWidget);
  }
})();

// The member page's adjust-points and adjust-store-credit forms: shows the balance the member
// will have after the change while staff type it. Without JavaScript the form works the same;
// the page then shows the current balance only. A file of its own: no inline script (CSP).
(function () {
  "use strict";
  const form = document.querySelector("form[data-current]");
  if (!form) {
    return;
  }
  const output = document.getElementById("balance-after");
  const input = form.querySelector("input[name=points], input[name=amount]");
  if (!output || !input) {
    return;
  }
  const isMoney = form.dataset.kind === "credit";
  const current = Number(form.dataset.current);
  const language = document.documentElement.lang || "nl";
  const format = new Intl.NumberFormat(
    language,
    isMoney ? { style: "currency", currency: "EUR" } : { maximumFractionDigits: 0 }
  );
  function update() {
    // Dutch staff type 7,50; English staff 7.50.
    const text = input.value.trim().replace(/\s/g, "").replace(",", ".");
    const change = Number(text);
    if (text === "" || !Number.isFinite(change) || (!isMoney && !Number.isInteger(change))) {
      output.value = "–";
      output.classList.remove("errornote");
      return;
    }
    const after = Math.round((current + change) * 100) / 100;
    output.value = format.format(after) + (isMoney ? "" : " " + form.dataset.unit);
    output.classList.toggle("errornote", after < 0);
  }
  input.addEventListener("input", update);
  update();
})();

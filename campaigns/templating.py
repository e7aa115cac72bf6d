"""Message templates: the placeholders a marketer may write, checking them, filling them in.

A template is plain text with named placeholders in braces, `Hoi {first_name}, je code is
{code}.`; `{{` and `}}` write a brace. Nothing is added to what the marketer wrote except the
legal footer of an e-mail (`templates/campaigns/messages/`). Values are written in the member's
language with its formats: dates as "12 december 2026", numbers as "1.250".
"""

import datetime
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.money import euros
from rewards.models import Reward, RewardKind

PLACEHOLDERS = {
    "first_name": _("the member's first name"),
    "last_name": _("the member's last name"),
    "card_number": _("the member's card number"),
    "reward": _("the name of the reward"),
    "reward_value": _("what the reward is worth: € 5,00 or 20%"),
    "code": _("the reward code (rewards that give a code)"),
    "expires_at": _("the last day the code or offer is valid"),
    "bonus_points": _("the bonus points this automation gives"),
    "points_balance": _("the member's points balance"),
    "tier": _("the member's tier"),
    "portal_url": _("the link to the member portal"),
}
# What marketers type by habit, in Dutch or English, mapped to the placeholder they mean.
ALIASES = {
    "voornaam": "first_name",
    "naam": "first_name",
    "name": "first_name",
    "firstname": "first_name",
    "achternaam": "last_name",
    "kaartnummer": "card_number",
    "beloning": "reward",
    "kortingscode": "code",
    "geldig_tot": "expires_at",
    "vervaldatum": "expires_at",
    "bonuspunten": "bonus_points",
    "saldo": "points_balance",
    "punten": "points_balance",
    "points": "points_balance",
    "niveau": "tier",
    "link": "portal_url",
    "portal": "portal_url",
}
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


@dataclass(frozen=True)
class TemplateProblem:
    placeholder: str  # as written, without braces; "" for a lone brace
    suggestion: str  # the placeholder probably meant, or ""

    def __str__(self) -> str:
        if not self.placeholder and not self.suggestion:
            return gettext(
                "A lone { or } : placeholders are written as {first_name}; write {{ or }} "
                "for a brace itself."
            )
        message = gettext("Unknown placeholder {%(name)s}.") % {"name": self.placeholder}
        if self.suggestion:
            message += " " + gettext("Did you mean {%(suggestion)s}?") % {
                "suggestion": self.suggestion
            }
        return message


def _suggest(name: str) -> str:
    cleaned = name.strip().lower().replace(" ", "_").replace("-", "_")
    if cleaned in PLACEHOLDERS:
        return cleaned
    if cleaned in ALIASES:
        return ALIASES[cleaned]
    close = difflib.get_close_matches(cleaned, [*PLACEHOLDERS, *ALIASES], n=1, cutoff=0.6)
    return ALIASES.get(close[0], close[0]) if close else ""


def problems(text: str) -> list[TemplateProblem]:
    """Every unknown or misspelt placeholder and lone brace in `text`, each once."""
    found: list[TemplateProblem] = []
    for match in _TOKEN.finditer(text or ""):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            problem = TemplateProblem("", "")
        elif name in PLACEHOLDERS:
            continue
        else:
            problem = TemplateProblem(name, _suggest(name))
        if problem not in found:
            found.append(problem)
    return found


def placeholders_in(text: str) -> set[str]:
    return {
        match.group(1) for match in _TOKEN.finditer(text or "") if match.group(1) in PLACEHOLDERS
    }


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with its placeholders filled in. An unknown placeholder (a text written before
    templates were checked) stays as written rather than failing the send."""

    def replace(match: re.Match) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name is not None and name in values:
            return values[name]
        return token

    return _TOKEN.sub(replace, text or "")


def reward_value(reward: Reward | None) -> str:
    """In the active language: "€ 5,00" off or in credit, "20%" off, the most a free product
    may cost; "" when there is nothing to say."""
    if reward is None or not reward.value:
        return ""
    if reward.kind == RewardKind.PERCENTAGE_DISCOUNT:
        decimals = next(places for places in (0, 1, 2) if (reward.value * 10**places) % 1 == 0)
        return formats.number_format(reward.value, decimals) + "%"
    return euros(reward.value)


def values_for(
    *,
    member,
    language: str,
    reward: Reward | None,
    code: str = "",
    expires_at: datetime.datetime | None = None,
    bonus_points: int = 0,
    points_balance: int | None = None,
) -> dict[str, str]:
    """The placeholders' values for one member, written in `language` and its formats."""
    with translation.override(language):
        account = getattr(member, "point_account", None) if member.pk else None
        if points_balance is None:
            points_balance = account.balance if account is not None else 0
        tier = account.tier if account is not None and account.tier_id else None
        return {
            "first_name": member.first_name or "",
            "last_name": member.last_name or "",
            "card_number": member.card_number or "",
            "reward": reward.translated("name") if reward is not None else "",
            "reward_value": reward_value(reward),
            "code": code,
            "expires_at": formats.date_format(timezone.localtime(expires_at).date(), "DATE_FORMAT")
            if expires_at
            else "",
            "bonus_points": formats.number_format(bonus_points, 0, force_grouping=True),
            "points_balance": formats.number_format(points_balance, 0, force_grouping=True),
            "tier": tier.translated("name") if tier is not None else "",
            "portal_url": getattr(settings, "LOYALTY_PORTAL_URL", "") or "",
        }


# --- the standard texts: what an automation says when nothing is written ---------------------

STANDARD_SUBJECTS = {
    "dormant": _("We miss you, {first_name}!"),
    "welcome": _("Welcome to our loyalty programme"),
    "first_purchase": _("Thank you for your first purchase"),
    "nth_purchase": _("Your stamp card is full!"),
    "birthday": _("Happy birthday, {first_name}!"),
    "tier_reached": _("You reached a new tier"),
    "points_expiring": _("Your points expire soon"),
    "referral": _("Thank you for bringing a friend"),
}
STANDARD_INTROS = {
    "dormant": _(
        "It has been a while since your last visit. Here is something to welcome you back."
    ),
    "welcome": _("Nice to have you with us. Every purchase earns you points."),
    "first_purchase": _("Thank you for shopping with us. Here is a little extra for next time."),
    "nth_purchase": _("Thanks for coming back so often. This one is on us."),
    "birthday": _("We wish you a wonderful day, with a present from us."),
    "tier_reached": _("Congratulations: you reached a new tier and its benefits."),
    "points_expiring": _("Some of your points expire soon. Use them before they are gone."),
    "referral": _("A friend you invited made their first purchase. Thank you!"),
}


def standard_texts(automation, language: str) -> dict[str, str]:
    """The texts an automation sends when its fields are empty (automations made outside the
    admin form, which asks for them), as templates: the preview shows them like any other."""
    reward = automation.reward
    gives_code = reward is not None and reward.gives_code
    with translation.override(language):
        email = [gettext("Dear {first_name},"), str(STANDARD_INTROS[automation.trigger])]
        short = [str(STANDARD_INTROS[automation.trigger])]
        if gives_code:
            email.append(
                gettext("Your reward: {reward}")
                + "\n"
                + gettext("Your code: {code}")
                + "\n"
                + gettext(
                    "Valid until {expires_at}. Show the code at the till or enter it in the web "
                    "shop."
                )
            )
            short.append(gettext("Code: {code} (until {expires_at})"))
        elif reward is not None:
            email.append(gettext("Your reward: {reward}. It has been added to your store credit."))
            short.append(gettext("Your reward: {reward}."))
        if automation.bonus_points:
            email.append(gettext("We added {bonus_points} bonus points to your card."))
            short.append(gettext("+{bonus_points} bonus points"))
        if getattr(settings, "LOYALTY_PORTAL_URL", ""):
            email.append(gettext("See your points and rewards: {portal_url}"))
        email.append(gettext("Kind regards,") + "\n" + gettext("Your loyalty team"))
        return {
            "subject": str(STANDARD_SUBJECTS[automation.trigger]),
            "body": "\n\n".join(email),
            "sms": " ".join(short),
        }


def template_for(automation, part: str, language: str) -> str:
    """The template of `part` (subject, body, sms, whatsapp) a member in `language` gets."""
    written = automation.message_text(part, language)
    if written:
        return written
    return standard_texts(automation, language)["sms" if part == "whatsapp" else part]

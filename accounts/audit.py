"""The audit trail in words: what each staff action did, as a sentence in the reader's language.

`StaffAction` stores what changed as data (`before`, `after`), written by the service that did
it; these sentences read that data and need nothing else, so old rows read as well as new ones.
"""

from collections.abc import Callable

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.money import money_display

from .models import StaffAction

# What each action is called, for filters and headings.
ACTION_LABELS = {
    "adjust_points": gettext_lazy("Points adjusted"),
    "adjust_store_credit": gettext_lazy("Store credit adjusted"),
    "grant_reward": gettext_lazy("Reward granted"),
    "revoke_code": gettext_lazy("Code revoked"),
    "resend_message": gettext_lazy("Message sent again"),
    "block_member": gettext_lazy("Member blocked"),
    "unblock_member": gettext_lazy("Member unblocked"),
    "close_account": gettext_lazy("Account closed"),
    "merge_member": gettext_lazy("Members merged"),
    "pause_automation": gettext_lazy("Automation paused"),
    "resume_automation": gettext_lazy("Automation resumed"),
}


def _points(value) -> str:
    return number_format(int(value), 0, use_l10n=True, force_grouping=True)


def _signed_points(value: int) -> str:
    return ("+" if value > 0 else "−") + _points(abs(value))


def _adjust_points(before: dict, after: dict) -> str:
    old, new = before.get("points_balance"), after.get("points_balance")
    if old is None or new is None:
        return _("Adjusted the points.")
    return _("Adjusted the points by %(change)s: balance %(old)s → %(new)s.") % {
        "change": _signed_points(new - old),
        "old": _points(old),
        "new": _points(new),
    }


def _adjust_store_credit(before: dict, after: dict) -> str:
    old, new = before.get("store_credit"), after.get("store_credit")
    if old is None or new is None:
        return _("Adjusted the store credit.")
    return _("Adjusted the store credit: %(old)s → %(new)s.") % {
        "old": money_display(old),
        "new": money_display(new),
    }


def _grant_reward(before: dict, after: dict) -> str:
    reward, code = after.get("reward_name"), after.get("code")
    if reward and code:
        return _("Granted “%(reward)s” (code %(code)s).") % {"reward": reward, "code": code}
    if code:
        return _("Granted a reward (code %(code)s).") % {"code": code}
    return _("Granted a reward.")


def _revoke_code(before: dict, after: dict) -> str:
    code, returned = before.get("code") or "", after.get("points_returned") or 0
    if returned:
        return _("Revoked code %(code)s; %(points)s points went back to the member.") % {
            "code": code,
            "points": _points(returned),
        }
    return _("Revoked code %(code)s.") % {"code": code}


def _merge_member(before: dict, after: dict) -> str:
    card = before.get("duplicate_card") or "?"
    return _(
        "Merged card %(card)s into this member: %(points)s points, %(credit)s store credit, "
        "%(codes)s codes, %(purchases)s purchases and %(deliveries)s messages moved; "
        "card %(card)s now finds this member."
    ) % {
        "card": card,
        "points": _points(after.get("points") or 0),
        "credit": money_display(after.get("store_credit") or "0.00"),
        "codes": _points(after.get("codes") or 0),
        "purchases": _points(after.get("purchases") or 0),
        "deliveries": _points(after.get("deliveries") or 0),
    }


def _automation(after: dict) -> str:
    return after.get("name") or f"#{after.get('automation', '?')}"


_SENTENCES: dict[str, Callable[[dict, dict], str]] = {
    "adjust_points": _adjust_points,
    "adjust_store_credit": _adjust_store_credit,
    "grant_reward": _grant_reward,
    "revoke_code": _revoke_code,
    "resend_message": lambda before, after: _("Queued a message again."),
    "block_member": lambda before, after: _(
        "Blocked the member: no earning, redeeming or messages."
    ),
    "unblock_member": lambda before, after: _("Unblocked the member."),
    "close_account": lambda before, after: _("Closed the account and removed personal data."),
    "merge_member": _merge_member,
    "pause_automation": lambda before, after: (
        _("Paused the automation %(name)s.") % {"name": _automation(after)}
    ),
    "resume_automation": lambda before, after: (
        _("Resumed the automation %(name)s.") % {"name": _automation(after)}
    ),
}


def action_label(code: str) -> str:
    return str(ACTION_LABELS.get(code, code.replace("_", " ").capitalize()))


def staff_action_sentence(action: StaffAction) -> str:
    """ "Adjusted the points by +50: balance 922 → 972." Unknown actions get their name."""
    sentence = _SENTENCES.get(action.action)
    if sentence is None:
        return action_label(action.action) + "."
    return sentence(action.before or {}, action.after or {})

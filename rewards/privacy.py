"""Personal data in rewards: none in codes and credit beyond the staff's revoke reasons."""

from core.personal_data import Subject, not_personal, register, scrub_rows

from .models import IssuedReward


def _erase_revoke_reasons(subject: Subject) -> None:
    codes = IssuedReward.objects.filter(member_id=subject.member_id).exclude(revoked_reason="")
    scrub_rows(codes, ["revoked_reason"], subject)


register("rewards.IssuedReward", ["revoked_reason"], _erase_revoke_reasons)

_CATALOGUE = "the catalogue's text, shown to members"
not_personal(
    "rewards.Reward",
    name_nl=_CATALOGUE,
    name_en=_CATALOGUE,
    description_nl=_CATALOGUE,
    description_en=_CATALOGUE,
)
not_personal(
    "rewards.StoreCreditEntry",
    reason="bookkeeping: why credit moved, written by staff or the system; the staff forms ask "
    "for no personal data, and the ledger is never rewritten",
)

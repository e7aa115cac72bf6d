"""Personal data in points: the answers stored with purchases, refunds and activities (they
may repeat the member's name); the ledger itself holds none (see core.personal_data)."""

from core.personal_data import Subject, not_personal, register, scrub_rows

from .models import Activity, Purchase, Refund


def _erase_purchases(subject: Subject) -> None:
    fields = ["response_body", "explanation"]
    scrub_rows(Purchase.objects.filter(member_id=subject.member_id), fields, subject)


def _erase_refunds(subject: Subject) -> None:
    fields = ["response_body", "lines"]
    scrub_rows(Refund.objects.filter(purchase__member_id=subject.member_id), fields, subject)


def _erase_activities(subject: Subject) -> None:
    scrub_rows(Activity.objects.filter(member_id=subject.member_id), ["response_body"], subject)


register("points.Purchase", ["response_body", "explanation"], _erase_purchases)
register("points.Refund", ["response_body", "lines"], _erase_refunds)
register("points.Activity", ["response_body"], _erase_activities)

_NAME = "a name staff give it, shown to members"
not_personal("points.Tier", name_nl=_NAME, name_en=_NAME)
not_personal("points.ActivityType", name_nl=_NAME, name_en=_NAME)
not_personal("points.EarningRule", name_nl=_NAME, name_en=_NAME)
not_personal("points.JobWatermark", name="the name of a batch job")
not_personal(
    "points.MemberImport",
    members_file_name="the name a manager gave the uploaded file",
    purchases_file_name="the name a manager gave the uploaded file",
    error="the first line of a technical error (database details are left out)",
)
not_personal("points.TierChange", reason="a code: why the tier moved (upgrade, expiry, …)")
_LEDGER = (
    "bookkeeping: why points moved, written by staff or the system; the staff forms ask for no "
    "personal data, and the ledger is never rewritten"
)
not_personal("points.PointsEntry", reason=_LEDGER, note=_LEDGER)

"""Where a member stands: active, dormant or lost, and their rung on the loyalty ladder.

The one definition of each. Segments and the dormant automation (`campaigns.selectors`), the KPI
summaries and figures (`insights`) and the member page in admin (`backoffice`) all use it.
Pure: no queries. Callers pass what they know of the member and the threshold; the query
helpers return conditions, not querysets.

Active and dormant (docs/kpis.md). A member who bought before is *dormant* once `days` days
have passed without a purchase, and *active* until then. A member who never bought is neither
("never bought"). The threshold is the programme's `dormant_after_days` for the KPIs and the
member page, and the automation's own `days` for its dormant trigger.

In whole local days (the KPI summaries): after a last purchase on day L a member is active up to
day L + days − 1 and dormant from day L + days (`dormant_on`). Purchases no further apart than
`days` days make one spell of activity (`continues_spell`). *Lost*: a member active at the start
of a period who crosses the threshold during it.

The ladder (seed 001): *new* when enrolled; *returning* from the 2nd purchase; *loyal* from the
5th; *ambassador* from the day a member they referred enrolled, whatever they bought. Members
only move up.
"""

import datetime

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _


class ActivityStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DORMANT = "dormant", _("Dormant")
    NEVER_BOUGHT = "never_bought", _("Never bought")


def dormant_before(now: datetime.datetime, *, days: int) -> datetime.datetime:
    """A member whose last purchase was at or before this instant is dormant at `now`."""
    return now - datetime.timedelta(days=days)


def activity_status(
    *, last_purchase_at: datetime.datetime | None, now: datetime.datetime, days: int
) -> ActivityStatus:
    if last_purchase_at is None:
        return ActivityStatus.NEVER_BOUGHT
    if last_purchase_at <= dormant_before(now, days=days):
        return ActivityStatus.DORMANT
    return ActivityStatus.ACTIVE


def dormant_members(
    *, now: datetime.datetime, days: int, last_purchase_at: str = "stats__last_purchase_at"
) -> Q:
    """The condition on members (or on the field `last_purchase_at`) for "dormant at `now`".
    Never-buyers have no last purchase, so they never match."""
    return Q(**{f"{last_purchase_at}__lte": dormant_before(now, days=days)})


def bought_within(
    *, now: datetime.datetime, days: int, last_purchase_at: str = "stats__last_purchase_at"
) -> Q:
    """Members whose last purchase was `days` days ago or later (the instant itself included)."""
    return Q(**{f"{last_purchase_at}__gte": dormant_before(now, days=days)})


def dormant_on(last_purchase_on: datetime.date, *, days: int) -> datetime.date:
    """The local day a member becomes dormant after their last purchase on `last_purchase_on`."""
    return last_purchase_on + datetime.timedelta(days=days)


def continues_spell(gap_days: int, *, days: int) -> bool:
    """Whether a purchase `gap_days` after the previous one keeps the member in the same spell
    of activity (the KPI summaries; `insights.services` does the same in SQL)."""
    return gap_days <= days


# --- the loyalty ladder -----------------------------------------------------------------------

RETURNING_FROM_PURCHASE = 2
LOYAL_FROM_PURCHASE = 5
STAGES = ("new", "returning", "loyal", "ambassador")
STAGE_LABELS = {
    "": _("not yet a member"),
    "new": _("New"),
    "returning": _("Returning"),
    "loyal": _("Loyal"),
    "ambassador": _("Ambassador"),
}


def ladder_stage(*, purchases: int, has_referred: bool) -> str:
    """One member's rung on the ladder now (the KPI summaries place them by the same rules)."""
    if has_referred:
        return "ambassador"
    if purchases >= LOYAL_FROM_PURCHASE:
        return "loyal"
    if purchases >= RETURNING_FROM_PURCHASE:
        return "returning"
    return "new"


def loyal_members(*, now: datetime.datetime, days: int) -> Q:
    """Behaviour (`campaigns.attitude`): on the loyal or ambassador rung (5 purchases or more,
    or someone they referred joined) and still active (bought within `days` days)."""
    from accounts.models import Member

    has_referred = Exists(Member.objects.filter(referred_by=OuterRef("pk")))
    return (Q(stats__purchase_count__gte=LOYAL_FROM_PURCHASE) | Q(has_referred)) & bought_within(
        now=now, days=days
    )

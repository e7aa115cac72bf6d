"""Writing the loyalty score's ledger (`ScoreEntry`): one entry per activity, valued by the norm
in force when it is recorded (see `points.score`).

Every writer runs inside the transaction of the activity it scores (a purchase, an activity, a
survey answer, a converted offer, a portal visit), so the score commits or rolls back with it:
never lost. The entry's `source_key` is unique in the database, so a retry, a replayed job or a
second request never scores one activity twice.
"""

import datetime
from decimal import ROUND_FLOOR, Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import ActivityType, Purchase, ScoreEntry, ScoreSource
from ..score import score_norm_for


def score_record(
    *,
    member_id: int,
    source: str,
    source_key: str,
    occurred_at: datetime.datetime,
    units: Decimal | int = 1,
    activity_type: ActivityType | None = None,
) -> ScoreEntry | None:
    """Scores one activity: the norm's value times `units`, rounded down.

    Inside the caller's transaction. Writes nothing when no active norm values the activity, the
    score rounds to 0, or `source_key` was scored before (the unique constraint decides a race;
    a savepoint keeps the caller's transaction usable).
    """
    norm = score_norm_for(source, activity_type_id=activity_type.pk if activity_type else None)
    if norm is None:
        return None
    score = int((norm.value * Decimal(units)).to_integral_value(rounding=ROUND_FLOOR))
    if score <= 0:
        return None
    with transaction.atomic(savepoint=False):
        if ScoreEntry.objects.filter(source_key=source_key).exists():
            return None
        try:
            with transaction.atomic(savepoint=True):
                return ScoreEntry.objects.create(
                    member_id=member_id,
                    source=source,
                    activity_type=activity_type,
                    score=score,
                    source_key=source_key,
                    occurred_at=occurred_at,
                )
        except IntegrityError:
            return None  # scored meanwhile by a parallel transaction


def score_record_purchase(purchase: Purchase) -> None:
    """A purchase scores by count and by the euros it earns on (after discounts, without store
    credit); in the purchase's transaction (the `purchase_recorded` receiver)."""
    for source, units in (
        (ScoreSource.PURCHASE, 1),
        (ScoreSource.PURCHASE_AMOUNT, max(Decimal("0"), purchase.earning_amount)),
    ):
        score_record(
            member_id=purchase.member_id,
            source=source,
            source_key=f"{source}:{purchase.pk}",
            occurred_at=purchase.occurred_at,
            units=units,
        )


def score_record_portal_visit(
    *, member_id: int, now: datetime.datetime | None = None
) -> ScoreEntry | None:
    """A member's visit to the portal, scored once per local day: an entry point of its own."""
    if score_norm_for(ScoreSource.PORTAL_VISIT) is None:
        return None  # no transaction for nothing: this runs on the first page of every day
    now = now or timezone.now()
    day = timezone.localdate(now).isoformat()
    with transaction.atomic(durable=True):
        return score_record(
            member_id=member_id,
            source=ScoreSource.PORTAL_VISIT,
            source_key=f"visit:{member_id}:{day}",
            occurred_at=now,
        )

"""The figures of a bonus campaign's holdout, kept by a batch job (beat every 10 minutes, batch
queue; `manage.py refresh_bonus_audiences`), so the uplift report only adds up a few numbers.

1. The audience, once, when the campaign has started: the members the campaign is for (in its
   tiers and segment, every member when it has neither), enrolled before it started, not merged
   away. Their ids are read in id order, in chunks; each one's group is drawn by the same hash
   the purchase uses (`campaigns.assignment.bonus_held_out`); one `BonusAudience` row keeps the
   members per group and enrolment store and a compressed bitmap of their ids.
2. The purchases, hourly while the campaign runs and for a day after, then daily while late
   purchases may still come in (offline tills send up to 90 days late): one aggregate over the
   purchases of the campaign's period per member (buyers only: revenue after refunds, the
   campaign's points from the explanation); the buyers of the audience are placed by the same
   draw and summed per enrolment store and group (buyers, revenue, Σ revenue², points).

Members who join the audience after the start (a new member, a tier reached, a segment entered)
are drawn and treated (or held out) at their purchases like everyone else, but are not measured:
the groups stay the ones counted at the start. Members who leave it stay measured in the group
they were drawn into (intent to treat). Idempotent: the audience is counted once (the row's
primary key), and a recount of the purchases replaces the previous one; a job lock keeps two
runs apart.
"""

import datetime
import zlib
from collections import defaultdict
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Member
from core.locks import job_lock
from points.models import Purchase

from ..assignment import bonus_held_out
from ..models import BonusAudience, BonusCampaign

CHUNK = 20_000
# Purchases are recounted this often while the campaign runs (and for a day after it) …
RUNNING_REFRESH = datetime.timedelta(hours=1)
# … then this often, until late purchases can no longer come in.
LATE_REFRESH = datetime.timedelta(days=1)
LATE_PURCHASES = datetime.timedelta(days=90)
CENT = Decimal("0.01")


def bonus_audience_members(campaign: BonusCampaign):
    """The members a campaign is for, as far as they can be told now: in its tiers and segment
    (all members when it has neither), enrolled before it started, not merged into another."""
    from ..selectors import segment_members

    members = Member.objects.filter(enrolled_at__lt=campaign.starts_at).exclude(
        status=Member.Status.MERGED
    )
    tier_ids = list(campaign.tiers.values_list("pk", flat=True))
    if tier_ids:
        members = members.filter(point_account__tier_id__in=tier_ids)
    if campaign.segment is not None:
        members = segment_members(campaign.segment, base=members)
    return members


def bonus_audience_count(campaign: BonusCampaign, *, now: datetime.datetime) -> BonusAudience:
    """Counts one campaign's audience and stores it, unless it was counted already. Reads the
    members in chunks outside any transaction; writes one row."""
    existing = BonusAudience.objects.filter(campaign=campaign).first()
    if existing is not None:
        return existing
    bitmap = bytearray()
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rows = (
        bonus_audience_members(campaign)
        .order_by("pk")
        .values_list("pk", "enrolled_store_id")
        .iterator(chunk_size=CHUNK)
    )
    for member_id, store_id in rows:
        byte = member_id >> 3
        if byte >= len(bitmap):
            bitmap.extend(bytes(byte + 1 - len(bitmap) + CHUNK))
        bitmap[byte] |= 1 << (member_id & 7)
        is_held_out = bonus_held_out(
            campaign_id=campaign.pk,
            member_id=member_id,
            holdout_percent=campaign.holdout_percent,
        )
        counts[_store_key(store_id)][int(is_held_out)] += 1
    audience = BonusAudience(
        campaign=campaign,
        taken_at=now,
        holdout_percent=campaign.holdout_percent,
        treated_members=sum(pair[0] for pair in counts.values()),
        held_out_members=sum(pair[1] for pair in counts.values()),
        counts_by_store=dict(counts),
        members=zlib.compress(bytes(bitmap.rstrip(b"\0"))),
    )
    with transaction.atomic(durable=True):
        # The primary key keeps a second writer out; it then reads what the first one stored.
        BonusAudience.objects.bulk_create([audience], ignore_conflicts=True)
    return BonusAudience.objects.get(campaign=campaign)


# The campaign's bonus points in one purchase, from its points explanation (the line
# `{"source": "campaign", "source_id": <id>, "points": …}` the purchase recorded).
_CAMPAIGN_POINTS_SQL = {
    "postgresql": """COALESCE((SELECT SUM((line->>'points')::bigint)
        FROM jsonb_array_elements("points_purchase"."explanation") line
        WHERE line->>'source' = 'campaign' AND line->>'source_id' = %s), 0)""",
    "sqlite": """COALESCE((SELECT SUM(json_extract(line.value, '$.points'))
        FROM json_each("points_purchase"."explanation") line
        WHERE json_extract(line.value, '$.source') = 'campaign'
          AND json_extract(line.value, '$.source_id') = %s), 0)""",
}
# Per member who bought in the period: revenue (after refunds) and the campaign's points.
_BUYERS_SQL = """
SELECT chosen.member_id, chosen.home_store_id,
       SUM(chosen.amount - chosen.refunded_amount), SUM(chosen.campaign_points)
FROM ({purchases}) chosen
GROUP BY chosen.member_id, chosen.home_store_id
"""


def bonus_audience_results_refresh(
    audience: BonusAudience, *, now: datetime.datetime
) -> BonusAudience:
    """Recounts what the audience bought in the campaign's period: one aggregate over those
    purchases per member, placed by the audience bitmap and the draw; writes one row."""
    campaign = audience.campaign
    vendor = connection.vendor
    purchases = (
        Purchase.objects.filter(
            occurred_at__gte=campaign.starts_at, occurred_at__lt=campaign.ends_at
        )
        .order_by()
        .annotate(
            campaign_points=RawSQL(
                _CAMPAIGN_POINTS_SQL[vendor],
                [str(campaign.pk) if vendor == "postgresql" else campaign.pk],
            ),
            home_store_id=F("member__enrolled_store_id"),
        )
        .values("member_id", "home_store_id", "amount", "refunded_amount", "campaign_points")
    )
    sql, params = purchases.query.sql_with_params()
    members = zlib.decompress(audience.members)
    # Per store, per group (0 treated, 1 held out): [buyers, revenue, Σ revenue², points].
    sums: dict[str, list[list]] = defaultdict(
        lambda: [[0, Decimal("0"), 0.0, 0], [0, Decimal("0"), 0.0, 0]]
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_BUYERS_SQL.format(purchases=sql), params)
        for member_id, store_id, revenue, points in cursor:
            if not audience_contains(members, member_id):
                continue  # joined the audience after the start: not measured
            held_out = bonus_held_out(
                campaign_id=campaign.pk,
                member_id=member_id,
                holdout_percent=audience.holdout_percent,
            )
            spent = Decimal(str(revenue)).quantize(CENT)
            part = sums[_store_key(store_id)][int(held_out)]
            part[0] += 1
            part[1] += spent
            part[2] += float(spent) ** 2
            part[3] += int(points or 0)
    audience.results_by_store = {
        store: [
            [buyers, str(revenue), squares, points] for buyers, revenue, squares, points in pair
        ]
        for store, pair in sums.items()
    }
    audience.results_at = now
    with transaction.atomic(durable=True):
        audience.save(update_fields=["results_by_store", "results_at"])
    return audience


def bonus_audiences_refresh_due(*, now: datetime.datetime | None = None) -> int:
    """Counts the audience of every active campaign with a holdout that has started and was not
    counted yet, and recounts the purchases of those that are due; returns how many campaigns
    it touched."""
    now = now or timezone.now()
    with job_lock("campaigns.bonus_audiences_refresh") as acquired:
        if not acquired:
            return 0
        to_count = (
            BonusCampaign.objects.filter(
                is_active=True, holdout_percent__gt=0, starts_at__lte=now, audience__isnull=True
            )
            .select_related("segment")
            .order_by("starts_at", "pk")
        )
        counted = set()
        for campaign in to_count:
            bonus_audience_count(campaign, now=now)
            counted.add(campaign.pk)
        due = BonusAudience.objects.filter(
            Q(results_at__isnull=True)
            # Running, or ended less than a day ago: hourly.
            | Q(
                results_at__lt=now - RUNNING_REFRESH,
                campaign__ends_at__gt=now - datetime.timedelta(days=1),
            )
            # Ended: daily, until a recount came after the last late purchase could.
            | (
                Q(results_at__lt=now - LATE_REFRESH)
                & Q(results_at__lt=F("campaign__ends_at") + LATE_PURCHASES)
            )
        ).select_related("campaign")
        for audience in due:
            bonus_audience_results_refresh(audience, now=now)
            counted.add(audience.campaign_id)
    return len(counted)


def audience_contains(bitmap: bytes, member_id: int) -> bool:
    """Whether a member id is set in an (uncompressed) audience bitmap."""
    byte = member_id >> 3
    return byte < len(bitmap) and bool(bitmap[byte] >> (member_id & 7) & 1)


def _store_key(store_id: int | None) -> str:
    return "" if store_id is None else str(store_id)

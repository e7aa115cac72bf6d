"""Who a bonus campaign with a holdout is measured on: its audience when it started, counted
once per campaign by a batch job (beat, batch queue; `manage.py count_bonus_audiences`).

The audience is the members the campaign is for: those in its tiers and segment (every member
when it has neither), enrolled before it started, not merged away. The job reads their ids in
id order, in chunks, draws each one's group by the same hash the purchase uses
(`campaigns.assignment.bonus_held_out`) and stores, in one `BonusAudience` row, the members per
group and enrolment store and a compressed bitmap of their ids. The uplift report then needs one
aggregate over the campaign window's purchases and this row; nothing per member is stored.

Members who join the audience after the start (a new member, a tier reached, a segment entered)
are drawn and treated (or held out) at their purchases like everyone else, but are not measured:
the groups stay the ones counted at the start. Members who leave it stay measured in the group
they were drawn into (intent to treat). Idempotent: a campaign already counted is left alone, and
two runs at once are kept apart by a job lock and the row's primary key.
"""

import datetime
import zlib
from collections import defaultdict

from django.db import transaction
from django.utils import timezone

from accounts.models import Member
from core.locks import job_lock

from ..assignment import bonus_held_out
from ..models import BonusAudience, BonusCampaign

CHUNK = 20_000


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
    treated = held_out = 0
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
        counts["" if store_id is None else str(store_id)][int(is_held_out)] += 1
        if is_held_out:
            held_out += 1
        else:
            treated += 1
    audience = BonusAudience(
        campaign=campaign,
        taken_at=now,
        holdout_percent=campaign.holdout_percent,
        treated_members=treated,
        held_out_members=held_out,
        counts_by_store=dict(counts),
        members=zlib.compress(bytes(bitmap.rstrip(b"\0"))),
    )
    with transaction.atomic(durable=True):
        # The primary key keeps a second writer out; it then reads what the first one stored.
        BonusAudience.objects.bulk_create([audience], ignore_conflicts=True)
    return BonusAudience.objects.get(campaign=campaign)


def bonus_audiences_count_due(*, now: datetime.datetime | None = None) -> int:
    """Counts the audience of every active campaign with a holdout that has started and has not
    been counted yet; returns how many were counted."""
    now = now or timezone.now()
    counted = 0
    with job_lock("campaigns.bonus_audiences_count") as acquired:
        if not acquired:
            return 0
        due = (
            BonusCampaign.objects.filter(
                is_active=True, holdout_percent__gt=0, starts_at__lte=now, audience__isnull=True
            )
            .select_related("segment")
            .order_by("starts_at", "pk")
        )
        for campaign in due:
            bonus_audience_count(campaign, now=now)
            counted += 1
    return counted


def audience_contains(bitmap: bytes, member_id: int) -> bool:
    """Whether a member id is set in an (uncompressed) audience bitmap."""
    byte = member_id >> 3
    return byte < len(bitmap) and bool(bitmap[byte] >> (member_id & 7) & 1)

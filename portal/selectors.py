"""What each portal page shows, read in one call per page (the views only render it).

Built from the lower apps' selectors; names of rules, tiers, campaigns and rewards are looked up
in the active language at read time, so a member reading in English never sees the Dutch name
stored when the line was written.
"""

import datetime
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ConsentChange, Member
from accounts.selectors import consent_changes_for
from campaigns.models import BonusCampaign
from campaigns.services import (
    satisfaction_purchase_for,
    survey_is_open_to,
    survey_next_due,
    survey_points,
)
from campaigns.services.surveys import SATISFACTION_ASK_WITHIN_DAYS
from points.models import EarningRule, PointsEntry, Purchase, Tier
from points.selectors import (
    MemberSummary,
    entry_description,
    member_history_for,
    member_summary_get,
    points_money_value,
    tier_progress_percent,
)
from rewards.models import IssuedReward, Reward
from rewards.selectors import (
    CatalogueItem,
    NextReward,
    Savings,
    catalogue_for,
    codes_for,
    is_personal_offer,
    next_reward_for,
    personal_offers_for,
    rewards_by_points_entry,
    rewards_unlocked_by,
    savings_for,
    store_credit_balance,
    store_credit_entries_for,
    unused_codes_for,
)

from . import charts

LATEST_ENTRIES = 5
CODES_SHOWN = 100


@dataclass(frozen=True)
class ExplanationText:
    label: str
    points: int


@dataclass(frozen=True)
class HistoryRow:
    entry: PointsEntry
    happened_at: datetime.datetime
    description: str
    purchase_amount: Decimal | None = None
    explanation: list[ExplanationText] = field(default_factory=list)


def history_rows(entries) -> list[HistoryRow]:
    """Ledger entries (annotated with `happened_at`) as the member reads them: the date it
    happened, the purchase amount and how its points were made up, names in the active language."""
    entries = list(entries)
    rewards = _reward_names(entries)
    names = _explanation_names(entries)
    rows = []
    for entry in entries:
        description = entry_description(entry)
        reward = rewards.get(entry.pk) or rewards.get(entry.corrects_id)
        if reward is not None:
            description = f"{entry.get_kind_display()}: {reward}"
        purchase = entry.purchase if entry.kind == PointsEntry.Kind.EARN else None
        rows.append(
            HistoryRow(
                entry=entry,
                happened_at=getattr(entry, "happened_at", entry.effective_at),
                description=description,
                purchase_amount=purchase.amount if purchase is not None else None,
                explanation=[
                    ExplanationText(
                        label=names.get((line.get("source"), line.get("source_id")))
                        or line.get("label", ""),
                        points=line.get("points", 0),
                    )
                    for line in (purchase.explanation if purchase is not None else [])
                ],
            )
        )
    return rows


def _reward_names(entries: list[PointsEntry]) -> dict[int, str]:
    """The reward of each redemption entry (and the entry a reversal undoes), in the active
    language: the ledger's note keeps the name in the language of the moment of redeeming."""
    ids = {
        entry.corrects_id or entry.pk
        for entry in entries
        if entry.kind in (PointsEntry.Kind.REDEMPTION, PointsEntry.Kind.REDEMPTION_REVERSAL)
    }
    if not ids:
        return {}
    return {pk: str(reward) for pk, reward in rewards_by_points_entry(ids).items()}


# The models an explanation line's `source_id` points at; each has name_nl and name_en.
_EXPLANATION_SOURCES: dict[str, Any] = {
    "rule": EarningRule,
    "tier": Tier,
    "campaign": BonusCampaign,
}


def _explanation_names(entries: list[PointsEntry]) -> dict[tuple[str, int], str]:
    wanted: dict[str, set[int]] = {source: set() for source in _EXPLANATION_SOURCES}
    for entry in entries:
        if entry.kind == PointsEntry.Kind.EARN and entry.purchase is not None:
            for line in entry.purchase.explanation or []:
                if line.get("source") in wanted and line.get("source_id"):
                    wanted[line["source"]].add(line["source_id"])
    names = {}
    for source, ids in wanted.items():
        if not ids:
            continue
        for item in _EXPLANATION_SOURCES[source].objects.filter(pk__in=ids):
            name = item.translated("name")
            names[(source, item.pk)] = (
                _("Tier bonus %(tier)s") % {"tier": name} if source == "tier" else name
            )
    return names


@dataclass(frozen=True)
class SurveyOffer:
    """Whether to offer the survey now, what it earns, and when it can be answered again."""

    is_open: bool
    points: int | None
    next_due: datetime.datetime | None


def survey_offer_for(member: Member) -> SurveyOffer:
    if not survey_is_open_to(member):
        return SurveyOffer(is_open=False, points=None, next_due=None)
    next_due = survey_next_due(member)
    return SurveyOffer(is_open=next_due is None, points=survey_points(), next_due=next_due)


def satisfaction_purchase(member: Member, purchase_id: str | None) -> Purchase | None:
    """The purchase to ask about: the one a message link names, when it is still one the
    member may answer about; else the latest the question is due for (or None)."""
    due = satisfaction_purchase_for(member)
    text = purchase_id or ""
    # 18 digits at most: within a bigint
    if due is None or not (text.isascii() and text.isdigit() and len(text) <= 18):
        return due
    named = (
        Purchase.objects.filter(
            pk=int(text),
            member=member,
            occurred_at__gte=timezone.now() - datetime.timedelta(days=SATISFACTION_ASK_WITHIN_DAYS),
            satisfaction_response__isnull=True,
        )
        .select_related("store")
        .first()
    )
    return named or due


@dataclass(frozen=True)
class Dashboard:
    summary: MemberSummary
    latest: list[HistoryRow]
    store_credit: Decimal
    progress: int
    unlocks: list[Reward]
    chart: dict
    survey: SurveyOffer
    satisfaction_purchase: Purchase | None
    unused_codes: int
    balance_value: Decimal  # what the balance is worth in rewards
    next_reward: NextReward | None
    savings: Savings


def dashboard_for(member: Member) -> Dashboard:
    summary = member_summary_get(member=member)
    return Dashboard(
        summary=summary,
        latest=history_rows(member_history_for(member=member)[:LATEST_ENTRIES]),
        store_credit=store_credit_balance(member=member),
        progress=tier_progress_percent(summary.tier),
        unlocks=rewards_unlocked_by(summary.tier.next_tier),
        chart=charts.monthly_points_chart(member),
        survey=survey_offer_for(member),
        satisfaction_purchase=satisfaction_purchase_for(member),
        unused_codes=unused_codes_for(member=member).count(),
        balance_value=points_money_value(max(0, summary.points_balance)),
        next_reward=next_reward_for(
            catalogue=catalogue_for(member=member, account=summary.account),
            balance=summary.points_balance,
        ),
        savings=savings_for(member=member),
    )


@dataclass(frozen=True)
class MemberOverview(MemberSummary):
    """The member's summary with what the portal's dashboard adds: how far to the next tier
    (0–100) and the store credit. What the web shop's member API answers on `/me/`."""

    tier_progress: int = 0
    store_credit: Decimal = Decimal("0.00")


def member_overview_for(member: Member) -> MemberOverview:
    summary = member_summary_get(member=member)
    return MemberOverview(
        **{item.name: getattr(summary, item.name) for item in fields(summary)},
        tier_progress=tier_progress_percent(summary.tier),
        store_credit=store_credit_balance(member=member),
    )


def history_for(
    *,
    member: Member,
    group: str | None = None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """The member's history by the date things happened (see `points.selectors`)."""
    return member_history_for(member=member, group=group, date_from=date_from, date_to=date_to)


@dataclass(frozen=True)
class RewardChoice:
    item: CatalogueItem
    summary: MemberSummary

    @property
    def points_missing(self) -> int:
        return max(0, self.item.reward.points_cost - self.summary.points_balance)

    @property
    def balance_after(self) -> int | None:
        """The balance after exchanging, or None when the member cannot afford it."""
        if not self.item.is_affordable:
            return None
        return self.summary.points_balance - self.item.reward.points_cost


@dataclass(frozen=True)
class RewardsPage:
    summary: MemberSummary
    choices: list[RewardChoice]
    offers: list[IssuedReward]  # codes given to the member, shown first


def rewards_for(member: Member) -> RewardsPage:
    """Personal offers first: the member's given codes, then rewards exclusive to their tier."""
    summary = member_summary_get(member=member)
    catalogue = catalogue_for(member=member, account=summary.account, personal_first=True)
    return RewardsPage(
        summary=summary,
        choices=[RewardChoice(item=item, summary=summary) for item in catalogue],
        offers=list(personal_offers_for(member=member)),
    )


def reward_choice_for(member: Member, reward_id: int) -> RewardChoice:
    """A reward the member may see (for sale, on offer, within their tier); 404 otherwise."""
    for choice in rewards_for(member).choices:
        if choice.item.reward.pk == reward_id:
            return choice
    raise Http404


@dataclass(frozen=True)
class CodesPage:
    unused: list[IssuedReward]
    others: list[IssuedReward]


def codes_page_for(member: Member) -> CodesPage:
    codes = [code for code in codes_for(member=member)[:CODES_SHOWN] if code.code]
    now = timezone.now()
    unused = [code for code in codes if code.effective_status(now) == IssuedReward.Status.ISSUED]
    # Personal offers (given by a campaign, a tier or staff) first; stable, so newest first stays.
    unused.sort(key=lambda code: not is_personal_offer(code))
    return CodesPage(unused=unused, others=[code for code in codes if code not in unused])


def code_for(member: Member, code: str) -> IssuedReward:
    """One of the member's own codes; 404 for anyone else's."""
    issued = codes_for(member=member).filter(code=code).first()
    if issued is None:
        raise Http404
    return issued


@dataclass(frozen=True)
class CreditHistory:
    balance: Decimal
    entries: object  # the store-credit entries, newest first (a queryset, for paging)


def credit_history_for(member: Member) -> CreditHistory:
    return CreditHistory(
        balance=store_credit_balance(member=member),
        entries=store_credit_entries_for(member=member),
    )


CONSENT_CHANGES_SHOWN = 10


@dataclass(frozen=True)
class ProfileFacts:
    consent_history: list[ConsentChange]
    has_password: bool


def profile_facts_for(member: Member) -> ProfileFacts:
    """Beside the profile form: the latest consent changes, and whether a password is set."""
    return ProfileFacts(
        consent_history=list(consent_changes_for(member=member)[:CONSENT_CHANGES_SHOWN]),
        has_password=member.user is not None and member.user.has_usable_password(),
    )

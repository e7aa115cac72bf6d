"""The member summary's hot path agrees with the general one: `member_summary_by_card` (one
hand-written query) gives what `member_summary_get` gives, and `member_summary_out` (a dict built
by hand) is what `MemberSummaryOutput`, the contract, renders; on generated ledgers, score
entries and programme settings."""

import datetime
import itertools
import json
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.utils.encoders import JSONEncoder

from accounts.cards import generate_card_number
from accounts.models import CardAlias, Member
from core.errors import InvalidInput, MemberNotFound
from points.api.serializers import MemberSummaryOutput, member_summary_out
from points.models import (
    EntryKind,
    LoyaltyProgram,
    PointAccount,
    PointsEntry,
    ScoreEntry,
    TierBasis,
)
from points.selectors import member_get_by_card, member_summary_by_card, member_summary_get
from points.tiers import qualifying_entries, qualifying_points, qualifying_sum
from tests.factories import MemberFactory, TierFactory

pytestmark = pytest.mark.django_db

_keys = itertools.count()

entries = st.lists(
    st.tuples(
        st.sampled_from([EntryKind.EARN, EntryKind.ADJUSTMENT, EntryKind.REDEMPTION]),
        st.integers(min_value=-300, max_value=900),  # points
        st.sampled_from([0, 0, 40]),  # pending points
        st.booleans(),  # counts for tier
        st.integers(min_value=-800, max_value=20),  # effective, days from now
        st.one_of(st.none(), st.integers(min_value=-10, max_value=400)),  # expires, days
    ),
    max_size=8,
)
programmes = st.fixed_dictionaries(
    {
        "qualifying_window_months": st.sampled_from([0, 1, 12]),
        "tiers_count_pending_points": st.booleans(),
        "score_window_days": st.sampled_from([0, 30, 365]),
    }
)


def set_programme(**values) -> None:
    program = LoyaltyProgram.current()
    for name, value in values.items():
        setattr(program, name, value)
    program.save()  # clears the cached settings


def contract(card_number: str) -> dict:
    """What the general path answers, rendered by the serializer."""
    return MemberSummaryOutput(member_summary_get(member=member_get_by_card(card_number))).data


def both(card_number: str) -> tuple[dict, dict]:
    """The hot path's answer and the contract's, read at the same moment. They must also be the
    same JSON text: `780 == Decimal("780")`, but a Decimal (PostgreSQL's SUM of a bigint) would
    be written as 780.0 where the schema says integer."""
    with mock.patch("django.utils.timezone.now", return_value=timezone.now()):
        fast, expected = (
            member_summary_out(member_summary_by_card(card_number)),
            contract(card_number),
        )
    assert as_json(fast) == as_json(expected)
    return fast, expected


def as_json(answer: dict) -> str:
    return json.dumps(answer, cls=JSONEncoder, sort_keys=True)


def make_member(ledger, scores, *, with_account: bool = True, language: str = "nl") -> Member:
    member = MemberFactory(language=language)
    if not with_account:
        PointAccount.objects.filter(member=member).delete()
        return member
    now = timezone.now()
    account, _created = PointAccount.objects.get_or_create(member=member)
    balance = pending = 0
    for kind, points, pending_points, qualifying, effective, expires in ledger:
        if points == 0 and pending_points == 0:
            continue
        balance += points
        pending += pending_points
        PointsEntry.objects.create(
            account=account,
            kind=kind,
            points=points,
            pending_points=pending_points,
            pending_until=now + datetime.timedelta(days=7) if pending_points else None,
            balance_after=balance,
            is_qualifying=qualifying,
            effective_at=now + datetime.timedelta(days=effective),
            expires_at=(
                now + datetime.timedelta(days=expires)
                if expires is not None and points > 0
                else None
            ),
        )
    PointAccount.objects.filter(pk=account.pk).update(balance=balance, pending_balance=pending)
    for days, score in scores:
        ScoreEntry.objects.create(
            member=member,
            source="purchase",
            score=score,
            source_key=f"test:{next(_keys)}",
            occurred_at=now + datetime.timedelta(days=days),
        )
    return member


@pytest.fixture
def tiers(db):
    return (
        TierFactory(rank=1, threshold=0, name_nl="Brons", name_en="Bronze"),
        TierFactory(rank=2, threshold=500, name_nl="Zilver", earn_multiplier=Decimal("1.25")),
        TierFactory(rank=3, threshold=1500, name_nl="Goud", earn_multiplier=Decimal("1.50")),
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ledger=entries,
    scores=st.lists(
        st.tuples(st.integers(min_value=-500, max_value=5), st.integers(1, 50)), max_size=3
    ),
    programme=programmes,
    tier_rank=st.sampled_from([None, 1, 2, 3]),
    language=st.sampled_from(["nl", "en"]),
)
def test_the_fast_summary_answers_what_the_contract_answers(
    tiers, ledger, scores, programme, tier_rank, language
):
    # given a programme's settings and a member with any ledger, score and tier
    set_programme(**programme)
    member = make_member(ledger, scores, language=language)
    if tier_rank is not None:
        PointAccount.objects.filter(member=member).update(
            tier=tiers[tier_rank - 1],
            tier_valid_until=timezone.now() + datetime.timedelta(days=90),
        )
    # when the summary is read through the hot path
    fast, expected = both(member.card_number)
    # then it is the contract's answer, to the character
    assert fast == expected


def test_a_member_without_an_account_reads_the_same(tiers):
    member = make_member([], [], with_account=False)
    fast, expected = both(member.card_number)
    assert fast == expected
    assert fast["points_balance"] == 0


def test_the_hot_path_reads_a_member_in_one_query(tiers):
    ledger = [(EntryKind.EARN, 700, 0, True, -3, 200), (EntryKind.EARN, 20, 0, True, -1, 10)]
    member = make_member(ledger, [(-2, 5)])
    PointAccount.objects.filter(member=member).update(tier=tiers[1])
    member_summary_by_card(member.card_number)  # reads the cached settings (tiers, programme)
    with CaptureQueriesContext(connection) as queries:
        summary = member_summary_by_card(member.card_number)
    assert len(queries) == 1
    assert (summary.points_balance, summary.qualifying_points, summary.loyalty_score) == (
        720,
        720,
        5,
    )
    assert summary.points_expiring_soon == 20
    assert (summary.tier.tier.name_nl, summary.tier.points_to_next_tier) == ("Zilver", 780)


def test_a_card_alias_and_a_merged_card_find_the_survivor_as_before(tiers):
    survivor = make_member([(EntryKind.EARN, 80, 0, True, -1, None)], [])
    CardAlias.objects.create(member=survivor, number="LEGACY0001")
    merged = MemberFactory(merged_into=survivor, status=Member.Status.MERGED)
    CardAlias.objects.create(member=survivor, number=merged.card_number)
    for card in ("LEGACY0001", merged.card_number):
        assert member_summary_by_card(card).member.pk == survivor.pk
        fast, expected = both(card)
        assert fast == expected


def test_a_mistyped_card_is_refused_and_an_unknown_one_not_found(db):
    unknown = generate_card_number()
    with pytest.raises(InvalidInput):
        member_summary_by_card(unknown[:-1] + str((int(unknown[-1]) + 1) % 10))
    with pytest.raises(MemberNotFound):
        member_summary_by_card(unknown)


def test_tiers_by_spend_take_the_general_path(tiers):
    set_programme(tier_basis=TierBasis.SPEND)
    member = make_member([(EntryKind.EARN, 80, 0, True, -1, None)], [])
    assert member_summary_by_card(member.card_number).tier.by_spend is True
    fast, expected = both(member.card_number)
    assert fast == expected


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ledger=entries, programme=programmes)
def test_the_upgrade_check_counts_what_the_tier_rules_count(db, ledger, programme):
    # given a programme's settings and a member with any ledger
    set_programme(**programme)
    account = PointAccount.objects.get(member=make_member(ledger, []))
    now = timezone.now()
    # when the upgrade check counts the qualifying points (hand-written SQL)
    counted = qualifying_points(account, now=now)
    # then it is what the ORM's definition sums, never below zero
    total = (
        qualifying_entries(now).filter(account=account).aggregate(total=qualifying_sum())["total"]
    )
    assert counted == max(0, total or 0)
    assert type(counted) is int  # not PostgreSQL's numeric sum: it feeds integer JSON fields

"""The loyalty score: an engagement ledger apart from the wallet (issue #18, seed 000)."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from points.models import EarningRule, LoyaltyProgram, ScoreEntry, ScoreNorm, ScoreSource
from points.score import score_breakdown_for, score_of
from points.services import activity_record, points_adjust
from tests.factories import ActivityTypeFactory, RewardFactory, UserFactory
from tests.helpers import buy, days_ago

pytestmark = pytest.mark.django_db


def norm(source, value, activity_type=None):
    return ScoreNorm.objects.create(
        source=source, value=Decimal(value), activity_type=activity_type
    )


@pytest.fixture
def norms(db):
    return {
        "purchase": norm(ScoreSource.PURCHASE, "10"),
        "per_euro": norm(ScoreSource.PURCHASE_AMOUNT, "0.5"),
    }


def test_a_purchase_scores_by_count_and_by_amount(norms, member, store):
    # when
    buy(member, store, "49.99")
    # then: 10 for the purchase, 0.5 × 49.99 = 24.995 rounded down to 24
    assert score_of(member.pk) == 34
    assert sorted(ScoreEntry.objects.values_list("source", "score")) == [
        ("purchase", 10),
        ("purchase_amount", 24),
    ]


def test_without_norms_nothing_scores(member, store):
    buy(member, store, "49.99")
    assert ScoreEntry.objects.count() == 0
    assert score_of(member.pk) == 0


def test_redeeming_never_changes_the_score(norms, pos, member, store):
    # given: a member who earned score and points
    EarningRule.objects.create(kind="base_rate", name_nl="Basis", points_per_unit=Decimal("1"))
    buy(member, store, "150.00")
    points_adjust(member=member, points=100, reason="test", actor=UserFactory())
    score_before, entries_before = score_of(member.pk), ScoreEntry.objects.count()
    assert score_before == 85
    reward = RewardFactory(points_cost=200)
    # when: they spend most of their points
    response = pos.post(
        f"/api/v1/members/{member.card_number}/redemptions/",
        {"reward_id": reward.pk},
        format="json",
        HTTP_IDEMPOTENCY_KEY="r1",
    )
    # then: the wallet shrank, the score did not
    assert response.status_code == 201, response.json()
    assert response.json()["points_balance"] == 50
    assert score_of(member.pk) == score_before
    assert ScoreEntry.objects.count() == entries_before
    summary = pos.get(f"/api/v1/members/{member.card_number}/").json()
    assert summary["loyalty_score"] == score_before


def test_an_activity_scores_by_its_norm_once_however_often_it_is_sent(member):
    review = ActivityTypeFactory(code="review", points=25)
    norm(ScoreSource.ACTIVITY, "15", activity_type=review)
    for _attempt in range(2):
        activity_record(member=member, activity_type=review, reference="review-1")
    assert score_of(member.pk) == 15
    entry = ScoreEntry.objects.get()
    assert (entry.source, entry.activity_type, entry.source_key) == (
        "activity",
        review,
        f"activity:{entry.member.activities.get().pk}",
    )


def test_an_activity_without_a_norm_earns_points_but_no_score(member):
    review = ActivityTypeFactory(code="review", points=25)
    norm(ScoreSource.ACTIVITY, "15", activity_type=ActivityTypeFactory(code="app_login"))
    activity_record(member=member, activity_type=review, reference="review-1")
    assert member.point_account.entries.count() == 1
    assert score_of(member.pk) == 0


def test_norms_edited_in_admin_apply_to_new_activities_only(admin_client, member):
    # given: a review worth 15, scored once
    review = ActivityTypeFactory(code="review", points=25)
    review_norm = norm(ScoreSource.ACTIVITY, "15", activity_type=review)
    activity_record(member=member, activity_type=review, reference="review-1")
    # when: marketing raises the norm in admin
    url = reverse("admin:points_scorenorm_change", args=[review_norm.pk])
    response = admin_client.post(
        url,
        {"source": "activity", "activity_type": review.pk, "value": "40", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    activity_record(member=member, activity_type=review, reference="review-2")
    # then: the old review keeps its 15, the new one counts 40
    assert sorted(ScoreEntry.objects.values_list("score", flat=True)) == [15, 40]
    assert score_of(member.pk) == 55


def test_admin_refuses_an_activity_norm_without_its_activity(admin_client):
    response = admin_client.post(
        reverse("admin:points_scorenorm_add"),
        {"source": "activity", "value": "5", "is_active": "on"},
    )
    assert response.status_code == 200
    assert "activity_type" in response.context["adminform"].form.errors
    assert ScoreNorm.objects.count() == 0


def test_the_score_fades_outside_its_window(norms, member, store):
    # given: a purchase 80 days ago and a score entry from 400 days ago
    buy(member, store, "20.00", occurred_at=days_ago(80))
    old = ScoreEntry.objects.filter(source="purchase").get()
    ScoreEntry.objects.create(
        member=member,
        source="purchase",
        score=10,
        source_key="purchase:old",
        occurred_at=days_ago(400),
    )
    assert old.score == 10
    program = LoyaltyProgram.current()
    # then: a window of a year counts the recent one only
    program.score_window_days = 365
    program.save()
    assert score_of(member.pk) == 20
    # and: 60 days counts nothing; 0 days (no decay) counts everything
    program.score_window_days = 60
    program.save()
    assert score_of(member.pk) == 0
    program.score_window_days = 0
    program.save()
    assert score_of(member.pk) == 30


def test_the_breakdown_groups_the_score_by_kind_of_activity(norms, member, store):
    review = ActivityTypeFactory(code="review", name_nl="Review", name_en="Review")
    norm(ScoreSource.ACTIVITY, "15", activity_type=review)
    buy(member, store, "10.00")
    buy(member, store, "10.00")
    activity_record(member=member, activity_type=review, reference="r1")
    breakdown = score_breakdown_for(member_id=member.pk)
    assert breakdown.total == 45
    assert [(line.source, line.score, line.count) for line in breakdown.lines] == [
        ("purchase", 20, 2),
        ("activity", 15, 1),
        ("purchase_amount", 10, 2),
    ]
    assert breakdown.lines[1].label == "Review"


def test_a_portal_visit_scores_once_a_day(client, member):
    from accounts.portal import portal_user_for

    norm(ScoreSource.PORTAL_VISIT, "2")
    client.force_login(portal_user_for(member))
    client.get(reverse("portal:dashboard"))
    client.get(reverse("portal:history"))
    client.cookies.clear()  # a new session the same day
    client.force_login(portal_user_for(member))
    client.get(reverse("portal:dashboard"))
    assert score_of(member.pk) == 2
    assert ScoreEntry.objects.get().source_key == (
        f"visit:{member.pk}:{timezone.localdate().isoformat()}"
    )


def test_the_survey_answer_scores(member, store):
    from campaigns.services import survey_answer

    norm(ScoreSource.SURVEY_ANSWER, "20")
    buy(member, store, "5.00")
    survey_answer(member=member, recommend_score=9)
    assert score_of(member.pk) == 20


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_database_refuses_scoring_one_source_twice(member):
    """Guard: `score_entry_source_unique` (fails when the constraint is removed)."""
    ScoreEntry.objects.create(
        member=member,
        source="purchase",
        score=10,
        source_key="purchase:1",
        occurred_at=timezone.now(),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ScoreEntry.objects.create(
            member=member,
            source="purchase",
            score=10,
            source_key="purchase:1",
            occurred_at=timezone.now(),
        )
    assert ScoreEntry.objects.count() == 1


def test_score_entries_are_never_changed(norms, member, store):
    from core.append_only import AppendOnlyError

    buy(member, store, "10.00")
    entry = ScoreEntry.objects.first()
    entry.score = 1000
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        ScoreEntry.objects.all().delete()


def test_a_score_in_the_future_does_not_count_yet(member):
    ScoreEntry.objects.create(
        member=member,
        source="purchase",
        score=10,
        source_key="purchase:later",
        occurred_at=timezone.now() + datetime.timedelta(days=1),
    )
    assert score_of(member.pk) == 0


@pytest.mark.parametrize(
    ("language", "texts"),
    [
        ("nl", ["Je loyaliteitsscore", "Het is geen geld", "Waarmee je score verdient", "Review"]),
        ("en", ["Your loyalty score", "It is not money", "What earns score", "Review"]),
    ],
)
def test_the_earn_page_explains_the_score_and_what_earns_it(
    client, member, store, norms, language, texts
):
    from accounts.portal import portal_user_for

    review = ActivityTypeFactory(code="review", name_nl="Review", name_en="Review")
    norm(ScoreSource.ACTIVITY, "15", activity_type=review)
    buy(member, store, "20.00")
    member.language = language
    member.save(update_fields=["language"])
    client.force_login(portal_user_for(member))
    page = client.get(reverse("portal:earn")).content.decode()
    for text in texts:
        assert text in page, text
    assert '<p class="score-total" id="score-total">20</p>' in page

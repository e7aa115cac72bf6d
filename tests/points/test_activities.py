import datetime

import pytest
from django.utils import timezone

from points.models import Activity, PointsEntry
from tests.factories import ActivityTypeFactory

pytestmark = pytest.mark.django_db


def post_activity(pos, member, reference, activity_type="review", **extra):
    return pos.post(
        "/api/v1/activities/",
        {
            "card_number": member.card_number,
            "activity_type": activity_type,
            "reference": reference,
            **extra,
        },
        format="json",
    )


def test_an_activity_earns_its_points_once_per_reference(pos, member):
    ActivityTypeFactory(code="review", points=25)
    first = post_activity(pos, member, "review-123")
    retry = post_activity(pos, member, "review-123")
    assert first.status_code == 201
    assert first.json()["points_earned"] == 25
    assert first.json()["points_balance"] == 25
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert PointsEntry.objects.filter(kind="activity").count() == 1


def test_an_activity_is_capped_per_member_per_period(pos, member):
    ActivityTypeFactory(code="review", points=25, cap=2, cap_period="day")
    responses = [post_activity(pos, member, f"r{index}") for index in range(3)]
    assert [response.status_code for response in responses] == [201, 201, 422]
    assert responses[2].json()["code"] == "activity_cap_reached"
    assert Activity.objects.count() == 2


def test_the_cap_counts_per_local_calendar_day(pos, member):
    ActivityTypeFactory(code="login", points=1, cap=1, cap_period="day")
    yesterday = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert post_activity(pos, member, "a", "login", occurred_at=yesterday).status_code == 201
    assert post_activity(pos, member, "b", "login").status_code == 201
    assert post_activity(pos, member, "c", "login").status_code == 422


def test_a_lifetime_cap_never_resets(pos, member):
    ActivityTypeFactory(code="signup", points=50, cap=1, cap_period="ever")
    long_ago = (timezone.now() - datetime.timedelta(days=80)).isoformat()
    assert post_activity(pos, member, "a", "signup", occurred_at=long_ago).status_code == 201
    assert post_activity(pos, member, "b", "signup").json()["code"] == "activity_cap_reached"


@pytest.mark.parametrize(
    ("activity_type", "status", "code", "field"),
    [
        ("unknown", 400, "unknown_activity_type", "activity_type"),
        ("", 400, "blank", "activity_type"),
    ],
)
def test_unknown_activity_types_are_refused(pos, member, activity_type, status, code, field):
    response = post_activity(pos, member, "x", activity_type)
    assert response.status_code == status
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert PointsEntry.objects.count() == 0


def test_an_inactive_activity_type_earns_nothing(pos, member):
    ActivityTypeFactory(code="survey", is_active=False)
    response = post_activity(pos, member, "x", "survey")
    assert response.json()["code"] == "unknown_activity_type"

"""The portal's sign-up and link-request decisions (accounts/portal.py): enrol, send a link, or
nothing."""

import pytest

from accounts.models import ConsentChange, Member
from accounts.portal import login_link_request, member_sign_up
from core.errors import InvalidInput
from core.models import OutboxJob
from tests.factories import MemberFactory

CLIENT = "192.0.2.1"


def link_for(token: str) -> str:
    return f"https://shop.example/login/link/{token}/"


def link_jobs() -> list[dict]:
    return list(
        OutboxJob.objects.filter(kind="accounts.login_link_send").values_list("payload", flat=True)
    )


@pytest.mark.django_db
def test_sign_up_with_a_new_address_enrols_and_queues_a_sign_in_link():
    # when
    sign_up = member_sign_up(
        email=" Anna@Example.com ",
        first_name="Anna",
        language="en",
        consent_email=True,
        client=CLIENT,
        link_for=link_for,
    )
    # then
    assert sign_up.is_new
    member = sign_up.member
    member.refresh_from_db()
    assert member.email == "anna@example.com"
    assert member.language == "en"
    assert member.email_consent_at is not None
    assert list(ConsentChange.objects.values_list("channel", "source")) == [
        ("email", ConsentChange.Source.PORTAL)
    ]
    [job] = link_jobs()
    assert job["member"] == member.pk
    assert job["link"].startswith("https://shop.example/login/link/")


@pytest.mark.django_db
def test_sign_up_with_the_address_of_a_member_sends_a_link_and_enrols_nobody():
    # given
    existing = MemberFactory(email="anna@example.com")
    # when
    sign_up = member_sign_up(
        email="ANNA@example.com", first_name="Someone", client=CLIENT, link_for=link_for
    )
    # then
    assert (sign_up.member, sign_up.is_new) == (existing, False)
    assert Member.objects.count() == 1
    assert [job["member"] for job in link_jobs()] == [existing.pk]


@pytest.mark.django_db
def test_sign_up_with_the_address_of_a_blocked_member_does_nothing():
    # given
    MemberFactory(email="anna@example.com", status=Member.Status.BLOCKED)
    # when
    sign_up = member_sign_up(
        email="anna@example.com", first_name="Anna", client=CLIENT, link_for=link_for
    )
    # then
    assert (sign_up.member, sign_up.is_new) == (None, False)
    assert Member.objects.count() == 1
    assert link_jobs() == []


@pytest.mark.django_db
def test_a_refused_sign_up_enrols_nobody_and_queues_no_link():
    # when
    with pytest.raises(InvalidInput) as raised:
        member_sign_up(
            email="anna@example.com",
            first_name="Anna",
            referral_code="NOSUCHCODE",
            client=CLIENT,
            link_for=link_for,
        )
    # then
    assert raised.value.code == "unknown_referral_code"
    assert Member.objects.count() == 0
    assert link_jobs() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "gets_a_link"), [(Member.Status.ACTIVE, True), (Member.Status.BLOCKED, False)]
)
def test_a_link_is_sent_to_an_active_member_only(status, gets_a_link):
    # given
    member = MemberFactory(email="anna@example.com", status=status)
    # when
    found = login_link_request(email=" Anna@Example.com ", client=CLIENT, link_for=link_for)
    # then
    assert found == (member if gets_a_link else None)
    assert [job["member"] for job in link_jobs()] == ([member.pk] if gets_a_link else [])


@pytest.mark.django_db
def test_a_link_request_for_an_unknown_address_queues_nothing():
    assert login_link_request(email="nobody@example.com", client=CLIENT, link_for=link_for) is None
    assert link_jobs() == []


@pytest.mark.django_db
def test_sign_up_and_link_requests_share_one_budget_per_address():
    from accounts.portal import LINK_BUDGET_PER_EMAIL, TooManyLinkRequests

    MemberFactory(email="anna@example.com")
    for _ in range(LINK_BUDGET_PER_EMAIL - 1):
        login_link_request(email="anna@example.com", client=CLIENT, link_for=link_for)
    member_sign_up(email="Anna@Example.com", first_name="Anna", client=CLIENT, link_for=link_for)
    with pytest.raises(TooManyLinkRequests):
        member_sign_up(email="anna@example.com", first_name="A", client=CLIENT, link_for=link_for)
    with pytest.raises(TooManyLinkRequests):
        login_link_request(email="ANNA@example.com", client="192.0.2.99", link_for=link_for)
    assert len(link_jobs()) == LINK_BUDGET_PER_EMAIL


@pytest.mark.django_db
def test_a_sign_up_over_the_client_budget_enrols_nobody():
    from accounts.portal import LINK_BUDGET_PER_CLIENT, TooManyLinkRequests

    for number in range(LINK_BUDGET_PER_CLIENT):
        login_link_request(email=f"n{number}@example.com", client=CLIENT, link_for=link_for)
    with pytest.raises(TooManyLinkRequests):
        member_sign_up(email="new@example.com", first_name="N", client=CLIENT, link_for=link_for)
    assert not Member.objects.filter(email="new@example.com").exists()

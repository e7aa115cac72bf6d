"""The satisfaction question on the portal: "Bent u tevreden met …?" after a purchase."""

import pytest
from django.urls import reverse

from campaigns.models import SatisfactionResponse
from points.models import Purchase
from tests.factories import MemberFactory
from tests.helpers import buy

pytestmark = pytest.mark.django_db


def latest_purchase(member, store):
    buy(member, store, "20.00")
    return Purchase.objects.filter(member=member).latest("occurred_at")


def test_the_dashboard_asks_about_the_latest_purchase(portal, member, store):
    purchase = latest_purchase(member, store)
    page = portal.get(reverse("portal:dashboard")).content.decode()
    assert "Bent u tevreden met uw aankoop van" in page
    assert f"{reverse('portal:satisfaction')}?purchase={purchase.pk}" in page


def test_a_member_without_purchases_is_not_asked(portal, member):
    assert (
        reverse("portal:satisfaction")
        not in portal.get(reverse("portal:dashboard")).content.decode()
    )
    page = portal.get(reverse("portal:satisfaction")).content.decode()
    assert "er valt nu niets te beantwoorden" in page


def test_answering_stores_the_score_and_thanks_the_member(portal, member, store):
    purchase = latest_purchase(member, store)
    # when
    response = portal.post(
        reverse("portal:satisfaction") + f"?purchase={purchase.pk}&via=sms",
        {"purchase_id": purchase.pk, "via": "sms", "score": "9", "comment": "Prima"},
    )
    # then
    assert response.status_code == 302
    answer = SatisfactionResponse.objects.get()
    assert (answer.purchase, answer.score, answer.channel, answer.comment) == (
        purchase,
        9,
        "sms",
        "Prima",
    )
    assert "Bent u tevreden" not in portal.get(reverse("portal:dashboard")).content.decode()


@pytest.mark.parametrize("score", ["11", "0", "", "negen"])
def test_a_bad_score_is_a_form_error_and_nothing_is_stored(portal, member, store, score):
    purchase = latest_purchase(member, store)
    response = portal.post(
        reverse("portal:satisfaction"),
        {"purchase_id": purchase.pk, "via": "portal", "score": score},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["score"]
    assert not SatisfactionResponse.objects.exists()


def test_someone_elses_purchase_is_refused_without_an_error_page(portal, member, store):
    theirs = latest_purchase(MemberFactory(), store)
    latest_purchase(member, store)
    response = portal.post(
        reverse("portal:satisfaction"), {"purchase_id": theirs.pk, "via": "portal", "score": "3"}
    )
    assert response.status_code in (200, 302)
    assert not SatisfactionResponse.objects.exists()
    # and a link naming their purchase asks about the member's own
    page = portal.get(reverse("portal:satisfaction") + f"?purchase={theirs.pk}")
    assert page.context["purchase"].member == member


def test_the_question_in_english(portal, member, store):
    type(member).objects.filter(pk=member.pk).update(language="en")
    latest_purchase(member, store)
    portal.cookies["django_language"] = "en"
    page = portal.get(reverse("portal:satisfaction")).content.decode()
    assert "Are you satisfied with your purchase?" in page


@pytest.mark.parametrize("named", ["abc", "²", "9" * 30, "-1", ""])
def test_a_mangled_link_asks_about_the_latest_purchase(portal, member, store, named):
    purchase = latest_purchase(member, store)
    page = portal.get(reverse("portal:satisfaction") + f"?purchase={named}&via=nonsense")
    assert page.status_code == 200
    assert page.context["purchase"] == purchase
    assert page.context["form"]["via"].value() == "portal"

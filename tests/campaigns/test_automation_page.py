"""The automation's own admin page: the preview in both languages, a test to oneself, and the
dry run: who would get it, by message or reward only, and what it costs."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffAction
from campaigns.models import Delivery, OutboundMessage
from campaigns.services import automation_dry_run
from core import outbox
from core.models import OutboxJob
from loyalty_site import roles
from tests.factories import AutomationFactory, MemberFactory, RewardFactory
from tests.staff.helpers import login, member_url

from .helpers import bought_days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(db):
    return AutomationFactory(
        name="Terug van weggeweest",
        trigger="dormant",
        days=60,
        reward=RewardFactory(
            points_cost=0, fixed=True, name_nl="€5 welkom terug", name_en="€5 welcome back"
        ),
        message_subject_nl="We missen je, {first_name}",
        message_body_nl="Hoi {first_name}, je code is {code}, geldig tot {expires_at}.",
        message_subject_en="We miss you, {first_name}",
        message_body_en="Hi {first_name}, your code is {code}, valid until {expires_at}.",
    )


def dormant(store, first_name, *, amount="20.00", **kwargs):
    member = MemberFactory(first_name=first_name, **kwargs)
    bought_days_ago(member, store, 75, amount)
    return member


def page(client, automation) -> str:
    response = client.get(reverse("admin:campaigns_automation_change", args=[automation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_previews_the_message_for_the_first_member_in_both_languages(client, store, offer):
    sara = dormant(store, "Sara", email_consent_at=timezone.now())
    login(client, roles.MARKETING)
    content = page(client, offer)
    assert "Hoi Sara, je code is ABCD-EFGH-JKLM, geldig tot " in content
    assert "Hi Sara, your code is ABCD-EFGH-JKLM, valid until " in content
    assert "We missen je, Sara" in content
    assert f'href="{member_url(sara)}"' in content
    assert Delivery.objects.count() == 0


def test_with_nobody_qualifying_the_preview_speaks_to_a_made_up_member(client, offer):
    login(client, roles.MARKETING)
    content = page(client, offer)
    assert "Hoi Sara, je code is ABCD-EFGH-JKLM" in content
    assert "een verzonnen lid, Sara de Vries" in content


def test_a_test_goes_to_the_staff_user_through_the_outbox_marked_and_counted_nowhere(
    client, store, offer, django_capture_on_commit_callbacks
):
    dormant(store, "Sara", email_consent_at=timezone.now())
    user = login(client, roles.MARKETING)
    url = reverse("admin:campaigns_automation_send_test", args=[offer.pk])
    # when
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url, {"language": "en"})
    # then a job waits in the outbox; the relay sends it
    assert response.status_code == 302
    [job] = OutboxJob.objects.filter(kind="campaigns.test_message")
    assert outbox.run(job.pk) == "done"
    [email] = mail.outbox
    assert email.to == [user.email]
    assert email.subject == "[TEST] We miss you, Sara"
    assert email.body.startswith("Hi Sara, your code is ABCD-EFGH-JKLM, valid until ")
    assert email.extra_headers["X-Loyalty-Test"] == "yes"
    # counted nowhere: no delivery, no recorded message; the audit trail knows who sent it
    assert Delivery.objects.count() == 0
    assert OutboundMessage.objects.count() == 0
    action = StaffAction.objects.get(action="send_test_message")
    assert (action.staff_user, action.after["automation"]) == (user, offer.pk)


def test_a_staff_user_without_an_address_is_told_and_nothing_is_queued(client, offer):
    user = login(client, roles.MARKETING)
    user.email = ""
    user.save()
    url = reverse("admin:campaigns_automation_send_test", args=[offer.pk])
    response = client.post(url, {"language": "nl"}, follow=True)
    assert "Je account heeft geen e-mailadres" in response.content.decode()
    assert not OutboxJob.objects.filter(kind="campaigns.test_message").exists()
    assert not StaffAction.objects.exists()


def test_an_unknown_language_is_refused(client, offer):
    login(client, roles.MARKETING)
    url = reverse("admin:campaigns_automation_send_test", args=[offer.pk])
    response = client.post(url, {"language": "fr"}, follow=True)
    assert "Kies Nederlands of Engels." in response.content.decode()
    assert not OutboxJob.objects.filter(kind="campaigns.test_message").exists()


def test_a_cashier_cannot_send_tests(client, offer):
    login(client, roles.CASHIER)
    url = reverse("admin:campaigns_automation_send_test", args=[offer.pk])
    response = client.post(url, {"language": "nl"})
    assert response.status_code == 403
    assert not OutboxJob.objects.exists()


def test_the_dry_run_tells_messages_from_reward_only_and_names_who(store, offer):
    # given three dormant members: one reachable, one without consent, one without an address
    reachable = dormant(store, "Anna", email_consent_at=timezone.now())
    dormant(store, "Bram")
    dormant(store, "Cees", email=None, email_consent_at=timezone.now())
    # when
    result = automation_dry_run(offer)
    # then
    assert (result.members, result.would_get, result.with_message) == (3, 3, 1)
    assert (result.no_consent, result.no_address) == (1, 1)
    assert [(row.name.split()[0], row.channel, row.skip_reason) for row in result.sample] == [
        ("Anna", "email", None),
        ("Bram", None, "no_consent"),
        ("Cees", None, "no_address"),
    ]
    assert result.sample[0].card_number == reachable.card_number
    assert result.reward_cost == Decimal("15.00")
    assert Delivery.objects.count() == 0


def test_the_dry_run_follows_the_budget_in_the_order_a_run_does(store, offer):
    offer.max_total = 2
    offer.save()
    first = dormant(store, "Anna")
    second = dormant(store, "Bram", email_consent_at=timezone.now())
    dormant(store, "Cees", email_consent_at=timezone.now())
    result = automation_dry_run(offer)
    assert (result.members, result.budget_left, result.would_get) == (3, 2, 2)
    assert [row.pk for row in result.sample] == [first.pk, second.pk]
    assert (result.with_message, result.no_consent) == (1, 1)
    assert result.reward_cost == Decimal("10.00")


def test_a_percentage_code_is_priced_from_each_member_s_usual_basket(store, offer):
    # given a 20% code with a €10 minimum spend
    offer.reward = RewardFactory(points_cost=0, value=Decimal("20"), minimum_spend=Decimal("10"))
    offer.save()
    big = dormant(store, "Anna", amount="60.00")
    bought_days_ago(big, store, 80, "40.00")  # usual basket €50
    dormant(store, "Bram", amount="5.00")  # below the minimum spend: priced at €10
    # when
    result = automation_dry_run(offer)
    # then 20% of €50 + 20% of €10
    assert result.pricing == "percentage"
    assert result.reward_cost == Decimal("12.00")
    assert result.without_history == 0


def test_members_who_never_bought_are_priced_at_the_programme_s_average(store, client):
    # given a welcome automation (an event trigger: everyone in the audience) with a 10% code
    automation = AutomationFactory(
        trigger="welcome",
        days=None,
        reward=RewardFactory(points_cost=0, value=Decimal("10")),
        message_body_nl="Welkom! {code}",
    )
    buyer = MemberFactory()
    bought_days_ago(buyer, store, 3, "30.00")
    bought_days_ago(buyer, store, 2, "50.00")
    MemberFactory()  # never bought: priced at the average purchase, €40
    result = automation_dry_run(automation)
    assert (result.would_get, result.without_history) == (2, 1)
    assert result.average_basket == Decimal("40.00")
    assert result.reward_cost == Decimal("8.00")  # 10% of €40, twice
    assert result.is_event_trigger
    # and the page says how it was estimated, in Dutch formats
    login(client, roles.MARKETING)
    content = page(client, automation)
    assert "Een code voor 10% korting, geschat op het gewone aankoopbedrag" in content
    assert "op de gemiddelde aankoop van de afgelopen 365 dagen, €\xa040,00" in content
    assert "€\xa08,00" in content


def test_the_dry_run_on_the_page_shows_who_and_dutch_figures(client, store, offer):
    offer.bonus_points = 1000
    offer.save()
    anna = dormant(store, "Anna", last_name="de Boer", email_consent_at=timezone.now())
    dormant(store, "Bram")
    login(client, roles.MARKETING)
    content = page(client, offer)
    assert "Proefrun: als hij nu liep" in content
    assert f'<a href="{member_url(anna)}">Anna de Boer</a>' in content
    assert anna.card_number in content
    assert "Alleen de beloning: geen toestemming" in content
    assert "Bonuspunten (2.000)" in content
    assert "€\xa020,00" in content  # 2,000 points at €0.01
    assert "€\xa030,00" in content  # two €5 codes and €20 of points


def test_the_list_action_speaks_dutch_formats(client, store, offer):
    offer.bonus_points = 100_000
    offer.save()
    dormant(store, "Anna", email_consent_at=timezone.now())
    login(client, superuser=True)
    response = client.post(
        reverse("admin:campaigns_automation_changelist"),
        {"action": "dry_run", "_selected_action": [offer.pk]},
        follow=True,
    )
    content = response.content.decode()
    assert "1 van 1 leden zouden het krijgen, 1 van hen met een bericht" in content
    assert "100.000 bonuspunten (€\xa01.000,00)" in content


def test_an_automation_without_messages_counts_everyone_as_reward_only(store, offer):
    offer.channel = "none"
    offer.save()
    dormant(store, "Anna", email_consent_at=timezone.now())
    dormant(store, "Bram")
    result = automation_dry_run(offer)
    assert (result.would_get, result.with_message, result.no_consent, result.no_address) == (
        2,
        0,
        0,
        0,
    )
    assert [row.skip_reason for row in result.sample] == ["no_message", "no_message"]


def test_a_limited_stock_is_priced_for_the_codes_there_are(store, offer):
    offer.reward.stock = 1
    offer.reward.save()
    dormant(store, "Anna")
    dormant(store, "Bram")
    result = automation_dry_run(offer)
    assert (result.would_get, result.out_of_stock) == (2, 1)
    assert result.reward_cost == Decimal("5.00")


def test_the_sms_preview_says_how_many_messages_it_takes(client, offer):
    offer.channel = "sms"
    offer.message_sms_nl = "Hoi {first_name}! Je code {code} is geldig tot {expires_at}. " * 3
    offer.save()
    login(client, roles.MARKETING)
    content = page(client, offer)
    assert "tekens: 2 sms-berichten" in content

"""Message templates: what the marketer writes is what the member gets, placeholders filled in
with the member's values in their language; misspelt placeholders are caught on save."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from campaigns import templating
from campaigns.models import Automation, Delivery
from campaigns.services import deliveries_fulfil, delivery_send
from loyalty_site import roles
from points.services import points_adjust
from tests.factories import AutomationFactory, MemberFactory, RewardFactory, UserFactory
from tests.staff.helpers import login

pytestmark = pytest.mark.django_db

upgrade = importlib.import_module("campaigns.migrations.0007_message_templates")

HOI = "Hoi {first_name}, het is een tijdje geleden. Je code: {code}, geldig tot {expires_at}."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hoi {first_name}!", []),
        ("{{ niet vervangen }}", []),
        ("Hoi {frist_name}", ["Unknown placeholder {frist_name}. Did you mean {first_name}?"]),
        ("Hoi {voornaam}", ["Unknown placeholder {voornaam}. Did you mean {first_name}?"]),
        ("Code {cdoe}", ["Unknown placeholder {cdoe}. Did you mean {code}?"]),
        ("{saldo} punten", ["Unknown placeholder {saldo}. Did you mean {points_balance}?"]),
        ("Hoi {xyzzy}", ["Unknown placeholder {xyzzy}."]),
        (
            "Hoi {first_name",
            [
                "A lone { or } : placeholders are written as {first_name}; "
                "write {{ or }} for a brace itself."
            ],
        ),
    ],
)
def test_unknown_placeholders_are_named_with_a_suggestion(text, expected):
    from django.utils import translation

    with translation.override("en"):
        assert [str(problem) for problem in templating.problems(text)] == expected


def _form_data(**overrides) -> dict:
    reward = RewardFactory(points_cost=0, fixed=True)
    data = {
        "name": "Terug van weggeweest",
        "is_active": "on",
        "trigger": "dormant",
        "days": "60",
        "reward": str(reward.pk),
        "bonus_points": "0",
        "channel": "email",
        "message_subject_nl": "We missen je, {first_name}",
        "message_body_nl": HOI,
        "cooldown_days": "90",
        "conversion_days": "30",
        "holdout_percent": "0",
        "arms-TOTAL_FORMS": "0",
        "arms-INITIAL_FORMS": "0",
        # the escalation steps' inline, empty
        "escalation_steps-TOTAL_FORMS": "0",
        "escalation_steps-INITIAL_FORMS": "0",
    }
    return {**data, **overrides}


def _refused(client, **overrides) -> dict:
    """Posts a new automation that must be refused; returns the form's errors."""
    login(client, roles.MARKETING)
    response = client.post(reverse("admin:campaigns_automation_add"), _form_data(**overrides))
    assert response.status_code == 200
    assert not Automation.objects.exists()
    return response.context["adminform"].form.errors


def test_a_misspelt_placeholder_is_a_form_error_naming_it_and_nothing_is_saved(client):
    errors = _refused(client, message_body_nl="Hoi {frist_name}, je code: {code}")
    assert errors["message_body_nl"] == [
        "Onbekende plaatshouder {frist_name}. Bedoelde je {first_name}?"
    ]


def test_a_text_without_the_code_of_a_code_reward_is_refused(client):
    errors = _refused(client, message_body_nl="Hoi {first_name}, kom gauw terug!")
    assert errors["message_body_nl"] == [
        "Voeg {code} toe: de beloning geeft een code, en leden hebben die nodig om haar te "
        "gebruiken."
    ]


def test_the_channel_s_dutch_text_is_required(client):
    errors = _refused(client, channel="sms", message_body_nl="", message_subject_nl="")
    assert list(errors) == ["message_sms_nl"]


def test_a_valid_template_saves(client):
    login(client, roles.MARKETING)
    response = client.post(reverse("admin:campaigns_automation_add"), _form_data())
    assert response.status_code == 302
    assert Automation.objects.get().message_body_nl == HOI


def test_the_member_gets_exactly_the_text_with_values_and_only_the_legal_footer():
    automation = AutomationFactory(
        message_subject_nl="We missen je, {first_name}",
        message_body_nl=HOI,
        reward=RewardFactory(points_cost=0, fixed=True, validity_days=30),
    )
    member = MemberFactory(first_name="Sara", language="nl")
    delivery, email = _sent_message_for(automation, member)
    code = Delivery.objects.get(pk=delivery.pk).issued_reward
    expires = code.expires_at.astimezone(timezone.get_current_timezone()).date()
    months = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
              "september", "oktober", "november", "december"]  # fmt: skip
    dutch_date = f"{expires.day} {months[expires.month - 1]} {expires.year}"
    assert email.subject == "We missen je, Sara"
    assert email.body == (
        f"Hoi Sara, het is een tijdje geleden. Je code: {code.display_code}, geldig tot "
        f"{dutch_date}.\n\n--\nJe ontvangt dit bericht omdat je toestemming hebt gegeven voor "
        "aanbiedingen per e-mail. Je kunt dit altijd wijzigen in je profiel.\n\n"
        f"Afmelden voor deze e-mails: {email.extra_headers['List-Unsubscribe'].strip('<>')}"
    )  # the legal footer, then the one-click unsubscribe link (#16)
    assert "Beste" not in email.body
    assert f"{code.display_code}, geldig tot {dutch_date}" in email.alternatives[0][0]


def test_an_english_member_gets_the_english_text_in_english_formats():
    automation = AutomationFactory(
        message_subject_nl="Hallo",
        message_body_nl="Je hebt {points_balance} punten. {code}",
        message_subject_en="Hello",
        message_body_en="You have {points_balance} points. {code}",
        bonus_points=0,
    )
    member = MemberFactory(language="en")
    points_adjust(member=member, points=1250, reason="opening balance", actor=UserFactory())
    _delivery, email = _sent_message_for(automation, member)
    assert email.subject == "Hello"
    assert email.body.startswith("You have 1,250 points.")


def test_a_dutch_member_sees_dutch_thousands():
    automation = AutomationFactory(message_body_nl="Je hebt {points_balance} punten. {code}")
    member = MemberFactory(language="nl")
    points_adjust(member=member, points=1250, reason="beginsaldo", actor=UserFactory())
    _delivery, email = _sent_message_for(automation, member)
    assert email.body.startswith("Je hebt 1.250 punten.")


def _sent_message_for(automation, member):
    member.email_consent_at = timezone.now()
    member.save()
    delivery = Delivery.objects.create(automation=automation, member=member, period_key="test")
    deliveries_fulfil([delivery.pk])
    assert delivery_send(delivery.pk) == "sent"
    [email] = mail.outbox
    return delivery, email


def test_an_sms_carries_the_sms_text_and_whatsapp_falls_back_to_it():
    from campaigns.messaging import MemoryBackend

    automation = AutomationFactory(
        channel="preferred",
        message_sms_nl="{first_name}, je code {code} wacht op je.",
    )
    member = MemberFactory(
        first_name="Sara",
        preferred_channel="whatsapp",
        whatsapp_consent_at=timezone.now(),
        phone="+31612345678",
    )
    delivery = Delivery.objects.create(automation=automation, member=member, period_key="test")
    deliveries_fulfil([delivery.pk])
    assert delivery_send(delivery.pk) == "sent"
    [message] = MemoryBackend.outbox
    code = Delivery.objects.get(pk=delivery.pk).issued_reward.display_code
    assert (message.channel, message.body) == (
        "whatsapp",
        f"Sara, je code {code} wacht op je. Geen WhatsApp-berichten meer? Antwoord STOP of ga "
        f"naar {message.unsubscribe_url}",
    )  # the text, then the one-click unsubscribe link (#16)


def test_the_upgrade_writes_out_what_the_old_code_added_so_nothing_is_lost():
    # given an automation with a marketer's text, and one that relied on the standard text
    written = AutomationFactory(message_body_nl="Hoi {first_name}, kom je weer eens langs?")
    standard = AutomationFactory(reward=RewardFactory(points_cost=0, credit=True), bonus_points=25)
    silent = AutomationFactory(channel="none")
    # when the migration runs
    upgrade.write_out_texts(apps, None)
    # then the marketer's text keeps its words, without the old greeting, plus the reward lines
    written.refresh_from_db()
    assert written.message_body_nl == (
        "Hoi {first_name}, kom je weer eens langs?\n\nJe beloning: {reward}\nJe code: {code}\n"
        "Geldig tot {expires_at}. Laat de code zien bij de kassa of vul hem in de webwinkel in."
    )
    assert written.message_subject_nl == "We missen je, {first_name}!"
    assert written.message_sms_nl == (
        "Hoi {first_name}, kom je weer eens langs? Code: {code} (tot {expires_at})"
    )
    # an English member used to get the Dutch text inside English lines; now all of it is written
    assert written.message_body_en.startswith("Hoi {first_name}, kom je weer eens langs?\n\n")
    assert "Your code: {code}" in written.message_body_en
    # and the standard text is written out whole, greeting and sign-off included
    standard.refresh_from_db()
    assert standard.message_body_nl == (
        "Beste {first_name},\n\nHet is alweer een tijdje geleden dat je bij ons was. Hier is iets "
        "om je weer welkom te heten.\n\nJe beloning: {reward}. Deze is aan je tegoed toegevoegd."
        "\n\nWe hebben {bonus_points} bonuspunten op je kaart bijgeschreven.\n\n"
        "Met vriendelijke groet,\nHet team van ons spaarprogramma"
    )
    for automation in (written, standard):
        for name in ("subject", "body", "sms"):
            for language in ("nl", "en"):
                assert templating.problems(getattr(automation, f"message_{name}_{language}")) == []
    silent.refresh_from_db()
    assert silent.message_body_nl == ""


def test_the_budgets_say_they_count_members_not_euros(client):
    login(client, roles.MARKETING)
    content = client.get(reverse("admin:campaigns_automation_add")).content.decode()
    assert "Budget per dag (leden)" in content
    assert "(een aantal leden, geen euro's)" in content


def test_a_new_automation_starts_from_the_standard_text(client):
    login(client, roles.MARKETING)
    response = client.get(reverse("admin:campaigns_automation_add"))
    form = response.context["adminform"].form
    assert form.initial["message_body_nl"].startswith("Beste {first_name},")
    assert "{code}" in form.initial["message_sms_nl"]


def test_an_automation_made_without_texts_shows_the_standard_text_it_sends(client):
    # given an automation made in code (the demo's), with no texts of its own
    automation = AutomationFactory(name="Demo")
    login(client, roles.MARKETING)
    url = reverse("admin:campaigns_automation_change", args=[automation.pk])
    form = client.get(url).context["adminform"].form
    # then the form shows what members get, and the preview says the same
    assert form.initial["message_body_nl"].startswith("Beste {first_name},\n\nHet is alweer")
    assert form.initial["message_body_en"].startswith("Dear {first_name},")
    assert "Code: {code}" in form.initial["message_sms_nl"]
    # and saving it as shown keeps exactly that
    data = {
        name: value
        for name, value in {**form.initial, "is_active": "on"}.items()
        if value is not None and name not in ("created_at", "updated_at")
    }
    data["reward"] = automation.reward_id
    data |= {"arms-TOTAL_FORMS": "0", "arms-INITIAL_FORMS": "0"}  # no variants
    data |= {"escalation_steps-TOTAL_FORMS": "0", "escalation_steps-INITIAL_FORMS": "0"}
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    automation.refresh_from_db()
    assert automation.message_body_nl == form.initial["message_body_nl"]


@pytest.mark.parametrize(
    ("reward_kwargs", "language", "expected"),
    [
        ({"fixed": True, "value": Decimal("1234.5")}, "nl", "€\xa01.234,50"),
        ({"fixed": True, "value": Decimal("1234.5")}, "en", "€\xa01,234.50"),
        ({"value": Decimal("20")}, "nl", "20%"),
        ({"value": Decimal("12.5")}, "nl", "12,5%"),
    ],
)
def test_the_reward_s_value_is_written_in_the_member_s_formats(reward_kwargs, language, expected):
    reward = RewardFactory(points_cost=0, **reward_kwargs)
    member = MemberFactory.build(language=language)
    values = templating.values_for(member=member, language=language, reward=reward)
    assert values["reward_value"] == expected

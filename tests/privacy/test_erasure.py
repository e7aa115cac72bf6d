"""Erasure (GDPR art. 17): every personal value of a member goes, the bookkeeping stays."""

import datetime
import re
from decimal import Decimal

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from accounts.models import ConsentChange, Erasure, LoginToken, Member, StaffAction
from accounts.portal import closure_request_create, login_link_create, portal_user_for
from accounts.services import (
    member_consent_set,
    member_erase,
    member_update_contact,
    staff_action_record,
)
from campaigns.messaging import MemoryBackend
from campaigns.models import Delivery, OutboundMessage, SurveyResponse
from campaigns.services import deliveries_fulfil, delivery_send
from core.errors import InvalidInput
from core.models import IdempotencyRecord, OutboxJob
from loyalty_site import roles
from points.models import PointAccount, PointsEntry, Purchase
from points.services import points_adjust
from rewards.models import IssuedReward
from tests.factories import (
    ActivityTypeFactory,
    AutomationFactory,
    MemberFactory,
    RewardFactory,
    UserFactory,
)
from tests.helpers import buy, purchase_body
from tests.markers import postgres_only

pytestmark = pytest.mark.django_db

EMAIL = "quirina.vandersnoot@example.org"
PHONE = "+31687654321"
FIRST, LAST = "Quirina", "Vandersnoot"
BORN = datetime.date(1987, 3, 14)


@pytest.fixture(autouse=True)
def _memory_messages(settings):
    settings.LOYALTY_MESSAGE_BACKENDS = {
        "sms": "campaigns.messaging.MemoryBackend",
        "whatsapp": "campaigns.messaging.MemoryBackend",
    }
    MemoryBackend.outbox = []


def _member_who_used_everything(client, store, django_capture_on_commit_callbacks) -> Member:
    """Signs up on the portal, signs in, buys, redeems, gets messages on every channel, answers
    the survey, brings a friend, and is touched by staff in the admin."""
    # sign-up on the portal with e-mail consent, then the sign-in link
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("portal:signup"),
            {
                "email": EMAIL,
                "first_name": FIRST,
                "last_name": LAST,
                "birth_date": BORN.isoformat(),
                "language": "nl",
                "consent_email": "on",
            },
        )
    member = Member.objects.get(email=EMAIL)
    link = re.search(r"https?://\S+/login/link/\S+/", mail.outbox[0].body).group(0)
    client.post(link)
    assert client.get(reverse("portal:dashboard")).status_code == 200
    # a phone number and consent for SMS and WhatsApp, at the till
    member_update_contact(
        member=member, email=EMAIL, phone=PHONE, first_name=FIRST, last_name=LAST,
        birth_date=BORN, language="nl",
    )  # fmt: skip
    for channel in ("sms", "whatsapp"):
        member_consent_set(member=member, channel=channel, is_granted=True, source="pos")
    # purchases at the till (the API answer is stored with the purchase)
    pos = _pos(store)
    assert pos.post(
        "/api/v1/purchases/", purchase_body(member.card_number), format="json"
    ).status_code in (
        200,
        201,
    )
    buy(member, store, "300.00")
    # a code redeemed on the portal (an idempotency record)
    reward = RewardFactory(points_cost=50, name_nl="Koffie")
    confirm = client.get(reverse("portal:reward-confirm", args=[reward.pk]))
    key = confirm.context["form"].initial["idempotency_key"]
    client.post(reverse("portal:reward-redeem", args=[reward.pk]), {"idempotency_key": key})
    assert IssuedReward.objects.filter(member=member).exists()
    # messages on every channel
    member.refresh_from_db()
    for channel in ("email", "sms", "whatsapp"):
        automation = AutomationFactory(trigger="welcome", days=None, channel=channel)
        delivery = Delivery.objects.create(automation=automation, member=member, period_key="w")
        deliveries_fulfil([delivery.pk])
        assert delivery_send(delivery.pk) == "sent", channel
    # the survey, with a comment that names the member
    ActivityTypeFactory(code="survey", points=20)
    client.post(
        reverse("portal:survey"),
        {"recommend_score": "9", "comment": f"{FIRST} {LAST} here, call me on {PHONE}"},
    )
    # a friend brought in with the member's referral code
    friend = MemberFactory(referred_by=member)
    buy(friend, store, "20.00")
    # staff: a correction whose audit names the member, an admin change, a failed staff login
    staff = UserFactory(role=roles.MANAGER)
    points_adjust(member=member, points=5, reason="goodwill", actor=staff)
    staff_action_record(
        actor=staff, action="change_contact", member=member, reason=f"{FIRST} phoned",
        before={"email": "old@example.org"}, after={"email": EMAIL},
    )  # fmt: skip
    LogEntry.objects.log_action(
        user_id=staff.pk,
        content_type_id=ContentType.objects.get_for_model(Member).pk,
        object_id=member.pk,
        object_repr=str(Member.objects.get(pk=member.pk)),
        action_flag=CHANGE,
        change_message=f"Changed e-mail to {EMAIL}",
    )
    AccessAttempt.objects.create(
        username=EMAIL, ip_address="192.0.2.7", user_agent="x", http_accept="*/*",
        path_info="/admin/login/", get_data="", post_data=f"username={EMAIL}",
        failures_since_start=1,
    )  # fmt: skip
    closure_request_create(member=member, reason=f"I am {FIRST}, please forget me")
    login_link_create(member=member)
    return Member.objects.get(pk=member.pk)


def _pos(store):
    from tests.helpers import pos_client_for

    return pos_client_for(store)


def _text_columns() -> list[tuple[str, str]]:
    """Every text and JSON column of every table (PostgreSQL's catalogue)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND data_type IN "
            "('text', 'character varying', 'character', 'json', 'jsonb', 'inet', 'bytea')"
        )
        return cursor.fetchall()


def _traces(needles: list[str]) -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'bytea'"
        )
        bytea = set(cursor.fetchall())
    found = []
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            for needle in needles:
                # bytea (stored answers) as its text, every other type cast to text
                value = (
                    f"""encode("{column}", 'escape')"""
                    if (table, column) in bytea
                    else f'"{column}"::text'
                )
                cursor.execute(
                    f'SELECT 1 FROM "{table}" WHERE {value} ILIKE %s LIMIT 1', [f"%{needle}%"]
                )
                if cursor.fetchone():
                    found.append((table, column, needle))
    return found


NEEDLES = [EMAIL, PHONE, "0687654321", FIRST, LAST, BORN.isoformat(), "14-03-1987"]


@postgres_only
def test_an_erased_member_leaves_no_trace_in_any_text_or_json_column(
    client, store, django_capture_on_commit_callbacks
):
    # given a member who used every feature, found all over the database
    member = _member_who_used_everything(client, store, django_capture_on_commit_callbacks)
    before = _traces(NEEDLES)
    assert {table for table, _column, _needle in before} >= {
        "accounts_member",
        "auth_user",
        "campaigns_outboundmessage",
        "campaigns_surveyresponse",
        "accounts_closurerequest",
        "django_admin_log",
        "axes_accessattempt",
    }, before
    balance = PointAccount.objects.get(member=member).balance
    counts = (PointsEntry.objects.count(), Purchase.objects.count(), IssuedReward.objects.count())
    # when a manager erases it from the command line
    call_command("erase_member", member.card_number, reason="Asked by letter")
    # then no text or JSON column of any table holds their e-mail, phone, names or birth date
    assert _traces(NEEDLES) == []
    # and the bookkeeping is intact under the card number
    member.refresh_from_db()
    assert PointAccount.objects.get(member=member).balance == balance
    assert counts == (
        PointsEntry.objects.count(),
        Purchase.objects.count(),
        IssuedReward.objects.count(),
    )
    call_command("check_ledger")
    # and the friend they brought in keeps their link
    assert member.referrals.count() == 1


def test_erasure_blanks_the_member_messages_comments_and_sign_in(
    client, store, django_capture_on_commit_callbacks
):
    # given a member who used every feature
    member = _member_who_used_everything(client, store, django_capture_on_commit_callbacks)
    user_id = member.user_id
    manager = UserFactory(role=roles.MANAGER)
    # when a manager erases them
    erasure = member_erase(member=member, actor=manager, reason=f"{FIRST} asked")
    # then the member row keeps only the card number and bookkeeping
    member.refresh_from_db()
    assert (member.email, member.phone, member.first_name, member.last_name) == (None, None, "", "")
    assert (member.birth_date, member.referral_code, member.status) == (None, None, "blocked")
    assert (member.email_consent_at, member.sms_consent_at, member.whatsapp_consent_at) == (
        None,
        None,
        None,
    )
    # the consent trail records the withdrawals, by erasure
    assert set(
        ConsentChange.objects.filter(member=member, source="erasure").values_list(
            "channel", "is_granted"
        )
    ) == {("email", False), ("sms", False), ("whatsapp", False)}
    # messages, comments, sign-in are gone
    assert set(OutboundMessage.objects.values_list("to", "subject", "body")) == {("", "", "")}
    assert OutboundMessage.objects.count() == 3
    assert list(SurveyResponse.objects.values_list("comment", flat=True)) == [""]
    assert not LoginToken.objects.filter(member=member).exists()
    assert member.user_id is None
    assert not type(manager).objects.filter(pk=user_id).exists()
    assert not AccessAttempt.objects.exists()
    assert EMAIL not in str(list(LogEntry.objects.values_list("object_repr", "change_message")))
    assert EMAIL not in str(list(StaffAction.objects.values_list("reason", "before", "after")))
    assert EMAIL.encode() not in b"".join(
        bytes(content)
        for content in IdempotencyRecord.objects.values_list("response_content", flat=True)
    )
    assert EMAIL not in str(list(OutboxJob.objects.values_list("payload")))
    assert member.closure_requests.get().handled_at is not None
    # and the erasure is audited: who, how, why (the name in the reason replaced), not what
    assert (erasure.erased_by, erasure.via, erasure.reason) == (manager, "staff", "[erased] asked")


def test_erasing_twice_changes_nothing_and_audits_once(member):
    manager = UserFactory(role=roles.MANAGER)
    first = member_erase(member=member, actor=manager, reason="asked")
    again = member_erase(member=member, actor=None, reason="again", via=Erasure.Via.COMMAND)
    assert again == first
    assert Erasure.objects.filter(member=member).count() == 1


def test_erasure_needs_a_reason_and_then_changes_nothing(member):
    email = member.email
    with pytest.raises(InvalidInput) as raised:
        member_erase(member=member, actor=None, reason="  ")
    assert raised.value.code == "reason_required"
    member.refresh_from_db()
    assert member.email == email
    assert not Erasure.objects.exists()


def test_the_command_erases_by_card_number_and_says_so_when_repeated(member, capsys):
    call_command("erase_member", member.card_number, reason="Letter of 3 May")
    assert "erased" in capsys.readouterr().out
    erasure = Erasure.objects.get(member=member)
    assert (erasure.via, erasure.erased_by, erasure.reason) == ("command", None, "Letter of 3 May")
    call_command("erase_member", member.card_number, reason="Letter of 3 May")
    assert "already erased" in capsys.readouterr().out
    assert Erasure.objects.count() == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["00000000000", "--reason", "x"], "No member"),
        (["{card}", "--reason", " "], "reden is verplicht"),
        (["{card}", "--reason", "x", "--by", "nobody"], "No staff user"),
    ],
)
def test_the_command_refuses_bad_input_and_erases_nothing(member, arguments, message):
    arguments = [argument.format(card=member.card_number) for argument in arguments]
    with pytest.raises(CommandError, match=message):
        call_command("erase_member", *arguments)
    member.refresh_from_db()
    assert member.email is not None
    assert not Erasure.objects.exists()


def test_the_ledger_is_untouched_by_erasure(member, store):
    buy(member, store, "40.00")
    entries = list(PointsEntry.objects.values_list("pk", "points", "balance_after"))
    member_erase(member=member, actor=None, reason="asked", via=Erasure.Via.COMMAND)
    assert list(PointsEntry.objects.values_list("pk", "points", "balance_after")) == entries
    assert PointAccount.objects.get(member=member).balance == sum(p for _, p, _ in entries)
    assert Decimal(Purchase.objects.get().amount) == Decimal("40.00")


def test_a_portal_user_of_an_erased_member_cannot_sign_in(client, member):
    user = portal_user_for(member)
    member_erase(member=member, actor=None, reason="asked", via=Erasure.Via.COMMAND)
    assert not type(user).objects.filter(pk=user.pk).exists()


def _member_change_form(member: Member, **contact) -> dict:
    data = {
        "first_name": "",
        "last_name": "",
        "email": "",
        "phone": "",
        "birth_date": "",
        "language": member.language,
        "enrolled_store": member.enrolled_store_id or "",
    }
    return {**data, **contact}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("first_name", FIRST),
        ("last_name", LAST),
        ("email", EMAIL),
        ("phone", "0687654321"),
        ("birth_date", BORN.isoformat()),
    ],
)
def test_staff_cannot_type_personal_data_into_an_erased_member(client, member, field, value):
    # given an erased member
    manager = UserFactory(role=roles.MANAGER)
    member_erase(member=member, actor=manager, reason="Brief 12 mei")
    client.force_login(manager)
    url = reverse("admin:accounts_member_change", args=[member.pk])
    # when staff type one personal field in again and save
    response = client.post(url, _member_change_form(member, **{field: value}))
    # then the form says why on that field, and nothing was saved
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [
        "Dit lid is gewist: de persoonsgegevens kunnen niet opnieuw worden ingevoerd."
    ]
    erased = Member.objects.get(pk=member.pk)
    assert (erased.first_name, erased.last_name, erased.email, erased.phone) == ("", "", None, None)
    assert erased.birth_date is None


def test_staff_may_still_change_an_erased_members_language(client, member):
    # given an erased member (whose language is not personal data)
    manager = UserFactory(role=roles.MANAGER)
    member_erase(member=member, actor=manager, reason="Brief 12 mei")
    client.force_login(manager)
    language = "en" if member.language == "nl" else "nl"
    # when staff save the form with the contact fields left empty
    response = client.post(
        reverse("admin:accounts_member_change", args=[member.pk]),
        _member_change_form(member, language=language),
    )
    # then it is saved
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Member.objects.get(pk=member.pk).language == language


def test_the_contact_service_refuses_personal_data_for_an_erased_member(member):
    # given an erased member
    member_erase(member=member, actor=None, reason="Brief 12 mei")
    # when something (the portal, a script) saves a name for it, then it is refused
    with pytest.raises(InvalidInput) as refused:
        member_update_contact(
            member=member,
            email=None,
            phone=None,
            first_name=FIRST,
            last_name="",
            birth_date=None,
            language="nl",
        )
    assert (refused.value.code, refused.value.field) == ("member_erased", "first_name")
    assert Member.objects.get(pk=member.pk).first_name == ""

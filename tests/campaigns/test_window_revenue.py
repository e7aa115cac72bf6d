"""The window revenue kept on each delivery (#19): recording purchases and refunds keeps it equal
to what the member's purchases in the offer window add up to, which the uplift report sums."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.utils import timezone

from accounts.models import Member
from campaigns.models import Delivery
from campaigns.services import automation_run
from campaigns.services.merge import member_merge
from points.models import Purchase
from points.services.imports import import_file
from points.services.refunds import RefundRequest, refund_record
from tests.factories import AutomationFactory, MemberFactory, UserFactory
from tests.helpers import buy

from .helpers import bought_days_ago

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def _from_purchases():
    """Per delivery, the purchase-based computation the report used to make: the member's
    purchases (after refunds) from the conversion to the end of the window; 0 unconverted."""
    spent = (
        Purchase.objects.filter(
            member_id=OuterRef("member_id"),
            occurred_at__gte=OuterRef("converted_at"),
            occurred_at__lte=OuterRef("offer_expires_at"),
        )
        .order_by()
        .values("member_id")
        .annotate(total=Sum(F("amount") - F("refunded_amount")))
        .values("total")
    )
    return {
        pk: (Decimal(total or 0) if converted else Decimal("0"))
        for pk, converted, total in Delivery.objects.annotate(total=Subquery(spent)).values_list(
            "pk", "converted_at", "total"
        )
    }


def _stored():
    return dict(Delivery.objects.values_list("pk", "window_revenue"))


@pytest.fixture
def offer(store, django_capture_on_commit_callbacks):
    """A dormant-member offer with a 50 % holdout, sent 30 days ago with a 21-day window."""
    members = [
        MemberFactory(first_name=f"Lid{index}", email_consent_at=timezone.now())
        for index in range(12)
    ]
    for member in members:
        bought_days_ago(member, store, 75)
    offer = AutomationFactory(
        trigger="dormant", days=60, holdout_percent=50, reward_validity_days=21
    )
    with django_capture_on_commit_callbacks(execute=True):
        automation_run(offer)
    sent_at = timezone.now() - 30 * DAY
    Delivery.objects.update(created_at=sent_at, offer_expires_at=sent_at + 21 * DAY)
    statuses = set(Delivery.objects.values_list("status", flat=True))
    assert statuses == {Delivery.Status.SENT, Delivery.Status.HELD_OUT}
    return offer, members


def test_the_stored_window_revenue_is_the_sum_of_the_purchases_in_the_window(offer, store):
    _offer, members = offer
    now = timezone.now()
    for index, member in enumerate(members):
        buy(member, store, "40.00", occurred_at=now - 25 * DAY)  # converts
        buy(member, store, "30.00", occurred_at=now - 20 * DAY)  # in the window
        refund_record(
            request=RefundRequest(
                store=store, transaction_id=buy.last_id(), refund_id="R1", amount=Decimal("12.50")
            )
        )
        buy(member, store, "99.00", occurred_at=now - 5 * DAY)  # after the window ended
        if index % 2:
            # Sent late by an offline till: before the conversion, so not counted either.
            buy(member, store, "7.00", occurred_at=now - 27 * DAY)
    assert Delivery.objects.filter(converted_at__isnull=False).count() == len(members)
    assert _stored() == _from_purchases()
    # Both groups alike: 40 + 30 − 12.50.
    assert set(_stored().values()) == {Decimal("57.50")}


def test_a_refund_of_a_purchase_outside_the_window_changes_nothing(offer, store):
    _offer, members = offer
    now = timezone.now()
    member = members[0]
    buy(member, store, "40.00", occurred_at=now - 25 * DAY)
    buy(member, store, "99.00", occurred_at=now - 5 * DAY)
    refund_record(
        request=RefundRequest(
            store=store, transaction_id=buy.last_id(), refund_id="R1", amount=Decimal("99.00")
        )
    )
    delivery = Delivery.objects.get(member=member)
    assert delivery.window_revenue == Decimal("40.00")
    assert _stored() == _from_purchases()


def test_a_member_who_did_not_come_back_has_no_window_revenue(offer, store):
    _offer, members = offer
    buy(members[0], store, "99.00", occurred_at=timezone.now() - 5 * DAY)  # too late
    assert not Delivery.objects.filter(converted_at__isnull=False).exists()
    assert set(_stored().values()) == {Decimal("0")}


def test_the_migration_fills_in_the_deliveries_that_converted_before_it(offer, store):
    _offer, members = offer
    now = timezone.now()
    for member in members:
        buy(member, store, "40.00", occurred_at=now - 25 * DAY)
        buy(member, store, "15.25", occurred_at=now - 3 * DAY)  # after the window
    expected = _from_purchases()
    Delivery.objects.update(window_revenue=0)  # as before the migration
    migration = importlib.import_module("campaigns.migrations.0015_delivery_window_revenue")
    migration.backfill(apps, None)
    assert _stored() == expected
    assert set(expected.values()) == {Decimal("40.00")}


def test_a_member_merge_recounts_the_windows_of_both_members(offer, store):
    _offer, members = offer
    duplicate, survivor = members[0], members[1]
    now = timezone.now()
    buy(survivor, store, "40.00", occurred_at=now - 25 * DAY)  # converts the survivor's
    buy(duplicate, store, "30.00", occurred_at=now - 20 * DAY)  # converts the duplicate's
    with transaction.atomic():
        member_merge(
            duplicate=duplicate, survivor=survivor, reason="Same card", actor=UserFactory()
        )
    assert _stored() == _from_purchases()
    # The duplicate's purchase moved into the survivor's window; the duplicate's own delivery
    # (the same automation and period: it stays behind) has no purchases left.
    assert Delivery.objects.get(member=survivor).window_revenue == Decimal("70.00")
    assert Delivery.objects.get(member=duplicate).window_revenue == Decimal("0.00")


def test_imported_historic_purchases_in_a_window_are_counted(offer, store, tmp_path):
    _offer, members = offer
    member = members[0]
    Member.objects.filter(pk=member.pk).update(external_id="L-1")
    now = timezone.now()
    buy(member, store, "40.00", occurred_at=now - 25 * DAY)  # converts
    rows = tmp_path / "p.csv"
    rows.write_text(
        "external_id;store_code;transaction_id;occurred_at;amount\n"
        f"L-1;{store.code};H-1;{(now - 22 * DAY).isoformat()};24,95\n"
        f"L-1;{store.code};H-2;{(now - 2 * DAY).isoformat()};10,00\n"
    )
    report = import_file(rows, kind="purchases")
    assert report.created == 2
    assert Delivery.objects.get(member=member).window_revenue == Decimal("64.95")
    assert _stored() == _from_purchases()

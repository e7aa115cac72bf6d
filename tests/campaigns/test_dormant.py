"""The reactivation offer: dormant members get a code, once, by their consented channel."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import AutomationRun, Delivery
from campaigns.services import automation_dry_run, automation_run, period_key
from rewards.models import IssuedReward
from tests.concurrency import held_elsewhere
from tests.factories import AutomationFactory, MemberFactory, RewardFactory, SegmentFactory

from .helpers import bought_days_ago

pytestmark = pytest.mark.django_db


@pytest.fixture
def dormant_offer(db):
    reward = RewardFactory(
        points_cost=0, fixed=True, name_nl="€5 welkom terug", name_en="€5 welcome back"
    )
    return AutomationFactory(
        name="Reactivation", trigger="dormant", days=60, reward=reward, cooldown_days=90
    )


def consenting(name, language="nl", **kwargs):
    return MemberFactory(
        first_name=name, language=language, email_consent_at=timezone.now(), **kwargs
    )


def run(automation, capture, **kwargs):
    with capture(execute=True):
        return automation_run(automation, **kwargs)


def test_dormant_members_get_the_offer_and_active_ones_do_not(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    dormant, active = consenting("Dora"), consenting("Actief")
    bought_days_ago(dormant, store, 75)
    bought_days_ago(active, store, 10)
    MemberFactory(first_name="Nooit")  # never bought: not lapsed, so not dormant
    # when
    result = run(dormant_offer, django_capture_on_commit_callbacks)
    # then
    assert result.created == 1
    delivery = Delivery.objects.get()
    assert (delivery.member, delivery.status, delivery.channel) == (dormant, "sent", "email")
    code = delivery.issued_reward
    assert (code.member, code.source, code.status) == (dormant, "campaign", "issued")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [dormant.email]
    assert code.display_code in mail.outbox[0].body


def test_the_email_speaks_the_members_language(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    dutch, english = consenting("Dora", "nl"), consenting("Emma", "en")
    bought_days_ago(dutch, store, 75)
    bought_days_ago(english, store, 75)
    run(dormant_offer, django_capture_on_commit_callbacks)
    by_recipient = {message.to[0]: message for message in mail.outbox}
    nl, en = by_recipient[dutch.email], by_recipient[english.email]
    assert nl.subject == "We missen je, Dora!"
    assert "€5 welkom terug" in nl.body
    assert "Geldig tot" in nl.body
    assert en.subject == "We miss you, Emma!"
    assert "€5 welcome back" in en.body
    assert "Valid until" in en.body
    assert "<html" in en.alternatives[0][0]


def test_running_twice_sends_nothing_twice(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    bought_days_ago(consenting("Dora"), store, 75)
    run(dormant_offer, django_capture_on_commit_callbacks)
    second = run(dormant_offer, django_capture_on_commit_callbacks)
    assert second.created == 0
    assert Delivery.objects.count() == 1
    assert IssuedReward.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_run_fulfils_what_a_run_killed_in_the_previous_period_left_unfulfilled(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    # given a run that created a delivery and died before fulfilling it, just before the
    # cooldown period turned (the member is in cooldown now, so gets no new delivery)
    dora = consenting("Dora")
    bought_days_ago(dora, store, 75)
    now = timezone.now()
    previous = period_key(dormant_offer, now - datetime.timedelta(days=dormant_offer.cooldown_days))
    assert previous != period_key(dormant_offer, now)
    left = Delivery.objects.create(
        automation=dormant_offer,
        member=dora,
        period_key=previous,
        created_at=now - datetime.timedelta(hours=1),
    )
    # when the next run comes
    run(dormant_offer, django_capture_on_commit_callbacks)
    # then the delivery left behind is fulfilled and sent, and still the only one
    left.refresh_from_db()
    assert (left.status, left.issued_reward is not None) == ("sent", True)
    assert Delivery.objects.count() == 1
    assert IssuedReward.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_run_that_dies_before_fulfilling_leaves_a_safety_net_that_finishes_its_work(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    from unittest import mock

    from campaigns.services import automations
    from core import outbox
    from core.models import OutboxJob

    dora = consenting("Dora")
    bought_days_ago(dora, store, 75)
    # given a run killed after inserting its deliveries, before fulfilling them
    with (
        mock.patch.object(automations, "deliveries_fulfil_pending", side_effect=SystemExit),
        pytest.raises(SystemExit),
    ):
        run(dormant_offer, django_capture_on_commit_callbacks)
    assert Delivery.objects.get().fulfilled_at is None
    net = OutboxJob.objects.get(kind="campaigns.run_fulfil_left_over")
    # when nobody calls it off: it waits out its delay, then the sweep hands it out
    assert outbox.drain() == 0
    OutboxJob.objects.filter(pk=net.pk).update(next_attempt_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        outbox.drain()
    outbox.drain()
    # then the delivery is fulfilled and sent, once
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.issued_reward is not None) == ("sent", True)
    assert len(mail.outbox) == 1


def test_a_run_that_finishes_calls_its_safety_net_off(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    from core.models import OutboxJob

    bought_days_ago(consenting("Dora"), store, 75)
    run(dormant_offer, django_capture_on_commit_callbacks)
    assert OutboxJob.objects.get(kind="campaigns.run_fulfil_left_over").state == "done"


def test_the_cooldown_holds_across_periods(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    bought_days_ago(consenting("Dora"), store, 75)
    run(dormant_offer, django_capture_on_commit_callbacks)
    # 40 days later, still within the 90-day cooldown: nothing
    later = timezone.now() + datetime.timedelta(days=40)
    assert run(dormant_offer, django_capture_on_commit_callbacks, now=later).created == 0
    # after the cooldown the member can get it again
    much_later = timezone.now() + datetime.timedelta(days=91)
    assert run(dormant_offer, django_capture_on_commit_callbacks, now=much_later).created == 1


def test_without_consent_the_code_is_given_but_the_message_skipped(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    silent = MemberFactory(first_name="Stil")
    bought_days_ago(silent, store, 75)
    run(dormant_offer, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get()
    assert (delivery.status, delivery.skip_reason) == ("skipped", "no_consent")
    assert delivery.issued_reward is not None
    assert mail.outbox == []


def test_consent_without_an_address_is_recorded_as_no_address(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    member = MemberFactory(email=None, sms_consent_at=timezone.now(), phone=None)
    bought_days_ago(member, store, 75)
    dormant_offer.channel = "sms"
    dormant_offer.save()
    run(dormant_offer, django_capture_on_commit_callbacks)
    assert Delivery.objects.get().skip_reason == "no_address"


def test_only_reachable_members_when_the_shop_says_so(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    dormant_offer.only_reachable = True
    dormant_offer.save()
    bought_days_ago(MemberFactory(), store, 75)
    bought_days_ago(consenting("Dora"), store, 75)
    assert run(dormant_offer, django_capture_on_commit_callbacks).created == 1
    assert IssuedReward.objects.count() == 1


def test_the_daily_budget_caps_the_run(dormant_offer, store, django_capture_on_commit_callbacks):
    dormant_offer.max_per_day = 2
    dormant_offer.save()
    for index in range(5):
        bought_days_ago(consenting(f"D{index}"), store, 75)
    result = run(dormant_offer, django_capture_on_commit_callbacks)
    assert (result.created, result.left_out_by_budget) == (2, 3)
    assert Delivery.objects.count() == 2


def test_the_total_budget_is_never_exceeded(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    dormant_offer.max_total = 1
    dormant_offer.save()
    for index in range(3):
        bought_days_ago(consenting(f"D{index}"), store, 75)
    run(dormant_offer, django_capture_on_commit_callbacks)
    run(
        dormant_offer,
        django_capture_on_commit_callbacks,
        now=timezone.now() + datetime.timedelta(days=1),
    )
    assert Delivery.objects.count() == 1


def test_a_segment_narrows_the_audience(dormant_offer, store, django_capture_on_commit_callbacks):
    dormant_offer.segment = SegmentFactory(min_points_balance=50)
    dormant_offer.save()
    big, small = consenting("Groot"), consenting("Klein")
    bought_days_ago(big, store, 75, "80.00")
    bought_days_ago(small, store, 75, "10.00")
    run(dormant_offer, django_capture_on_commit_callbacks)
    assert list(Delivery.objects.values_list("member__first_name", flat=True)) == ["Groot"]


def test_a_paused_automation_does_not_run_with_the_schedule(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    from campaigns.services import automations_run_due

    dormant_offer.is_active = False
    dormant_offer.save()
    bought_days_ago(consenting("Dora"), store, 75)
    with django_capture_on_commit_callbacks(execute=True):
        assert automations_run_due() == []
    assert Delivery.objects.count() == 0


def test_a_run_that_finds_the_lock_held_skips(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    bought_days_ago(consenting("Dora"), store, 75)
    key = period_key(dormant_offer, timezone.now())
    with held_elsewhere(f"automation:{dormant_offer.pk}:{key}"):
        result = run(dormant_offer, django_capture_on_commit_callbacks)
    assert result.skipped_lock_held
    assert Delivery.objects.count() == 0
    assert AutomationRun.objects.filter(skipped_lock_held=True).count() == 1


def test_a_dry_run_counts_and_prices_without_writing(dormant_offer, store):
    dormant_offer.bonus_points = 100
    dormant_offer.save()
    for index in range(3):
        bought_days_ago(consenting(f"D{index}"), store, 75)
    result = automation_dry_run(dormant_offer)
    assert (result.members, result.would_get) == (3, 3)
    assert str(result.reward_cost) == "15.00"  # three €5 codes
    assert result.bonus_points == 300
    assert str(result.points_cost) == "3.00"  # 300 points at €0.01
    assert Delivery.objects.count() == 0


def test_a_purchase_within_the_offer_counts_as_a_conversion(
    dormant_offer, store, django_capture_on_commit_callbacks, pos
):
    dora = consenting("Dora")
    bought_days_ago(dora, store, 75)
    run(dormant_offer, django_capture_on_commit_callbacks)
    code = Delivery.objects.get().issued_reward.code
    # when she comes back and uses the code
    response = pos.post(
        "/api/v1/purchases/",
        {
            "transaction_id": "BACK",
            "card_number": dora.card_number,
            "amount": "30.00",
            "currency": "EUR",
            "codes": [code],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    # then
    delivery = Delivery.objects.select_related("issued_reward").get()
    assert delivery.converted_purchase.transaction_id == "BACK"
    assert delivery.code_used


def test_the_run_command_shows_progress(
    dormant_offer, store, capsys, django_capture_on_commit_callbacks
):
    from django.core.management import call_command

    bought_days_ago(consenting("Dora"), store, 75)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_automations", "--batch-size", "1")
    output = capsys.readouterr().out
    assert "% of members looked at" in output
    assert "Reactivation: 1 deliveries created" in output


def test_a_converted_offer_adds_to_the_loyalty_score_once(
    dormant_offer, store, django_capture_on_commit_callbacks
):
    from decimal import Decimal

    from points.models import ScoreEntry, ScoreNorm, ScoreSource
    from points.score import score_of
    from tests.helpers import buy

    ScoreNorm.objects.create(source=ScoreSource.CAMPAIGN_RESPONSE, value=Decimal("25"))
    dora = consenting("Dora")
    bought_days_ago(dora, store, 75)
    run(dormant_offer, django_capture_on_commit_callbacks)
    # when she comes back, twice within the offer
    buy(dora, store, "30.00")
    buy(dora, store, "12.00")
    # then the response scores once, for the delivery it converted
    delivery = Delivery.objects.get()
    entry = ScoreEntry.objects.get(source="campaign_response")
    assert (entry.score, entry.source_key) == (25, f"conversion:{delivery.pk}")
    assert score_of(dora.pk) == 25

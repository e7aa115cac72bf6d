import datetime
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import ApiScope, Member, PosApiKey, Store, hash_api_key
from campaigns.models import Automation, Delivery, MemberStats, SurveyResponse, Trigger
from campaigns.services import automation_dry_run
from insights import figures
from loyalty_site.demo import DEMO_API_KEY, load_demo_data
from points.models import Purchase, Tier, TierChange
from rewards.models import Reward

# Committed for real, as on `make run`: messages go out after each commit (the outbox), so the
# reactivation offers are sent and can convert.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


MEMBERS = "12"


def test_demo_data_tells_a_years_story_and_make_run_says_where_to_start():
    """One load (the slow part) checked for everything a newcomer meets on `make run`."""
    out = StringIO()
    call_command("load_demo_data", "--members", MEMBERS, stdout=out)
    output = out.getvalue()
    loads_once_and_its_ledgers_add_up()
    make_run_prints_the_logins_two_members_the_portal_and_a_sign_in_link(output)
    the_readme_names_demo_members_that_exist()
    the_history_spans_a_year_with_dormant_and_never_buying_members()
    tier_moves_are_spread_over_the_year()
    survey_answers_are_spread_over_the_year()
    the_reactivation_offer_ran_and_brought_members_back()
    the_reactivation_dry_run_finds_members_today()
    the_uplift_report_shows_the_reactivation_against_its_holdout()


def loads_once_and_its_ledgers_add_up():
    assert Store.objects.count() == 4
    # the demo key may do everything the README's examples show
    demo_key = PosApiKey.objects.get(key_hash=hash_api_key(DEMO_API_KEY))
    assert demo_key.scopes == ApiScope.values
    assert Purchase.objects.exists()
    assert Tier.objects.count() == 3
    assert {reward.stacking for reward in Reward.objects.all()} == {
        "exclusive",
        "one_per_group",
        "combinable",
    }
    call_command("check_ledger")
    # and a second run changes nothing
    purchases = Purchase.objects.count()
    assert load_demo_data(members=int(MEMBERS)).created is False
    assert Purchase.objects.count() == purchases


def make_run_prints_the_logins_two_members_the_portal_and_a_sign_in_link(demo):
    assert "user admin / password demo-loyalty" in demo
    assert DEMO_API_KEY in demo
    assert "/api/docs/" in demo
    assert "Portal:    http://127.0.0.1:8000/" in demo
    assert "anna.0@demo.example" in demo
    assert "daan.1@demo.example" in demo
    link = demo.strip().splitlines()[-1]
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/login/link/[\w-]+/", link)
    # the link signs Anna in
    page = Client().get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert Member.objects.filter(email="anna.0@demo.example").exists()


def the_readme_names_demo_members_that_exist():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    addresses = set(re.findall(r"[\w.]+@demo\.example", readme))
    assert addresses
    assert addresses <= set(Member.objects.values_list("email", flat=True))


def the_history_spans_a_year_with_dormant_and_never_buying_members():
    now = timezone.now()
    first = Purchase.objects.order_by("occurred_at").first().occurred_at
    assert (now - first).days > 300
    dormant = MemberStats.objects.filter(last_purchase_at__lt=now - datetime.timedelta(days=180))
    assert dormant.count() >= 2
    assert Member.objects.exclude(pk__in=Purchase.objects.values("member_id")).exists()


def tier_moves_are_spread_over_the_year():
    upgrades = TierChange.objects.filter(reason=TierChange.Reason.UPGRADE)
    months = {change.created_at.strftime("%Y-%m") for change in upgrades}
    assert len(months) >= 4
    assert TierChange.objects.filter(
        created_at__lt=timezone.now() - datetime.timedelta(days=180)
    ).exists()


def survey_answers_are_spread_over_the_year():
    dates = list(SurveyResponse.objects.values_list("created_at", flat=True))
    assert len(dates) >= 5
    assert (max(dates) - min(dates)).days > 120


def the_reactivation_offer_ran_and_brought_members_back():
    reactivation = Automation.objects.get(trigger=Trigger.DORMANT)
    offers = Delivery.objects.filter(automation=reactivation)
    assert offers.filter(status=Delivery.Status.SENT).exists()
    assert offers.filter(converted_at__isnull=False).exists()
    assert offers.first().created_at < timezone.now() - datetime.timedelta(days=30)


def the_reactivation_dry_run_finds_members_today():
    reactivation = Automation.objects.get(trigger=Trigger.DORMANT)
    assert automation_dry_run(reactivation).members > 0


def the_uplift_report_shows_the_reactivation_against_its_holdout():
    today = timezone.localdate()
    report = figures.uplift(figures.KpiFilter(start=today - datetime.timedelta(days=89), end=today))
    row = next(row for row in report.rows if row.arm_id is None)
    assert row.enough_members
    assert row.treated.conversion_rate > row.holdout.conversion_rate
    assert row.conversion_uplift is not None
    assert row.incremental_revenue is not None
    assert row.discount_cost > 0  # codes were used
    # and the double points weekend against its holdout, counted by the batch job
    weekend = next(row for row in report.rows if row.bonus_campaign_id is not None)
    assert weekend.treated.members > weekend.holdout.members > 0

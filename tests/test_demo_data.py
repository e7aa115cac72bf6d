import pytest
from django.core.management import call_command

from accounts.models import ApiScope, PosApiKey, Store, hash_api_key
from loyalty_site.demo import DEMO_API_KEY, load_demo_data
from points.models import Purchase, Tier
from rewards.models import Reward


@pytest.mark.django_db
def test_demo_data_loads_once_and_its_ledgers_add_up(capsys):
    # when
    call_command("load_demo_data", "--members", "12")
    # then
    output = capsys.readouterr().out
    assert "user admin" in output
    assert DEMO_API_KEY in output
    assert "/api/docs/" in output
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
    assert load_demo_data(members=12).created is False
    assert Purchase.objects.count() == purchases

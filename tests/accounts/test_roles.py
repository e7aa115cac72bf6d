import pytest
from django.contrib.auth.models import Group

from loyalty_site import roles


def codenames(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }


@pytest.mark.django_db
def test_the_three_staff_roles_exist_after_migrating():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        roles.CASHIER,
        roles.MARKETING,
        roles.MANAGER,
    }


@pytest.mark.django_db
def test_cashiers_look_up_members_and_adjust_points_but_do_not_edit_rules():
    granted = codenames(roles.CASHIER)
    assert {"accounts.view_member", "points.adjust_points", "points.view_pointsentry"} <= granted
    assert "points.change_earningrule" not in granted
    assert "points.add_earningrule" not in granted


@pytest.mark.django_db
def test_marketing_edits_rules_but_cannot_adjust_points():
    granted = codenames(roles.MARKETING)
    assert {
        "points.add_earningrule",
        "points.change_earningrule",
        "points.change_activitytype",
    } <= granted
    assert "points.adjust_points" not in granted
    assert "accounts.change_member" not in granted


@pytest.mark.django_db
def test_managers_can_do_everything_in_the_programme():
    granted = codenames(roles.MANAGER)
    assert {
        "points.adjust_points",
        "points.change_earningrule",
        "accounts.change_member",
        "accounts.block_member",
        "accounts.add_posapikey",
    } <= granted

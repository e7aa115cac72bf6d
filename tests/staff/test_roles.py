"""Each staff role logs in and sees and does exactly what it needs (loyalty_site/roles.py)."""

import pytest
from django.urls import reverse

from loyalty_site import roles
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

CAN, CANNOT = 200, 403


def pages(member) -> dict[str, str]:
    return {
        "member page": reverse("admin:accounts_member_change", args=[member.pk]),
        "members": reverse("admin:accounts_member_changelist"),
        "adjust points": reverse("admin:accounts_member_action", args=[member.pk, "adjust-points"]),
        "grant a reward": reverse("admin:accounts_member_action", args=[member.pk, "grant-reward"]),
        "revoke a code": reverse("admin:accounts_member_action", args=[member.pk, "revoke-code"]),
        "resend a message": reverse(
            "admin:accounts_member_action", args=[member.pk, "resend-message"]
        ),
        "block a member": reverse("admin:accounts_member_action", args=[member.pk, "block"]),
        "audit trail": reverse("admin:accounts_staffaction_changelist"),
        "new earning rule": reverse("admin:points_earningrule_add"),
        "new reward": reverse("admin:rewards_reward_add"),
        "new automation": reverse("admin:campaigns_automation_add"),
        "programme settings": reverse("admin:points_loyaltyprogram_change", args=[1]),
        "KPI dashboard": reverse("admin:insights_kpirefresh_changelist"),
        "KPI export": reverse("admin:insights_kpirefresh_export", args=["points"]),
        "new POS key": reverse("admin:accounts_posapikey_add"),
        "staff users": reverse("admin:auth_user_changelist"),
        "new staff user": reverse("admin:auth_user_add"),
        "campaigns": reverse("admin:campaigns_bonuscampaign_changelist"),
        "import members": reverse("admin:points_memberimport_add"),
    }


MATRIX = {
    # page: (cashier/support, marketing, manager)
    "member page": (CAN, CAN, CAN),
    "members": (CAN, CAN, CAN),
    "adjust points": (CAN, CANNOT, CAN),
    "grant a reward": (CAN, CANNOT, CAN),
    "revoke a code": (CAN, CANNOT, CAN),
    "resend a message": (CAN, CAN, CAN),
    "block a member": (CANNOT, CANNOT, CAN),
    "audit trail": (CAN, CANNOT, CAN),
    "new earning rule": (CANNOT, CAN, CAN),
    "new reward": (CANNOT, CAN, CAN),
    "new automation": (CANNOT, CAN, CAN),
    "programme settings": (CAN, CAN, CAN),  # cashiers read them (below: cannot change them)
    "KPI dashboard": (CANNOT, CAN, CAN),
    "KPI export": (CANNOT, CAN, CAN),
    "new POS key": (CANNOT, CANNOT, CAN),
    "staff users": (CANNOT, CANNOT, CAN),
    "new staff user": (CANNOT, CANNOT, CAN),
    "campaigns": (CAN, CAN, CAN),  # cashiers read them (below: cannot change them)
    "import members": (CANNOT, CANNOT, CAN),
}
ROLES = [roles.CASHIER, roles.MARKETING, roles.MANAGER]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_what_it_needs_and_nothing_else(client, role):
    # given
    member = MemberFactory()
    client.force_login(UserFactory(role=role))
    urls = pages(member)
    # when
    seen = {page: client.get(url).status_code for page, url in urls.items()}
    # then
    expected = {page: statuses[ROLES.index(role)] for page, statuses in MATRIX.items()}
    assert seen == expected


@pytest.mark.parametrize(
    ("role", "sees_kpis"), [(roles.CASHIER, False), (roles.MARKETING, True), (roles.MANAGER, True)]
)
def test_the_admin_index_links_the_kpi_dashboard_for_those_who_may_see_it(client, role, sees_kpis):
    client.force_login(UserFactory(role=role))
    page = client.get(reverse("admin:index")).content.decode()
    assert (reverse("admin:insights_kpirefresh_changelist") in page) is sees_kpis


def test_cashiers_read_the_programme_settings_but_cannot_change_them(client):
    from points.models import LoyaltyProgram

    program = LoyaltyProgram.current()
    client.force_login(UserFactory(role=roles.CASHIER))
    url = reverse("admin:points_loyaltyprogram_change", args=[program.pk])
    response = client.post(url, {"dormant_after_days": 1, "point_value": "9"})
    assert response.status_code == 403
    program.refresh_from_db()
    assert program.dormant_after_days == 180


def test_staff_status_alone_opens_nothing_sensitive(client):
    member = MemberFactory()
    client.force_login(UserFactory())  # is_staff, no role, no permission
    for page, url in pages(member).items():
        assert client.get(url).status_code == CANNOT, page


def test_without_staff_status_admin_is_closed(client):
    member = MemberFactory()
    client.force_login(UserFactory(is_staff=False, role=roles.MANAGER))
    response = client.get(reverse("admin:accounts_member_change", args=[member.pk]))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/campaigns/kpirefresh/?start=2026-01-01", "/admin/insights/kpirefresh/"),
        (
            "/admin/campaigns/kpirefresh/export/points/?start=2026-01-01",
            "/admin/insights/kpirefresh/export/points/",
        ),
    ],
)
def test_the_kpi_dashboards_addresses_from_before_the_insights_app_still_lead_to_it(
    client, old, new
):
    # given
    client.force_login(UserFactory(role=roles.MARKETING))
    # when
    response = client.get(old)
    # then
    assert response.status_code == 301
    assert response["Location"] == f"{new}?start=2026-01-01"


def test_the_readme_role_table_is_the_one_the_code_grants():
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    table = roles.role_table_markdown()
    assert table in readme, f"Put this table in README.md (Staff roles):\n{table}"


def test_cashiers_read_campaigns_but_do_not_change_them(client):
    client.force_login(UserFactory(role=roles.CASHIER))
    for model in ("bonuscampaign", "automation", "segment"):
        assert client.get(reverse(f"admin:campaigns_{model}_changelist")).status_code == CAN
        assert client.get(reverse(f"admin:campaigns_{model}_add")).status_code == CANNOT


def add_staff_user(client, **extra):
    return client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "nieuwe-kassa",
            "usable_password": "true",
            "password1": "a long staff password 42",
            "password2": "a long staff password 42",
            **extra,
        },
    )


def test_a_manager_adds_a_staff_user_and_gives_them_a_role(client):
    from django.contrib.auth.models import Group, User

    client.force_login(UserFactory(role=roles.MANAGER))
    assert add_staff_user(client).status_code == 302
    user = User.objects.get(username="nieuwe-kassa")
    cashier = Group.objects.get(name=roles.CASHIER)
    response = client.post(
        reverse("admin:auth_user_change", args=[user.pk]),
        {
            "username": "nieuwe-kassa",
            "is_active": "on",
            "is_staff": "on",
            "groups": [cashier.pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.is_staff
    assert list(user.groups.all()) == [cashier]


def test_a_manager_cannot_climb_above_the_roles(client):
    from django.contrib.auth.models import Group, Permission, User

    manager = UserFactory(role=roles.MANAGER)
    superuser = UserFactory(username="eigenaar", is_superuser=True)
    member_user = roles_member_user()
    other = Group.objects.create(name="Everything")
    client.force_login(manager)
    # superusers and member accounts are not theirs to change
    for user in (superuser, member_user):
        assert client.get(reverse("admin:auth_user_change", args=[user.pk])).status_code == 302
    # a staff user's form has no superuser switch, no single permissions, only the roles
    staff = UserFactory(username="kassa-2")
    form = client.get(reverse("admin:auth_user_change", args=[staff.pk])).context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields
    assert set(form.fields["groups"].queryset.values_list("name", flat=True)) == set(
        roles.ROLE_PERMISSIONS
    )
    # posting them anyway changes nothing
    client.post(
        reverse("admin:auth_user_change", args=[staff.pk]),
        {
            "username": "kassa-2",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [other.pk],
            "user_permissions": [Permission.objects.get(codename="delete_pointsentry").pk],
            "date_joined_0": "2026-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    staff.refresh_from_db()
    assert not staff.is_superuser
    assert not staff.user_permissions.exists()
    assert other not in staff.groups.all()
    # and staff users are deactivated, not deleted (the audit trail points at them)
    assert client.get(reverse("admin:auth_user_delete", args=[staff.pk])).status_code == 403
    assert User.objects.filter(pk=staff.pk).exists()


def roles_member_user():
    from accounts.portal import portal_user_for

    return portal_user_for(MemberFactory())

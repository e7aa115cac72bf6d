"""Staff pausing and resuming automations (campaigns/services/staff.py): audited, from admin too."""

import pytest
from django.urls import reverse
from django.utils import translation

from accounts.models import StaffAction
from campaigns.models import Automation
from campaigns.services import automation_set_active
from loyalty_site import roles
from tests.factories import AutomationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("was_active", "is_active", "action"),
    [(True, False, "pause_automation"), (False, True, "resume_automation")],
)
def test_pausing_or_resuming_an_automation_writes_one_audit_row(was_active, is_active, action):
    # given
    automation = AutomationFactory(is_active=was_active)
    staff = UserFactory()
    # when
    automation_set_active(automation=automation, is_active=is_active, actor=staff)
    # then
    automation.refresh_from_db()
    assert automation.is_active is is_active
    [audit] = StaffAction.objects.all()
    assert (audit.staff_user, audit.action, audit.member) == (staff, action, None)
    assert audit.before == {"automation": automation.pk, "is_active": was_active}
    assert audit.after == {
        "automation": automation.pk,
        "name": automation.name,
        "is_active": is_active,
    }
    # and the audit trail says it in words
    from accounts.audit import staff_action_sentence

    verb = "paused" if action == "pause_automation" else "resumed"
    with translation.override("en"):
        assert (
            staff_action_sentence(audit) == f"{verb.capitalize()} the automation {automation.name}."
        )


def test_pausing_a_paused_automation_writes_nothing():
    # given
    automation = AutomationFactory(is_active=False)
    # when
    automation_set_active(automation=automation, is_active=False, actor=UserFactory())
    # then
    automation.refresh_from_db()
    assert automation.is_active is False
    assert StaffAction.objects.count() == 0


@pytest.mark.parametrize(("action", "is_active"), [("pause", False), ("resume", True)])
def test_the_admin_actions_pause_and_resume_through_the_audited_service(client, action, is_active):
    # given
    automations = [AutomationFactory(is_active=not is_active) for _ in range(2)]
    staff = UserFactory(role=roles.MARKETING)
    client.force_login(staff)
    # when
    response = client.post(
        reverse("admin:campaigns_automation_changelist"),
        {"action": action, "_selected_action": [automation.pk for automation in automations]},
    )
    # then
    assert response.status_code == 302
    assert set(Automation.objects.values_list("is_active", flat=True)) == {is_active}
    assert sorted(
        StaffAction.objects.filter(staff_user=staff).values_list("after__automation", flat=True)
    ) == sorted(automation.pk for automation in automations)

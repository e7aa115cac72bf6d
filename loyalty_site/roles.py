"""Staff roles as Django groups.

The groups are created by a migration; their permissions are (re)synchronised after every
`migrate`, because the permissions of models added later only exist once their app migrated.
Patterns are `app_label.codename` with shell wildcards. Staff users get a role by joining the group.

The technical sections (periodic tasks, login attempts, the raw parts of background jobs) are for
superusers only: no role lists them.
"""

from fnmatch import fnmatchcase

from django.db.models.signals import post_migrate

CASHIER = "Cashier / support"
MARKETING = "Marketing"
MANAGER = "Manager"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    CASHIER: [
        "accounts.view_member",
        "accounts.add_member",
        "accounts.change_member",
        "accounts.view_store",
        "accounts.view_consentchange",
        "points.view_*",
        "points.adjust_points",
        "rewards.view_*",
        "rewards.grant_reward",
        "rewards.revoke_code",
        "campaigns.view_delivery",
        "campaigns.resend_delivery",
        "campaigns.view_surveyresponse",
        "accounts.view_staffaction",  # support sees earlier corrections before making one
    ],
    MARKETING: [
        "accounts.view_member",
        "accounts.view_store",
        "accounts.view_consentchange",
        "points.view_*",
        "points.*_earningrule",
        "points.*_activitytype",
        "points.*_tier",
        "points.change_loyaltyprogram",
        "rewards.view_*",
        # The catalogue, not individual members: no granting rewards or credit to a member.
        "rewards.add_reward",
        "rewards.change_reward",
        "rewards.delete_reward",
        "rewards.change_stackingpolicy",
        "campaigns.*",
        "insights.view_kpis",  # the KPI dashboard
    ],
    MANAGER: [
        "accounts.*",
        "points.*",
        "rewards.*",
        "campaigns.*",
        "insights.*",
        "core.view_outboxjob",
        "core.retry_outboxjob",  # background jobs: see what waits or gave up, run it again
        "auth.view_user",
        "auth.view_group",
    ],
}


def sync_role_permissions(group_model=None, permission_model=None) -> None:
    if group_model is None:
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model
    permissions = list(permission_model.objects.select_related("content_type"))
    for role, patterns in ROLE_PERMISSIONS.items():
        group, _created = group_model.objects.get_or_create(name=role)
        wanted = [
            permission
            for permission in permissions
            if any(
                fnmatchcase(f"{permission.content_type.app_label}.{permission.codename}", pattern)
                for pattern in patterns
            )
        ]
        group.permissions.set(wanted)


def _after_migrate(sender, **kwargs) -> None:
    # Run once, after the last app with models: by then every app's permissions exist.
    from django.apps import apps

    last_app = [config for config in apps.get_app_configs() if config.models_module][-1]
    if sender.label == last_app.label:
        sync_role_permissions()


def connect_signals() -> None:
    post_migrate.connect(_after_migrate, dispatch_uid="loyalty_site.roles.sync")

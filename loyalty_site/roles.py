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
        "campaigns.view_*",  # read only: which campaign gave a customer what, and why not
        "campaigns.resend_delivery",
        "accounts.view_staffaction",  # support sees earlier corrections before making one
    ],
    MARKETING: [
        "accounts.view_member",
        "accounts.view_store",
        "accounts.view_consentchange",
        "points.view_*",
        "points.*_earningrule",
        "points.*_activitytype",
        "points.*_scorenorm",  # what each activity adds to the loyalty score
        "points.*_tier",
        "points.change_loyaltyprogram",
        "accounts.view_branding",
        "accounts.change_branding",  # the programme's name, logo, colour and sender
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
        "core.*_webhookendpoint",  # outbound webhooks: where to, which events, the secret
        "core.view_webhookdelivery",
        "core.replay_webhookdelivery",
        # Staff users (loyalty_site/admin.py keeps them to the three roles: no superusers,
        # no single permissions, no member accounts). Deactivated, never deleted: the audit
        # trail points at them.
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
    ],
}


def has_permission(role: str, permission: str) -> bool:
    """Whether a role's patterns grant `app_label.codename`."""
    return any(fnmatchcase(permission, pattern) for pattern in ROLE_PERMISSIONS[role])


# The README's role table ("Staff roles"), generated from the patterns above; a test checks that
# the README shows exactly this. A row is a task, the permissions it takes to do it and, where
# seeing without changing means something, the permissions it takes to see it.
ROLE_TABLE: list[tuple[str, list[str], list[str]]] = [
    (
        "look up members, see the 360° page",
        ["accounts.view_member", "accounts.change_member"],
        ["accounts.view_member"],
    ),
    (
        "adjust points, grant rewards and credit, revoke codes",
        ["points.adjust_points", "rewards.grant_reward", "rewards.revoke_code"],
        [],
    ),
    ("send a message again", ["campaigns.resend_delivery"], []),
    ("see the audit trail", ["accounts.view_staffaction"], []),
    (
        "earning rules, tiers, rewards catalogue, programme settings",
        [
            "points.change_earningrule",
            "points.change_tier",
            "rewards.change_reward",
            "points.change_loyaltyprogram",
        ],
        [
            "points.view_earningrule",
            "points.view_tier",
            "rewards.view_reward",
            "points.view_loyaltyprogram",
        ],
    ),
    (
        "campaigns, automations, segments",
        [
            "campaigns.change_bonuscampaign",
            "campaigns.change_automation",
            "campaigns.change_segment",
        ],
        ["campaigns.view_bonuscampaign", "campaigns.view_automation", "campaigns.view_segment"],
    ),
    ("KPI dashboard and its CSV exports (`insights.view_kpis`)", ["insights.view_kpis"], []),
    ("block / unblock members", ["accounts.block_member"], []),
    ("merge a duplicate member into another", ["accounts.merge_member"], []),
    ("stores and POS keys", ["accounts.add_posapikey", "accounts.change_store"], []),
    (
        "staff users: add them, give them a role, deactivate them",
        ["auth.add_user", "auth.change_user"],
        ["auth.view_user"],
    ),
    (
        "background jobs: see them, run them again",
        ["core.view_outboxjob", "core.retry_outboxjob"],
        [],
    ),
    ("unlock a staff login locked after wrong passwords", ["axes.delete_accessattempt"], []),
    (
        "webhooks: endpoints and their secrets, the delivery log, replay",
        ["core.change_webhookendpoint", "core.replay_webhookdelivery"],
        [],
    ),
]


def role_table_markdown() -> str:
    roles = list(ROLE_PERMISSIONS)
    lines = [
        "| | " + " | ".join(roles) + " |",
        "| --- |" + " --- |" * len(roles),
    ]
    for task, to_do, to_see in ROLE_TABLE:
        cells = []
        for role in roles:
            if all(has_permission(role, permission) for permission in to_do):
                cells.append("✓")
            elif to_see and all(has_permission(role, permission) for permission in to_see):
                cells.append("read only")
            else:
                cells.append("–")
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def sync_role_permissions(group_model=None, permission_model=None) -> None:
    if group_model is None:
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model
    permissions = list(permission_model.objects.select_related("content_type"))
    for role in ROLE_PERMISSIONS:
        group, _created = group_model.objects.get_or_create(name=role)
        wanted = [
            permission
            for permission in permissions
            if has_permission(role, f"{permission.content_type.app_label}.{permission.codename}")
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

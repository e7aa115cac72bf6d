import logging

from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from accounts.portal import LOGIN_LINK_VALIDITY, login_link_create
from campaigns.models import MemberStats
from loyalty_site.demo import (
    DEMO_API_KEY,
    DEMO_PASSWORD,
    DEMO_STORE,
    featured_members,
    load_demo_data,
)


def _about(member) -> str:
    """ "Gold, 1,234 points" or "no purchase for 230 days": why this member is worth a look."""
    account = getattr(member, "point_account", None)
    stats = MemberStats.objects.filter(member=member).first()
    if stats and stats.last_purchase_at and (timezone.now() - stats.last_purchase_at).days > 60:
        return f"lapsed: no purchase for {(timezone.now() - stats.last_purchase_at).days} days"
    if account is None:
        return "new"
    return f"{account.tier or 'no tier'}, {account.balance:,} points"


class Command(BaseCommand):
    help = "Loads demo stores, staff, rules and a year of members' history (once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--members", type=int, default=60)
        parser.add_argument("--host", default="http://127.0.0.1:8000")

    def handle(self, *args, members: int, host: str, **options) -> None:
        self.stdout.write("Loading demo data …")
        # Each background job would log a line; the summary below is what matters.
        logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
        result = load_demo_data(members=members)
        if result.created:
            self.stdout.write(
                f"Created {result.members} members with {result.purchases} purchases."
            )
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        featured = featured_members()
        lines = [
            "",
            f"  Admin:     {host}/admin/   user admin / password {DEMO_PASSWORD}",
            "             (also kassa, marketing, manager: one per staff role, same password)",
            f"  Portal:    {host}/",
            *[f"  Member:    {member.email}   ({_about(member)})" for member in featured],
            f"  POS key:   {DEMO_API_KEY}   (store {DEMO_STORE})",
            f"  API docs:  {host}/api/docs/",
        ]
        if featured:
            member = featured[0]
            token = login_link_create(member=member)
            minutes = int(LOGIN_LINK_VALIDITY.total_seconds() // 60)
            lines += [
                "",
                f"  Sign in to the portal as {member.first_name} (once, within {minutes} minutes):",
                f"{host}{reverse('portal:login-link', args=[token])}",
            ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines) + "\n"))

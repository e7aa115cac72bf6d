from django.core.management.base import BaseCommand

from loyalty_site.demo import DEMO_API_KEY, DEMO_PASSWORD, DEMO_STORE, load_demo_data


class Command(BaseCommand):
    help = "Loads demo stores, staff, rules and members with purchase history (once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--members", type=int, default=60)
        parser.add_argument("--host", default="http://127.0.0.1:8000")

    def handle(self, *args, members: int, host: str, **options) -> None:
        self.stdout.write("Loading demo data …")
        result = load_demo_data(members=members)
        if result.created:
            self.stdout.write(
                f"Created {result.members} members with {result.purchases} purchases."
            )
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        self.stdout.write(
            self.style.SUCCESS(
                "\n"
                f"  Admin:     {host}/admin/   user admin / password {DEMO_PASSWORD}\n"
                "             (also kassa, marketing, manager: one per staff role, same password)\n"
                f"  POS key:   {DEMO_API_KEY}   (store {DEMO_STORE})\n"
                f"  API docs:  {host}/api/docs/\n"
            )
        )

from django.core.management.base import BaseCommand

from points.services import points_expire_due


class Command(BaseCommand):
    help = "Expires points that passed their expiry date (also run daily by Celery beat)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options) -> None:
        def progress(run) -> None:
            self.stdout.write(f"  … {run.accounts} accounts, {run.points} points expired so far")

        run = points_expire_due(batch_size=batch_size, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(f"Expired {run.points} points on {run.accounts} accounts.")
        )

from django.core.management.base import BaseCommand

from points.services import points_release_due


class Command(BaseCommand):
    help = (
        "Releases pending points whose return window ended, so members can spend them "
        "(also run hourly by Celery beat)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options) -> None:
        def progress(run) -> None:
            self.stdout.write(f"  … {run.accounts} accounts, {run.points} points released so far")

        run = points_release_due(batch_size=batch_size, progress=progress)
        if run.skipped:
            self.stdout.write("Another run is releasing pending points; nothing done.")
            return
        self.stdout.write(
            self.style.SUCCESS(f"Released {run.points} pending points on {run.accounts} accounts.")
        )

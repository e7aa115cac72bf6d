from django.core.management.base import BaseCommand

from points.services.tiers import tiers_evaluate_due


class Command(BaseCommand):
    help = (
        "Re-evaluates members whose tier period ended: they keep the tier for another period or "
        "move down to the tier their points reach (also run daily by Celery beat)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options) -> None:
        def progress(run) -> None:
            self.stdout.write(
                f"  … {run.evaluated} evaluated: {run.downgraded} down, {run.renewed} renewed, "
                f"{run.assigned} placed"
            )

        run = tiers_evaluate_due(batch_size=batch_size, progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Evaluated {run.evaluated} members: {run.downgraded} moved down, "
                f"{run.renewed} kept their tier, {run.assigned} got a first tier."
            )
        )

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Automation, Trigger
from campaigns.services import automation_run, automations_run_due


class Command(BaseCommand):
    help = (
        "Runs the scheduled automations (dormant, birthday, points expiring) once, with progress. "
        "Celery beat runs this hourly; safe to run at the same time as beat."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--automation", type=int, help="Run only this automation (id).")
        parser.add_argument("--batch-size", type=int, default=10_000)

    def _progress(self, automation, progress) -> None:
        percent = 100 * progress.members_seen // max(1, progress.members_total)
        self.stdout.write(
            f"  {automation.name}: {percent:3d}% of members looked at, "
            f"{progress.created} deliveries created"
        )

    def handle(self, *args, automation: int | None, batch_size: int, **options) -> None:
        if automation is not None:
            chosen = Automation.objects.filter(
                pk=automation, trigger__in=Trigger.scheduled()
            ).first()
            if chosen is None:
                raise CommandError(f"No scheduled automation with id {automation}.")
            runs = [
                automation_run(
                    chosen, batch_size=batch_size, progress=lambda p: self._progress(chosen, p)
                )
            ]
        else:
            runs = automations_run_due(progress=self._progress)
        for run in runs:
            if run.skipped_lock_held:
                self.stdout.write(f"{run.automation.name}: another run is busy; skipped.")
                continue
            self.stdout.write(
                self.style.SUCCESS(
                    f"{run.automation.name}: {run.created} deliveries created"
                    + (
                        f", {run.left_out_by_budget} left out by the budget"
                        if run.left_out_by_budget
                        else ""
                    )
                )
            )
        if not runs:
            self.stdout.write("No live scheduled automations.")

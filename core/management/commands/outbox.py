"""`manage.py outbox status|retry|drain|sweep`: the outbox from the command line."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from core import outbox
from core.models import OutboxJob


class Command(BaseCommand):
    help = (
        "status: jobs per kind and state. retry [--kind K] [--failed]: run waiting or given-up "
        "jobs again now. dismiss [--kind K]: close given-up jobs without running them. "
        "drain: run every due job in this process (installs without Celery: run it from cron "
        "every minute). sweep: hand due jobs to Celery (what beat does)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["status", "retry", "dismiss", "drain", "sweep"])
        parser.add_argument("--kind", help="only jobs of this kind")
        parser.add_argument("--failed", action="store_true", help="retry: only given-up jobs")
        parser.add_argument("--limit", type=int, help="drain: at most this many jobs")

    def handle(self, *args, action, kind=None, failed=False, limit=None, **options):
        if action == "status":
            self._status()
        elif action == "retry":
            jobs = OutboxJob.objects.filter(
                state__in=[OutboxJob.State.FAILED]
                if failed
                else [OutboxJob.State.FAILED, OutboxJob.State.PENDING]
            )
            if kind:
                jobs = jobs.filter(kind=kind)
            count = outbox.retry_now(jobs.values_list("pk", flat=True))
            self.stdout.write(f"{count} job(s) queued again")
        elif action == "dismiss":
            jobs = OutboxJob.objects.filter(state=OutboxJob.State.FAILED)
            if kind:
                jobs = jobs.filter(kind=kind)
            self.stdout.write(
                f"{outbox.dismiss(jobs.values_list('pk', flat=True))} job(s) dismissed"
            )
        elif action == "drain":
            total = OutboxJob.objects.filter(outbox._runnable(timezone.now())).count()
            if limit:
                total = min(total, limit)

            def progress(done: int) -> None:
                if done % 100 == 0 or done == total:
                    self.stdout.write(f"  {done}/{total}", ending="\r")
                    self.stdout.flush()

            ran = outbox.drain(limit=limit, progress=progress)
            self.stdout.write(f"\n{ran} job(s) run")
        else:
            self.stdout.write(f"{outbox.sweep()} job(s) handed to Celery")

    def _status(self) -> None:
        rows = outbox.status()
        if not rows:
            self.stdout.write("The outbox is empty.")
            return
        states = [state for state, _label in OutboxJob.State.choices]
        self.stdout.write(f"{'kind':<32}" + "".join(f"{s:>10}" for s in states) + "  oldest open")
        stuck = False
        for row in rows:
            oldest = row.oldest_open_at.isoformat(timespec="seconds") if row.oldest_open_at else "-"
            self.stdout.write(
                f"{row.kind:<32}"
                + "".join(f"{row.counts.get(s, 0):>10}" for s in states)
                + f"  {oldest}"
            )
            stuck = stuck or bool(row.counts.get(OutboxJob.State.FAILED))
        if stuck:
            raise CommandError("Some jobs gave up: see admin → Background jobs, or `outbox retry`.")

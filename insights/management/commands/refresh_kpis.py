from django.core.management.base import BaseCommand

from insights.services import kpi_summaries_refresh


class Command(BaseCommand):
    help = (
        "Rebuilds the KPI dashboard summaries (ladder, activity, tiers, points per day, RFM grid) "
        "from all history. Celery beat runs it nightly; run it once after installing or after "
        "changing the dormant threshold."
    )

    def handle(self, *args, **options) -> None:
        refresh = kpi_summaries_refresh(
            progress=lambda message: self.stdout.write(f"  … {message}")
        )
        if refresh is None:
            self.stdout.write("Another refresh is running; nothing done.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"KPI summaries rebuilt for {refresh.members} members in {refresh.seconds:.1f} s."
            )
        )

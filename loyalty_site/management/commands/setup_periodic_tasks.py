from django.core.management.base import BaseCommand

from loyalty_site.periodic import INTERVALS, SCHEDULES, install_periodic_tasks


class Command(BaseCommand):
    help = "Installs the default Celery beat schedules that are missing (existing ones are kept)."

    def handle(self, *args, **options) -> None:
        created = install_periodic_tasks()
        self.stdout.write(
            self.style.SUCCESS(
                f"{created} of {len(SCHEDULES) + len(INTERVALS)} periodic tasks created."
            )
        )

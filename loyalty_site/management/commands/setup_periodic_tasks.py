from django.core.management.base import BaseCommand

from loyalty_site.periodic import SCHEDULES, install_periodic_tasks


class Command(BaseCommand):
    help = "Installs the default Celery beat schedules that are missing (existing ones are kept)."

    def handle(self, *args, **options) -> None:
        created = install_periodic_tasks()
        self.stdout.write(
            self.style.SUCCESS(f"{created} of {len(SCHEDULES)} periodic tasks created.")
        )

from django.core.management.base import BaseCommand

from rewards.services import codes_expire_due


class Command(BaseCommand):
    help = "Marks codes past their expiry date as expired (also run daily by Celery beat)."

    def handle(self, *args, **options) -> None:
        count = codes_expire_due()
        self.stdout.write(self.style.SUCCESS(f"{count} code(s) marked as expired."))

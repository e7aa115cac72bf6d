from django.core.management.base import BaseCommand

from campaigns.services import bonus_audiences_refresh_due


class Command(BaseCommand):
    help = (
        "Counts the audience (treated and held out) of bonus campaigns with a holdout that have "
        "started, once each, and recounts their purchases when due (every 10 minutes by beat)."
    )

    def handle(self, *args, **options) -> None:
        touched = bonus_audiences_refresh_due()
        self.stdout.write(self.style.SUCCESS(f"Counted the figures of {touched} campaigns."))

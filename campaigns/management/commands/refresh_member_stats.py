from django.core.management.base import BaseCommand

from campaigns.services import member_stats_refresh


class Command(BaseCommand):
    help = "Rebuilds member figures from the purchases and recomputes RFM scores (nightly by beat)."

    def handle(self, *args, **options) -> None:
        scored = member_stats_refresh(progress=lambda message: self.stdout.write(f"  … {message}"))
        self.stdout.write(self.style.SUCCESS(f"RFM scores for {scored} members."))

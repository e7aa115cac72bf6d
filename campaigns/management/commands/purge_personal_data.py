from django.core.management.base import BaseCommand

from campaigns.services import personal_data_purge


class Command(BaseCommand):
    help = (
        "Removes personal data past its retention period (programme settings): message texts, "
        "sign-in links, access logs, expired sessions, long-blocked members (nightly by beat)."
    )

    def handle(self, *args, **options) -> None:
        counts = personal_data_purge(progress=lambda message: self.stdout.write(f"  … {message}"))
        self.stdout.write(self.style.SUCCESS(f"{sum(counts.values())} items removed."))

from django.core.management.base import BaseCommand, CommandError

from points.selectors import ledger_mismatches


class Command(BaseCommand):
    help = "Verifies balance == sum(entries) for every point account; exits 1 on any mismatch."

    def handle(self, *args, **options) -> None:
        problems = 0
        for mismatch in ledger_mismatches():
            problems += 1
            self.stdout.write(
                f"MISMATCH points account {mismatch.account_id} (card {mismatch.card_number}): "
                f"balance {mismatch.balance}, entries add up to {mismatch.entries_sum}"
            )
        if problems:
            raise CommandError(f"{problems} ledger mismatch(es) found.")
        self.stdout.write(self.style.SUCCESS("Points ledger OK: every balance equals its entries."))

from django.core.management.base import BaseCommand, CommandError

from points.extensions import ledger_checks
from points.selectors import ledger_mismatches


class Command(BaseCommand):
    help = (
        "Verifies balance == sum(entries) and pending points == sum(pending entries) for every "
        "point account and every other ledger "
        "(store credit); prints each mismatch and exits 1 if there is any."
    )

    def handle(self, *args, **options) -> None:
        problems = [
            f"MISMATCH points account {m.account_id} (card {m.card_number}): "
            f"balance {m.balance}, entries add up to {m.entries_sum}; "
            f"pending {m.pending_balance}, entries add up to {m.pending_sum}"
            for m in ledger_mismatches()
        ]
        checked = ["points"]
        for name, check in ledger_checks().items():
            problems.extend(check())
            checked.append(name)
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} ledger mismatch(es) found.")
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledgers OK ({', '.join(checked)}): every balance equals its entries."
            )
        )

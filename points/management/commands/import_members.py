from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from core.errors import InvalidInput
from points.services.imports import ImportReport, check_file, errors_path_for, import_file


class Command(BaseCommand):
    help = (
        "Imports members of an existing programme from CSV (UTF-8, `,` or `;`) or JSON Lines, "
        "keyed by external_id; optionally their past purchases. Rejected rows go to "
        "FILE.errors.csv; exits 1 if any row was rejected."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Validate only; write nothing.")
        parser.add_argument(
            "--keep-card-numbers",
            action="store_true",
            help="Keep legacy card numbers that fail our check digit, as aliases of the member.",
        )
        parser.add_argument(
            "--purchases",
            type=Path,
            help="A second file of past purchases (external_id, store_code, transaction_id, "
            "occurred_at, amount): recorded for the KPIs, earning no points.",
        )

    def handle(self, *args, **options) -> None:
        files = [("members", options["file"])]
        if options["purchases"]:
            files.append(("purchases", options["purchases"]))
        for _kind, path in files:
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            try:
                check_file(path)
            except InvalidInput as error:
                raise CommandError(f"{path}: {error.message}") from error
        rejected = 0
        for kind, path in files:
            total = import_file(
                path,
                kind=kind,
                keep_card_numbers=options["keep_card_numbers"],
                dry_run=options["dry_run"],
                on_batch=lambda report, kind=kind: self._progress(kind, report),
            )
            self.stdout.write(self._summary(kind, total, options["dry_run"]))
            if total.rejected:
                self.stdout.write(f"Rejected rows: {errors_path_for(path)}")
            rejected += total.rejected
        if rejected:
            raise CommandError(f"{rejected} row(s) rejected.")

    def _progress(self, kind: str, report: ImportReport) -> None:
        self.stderr.write(f"{kind}: {report.read:,} rows read, {report.rejected:,} rejected")

    def _summary(self, kind: str, report: ImportReport, dry_run: bool) -> str:
        verb = "would be " if dry_run else ""
        text = (
            f"{kind}: {report.read:,} read; {verb}created {report.created:,}, "
            f"{verb}updated {report.updated:,}, unchanged {report.unchanged:,}, "
            f"rejected {report.rejected:,}"
        )
        if kind == "members":
            text += f"; opening balances {report.opening_points:,} points"
        return text + "."

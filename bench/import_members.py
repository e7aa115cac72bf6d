"""Times `import_members`: N generated members with balances into a fresh PostgreSQL database.

    .venv/bin/python -m bench.import_members [--members 100000]

Writes a CSV of N members (contact data, consents, a balance expiring next year, a tier, every
hundredth one a legacy card number), imports it (`--keep-card-numbers`), imports it again (which
must change nothing), runs `check_ledger`, and reports rows per second, the peak memory of the
process and the load average of the machine while it ran (other work shares it). The database is
`loyalty_import_bench` unless BENCH_DATABASE_URL names another; it is dropped and created anew.
"""

import argparse
import csv
import datetime
import os
import resource
import tempfile
from pathlib import Path

from bench.common import _psql, database_name, setup_django, timed, write_results

DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/loyalty_import_bench"
COLUMNS = (
    "external_id,card_number,email,phone,first_name,last_name,birth_date,language,store_code,"
    "enrolled_at,consent_email_at,consent_sms_at,consent_whatsapp_at,points_balance,"
    "points_expire_at,tier,tier_valid_until,referral_code"
).split(",")


def write_file(path: Path, members: int) -> None:
    expires = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=365)).isoformat()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(COLUMNS)
        for number in range(members):
            writer.writerow(
                [
                    f"L{number:08d}",
                    f"99{number:08d}" if number % 100 == 0 else "",
                    f"m{number}@example.com",
                    f"+3161{number:07d}" if number % 2 else "",
                    "Anna",
                    f"Jansen {number}",
                    "1985-06-01",
                    "nl" if number % 3 else "en",
                    "AMS01",
                    "2018-03-02T10:00:00+01:00",
                    "2018-03-02T10:05:00+01:00" if number % 2 else "",
                    "",
                    "",
                    str(number % 5000 + 1),
                    expires,
                    "Goud" if number % 10 == 0 else "",
                    expires if number % 10 == 0 else "",
                    "",
                ]
            )


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("BENCH_DATABASE_URL", DEFAULT_DATABASE)
    name = database_name()
    if _psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1":
        _psql(f'DROP DATABASE "{name}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{name}"')
    setup_django()
    from django.core.management import call_command

    from accounts.models import Store
    from points.models import PointsEntry, Tier
    from points.services.imports import import_file

    call_command("migrate", verbosity=0)
    Store.objects.create(code="AMS01", name="Amsterdam")
    Tier.objects.get_or_create(rank=2, defaults={"name_nl": "Goud", "threshold": 1000})
    figures: dict = {"members": args.members, "load_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "members.csv"
        with timed("write_file_s", figures):
            write_file(path, args.members)

        def progress(report) -> None:
            if report.read % 100_000 == 0:
                print(f"  {report.read:,} rows", flush=True)

        with timed("import_s", figures):
            first = import_file(path, keep_card_numbers=True, on_batch=progress)
        figures["rss_after_import_mb"] = _rss_mb()
        with timed("rerun_s", figures):
            second = import_file(path, keep_card_numbers=True)
        figures["rss_after_rerun_mb"] = _rss_mb()
    with timed("check_ledger_s", figures):
        call_command("check_ledger")
    figures["load_after"] = os.getloadavg()
    figures["created"], figures["rejected"] = first.created, first.rejected
    figures["rerun_created"], figures["rerun_unchanged"] = second.created, second.unchanged
    figures["opening_entries"] = PointsEntry.objects.count()
    figures["rows_per_s"] = round(args.members / figures["import_s"])
    markdown = (
        f"import_members, {args.members:,} members with balances: import "
        f"{figures['import_s']:.1f} s ({figures['rows_per_s']:,} rows/s), re-run "
        f"{figures['rerun_s']:.1f} s (created {second.created}), check_ledger "
        f"{figures['check_ledger_s']:.1f} s, peak RSS {figures['rss_after_rerun_mb']} MB, "
        f"load average before/after {figures['load_before'][0]:.1f}/{figures['load_after'][0]:.1f}\n"
    )
    print(markdown)
    write_results("import_members", {"figures": figures}, markdown)


if __name__ == "__main__":
    main()

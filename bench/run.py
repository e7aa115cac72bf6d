"""The whole benchmark suite, one command (not part of the test suite):

    .venv/bin/python -m bench.run [--members 1000000] [--duration 20]

1. creates and loads its own PostgreSQL database (bench.load; seeded, with progress; reused
   when already loaded),
2. the POS API under load, served by gunicorn with the production settings and driven by wrk
   from a separate process, against the pgbench floor (bench.api),
3. the dormant automation over all members against hand-written SQL (bench.dormant),
4. point expiry and tier evaluation against hand-written SQL (bench.batch),
5. the KPI dashboard queries and page (bench.kpis).

Each step writes bench/results/<step>-<time>.json and <step>-latest.md; this command also writes
bench/results/suite-latest.md with all tables. Needs wrk and pgbench (Debian packages).
"""

import argparse
import subprocess
import sys
import time

from bench.common import RESULTS, ROOT

STEPS = ["api", "dormant", "batch", "kpis"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=20, help="seconds per API scenario")
    parser.add_argument("--only", nargs="*", choices=STEPS)
    args = parser.parse_args()
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bench.load", "--members", str(args.members)], cwd=ROOT, check=True
    )
    for step in args.only or STEPS:
        command = [sys.executable, "-m", f"bench.{step}", "--members", str(args.members)]
        if step == "api":
            command += ["--duration", str(args.duration)]
        print(f"\n=== {step} ===", flush=True)
        subprocess.run(command, cwd=ROOT, check=True)
    parts = [
        (RESULTS / f"{step}-latest.md").read_text()
        for step in STEPS
        if (RESULTS / f"{step}-latest.md").exists()
    ]
    (RESULTS / "suite-latest.md").write_text("\n\n".join(parts))
    print(
        f"\nSuite done in {(time.monotonic() - started) / 60:.1f} min: bench/results/suite-latest.md"
    )


if __name__ == "__main__":
    main()

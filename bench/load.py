"""Create, migrate and load the benchmark database (reused by every bench script).

.venv/bin/python -m bench.load [--members 1000000] [--seed 42] [--fresh]
"""

import argparse

from bench.common import database_url, ensure_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--fresh", action="store_true", help="drop and reload even if loaded")
    args = parser.parse_args()
    print(f"Benchmark database: {database_url()}")
    ensure_database(members=args.members, fresh=args.fresh, seed=args.seed)


if __name__ == "__main__":
    main()

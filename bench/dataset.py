"""A realistic, seeded data set in PostgreSQL for the benchmarks.

Default: 1,000,000 members, about 10,000,000 ledger entries (purchases over two years, with
refunds, redemptions and expiries), 20 stores, three tiers, rewards and live codes. Members are
generated in Python and streamed with COPY; everything derived from them (purchases, ledger,
balances, figures) is built inside PostgreSQL with set-based SQL, deterministic through hashes
of the ids and the seed. Loading 1M members takes a few minutes on two cores.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection

from accounts.cards import damm_check_digit
from accounts.codes import READABLE_ALPHABET

FIRST_NAMES = ["Anna", "Daan", "Emma", "Sem", "Julia", "Lucas", "Sophie", "Milan", "Tess", "Levi"]
LAST_NAMES = ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser"]


@dataclass
class DatasetSize:
    members: int
    purchases: int
    entries: int
    codes: int


def _card_number(index: int) -> str:
    body = str(1_000_000_000 + index)
    return body + damm_check_digit(body)


def _referral_code(index: int) -> str:
    digits = []
    for _ in range(8):
        index, remainder = divmod(index, 32)
        digits.append(READABLE_ALPHABET[remainder])
    return "".join(reversed(digits))


def _copy_members(count: int, seed: int, store_ids: list[int], progress) -> None:
    rng = random.Random(seed)
    columns = (
        "card_number, email, first_name, last_name, birth_date, language, email_consent_at, "
        "status, enrolled_at, enrolled_store_id, updated_at, preferred_channel, referral_code"
    )
    raw = connection.cursor().cursor  # psycopg 3 cursor: COPY support
    with raw.copy(f"COPY accounts_member ({columns}) FROM STDIN") as copy:
        for index in range(count):
            enrolled = f"{2022 + rng.randint(0, 2)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} 10:00:00+00"
            copy.write_row(
                (
                    _card_number(index),
                    f"member{index}@bench.example",
                    rng.choice(FIRST_NAMES),
                    rng.choice(LAST_NAMES),
                    f"{rng.randint(1950, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    "en" if rng.random() < 0.2 else "nl",
                    enrolled if rng.random() < 0.6 else None,
                    "active",
                    enrolled,
                    rng.choice(store_ids),
                    enrolled,
                    "",
                    _referral_code(index),
                )
            )
            if progress and index and index % 200_000 == 0:
                progress(f"  members: {index:,}")


def _sql(statement: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


BULK_TABLES = ("points_purchase", "points_pointsentry")


def _drop_secondary_indexes() -> list[str]:
    """Drops the indexes and unique constraints of the big tables; returns how to rebuild them.

    Building an index once over millions of rows is far quicker than maintaining it row by row.
    """
    rebuild = []
    with connection.cursor() as cursor:
        for table in BULK_TABLES:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'u'",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            cursor.execute(
                "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
                "JOIN pg_class i ON i.oid = x.indexrelid "
                "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
                [table],
            )
            for name, definition in cursor.fetchall():
                cursor.execute(f'DROP INDEX "{name}"')
                rebuild.append(definition)
    return rebuild


def load(
    *,
    members: int = 1_000_000,
    purchases_per_member: int = 10,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> DatasetSize:
    """Loads the data set into an empty, migrated database (the caller's connection)."""
    say = progress or (lambda message: None)
    started = time.monotonic()

    def step(message: str) -> None:
        say(f"[{time.monotonic() - started:6.1f}s] {message}")

    # Bulk load without per-row foreign-key triggers (the data is consistent by construction).
    _sql("SET session_replication_role = replica")
    _sql("SET maintenance_work_mem = '512MB'")
    _sql(
        "INSERT INTO accounts_store (code, name, channel, is_active, created_at) SELECT "
        "'S' || lpad(n::text, 2, '0'), 'Winkel ' || n, CASE WHEN n = 20 THEN 'online' ELSE 'offline' END, "
        "true, now() FROM generate_series(1, 20) n ON CONFLICT (code) DO NOTHING"
    )
    store_ids = [
        row[0]
        for row in connection.cursor()
        .execute("SELECT id FROM accounts_store ORDER BY id")
        .fetchall()
    ]
    _sql(
        "INSERT INTO points_tier (name_nl, name_en, colour, rank, threshold, earn_multiplier) VALUES "
        "('Brons', 'Bronze', '#B08D57', 1, 0, 1.00), ('Zilver', 'Silver', '#A8A9AD', 2, 500, 1.25), "
        "('Goud', 'Gold', '#D4AF37', 3, 1500, 1.50) ON CONFLICT DO NOTHING"
    )
    rebuild = _drop_secondary_indexes()
    step(f"stores and tiers; streaming {members:,} members")
    _copy_members(members, seed, store_ids, say)
    step("members loaded")
    _sql(
        "INSERT INTO points_pointaccount (member_id, balance, pending_balance, updated_at) "
        "SELECT id, 0, 0, now() FROM accounts_member ON CONFLICT DO NOTHING"
    )
    step("point accounts")
    # Purchases: 0 … 2n per member (n on average), spread over the last two years.
    _sql(f"""
        INSERT INTO points_purchase (store_id, transaction_id, member_id, amount, discount_total,
            store_credit_used, currency, channel, occurred_at, points_earned, explanation,
            refunded_amount, points_reversed, request_hash, response_body, created_at)
        SELECT s.id, 'B' || m.id || '-' || g, m.id, p.amount, 0, 0, 'EUR', s.channel,
               p.occurred_at, floor(p.amount)::int, '[]', 0, 0, '', '{{}}', p.occurred_at
        FROM accounts_member m
        CROSS JOIN LATERAL generate_series(1, abs(hashtext('n{seed}:' || m.id)) % ({2 * purchases_per_member} + 1)) g
        CROSS JOIN LATERAL (SELECT
            (5 + abs(hashtext('a{seed}:' || m.id || ':' || g)) % 14500 / 100.0)::numeric(12, 2) AS amount,
            now() - (abs(hashtext('t{seed}:' || m.id || ':' || g)) % (730 * 24)) * interval '1 hour' AS occurred_at,
            1 + abs(hashtext('s{seed}:' || m.id || ':' || g)) % 20 AS store_no
        ) p
        JOIN accounts_store s ON s.code = 'S' || lpad(p.store_no::text, 2, '0')
    """)
    step("purchases")
    # One EARN entry per purchase, balance_after as a running sum per member.
    _sql("""
        INSERT INTO points_pointsentry (account_id, kind, points, pending_points, balance_after,
            is_qualifying, effective_at, expires_at, purchase_id, reason, note, created_at)
        SELECT a.id, 'earn', p.points_earned, 0,
               SUM(p.points_earned) OVER (PARTITION BY p.member_id ORDER BY p.occurred_at, p.id),
               true, p.occurred_at, p.occurred_at + interval '24 months', p.id, '', '', p.occurred_at
        FROM points_purchase p JOIN points_pointaccount a ON a.member_id = p.member_id
        WHERE p.points_earned > 0
    """)
    step("ledger entries")
    _sql("""
        UPDATE points_pointaccount a SET balance = t.total
        FROM (SELECT account_id, SUM(points) AS total FROM points_pointsentry GROUP BY account_id) t
        WHERE a.id = t.account_id
    """)
    _sql("""
        UPDATE points_pointaccount a SET tier_id = t.id,
            tier_valid_until = CASE WHEN t.threshold > 0 THEN now() + interval '12 months' END
        FROM points_tier t
        WHERE t.threshold = (SELECT MAX(threshold) FROM points_tier WHERE threshold <= a.balance)
    """)
    step("balances and tiers")
    for statement in rebuild:
        _sql(statement)
    step(f"{len(rebuild)} indexes rebuilt")
    _sql("""INSERT INTO rewards_reward (name_nl, name_en, description_nl, description_en, kind, value,
            minimum_spend, sku, points_cost, validity_days, stacking, stacking_group, is_active,
            created_at, updated_at)
        VALUES ('10% korting', '10% off', '', '', 'percentage_discount', 10, 0, '', 250, 60,
                'one_per_group', 'percentage', true, now(), now()),
               ('€5 korting', '€5 off', '', '', 'fixed_discount', 5, 25, '', 200, 60, 'combinable',
                '', true, now(), now()),
               ('€5 welkom terug', '€5 welcome back', '', '', 'fixed_discount', 5, 15, '', 0, 30,
                'combinable', '', true, now(), now())""")
    # Live codes for one member in five.
    codes = _sql(f"""
        INSERT INTO rewards_issuedreward (reward_id, member_id, code, status, source, value,
            minimum_spend, points_spent, source_reference, issued_at, expires_at, revoked_reason,
            budget_owner, budget_periods, budget_cost)
        SELECT (SELECT MIN(id) FROM rewards_reward), m.id,
               translate(upper(substr(md5('c{seed}:' || m.id), 1, 12)), '01', 'WX'), 'issued', 'staff', 10, 0, 0, '',
               now(), now() + interval '60 days', '', '', '', 0
        FROM accounts_member m WHERE m.id % 5 = 0
    """)
    step("rewards and codes")
    _sql("SET session_replication_role = DEFAULT")
    from campaigns.services import member_stats_refresh

    member_stats_refresh()
    step("member figures and RFM")
    _sql("ANALYZE")
    counts = (
        connection.cursor()
        .execute(
            "SELECT (SELECT COUNT(*) FROM accounts_member), (SELECT COUNT(*) FROM points_purchase), "
            "(SELECT COUNT(*) FROM points_pointsentry)"
        )
        .fetchone()
    )
    step(f"done: {counts[0]:,} members, {counts[1]:,} purchases, {counts[2]:,} ledger entries")
    return DatasetSize(members=counts[0], purchases=counts[1], entries=counts[2], codes=codes)

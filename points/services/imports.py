"""Bringing members of an existing programme in (`manage.py import_members`).

Set-based: rows are read as a stream and handled in batches of `BATCH_SIZE`; each batch is
validated with a few queries (one per kind of clash) and written with a few bulk inserts in one
transaction of its own. Memory stays flat whatever the file size, and a run that stops half-way
is finished by running it again: members are keyed by `external_id`. Longer than 400 lines
because parsing, checking and writing one row format belong together; the rules it applies
(enrolment, consent, tiers, the ledger) stay in their own services and models.

What a row sets, and when:
- on creation: the member (a card number of ours, or the given one when it passes our check
  digit), contact data, enrolment store and time, consents with their original times (and a
  `ConsentChange` with source "import" each), the tier with its valid-until, the legacy card
  number as an alias (`--keep-card-numbers`), and the balance as one OPENING ledger entry
  expiring at `points_expire_at`;
- on a later run: contact data only (e-mail, phone, names, birth date, language). A balance is
  taken once, when the member is created, so re-running a file never pays it twice.

Imported members get no welcome message: `member_enrolled` is not sent for them.
"""

import csv
import datetime
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from accounts.cards import (
    generate_card_number,
    is_valid_card_number,
    looks_like_payment_card,
    normalise_card_number,
)
from accounts.codes import REFERRAL_CODE_LENGTH, normalise_code, readable_code
from accounts.models import CONSENT_FIELDS, CardAlias, ConsentChange, Erasure, Member, Store
from accounts.normalise import normalise_email, normalise_phone
from accounts.services import member_erased_contact_check
from core.bulk import insert_new
from core.errors import InvalidInput

from ..dates import add_months
from ..models import Channel, EntryKind, LoyaltyProgram, PointAccount, PointsEntry, Purchase, Tier
from ..signals import purchases_imported

BATCH_SIZE = 5000

CONTACT_FIELDS = ("email", "phone", "first_name", "last_name", "birth_date", "language")
CONSENT_COLUMNS = {
    "consent_email_at": "email",
    "consent_sms_at": "sms",
    "consent_whatsapp_at": "whatsapp",
}


class RowRejected(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field_name
        self.reason = reason


@dataclass(frozen=True)
class RowError:
    line: int
    external_id: str
    field: str
    reason: str


@dataclass
class ImportReport:
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    opening_points: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)  # the current batch's only

    def add(self, other: "ImportReport") -> None:
        for name in ("read", "created", "updated", "unchanged", "opening_points", "rejected"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


# Reading ---------------------------------------------------------------------------------------


def read_rows(path: Path) -> Iterator[tuple[int, dict | None]]:
    """(line number, row) for CSV (UTF-8 with or without BOM, `,` or `;`) or JSON Lines. A row
    that cannot be read at all comes as None."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        handle.seek(0)
        if first.lstrip().startswith("{"):
            yield from _read_json_lines(handle)
            return
        delimiter = ";" if first.count(";") > first.count(",") else ","
        reader = csv.DictReader(handle, delimiter=delimiter)
        reader.fieldnames = [name.strip().lower() for name in reader.fieldnames or []]
        for row in reader:
            yield reader.line_num, row


def check_file(path: Path, *, field_name: str = "file") -> int:
    """Checks that `path` can be imported at all, reading it once (memory flat); returns its
    number of rows. Raises InvalidInput naming `field_name` for a file that is not UTF-8 text,
    is empty, or has no `external_id` (a CSV header without it, a first line that is no JSON
    object). Bad values in single rows are not checked here: they are rejected row by row."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
            lines = 1 + sum(1 for line in handle if line.strip())
    except UnicodeDecodeError as error:
        raise InvalidInput(
            _("This file is not UTF-8 text. Save it as CSV (UTF-8) or JSON Lines."),
            code="invalid_file",
            field=field_name,
        ) from error
    if not first.strip():
        raise InvalidInput(
            _("This file is empty, or its first line is."), code="invalid_file", field=field_name
        )
    if first.lstrip().startswith("{"):
        try:
            is_object = isinstance(json.loads(first), dict)
        except ValueError:
            is_object = False
        if not is_object:
            raise InvalidInput(
                _("The first line is not a JSON object: this is no JSON Lines file."),
                code="invalid_file",
                field=field_name,
            )
        return lines
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [name.strip().lower() for name in next(csv.reader([first], delimiter=delimiter))]
    if "external_id" not in header:
        raise InvalidInput(
            _("The first line must name the columns, external_id among them."),
            code="invalid_file",
            field=field_name,
        )
    return lines - 1  # the header is no row


def _read_json_lines(handle) -> Iterator[tuple[int, dict | None]]:
    for number, text in enumerate(handle, 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except ValueError:
            row = None
        yield number, row if isinstance(row, dict) else None


def batches(rows: Iterable, size: int = BATCH_SIZE) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


LEGACY_CARD = re.compile(r"[0-9A-Za-z]+")

# Parsing one row -------------------------------------------------------------------------------


def _text(row: dict, name: str) -> str:
    value = row.get(name)
    return "" if value is None else str(value).strip()


def _moment(row: dict, name: str) -> datetime.datetime | None:
    text = _text(row, name)
    if not text:
        return None
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            moment = datetime.datetime.combine(day, datetime.time()) if day else None
    except ValueError:
        moment = None
    if moment is None:
        raise RowRejected(name, _("not a date and time (use ISO 8601, e.g. 2024-05-01T10:00)"))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _past(row: dict, name: str, now: datetime.datetime) -> datetime.datetime | None:
    moment = _moment(row, name)
    if moment is not None and moment > now:
        raise RowRejected(name, _("lies in the future"))
    return moment


@dataclass
class MemberRow:
    line: int
    external_id: str
    contact: dict
    card_number: str = ""
    legacy_card: str = ""
    store_id: int | None = None
    enrolled_at: datetime.datetime | None = None
    consents: dict = field(default_factory=dict)
    points: int = 0
    points_expire_at: datetime.datetime | None = None
    tier_id: int | None = None
    tier_valid_until: datetime.datetime | None = None
    referral_code: str = ""


class Lookups:
    """Stores and tiers by their codes and names, read once per run."""

    def __init__(self) -> None:
        self.stores = dict(Store.objects.values_list("code", "pk"))
        self.tiers: dict[str, int] = {}
        for pk, rank, name_nl, name_en in Tier.objects.values_list(
            "pk", "rank", "name_nl", "name_en"
        ):
            for key in (str(rank), name_nl, name_en):
                if key:
                    self.tiers[key.strip().lower()] = pk
        self.languages = {code for code, _name in settings.LANGUAGES}


def parse_member_row(
    line: int, row: dict, *, lookups: Lookups, keep_card_numbers: bool, now: datetime.datetime
) -> MemberRow:
    external_id = _text(row, "external_id")
    if not external_id:
        raise RowRejected("external_id", _("required"))
    if len(external_id) > 64:
        raise RowRejected("external_id", _("longer than 64 characters"))
    parsed = MemberRow(line=line, external_id=external_id, contact={})
    for name in ("email", "phone"):
        try:
            normalise = normalise_email if name == "email" else normalise_phone
            parsed.contact[name] = normalise(_text(row, name))
        except InvalidInput as error:
            raise RowRejected(name, str(error.message)) from error
    for name in ("first_name", "last_name"):
        parsed.contact[name] = _text(row, name)
        if len(parsed.contact[name]) > 100:
            raise RowRejected(name, _("longer than 100 characters"))
    birth = _text(row, "birth_date")
    try:
        parsed.contact["birth_date"] = parse_date(birth) if birth else None
    except ValueError:
        parsed.contact["birth_date"] = None
    if birth and parsed.contact["birth_date"] is None:
        raise RowRejected("birth_date", _("not a date (use YYYY-MM-DD)"))
    if parsed.contact["birth_date"] and parsed.contact["birth_date"] > now.date():
        raise RowRejected("birth_date", _("lies in the future"))
    language = _text(row, "language").lower() or "nl"
    if language not in lookups.languages:
        raise RowRejected("language", _("unknown language %(value)s") % {"value": language})
    parsed.contact["language"] = language
    _parse_card(parsed, _text(row, "card_number"), keep_card_numbers)
    store_code = _text(row, "store_code")
    if store_code:
        if store_code not in lookups.stores:
            raise RowRejected("store_code", _("unknown store %(value)s") % {"value": store_code})
        parsed.store_id = lookups.stores[store_code]
    parsed.enrolled_at = _past(row, "enrolled_at", now)
    for column, channel in CONSENT_COLUMNS.items():
        moment = _past(row, column, now)
        if moment is not None:
            parsed.consents[channel] = moment
    _parse_balance(parsed, row, now)
    tier = _text(row, "tier")
    if tier:
        if tier.lower() not in lookups.tiers:
            raise RowRejected("tier", _("unknown tier %(value)s") % {"value": tier})
        parsed.tier_id = lookups.tiers[tier.lower()]
        parsed.tier_valid_until = _moment(row, "tier_valid_until")
    referral = normalise_code(_text(row, "referral_code"))
    if len(referral) > 12:
        raise RowRejected("referral_code", _("longer than 12 characters"))
    parsed.referral_code = referral
    return parsed


def _parse_card(parsed: MemberRow, raw: str, keep_card_numbers: bool) -> None:
    number = normalise_card_number(raw)
    if not number:
        return
    if looks_like_payment_card(number):
        raise RowRejected("card_number", _("looks like a payment card number; never stored"))
    if is_valid_card_number(number):
        parsed.card_number = number
    elif not keep_card_numbers:
        raise RowRejected(
            "card_number", _("fails our check digit (keep it with --keep-card-numbers)")
        )
    elif len(number) > 32:
        raise RowRejected("card_number", _("longer than 32 characters"))
    elif not LEGACY_CARD.fullmatch(number):
        # what the API documents as a card number (core.api_schema.CARD_NUMBER_PATTERN)
        raise RowRejected("card_number", _("only letters and digits (and spaces, dashes, dots)"))
    else:
        parsed.legacy_card = number


def _parse_balance(parsed: MemberRow, row: dict, now: datetime.datetime) -> None:
    text = _text(row, "points_balance")
    if not text:
        return
    try:
        points = int(text)
    except ValueError:
        raise RowRejected("points_balance", _("not a whole number")) from None
    if points < 0:
        raise RowRejected("points_balance", _("negative"))
    parsed.points = points
    expires = _moment(row, "points_expire_at")
    if points and expires is not None and expires <= now:
        raise RowRejected("points_expire_at", _("already past: these points have expired"))
    months = LoyaltyProgram.current().points_expire_after_months
    if points and expires is None and months:
        expires = add_months(now, months)  # what points earned today would get
    parsed.points_expire_at = expires


# One batch ------------------------------------------------------------------------------------


def _reject_duplicates(rows: list[MemberRow], errors: list[RowError]) -> list[MemberRow]:
    """Within a batch, the first row holding an id, address, phone or card wins."""
    seen: dict[str, set] = {}
    kept = []
    for row in rows:
        values = {
            "external_id": row.external_id,
            "email": row.contact["email"],
            "phone": row.contact["phone"],
            "card_number": row.card_number or row.legacy_card,
            "referral_code": row.referral_code,
        }
        clash = next(
            (name for name, value in values.items() if value and value in seen.get(name, ())),
            None,
        )
        if clash:
            errors.append(RowError(row.line, row.external_id, clash, _("repeats an earlier row")))
            continue
        for name, value in values.items():
            if value:
                seen.setdefault(name, set()).add(value)
        kept.append(row)
    return kept


def _taken(model, column: str, values: set, *, owner: str = "pk") -> dict:
    if not values:
        return {}
    return dict(model.objects.filter(**{f"{column}__in": values}).values_list(column, owner))


def _reject_erased(
    rows: list[MemberRow], existing: dict[str, dict], errors: list[RowError]
) -> list[MemberRow]:
    """Personal data for a member who was erased: a re-run of the old programme's file must not
    bring it back (docs/privacy.md), as staff may not type it in again."""
    kept = []
    for row in rows:
        member = existing.get(row.external_id)
        try:
            if member is not None and member["erased"]:
                member_erased_contact_check(
                    member=Member(pk=member["pk"]), values=row.contact, is_erased=True
                )
        except InvalidInput as error:
            errors.append(
                RowError(row.line, row.external_id, error.field or "", str(error.message))
            )
        else:
            kept.append(row)
    return kept


def _reject_clashes(
    rows: list[MemberRow], existing: dict[str, dict], errors: list[RowError]
) -> list[MemberRow]:
    """Values another member already holds (in the database)."""
    emails = _taken(Member, "email", {r.contact["email"] for r in rows if r.contact["email"]})
    phones = _taken(Member, "phone", {r.contact["phone"] for r in rows if r.contact["phone"]})
    new = [row for row in rows if row.external_id not in existing]
    cards = _taken(Member, "card_number", {r.card_number for r in new if r.card_number})
    aliases = _taken(
        CardAlias, "number", {r.card_number or r.legacy_card for r in new}, owner="member_id"
    )
    referrals = _taken(Member, "referral_code", {r.referral_code for r in new if r.referral_code})
    kept = []
    for row in rows:
        own = existing.get(row.external_id, {}).get("pk")
        clash = None
        if emails.get(row.contact["email"], own) != own:
            clash = ("email", _("already used by another member"))
        elif phones.get(row.contact["phone"], own) != own:
            clash = ("phone", _("already used by another member"))
        elif own is None and (
            row.card_number in cards or (row.card_number or row.legacy_card) in aliases
        ):
            clash = ("card_number", _("already used by another member"))
        elif own is None and row.referral_code in referrals:
            clash = ("referral_code", _("already used by another member"))
        if clash:
            errors.append(RowError(row.line, row.external_id, *clash))
        else:
            kept.append(row)
    return kept


def _fresh(model, column: str, count: int, make: Callable[[], str]) -> list[str]:
    """`count` new unique values no row holds yet (collisions are drawn again)."""
    values: set[str] = set()
    while len(values) < count:
        draw = {make() for _index in range(count - len(values))}
        values |= draw - set(_taken(model, column, draw))
    return list(values)


def members_import_batch(
    raw_rows: list[tuple[int, dict | None]],
    *,
    lookups: Lookups,
    keep_card_numbers: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Validates and writes one batch of member rows in one transaction; see the module doc."""
    now = timezone.now()
    report = ImportReport(read=len(raw_rows))
    errors = report.errors
    parsed = []
    for line, row in raw_rows:
        if row is None:
            errors.append(RowError(line, "", "", _("not a JSON object")))
            continue
        try:
            parsed.append(
                parse_member_row(
                    line, row, lookups=lookups, keep_card_numbers=keep_card_numbers, now=now
                )
            )
        except RowRejected as error:
            errors.append(RowError(line, _text(row, "external_id"), error.field, error.reason))
    parsed = _reject_duplicates(parsed, errors)
    existing = {
        values["external_id"]: values
        for values in Member.objects.filter(external_id__in=[row.external_id for row in parsed])
        .annotate(erased=Exists(Erasure.objects.filter(member_id=OuterRef("pk"))))
        .values("pk", "external_id", "erased", *CONTACT_FIELDS)
    }
    parsed = _reject_erased(parsed, existing, errors)
    parsed = _reject_clashes(parsed, existing, errors)
    errors.sort(key=lambda error: error.line)
    report.rejected = len(errors)
    new = [row for row in parsed if row.external_id not in existing]
    changed = [
        row
        for row in parsed
        if row.external_id in existing
        and any(existing[row.external_id][name] != row.contact[name] for name in CONTACT_FIELDS)
    ]
    report.created = len(new)
    report.updated = len(changed)
    report.unchanged = len(parsed) - len(new) - len(changed)
    report.opening_points = sum(row.points for row in new)
    if dry_run:
        return report
    with transaction.atomic(durable=True):
        _create_members(new, now)
        _update_contacts(changed, existing, now)
    return report


def _create_members(rows: list[MemberRow], now: datetime.datetime) -> None:
    if not rows:
        return
    cards = iter(
        _fresh(
            Member,
            "card_number",
            sum(1 for row in rows if not row.card_number),
            generate_card_number,
        )
    )
    codes = iter(
        _fresh(
            Member,
            "referral_code",
            sum(1 for row in rows if not row.referral_code),
            lambda: readable_code(REFERRAL_CODE_LENGTH),
        )
    )
    insert_new(
        Member,
        [
            {
                "external_id": row.external_id,
                "card_number": row.card_number or next(cards),
                "referral_code": row.referral_code or next(codes),
                "enrolled_store_id": row.store_id,
                "enrolled_at": row.enrolled_at or now,
                "updated_at": now,
                **row.contact,
                **{
                    CONSENT_FIELDS[channel]: row.consents.get(channel) for channel in CONSENT_FIELDS
                },
            }
            for row in rows
        ],
    )
    ids = dict(
        Member.objects.filter(external_id__in=[row.external_id for row in rows]).values_list(
            "external_id", "pk"
        )
    )
    insert_new(
        PointAccount,
        [
            {
                "member_id": ids[row.external_id],
                "balance": row.points,
                "tier_id": row.tier_id,
                "tier_valid_until": row.tier_valid_until if row.tier_id else None,
                "updated_at": now,
            }
            for row in rows
        ],
    )
    accounts = dict(
        PointAccount.objects.filter(member_id__in=ids.values()).values_list("member_id", "pk")
    )
    insert_new(
        PointsEntry,
        [
            {
                "account_id": accounts[ids[row.external_id]],
                "kind": EntryKind.OPENING,
                "points": row.points,
                "balance_after": row.points,
                "is_qualifying": False,
                "effective_at": now,
                "expires_at": row.points_expire_at,
                "note": "import",
                "created_at": now,
            }
            for row in rows
            if row.points
        ],
    )
    insert_new(
        ConsentChange,
        [
            {
                "member_id": ids[row.external_id],
                "channel": channel,
                "is_granted": True,
                "source": ConsentChange.Source.IMPORT,
                "changed_at": moment,
            }
            for row in rows
            for channel, moment in row.consents.items()
        ],
    )
    insert_new(
        CardAlias,
        [
            {
                "number": row.legacy_card,
                "member_id": ids[row.external_id],
                "reason": CardAlias.Reason.LEGACY,
                "created_at": now,
            }
            for row in rows
            if row.legacy_card
        ],
    )


def _update_contacts(
    rows: list[MemberRow], existing: dict[str, dict], now: datetime.datetime
) -> None:
    members = []
    for row in rows:
        member = Member(pk=existing[row.external_id]["pk"], updated_at=now, **row.contact)
        members.append(member)
    Member.objects.bulk_update(members, [*CONTACT_FIELDS, "updated_at"], batch_size=1000)


# Historic purchases ---------------------------------------------------------------------------


def purchases_import_batch(
    raw_rows: list[tuple[int, dict | None]], *, lookups: Lookups, dry_run: bool = False
) -> ImportReport:
    """Past purchases for the KPIs: recorded as they were, earning nothing (no ledger entry, no
    `purchase_recorded`). Keyed by store and transaction id, so a re-run adds nothing."""
    now = timezone.now()
    report = ImportReport(read=len(raw_rows))
    members = _taken(
        Member,
        "external_id",
        {_text(row, "external_id") for _line, row in raw_rows if row},
    )
    parsed = []
    for line, row in raw_rows:
        try:
            parsed.append(_parse_purchase(line, row, lookups, members, now))
        except RowRejected as error:
            external_id = _text(row, "external_id") if row else ""
            report.errors.append(RowError(line, external_id, error.field, error.reason))
    report.rejected = len(report.errors)
    keys = {(purchase.store_id, purchase.transaction_id) for purchase in parsed}
    known = set(
        Purchase.objects.filter(transaction_id__in={key[1] for key in keys}).values_list(
            "store_id", "transaction_id"
        )
    )
    fresh, seen = [], set()
    for purchase in parsed:
        key = (purchase.store_id, purchase.transaction_id)
        if key not in known and key not in seen:
            seen.add(key)
            fresh.append(purchase)
    report.created = len(fresh)
    report.unchanged = len(parsed) - len(fresh)
    if not dry_run and fresh:
        with transaction.atomic(durable=True):
            Purchase.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
            purchases_imported.send(
                sender=Purchase, member_ids={purchase.member_id for purchase in fresh}
            )
    return report


def _parse_purchase(line, row, lookups: Lookups, members: dict, now) -> Purchase:
    if row is None:
        raise RowRejected("", _("not a JSON object"))
    external_id = _text(row, "external_id")
    if external_id not in members:
        raise RowRejected("external_id", _("no imported member has this external id"))
    store_code = _text(row, "store_code")
    if store_code not in lookups.stores:
        raise RowRejected("store_code", _("unknown store %(value)s") % {"value": store_code})
    transaction_id = _text(row, "transaction_id")
    if not transaction_id or len(transaction_id) > 64:
        raise RowRejected("transaction_id", _("required, at most 64 characters"))
    occurred_at = _past(row, "occurred_at", now)
    if occurred_at is None:
        raise RowRejected("occurred_at", _("required"))
    try:
        amount = Decimal(_text(row, "amount").replace(",", "."))
    except InvalidOperation:
        raise RowRejected("amount", _("not an amount (e.g. 24.95)")) from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")):
        raise RowRejected("amount", _("must be zero or more, with at most 2 decimals"))
    if amount >= Decimal("1e10"):
        raise RowRejected("amount", _("too large"))
    return Purchase(
        store_id=lookups.stores[store_code],
        transaction_id=transaction_id,
        member_id=members[external_id],
        amount=amount,
        currency=settings.LOYALTY_CURRENCY,
        channel=Channel.OFFLINE,
        occurred_at=occurred_at,
        points_earned=0,
        explanation=[],
        request_hash="import",
        response_body={},
        created_at=now,
    )


# A whole file ---------------------------------------------------------------------------------


def import_file(
    path: Path,
    *,
    kind: str = "members",
    keep_card_numbers: bool = False,
    dry_run: bool = False,
    on_batch: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Imports `path` batch by batch; rejected rows go to `<path>.errors.csv` (line, field,
    reason), written as they are found. Returns the totals."""
    lookups = Lookups()
    total = ImportReport()
    errors_path = errors_path_for(path)
    errors_path.unlink(missing_ok=True)
    handle = None
    try:
        for batch in batches(read_rows(path)):
            if kind == "members":
                report = members_import_batch(
                    batch, lookups=lookups, keep_card_numbers=keep_card_numbers, dry_run=dry_run
                )
            else:
                report = purchases_import_batch(batch, lookups=lookups, dry_run=dry_run)
            if report.errors and handle is None:
                handle = errors_path.open("w", encoding="utf-8", newline="")
                csv.writer(handle).writerow(["line", "external_id", "field", "reason"])
            if handle is not None:
                csv.writer(handle).writerows(
                    [error.line, error.external_id, error.field, error.reason]
                    for error in report.errors
                )
            total.add(report)
            if on_batch:
                on_batch(total)
    finally:
        if handle:
            handle.close()
    return total


def errors_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".errors.csv")


def read_errors(path: Path) -> Iterator[list[str]]:
    """The rejected rows that `import_file` wrote for `path` (line, external_id, field, reason),
    without the header; nothing when none was rejected."""
    errors_path = errors_path_for(path)
    if not errors_path.exists():
        return
    with errors_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader, None)
        yield from reader

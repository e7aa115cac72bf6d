"""The member import uploaded by a manager in admin: stored, queued, run, and its progress.

The import itself is `points.services.imports.import_file`, the one definition that
`manage.py import_members` also runs. An upload is stored in `LOYALTY_IMPORT_DIR` (never served
to the web) and runs as an outbox job (`points.member_import_run`), not inside the request: a
large file takes minutes. The run writes its counts to the `MemberImport` row after every batch,
which the admin page shows and refreshes.
"""

import datetime
import logging
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import outbox

from ..models import MemberImport
from .imports import ImportReport, check_file, errors_path_for, import_file, read_errors

logger = logging.getLogger(__name__)

JOB_MEMBER_IMPORT = "points.member_import_run"
KINDS = ("members", "purchases")
COUNTS = ("read", "created", "updated", "unchanged", "rejected", "opening_points")


def import_directory(record: MemberImport) -> Path:
    return Path(settings.LOYALTY_IMPORT_DIR) / record.directory


def stored_file(record: MemberImport, kind: str) -> Path:
    return import_directory(record) / f"{kind}.data"


def _store(upload: UploadedFile, target: Path, *, field_name: str) -> int:
    """Copies an upload to `target` in chunks; returns its rows. Bad files raise InvalidInput."""
    with target.open("wb") as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
    return check_file(target, field_name=field_name)


def member_import_start(
    *,
    members_file: UploadedFile,
    purchases_file: UploadedFile | None = None,
    is_dry_run: bool,
    keep_card_numbers: bool,
    actor: User,
) -> MemberImport:
    """Stores the uploaded files, checks they can be read, records the import and queues its
    run (outbox, on commit). A file that cannot be read at all raises InvalidInput naming its
    field (`members_file`, `purchases_file`) and leaves nothing behind."""
    directory = uuid.uuid4().hex
    folder = Path(settings.LOYALTY_IMPORT_DIR) / directory
    folder.mkdir(parents=True, exist_ok=False)
    try:
        rows = _store(members_file, folder / "members.data", field_name="members_file")
        if purchases_file is not None:
            rows += _store(purchases_file, folder / "purchases.data", field_name="purchases_file")
        with transaction.atomic(durable=True):
            record = MemberImport.objects.create(
                created_by=actor,
                directory=directory,
                members_file_name=Path(members_file.name or "members").name[:255],
                purchases_file_name=Path(purchases_file.name or "purchases").name[:255]
                if purchases_file is not None
                else "",
                is_dry_run=is_dry_run,
                keep_card_numbers=keep_card_numbers,
                rows_expected=rows,
            )
            outbox.enqueue(
                JOB_MEMBER_IMPORT, {"import": record.pk}, key=f"member-import:{directory}"
            )
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return record


def _counts(report: ImportReport) -> dict[str, int]:
    return {name: getattr(report, name) for name in COUNTS}


def member_import_run(*, import_id: int) -> str:
    """Runs an uploaded import: `import_file` on the members file, then the purchases file,
    writing the counts to the row after every batch. Safe to repeat: it claims the row first
    (one conditional UPDATE), so a second delivery of the job does nothing while a run is alive;
    a run whose progress stopped for longer than the outbox lease (a worker that died) is taken
    over and starts again from the top, which the import allows (keyed by `external_id`). The
    uploaded files are deleted when the run ends; the rejected rows' files stay."""
    now = timezone.now()
    claimed = (
        MemberImport.objects.filter(pk=import_id)
        .filter(
            Q(state=MemberImport.State.QUEUED)
            | Q(state=MemberImport.State.RUNNING, progress_at__lt=now - outbox.lease())
        )
        .update(
            state=MemberImport.State.RUNNING,
            started_at=now,
            progress_at=now,
            rows_read=0,
            totals={},
            error="",
        )
    )
    if not claimed:
        return "not claimed"
    record = MemberImport.objects.get(pk=import_id)
    rows = MemberImport.objects.filter(pk=import_id)
    totals: dict[str, dict[str, int]] = {}
    read_before = 0
    try:
        for kind in KINDS:
            path = stored_file(record, kind)
            if not path.exists():
                continue

            def progress(report: ImportReport, kind: str = kind, base: int = read_before) -> None:
                rows.update(
                    stage=kind,
                    rows_read=base + report.read,
                    totals={**totals, kind: _counts(report)},
                    progress_at=timezone.now(),
                )

            rows.update(stage=kind, progress_at=timezone.now())
            total = import_file(
                path,
                kind=kind,
                keep_card_numbers=record.keep_card_numbers,
                dry_run=record.is_dry_run,
                on_batch=progress,
            )
            totals[kind] = _counts(total)
            read_before += total.read
    except Exception as error:
        logger.exception("member import %s failed", import_id)
        rows.update(
            state=MemberImport.State.FAILED,
            # The first line only: a database error's DETAIL line can quote a row's values.
            error=(str(error).splitlines() or [type(error).__name__])[0][:500],
            finished_at=timezone.now(),
            totals=totals,
        )
        _forget_uploads(record)
        return "failed"
    rows.update(
        state=MemberImport.State.DONE,
        rows_read=read_before,
        totals=totals,
        finished_at=timezone.now(),
        progress_at=timezone.now(),
    )
    _forget_uploads(record)
    return "done"


def _forget_uploads(record: MemberImport) -> None:
    """The uploads hold personal data: gone once the run has read them."""
    for kind in KINDS:
        stored_file(record, kind).unlink(missing_ok=True)


def member_import_files_purge(*, before: datetime.datetime) -> int:
    """Deletes the folders (rejected rows, uploads a run left behind) of finished imports uploaded
    before `before` and marks each record `files_removed_at`, so its page says so instead of
    offering a download. Runs that have not ended keep their files (they still read them). The
    folder goes first and the mark after: a crash in between leaves a download that answers 404
    and is marked on the next run, never a mark over files that are still there. Returns how
    many imports lost their files."""
    old = MemberImport.objects.filter(
        created_at__lt=before,
        files_removed_at__isnull=True,
        state__in=[MemberImport.State.DONE, MemberImport.State.FAILED],
    )
    done = 0
    for record in old.order_by("pk").iterator():
        shutil.rmtree(import_directory(record), ignore_errors=True)
        if import_directory(record).exists():
            logger.error("member import %s: could not delete %s", record.pk, record.directory)
            continue
        with transaction.atomic(durable=True):
            done += MemberImport.objects.filter(pk=record.pk, files_removed_at__isnull=True).update(
                files_removed_at=timezone.now()
            )
    return done


def member_import_errors(record: MemberImport, kind: str) -> Iterator[list[str]] | None:
    """The rejected rows of one file (line, external_id, field, reason), or None if none (or the
    retention purge removed them)."""
    if kind not in KINDS or record.files_removed_at:
        return None
    if not errors_path_for(stored_file(record, kind)).exists():
        return None
    return read_errors(stored_file(record, kind))


def error_columns() -> list[str]:
    return [_("line"), "external_id", _("field"), _("reason")]

"""Personal data in the kernel's tables: stored answers and queued work that may embed it."""

from django.db.models import Q

from core.personal_data import Subject, mentioning, register, scrub_rows

from .models import IdempotencyRecord, OutboxJob


def _erase_idempotency_answers(subject: Subject) -> None:
    about = Q(client=f"member:{subject.member_id}") | mentioning(subject, ["response_body"])
    scrub_rows(IdempotencyRecord.objects.filter(about), ["response_body"], subject)


def _erase_outbox_payloads(subject: Subject) -> None:
    fields = ["payload", "last_error"]
    scrub_rows(OutboxJob.objects.filter(mentioning(subject, fields)), fields, subject)


register("core.IdempotencyRecord", ["response_body"], _erase_idempotency_answers)
register("core.OutboxJob", ["payload", "last_error"], _erase_outbox_payloads)

"""Personal data in the kernel's tables: stored answers and queued work that may embed it."""

import json

from core.personal_data import (
    Subject,
    mentioning,
    not_personal,
    register,
    scrub_json,
    scrub_rows,
)

from .models import IdempotencyRecord, OutboxJob, WebhookDelivery


def _erase_idempotency_answers(subject: Subject) -> None:
    """Stored answers are the bytes first sent (JSON): those of the member's own portal
    client, and any other (a till's enrolment answer) that mentions the person."""
    needles = [identifier.encode() for identifier in subject.identifiers()]
    records = IdempotencyRecord.objects.values_list("pk", "client", "response_content")
    for pk, client, content in records.order_by("pk").iterator(chunk_size=2000):
        content = bytes(content)
        if client != f"member:{subject.member_id}" and not any(n in content for n in needles):
            continue
        try:
            answer = json.loads(content)
        except ValueError:
            continue  # not JSON: nothing of ours to scrub
        scrubbed = scrub_json(answer, subject)
        if scrubbed != answer:
            encoded = json.dumps(scrubbed, separators=(",", ":")).encode()
            IdempotencyRecord.objects.filter(pk=pk).update(response_content=encoded)


def _erase_outbox_payloads(subject: Subject) -> None:
    fields = ["payload", "last_error"]
    scrub_rows(OutboxJob.objects.filter(mentioning(subject, fields)), fields, subject)


register("core.IdempotencyRecord", ["response_content"], _erase_idempotency_answers)
not_personal("core.IdempotencyRecord", response_headers="the answer's HTTP headers")
not_personal("core.JobLease", name="a periodic job's name, e.g. tiers_evaluate")
register("core.OutboxJob", ["payload", "last_error"], _erase_outbox_payloads)


def _erase_webhook_payloads(subject: Subject) -> None:
    """Events name members by id and card number only, but an API answer they carry (or a
    receiver's error text) could still hold a person's details."""
    fields = ["payload", "last_error"]
    scrub_rows(WebhookDelivery.objects.filter(mentioning(subject, fields)), fields, subject)


register("core.WebhookDelivery", ["payload", "last_error"], _erase_webhook_payloads)

"""Business-rule errors. Services raise them; one DRF exception handler turns them into
`{"code", "message", "field"}` JSON with the status each class states."""

from typing import Any

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    status_code = 422
    code = "invalid_request"
    default_message = _("The request cannot be carried out.")

    def __init__(
        self,
        message: Any = None,
        *,
        code: str | None = None,
        field: str | None = None,
        extra: dict | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code:
            self.code = code
        self.field = field
        self.extra = extra or {}
        super().__init__(str(self.message))


class InvalidInput(ApplicationError):
    status_code = 400
    code = "invalid"


class NotFound(ApplicationError):
    status_code = 404
    code = "not_found"
    default_message = _("Not found.")


class Conflict(ApplicationError):
    status_code = 409
    code = "conflict"


class Forbidden(ApplicationError):
    status_code = 403
    code = "permission_denied"


class TooManyAttempts(ApplicationError):
    status_code = 429
    code = "too_many_attempts"
    default_message = _("Too many attempts. Try again later.")
    retry_after_seconds: int | None = None  # sent as Retry-After


class MemberNotFound(NotFound):
    code = "member_not_found"
    default_message = _("No member with this card number.")


class MemberBlocked(ApplicationError):
    code = "member_blocked"
    default_message = _("This member is blocked.")


class IdempotencyConflict(Conflict):
    code = "idempotency_key_reused"
    default_message = _("This Idempotency-Key was used before with a different request.")

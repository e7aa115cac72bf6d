import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from core.errors import InvalidInput


def normalise_email(value: str | None) -> str | None:
    """Addresses are compared case-insensitively in practice, so we store them lower-cased."""
    if value is None:
        return None
    value = value.strip().lower()
    if not value:
        return None
    try:
        validate_email(value)
    except ValidationError as error:
        raise InvalidInput(
            _("Enter a valid e-mail address."), code="invalid_email", field="email"
        ) from error
    return value


def normalise_phone(value: str | None) -> str | None:
    """Phone numbers are stored in E.164 (+31612345678); local numbers use the shop's region."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, settings.LOYALTY_PHONE_REGION)
    except phonenumbers.NumberParseException as error:
        raise InvalidInput(
            _("Enter a valid phone number."), code="invalid_phone", field="phone"
        ) from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(_("Enter a valid phone number."), code="invalid_phone", field="phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

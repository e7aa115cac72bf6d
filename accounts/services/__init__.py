"""State changes of members, stores and POS keys, by job (sign-in links: accounts/portal.py)."""

from .erasure import member_erase, subject_of
from .members import (
    member_consent_set,
    member_consents_set,
    member_enrol,
    member_erased_contact_check,
    member_referral_code_ensure,
    member_update_contact,
)
from .staff import member_set_status, staff_action_record
from .stores import (
    API_KEY_PREFIX,
    NewApiKey,
    api_key_create,
    api_key_revoke,
    api_key_set_scopes,
    store_create,
)

__all__ = [
    "API_KEY_PREFIX",
    "NewApiKey",
    "api_key_create",
    "api_key_revoke",
    "api_key_set_scopes",
    "member_consent_set",
    "member_consents_set",
    "member_enrol",
    "member_referral_code_ensure",
    "member_erase",
    "member_erased_contact_check",
    "member_set_status",
    "member_update_contact",
    "staff_action_record",
    "store_create",
    "subject_of",
]

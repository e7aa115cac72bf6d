"""State changes of the points app. Import from here; the modules are an implementation detail."""

from .activities import (
    ActivityCapReached,
    ActivityOutcome,
    ActivityReceipt,
    activity_award,
    activity_record,
    activity_type_get,
)
from .expiry import ExpiryRun, points_expire_due
from .ledger import (
    InsufficientPoints,
    PointsPending,
    account_lock,
    ledger_append,
    points_adjust,
    points_spend,
)
from .pending import ReleaseRun, points_release_due
from .purchases import (
    PurchaseOutcome,
    PurchaseQuote,
    PurchaseReceipt,
    PurchaseRequest,
    fingerprint,
    purchase_quote,
    purchase_record,
    validate_basket,
)
from .refunds import (
    RefundExceedsPurchase,
    RefundOutcome,
    RefundReceipt,
    RefundRequest,
    refund_record,
)
from .score import score_record, score_record_portal_visit, score_record_purchase

__all__ = [
    "ActivityCapReached",
    "ActivityOutcome",
    "ActivityReceipt",
    "ExpiryRun",
    "InsufficientPoints",
    "PointsPending",
    "PurchaseOutcome",
    "PurchaseQuote",
    "PurchaseReceipt",
    "PurchaseRequest",
    "RefundExceedsPurchase",
    "RefundOutcome",
    "RefundReceipt",
    "RefundRequest",
    "ReleaseRun",
    "account_lock",
    "activity_award",
    "activity_record",
    "activity_type_get",
    "fingerprint",
    "ledger_append",
    "points_adjust",
    "points_expire_due",
    "points_release_due",
    "points_spend",
    "purchase_quote",
    "purchase_record",
    "refund_record",
    "score_record",
    "score_record_portal_visit",
    "score_record_purchase",
    "validate_basket",
]

"""State changes of the rewards app."""

from .checkout import (
    CheckoutResult,
    CodeAlreadyUsed,
    CodesRejected,
    CodeVerdict,
    RewardsCheckoutHook,
    checkout_evaluate,
)
from .credit import InsufficientStoreCredit, credit_account_lock, credit_append, store_credit_adjust
from .issuing import (
    OutOfStock,
    RewardUnavailable,
    code_revoke,
    code_revoke_unused,
    codes_expire_due,
    codes_issue_bulk,
    reward_grant,
    reward_issue,
    tier_gifts_issue,
)
from .redemption import (
    MemberLimitReached,
    NotForSale,
    Redemption,
    TierRequired,
    reward_redeem,
    tier_allows,
)

__all__ = [
    "code_revoke_unused",
    "CheckoutResult",
    "CodeAlreadyUsed",
    "CodeVerdict",
    "CodesRejected",
    "InsufficientStoreCredit",
    "MemberLimitReached",
    "NotForSale",
    "OutOfStock",
    "Redemption",
    "RewardUnavailable",
    "RewardsCheckoutHook",
    "TierRequired",
    "checkout_evaluate",
    "code_revoke",
    "codes_expire_due",
    "codes_issue_bulk",
    "credit_account_lock",
    "credit_append",
    "reward_grant",
    "reward_issue",
    "reward_redeem",
    "store_credit_adjust",
    "tier_allows",
    "tier_gifts_issue",
]

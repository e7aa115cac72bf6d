"""The member portal: thin views over the services; every page shows the signed-in member only.

One module per part of the portal; the URLs import the views from here.
"""

from .branding import logo_view
from .pages import (
    card_scan_view,
    card_view,
    code_detail_view,
    codes_view,
    credit_history_view,
    dashboard_view,
    favicon_view,
    history_view,
    reward_confirm_view,
    reward_redeem_view,
    rewards_view,
)
from .profile import (
    close_view,
    consents_view,
    export_view,
    password_view,
    profile_view,
    satisfaction_view,
    survey_view,
)
from .programme import earn_view, referral_view, tiers_view
from .sign_in import (
    login_link_view,
    login_sent_view,
    login_view,
    logout_view,
    signup_view,
    welcome_view,
)
from .unsubscribe import unsubscribe_view

__all__ = [
    "card_scan_view",
    "card_view",
    "close_view",
    "code_detail_view",
    "codes_view",
    "consents_view",
    "credit_history_view",
    "dashboard_view",
    "earn_view",
    "export_view",
    "favicon_view",
    "history_view",
    "login_link_view",
    "login_sent_view",
    "logo_view",
    "login_view",
    "logout_view",
    "password_view",
    "profile_view",
    "referral_view",
    "reward_confirm_view",
    "reward_redeem_view",
    "rewards_view",
    "signup_view",
    "satisfaction_view",
    "survey_view",
    "tiers_view",
    "unsubscribe_view",
    "welcome_view",
]

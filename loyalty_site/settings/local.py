"""Development settings: what `make run` uses."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
# `make run` serves the portal here; offer e-mails link to it.
LOYALTY_PORTAL_URL = env(
    "LOYALTY_PORTAL_URL", default=env("LOYALTY_SITE_URL", default="http://127.0.0.1:8000/")
)
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=True)

"""The production settings, with the floor's routes added to the product's (bench.floor)."""

from loyalty_site.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.floor.urls"

from django.apps import AppConfig


class LoyaltySiteConfig(AppConfig):
    name = "loyalty_site"

    def ready(self) -> None:
        # The staff roles list the permissions of every app, so they belong to the site.
        from . import checks, roles  # noqa: F401  (checks registers the deploy checks)

        roles.connect_signals()

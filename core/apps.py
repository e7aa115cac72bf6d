from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Background work")

    def ready(self) -> None:
        # Each app registers its outbox handlers in its `jobs` module (as admin does with
        # `admin`), so a worker knows every kind of job before the first one arrives.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
        # And the personal data of its models, with how to erase one person's (core.personal_data).
        autodiscover_modules("privacy")

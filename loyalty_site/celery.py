"""The Celery app. `loyalty_site/__init__.py` imports it, so it runs before wsgi.py and asgi.py
whenever the package is imported: the default chosen here is the default of every entry point
that does not set its own first.

The default is production, like WSGI and ASGI: `celery -A loyalty_site worker` on a server must
not run with DEBUG on and the development key (production refuses to start without a real
SECRET_KEY). `manage.py`, `make run`, `make worker` and `make beat` set the local settings
explicitly, and tests set theirs.
"""

import os

from celery import Celery
from celery.signals import task_failure

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty_site.settings.production")

app = Celery("loyalty_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_failure.connect
def _forget_config_after_integrity_error(exception=None, **kwargs) -> None:
    """A task that broke a constraint may have used configuration cached before its row was
    deleted: forget it, so the retry reads it fresh (loyalty_site/availability.py does the same
    for requests)."""
    from django.db import IntegrityError

    from core.config_cache import forget_all_config

    if isinstance(exception, IntegrityError):
        forget_all_config()

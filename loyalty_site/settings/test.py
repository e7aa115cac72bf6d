"""Test settings. The database comes from DATABASE_URL like everywhere else (SQLite by default)."""

from .base import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = "memory://"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "nl"
# Uploaded imports: a test that uploads points this at its own tmp_path.
LOYALTY_IMPORT_DIR = BASE_DIR / ".pytest_cache" / "imports"  # noqa: F405
WHITENOISE_AUTOREFRESH = True  # no collectstatic before tests
# Logins are not rate-limited in tests (and `client.login()` needs no request); the tests of the
# lockout switch it on (tests/staff/test_login_lockout.py).
AXES_ENABLED = False
WEBHOOKS_ALLOW_PRIVATE_TARGETS = True  # the tests' receivers listen on 127.0.0.1

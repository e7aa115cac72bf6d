import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loyalty_site.settings.production")

application = get_wsgi_application()

# Web processes only: statements longer than DATABASE_STATEMENT_TIMEOUT_MS are cancelled (503).
from loyalty_site.availability import limit_web_statements  # noqa: E402  (needs Django set up)

limit_web_statements()

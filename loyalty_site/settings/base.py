"""Settings shared by every environment. Values come from the environment (see .env.example).

With nothing set the project runs on a SQLite file with Celery tasks executed eagerly, so a fresh
clone needs no services. `DATABASE_URL=postgres://…` switches to PostgreSQL (psycopg 3) and
`CELERY_BROKER_URL=redis://…` hands tasks to a real broker.
"""

from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "csp",
    "core",
    "accounts",
    "points",
    "rewards",
    "campaigns",
    "insights",
    "portal",
    "backoffice",
    "loyalty_site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before everything that could answer: a browser's preflight carries no key or token.
    "core.cors.CorsMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into a 429 page
]

ROOT_URLCONF = "loyalty_site.urls"
WSGI_APPLICATION = "loyalty_site.wsgi.application"
ASGI_APPLICATION = "loyalty_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.branding",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Reuse connections between requests; psycopg 3 is picked up automatically.
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers queue on SQLite's lock instead of failing at once; IMMEDIATE takes the write lock
    # at BEGIN so a read-then-write transaction cannot deadlock against another writer.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://loyalty")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same Redis is often the broker: when it stops, requests carry on without a cache
    # (core/cache.py says what that costs) instead of failing.
    CACHES["default"]["BACKEND"] = "core.cache.ResilientRedisCache"

# django-axes first: it refuses a locked-out login before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Staff logins: after AXES_FAILURE_LIMIT wrong passwords for one user from one address, that
# pair is locked for AXES_COOLOFF_TIME (hours). Only the admin site: tills use API keys (no
# login), the member portal has its own limits.
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.int("AXES_COOLOFF_MINUTES", default=15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = env.bool("AXES_VERBOSE", default=False)  # lockouts are still logged as warnings
# The client address, for axes and the portal's limits alike (core/clientip.py).
AXES_CLIENT_IP_CALLABLE = "core.clientip.client_ip"

# Behind reverse proxies: how many of them stand in front of Django, so the client address is
# read from X-Forwarded-For (core/clientip.py). 0: the connecting address is the client. Only
# set it when Django cannot be reached except through those proxies. AXES_PROXY_COUNT is the
# old name, still read.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=env.int("AXES_PROXY_COUNT", default=0))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "nl"
USE_THOUSAND_SEPARATOR = True  # 1.234 punten (nl), 1,234 points (en)
LOGIN_URL = "portal:login"
LANGUAGES = [("nl", _("Dutch")), ("en", _("English"))]
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Europe/Amsterdam")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# E-mail: EMAIL_URL in one line (django-environ), e.g. smtp+tls://user:password@smtp.example.com:587
# or submission://… (port 587, STARTTLS), smtp+ssl://… (465). Without it, EMAIL_BACKEND (default:
# the console, which only writes mail to the process's output; `check --deploy` warns about it).
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-emails"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="loyalty@example.com")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# --- Content-Security-Policy (django-csp) -----------------------------------------------------
# Every page (portal, admin, KPI dashboard, API docs) may load scripts, styles, images and fonts
# from this site only. The few inline <script> and <style> blocks carry the request's nonce
# (`{{ request.csp_nonce }}`); no style attributes, no event handlers, no eval, no frames.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Django REST framework -------------------------------------------------------------------
# The largest request body (POS API limits in docs/api.md): a purchase of 1,000 lines is about
# 150 KB. Larger bodies get 413 request_too_large.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [
        "accounts.api.permissions.IsPosClient",
        "accounts.api.permissions.HasScope",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "loyalty_site.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "pos": env("POS_API_RATE", default="6000/min"),
        # Member tokens one shop key may have (docs/member-api.md), and member-route requests
        # per member.
        "member_tokens": env("MEMBER_TOKEN_RATE", default="120/min"),
        "member_api": env("MEMBER_API_RATE", default="120/min"),
    },
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty engine POS API",
    "DESCRIPTION": (
        "Points API for tills (POS) and the web shop. Authenticate with "
        "`Authorization: Api-Key <key>`; each key acts for its own store."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No "valid" badge fetched from validator.swagger.io: the docs load nothing from elsewhere.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # Two fields named "channel": the tills' sales channel and an inbound reply's (SMS, WhatsApp).
    "ENUM_NAME_OVERRIDES": {
        "ChannelEnum": "points.models.Channel",
        "InboundChannelEnum": ["sms", "whatsapp"],
        "StoreCreditModeEnum": "points.extensions.STORE_CREDIT_MODES",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "core.api_schema.error_component_hook",
    ],
}

# --- Celery ----------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# Without a broker the zero-setup default runs tasks in-process, at the moment they are sent.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task gets its task redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
# Two queues, each with its own workers, so a night's batch run (hours of expiry, tier evaluation,
# automations over every member) never sits in front of till-facing work: the outbox's jobs
# (welcome bonuses, sign-in links, message sends, webhooks) stay on the default queue, the
# scheduled batch jobs go to CELERY_BATCH_QUEUE. Workers: README "Celery worker and beat".
CELERY_BATCH_QUEUE = env("CELERY_BATCH_QUEUE", default="batch")
CELERY_BATCH_TASKS = (
    "campaigns.automations_run",
    "campaigns.bonus_audiences_refresh",
    "campaigns.member_stats_refresh",
    "campaigns.personal_data_purge",
    "campaigns.kpi_summaries_refresh",
    "points.expire",
    "points.pending_release",
    "points.tiers_evaluate",
    "points.ledger_check",
    "rewards.codes_expire",
)
CELERY_TASK_ROUTES = {name: {"queue": CELERY_BATCH_QUEUE} for name in CELERY_BATCH_TASKS} | {
    "core.outbox_run": {"queue": CELERY_TASK_DEFAULT_QUEUE},
    "core.outbox_sweep": {"queue": CELERY_TASK_DEFAULT_QUEUE},
}
# A broker that is down must not hold up a web request: publishing is tried once (the outbox
# keeps the job and the sweep publishes it later), with short socket timeouts.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_BROKER_TRANSPORT_OPTIONS.update(
    {"socket_connect_timeout": CELERY_BROKER_CONNECTION_TIMEOUT, "socket_timeout": 5}
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- The outbox (core.outbox): work that follows a commit ------------------------------------
# A worker holds a running job this long; after that the sweep (every minute) hands it out again.
OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=300)
# A job handed to the broker is handed out again if no worker took it within this time.
OUTBOX_PUBLISH_GRACE_SECONDS = env.int("OUTBOX_PUBLISH_GRACE_SECONDS", default=60)
# Finished jobs are forgotten after this many days (their effects are recorded elsewhere).
OUTBOX_KEEP_DONE_DAYS = env.int("OUTBOX_KEEP_DONE_DAYS", default=7)
# A message being sent is leased this long; a send whose worker died is retried after it.
LOYALTY_SEND_LEASE_SECONDS = env.int("LOYALTY_SEND_LEASE_SECONDS", default=120)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)  # seconds; below the send lease

# --- Outbound webhooks (core.webhooks, docs/webhooks.md) -------------------------------------
# Seconds to connect and answer; a slower receiver counts as a failure and is retried.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5)
# A delivery is retried with exponential backoff (30 s doubling, at most hourly) this long.
WEBHOOK_RETRY_DAYS = env.float("WEBHOOK_RETRY_DAYS", default=3)
# An endpoint without a single success for this long is disabled and managers are told.
WEBHOOK_DISABLE_AFTER_DAYS = env.float("WEBHOOK_DISABLE_AFTER_DAYS", default=5)
# Private, loopback and link-local targets are refused (SSRF) unless this is on (tests, dev).
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=False)

# --- The loyalty programme -------------------------------------------------------------------
LOYALTY_CURRENCY = env("LOYALTY_CURRENCY", default="EUR")
# Where member imports uploaded in admin are kept until their run has read them (and their
# rejected rows after that). Never served to the web; on a shared disk when workers run elsewhere.
LOYALTY_IMPORT_DIR = env.path("LOYALTY_IMPORT_DIR", default=BASE_DIR / "var" / "imports")
# Days an import's files (rejected rows, uploads a run left) are kept; the nightly personal-data
# purge deletes them after that (docs/privacy.md). 0 keeps them.
LOYALTY_IMPORT_RETENTION_DAYS = env.int("LOYALTY_IMPORT_RETENTION_DAYS", default=30)
# The site's public address (https://loyalty.example.com/; the portal is served at its root): the
# portal link in offer e-mails, and the address of the unsubscribe and satisfaction links in
# messages. LOYALTY_SITE_URL, its former second name, is still read when this one is unset
# (deprecated: `check --deploy` warns, loyalty.W005).
LOYALTY_PORTAL_URL = env("LOYALTY_PORTAL_URL", default=env("LOYALTY_SITE_URL", default=""))
# A till clock may run a little ahead; anything further in the future is refused.
LOYALTY_MAX_FUTURE_SKEW_SECONDS = env.int("LOYALTY_MAX_FUTURE_SKEW_SECONDS", default=300)
# An offline till may send its purchases late, but not years late.
LOYALTY_MAX_PURCHASE_AGE_DAYS = env.int("LOYALTY_MAX_PURCHASE_AGE_DAYS", default=90)
LOYALTY_PHONE_REGION = env("LOYALTY_PHONE_REGION", default="NL")
# Shared secret of the SMS/WhatsApp provider's inbound callbacks (STOP replies): each request
# carries X-Loyalty-Signature: sha256=<HMAC-SHA256 of the body>. Empty refuses every callback.
# The member API for the web shop (docs/member-api.md): how long a member token lasts, and
# the origins (scheme://host[:port]) whose pages may call the member routes from the browser.
MEMBER_TOKEN_SECONDS = env.int("MEMBER_TOKEN_SECONDS", default=15 * 60)
MEMBER_API_ALLOWED_ORIGINS = env.list("MEMBER_API_ALLOWED_ORIGINS", default=[])
# Cross-origin calls are allowed on these paths only, and only from the origins above.
CORS_PATH_PREFIXES = ("/api/v1/me/",)
LOYALTY_INBOUND_SECRET = env("LOYALTY_INBOUND_SECRET", default="")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pyBarcode": {"level": "WARNING"},  # "Pillow not found": we only draw SVG
    },
}

# --- Database availability: time limits and 503 answers (loyalty_site/availability.py) -------
# Kept in one block. A hung network must not hang requests: connecting gives up after
# DATABASE_CONNECT_TIMEOUT seconds (libpq's floor is 2), and a connection whose sent data goes
# unacknowledged that long is dropped. Web processes (wsgi.py, asgi.py) also cancel any statement
# running longer than DATABASE_STATEMENT_TIMEOUT_MS (0 = no limit); Celery workers, beat and
# management commands never get that limit, so batch jobs run as long as they need.
DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=3)
DATABASE_STATEMENT_TIMEOUT_MS = env.int("DATABASE_STATEMENT_TIMEOUT_MS", default=10_000)
# What a 503 tells clients to wait before retrying (the `Retry-After` header, in seconds).
SERVICE_UNAVAILABLE_RETRY_AFTER = env.int("SERVICE_UNAVAILABLE_RETRY_AFTER", default=2)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    for _key, _value in {
        "connect_timeout": DATABASE_CONNECT_TIMEOUT,
        "tcp_user_timeout": DATABASE_CONNECT_TIMEOUT * 1000,
        # An idle-looking connection (waiting for a slow answer) on a dead network is noticed
        # after about 10 s instead of the kernel's 2 hours.
        "keepalives": 1,
        "keepalives_idle": 5,
        "keepalives_interval": 2,
        "keepalives_count": 2,
    }.items():
        DATABASES["default"].setdefault("OPTIONS", {}).setdefault(_key, _value)
MIDDLEWARE = [*MIDDLEWARE, "loyalty_site.availability.DatabaseErrorMiddleware"]

# Past one machine (docs/scaling.md). DATABASE_POOLING=transaction: the app reaches PostgreSQL
# through PgBouncer in transaction mode, where one client's consecutive transactions may run on
# different server connections. So nothing may live in a session: no server-side cursors, no
# prepared statements (psycopg would prepare a query on its fifth run), no startup `options`
# (PgBouncer 1.18 refuses them; its `connect_query` sets the web statement timeout instead), and
# job locks are lease rows instead of session advisory locks (core/locks.py).
DATABASE_POOLING = env.str("DATABASE_POOLING", default="")
if DATABASE_POOLING not in {"", "transaction"}:
    raise ImproperlyConfigured("DATABASE_POOLING must be empty or 'transaction'.")
# A streaming read replica for the dashboard, exports, segment sizes and the portal's history
# (core/replica.py says which reads go there and which stay on the primary).
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=15)
if DATABASE_REPLICA_URL:
    _replica = env.db("DATABASE_REPLICA_URL")
    for _key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS"):
        if _key in DATABASES["default"]:
            _replica.setdefault(_key, DATABASES["default"][_key])
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), **_replica.get("OPTIONS", {})}
    _replica["TEST"] = {"MIRROR": "default"}  # tests read the replica's rows from the primary
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
    MIDDLEWARE = ["core.replica.PrimaryPinMiddleware", *MIDDLEWARE]
if DATABASE_POOLING == "transaction":
    for _database in DATABASES.values():
        if _database["ENGINE"] == "django.db.backends.postgresql":
            _database["DISABLE_SERVER_SIDE_CURSORS"] = True
            _database.setdefault("OPTIONS", {})["prepare_threshold"] = None

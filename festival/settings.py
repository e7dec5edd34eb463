"""Settings for Festival desk, read from the environment (django-environ).

There is one settings module and no production override: what runs in the
demo is what runs in production, with different environment values.
"""

import datetime
import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# Local settings: .env beside manage.py (scripts/run.py writes one with this checkout's
# SECRET_KEY); ENV_FILE names another file. Variables already set win.
ENV_FILE = Path(os.environ.get("ENV_FILE", BASE_DIR / ".env"))
if ENV_FILE.is_file():
    environ.Env.read_env(ENV_FILE)

DEBUG = env.bool("DEBUG", default=False)
# The development key is public (it is in this file): only a DEBUG run may use
# it. Without DEBUG the app refuses to start unless SECRET_KEY is set to something
# else. scripts/run.py sets DEBUG=true; scripts/test.py and the test suite
# (tests/environment.py) make a random key per run.
DEVELOPMENT_SECRET_KEY = "django-insecure-festival-desk-development-key-never-use-in-production"
SECRET_KEY = env("SECRET_KEY", default="") or (DEVELOPMENT_SECRET_KEY if DEBUG else "")
# manage.py's build commands (check, makemigrations, collectstatic …) need no secret: they
# run on a throwaway key, and `check --deploy` reports it (festival/checks.py).
SECRET_KEY_IS_THROWAWAY = False
if not DEBUG and SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY) and os.environ.get("FESTIVAL_BUILD_COMMAND"):
    SECRET_KEY, SECRET_KEY_IS_THROWAWAY = "throwaway-" + secrets.token_urlsafe(50), True
if not DEBUG and SECRET_KEY in ("", DEVELOPMENT_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set (or is the public development key) and DEBUG is off. In production set "
        "SECRET_KEY to a long random value, e.g. the output of: python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'. For local development set DEBUG=true (scripts/run.py does)."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "festival.apps.FestivalAdminConfig",  # django.contrib.admin with the organisers' site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "django_celery_beat",
    "import_export",
    "axes",
    "csp",
    "core",
    "festival",
    "merchants",
    "logistics",
    "promotions",
    "reports",
    "api",
    "public",
    "demo",
]

MIDDLEWARE = [
    "core.middleware.RequestLogMiddleware",  # first: the request id, one JSON log line per request
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.PermissionsPolicyMiddleware",
    # Login throttling (django-axes): last, so it sees every login response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "festival.urls"
WSGI_APPLICATION = "festival.wsgi.application"

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
                "csp.context_processors.nonce",
            ],
        },
    },
]

# Database: SQLite file by default, PostgreSQL with DATABASE_URL=postgres://…
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server fails a request in seconds (a 503, core/outages.py) instead of
    # holding a web worker for the operating system's TCP timeout, minutes.
    DATABASE_CONNECT_TIMEOUT = env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", DATABASE_CONNECT_TIMEOUT)
    # A kept connection whose network went silent fails as fast: sent data left
    # unacknowledged this long closes it (libpq's tcp_user_timeout, milliseconds).
    DATABASES["default"]["OPTIONS"].setdefault("tcp_user_timeout", DATABASE_CONNECT_TIMEOUT * 1000)
    # Each web and Celery worker keeps its connection between requests, instead of paying
    # PostgreSQL a new server process and its catalogue warm-up on every one; a kept
    # connection is checked before it is reused, so a restarted server costs no error.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # No JIT compiling: the planner's cost of a page's bounded count at 100,000 promotions
    # passes jit_above_cost, and compiling it took 47 ms of a query that runs in 40
    # (the public search, issue 17). A DATABASE_URL with its own ?options= keeps those.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A worker process and the web server share the file: wait for locks
    # instead of failing, and give tests a file (not :memory:) so a real
    # Celery worker started by a test sees the same data.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes' backend first: it refuses a locked-out login before the password is checked.
# Then the organiser teams' permissions (a role per organiser, scoped to its festivals:
# festival/backends.py), then Django's own for passwords, superusers and direct permissions.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "festival.backends.TeamPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "merchant:login"
LOGIN_REDIRECT_URL = "merchant:home"
LOGOUT_REDIRECT_URL = "merchant:login"

# Internationalisation: Simplified Chinese first, English available.
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Production runs `manage.py collectstatic` (docs/deploy.md): whitenoise then serves the
# collected, compressed files. Without STATIC_ROOT (development, tests) or with DEBUG it
# serves straight from the apps and static/.
WHITENOISE_USE_FINDERS = DEBUG or not STATIC_ROOT.is_dir()
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: images are checked and re-encoded with Pillow (see core/images.py).
UPLOAD_MAX_BYTES = env.int("UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
# 12 megapixels (4,000 × 3,000): the worst accepted image peaks at ~145 MB RSS
# in a fresh process (bench/image_memory.py); Pillow decodes at most 4 bytes a pixel.
UPLOAD_MAX_PIXELS = env.int("UPLOAD_MAX_PIXELS", default=12_000_000)
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Redis backs the broker, result backend and cache when REDIS_URL is set.
REDIS_URL = env("REDIS_URL", default="")
# Every Redis client gives up quickly when Redis is away, so no page, call or decision waits on it.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=1.0)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=2.0)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",  # Django's, its client made once (core/cache.py)
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": REDIS_CONNECT_TIMEOUT, "socket_timeout": REDIS_SOCKET_TIMEOUT},
        }
    }
else:
    # A file cache is shared by the web server, worker and beat processes.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env("FILE_CACHE_DIR", default=str(VAR_DIR / "cache")),
        }
    }

# How long a public page is kept in the cache; any public change drops it sooner (public.cache).
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=300)
# How long the HTML of a promotion card is kept (public.cards); its key is everything the
# card shows, so a change makes a new key rather than waiting for this. 0 renders every card.
PUBLIC_CARD_CACHE_SECONDS = env.int("PUBLIC_CARD_CACHE_SECONDS", default=300)

# Celery. Without REDIS_URL the broker is kombu's filesystem transport, which
# needs no server, so the default run still has a real worker and beat.
CELERY_BROKER_DIR = Path(env("CELERY_BROKER_DIR", default=str(VAR_DIR / "celery")))
# No result backend: nothing reads task results, and with Redis down storing them
# made every enqueue wait ~20 s for the result store's retries (issue 15).
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
BROKER_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT  # the outbox relay's single attempt (core/outbox.py)
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # Tasks are acknowledged late (after they ran), so a killed worker's message is
    # delivered again once the visibility timeout passes: just above the hard time
    # limit (360 s), so a task still running is never handed to a second worker, and
    # every countdown (webhook retries, at most WEBHOOK_RETRY_MAX_SECONDS) stays below it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("BROKER_VISIBILITY_TIMEOUT", default=420),
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
        "socket_timeout": max(REDIS_SOCKET_TIMEOUT, 5.0),  # above the worker's 1 s BRPOP poll
    }
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
    }
    # Producers (web, beat) write into these folders as well as the worker, and
    # kombu does not create them.
    for _folder in ("out", "processed", "control"):
        (CELERY_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # the worker logs through LOGGING below (JSON lines)

# Email: console by default; EMAIL_URL (e.g. smtp://…) or EMAIL_BACKEND switch.
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Festival desk <noreply@festival.example>")
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# REST framework
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "key": env("API_THROTTLE_KEY", default="600/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Festival desk partner API",
    "DESCRIPTION": "Promotions, merchants, prices and results of the Double Product Online Shopping Festival.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}
API_KEY_CUSTOM_HEADER = "HTTP_AUTHORIZATION"

# Partner API (issue 6): keys first (so anonymous calls get 401), then the
# session; one exception handler; throttles per client/key/user.
REST_FRAMEWORK.update(
    {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "api.authentication.ApiKeyAuthentication",
            "rest_framework.authentication.SessionAuthentication",  # CSRF enforced
        ],
        "DEFAULT_PAGINATION_CLASS": "api.pagination.ApiPagination",
        "PAGE_SIZE": 20,
        "DEFAULT_THROTTLE_CLASSES": [
            "api.throttling.AnonThrottle",
            "api.throttling.KeyThrottle",
            "api.throttling.UserThrottle",
        ],
        "EXCEPTION_HANDLER": "api.exceptions.api_exception_handler",
        # JSON only, as docs/api.md documents: form encodings cannot carry the nested lists
        # (items, prices, reports) and the schema would promise bodies the server refuses.
        # Any other Content-Type is a 415.
        "DEFAULT_PARSER_CLASSES": ["api.parsers.SafeJSONParser"],
        "DATETIME_FORMAT": "iso-8601",
    }
)
INSTALLED_APPS += ["drf_spectacular_sidecar"]
SPECTACULAR_SETTINGS.update(
    {
        "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files, no CDN
        "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
        "REDOC_DIST": "SIDECAR",
        "COMPONENT_SPLIT_REQUEST": True,
        "ENUM_NAME_OVERRIDES": {
            "PromotionKindEnum": "promotions.models.PromotionKind",
            "MerchantKindEnum": "merchants.models.MerchantKind",
            "PromotionStatusEnum": "promotions.models.PromotionStatus",
            "FestivalStatusEnum": "festival.models.FestivalStatus",
        },
        "POSTPROCESSING_HOOKS": [
            "drf_spectacular.hooks.postprocess_schema_enums",
            "api.schema.add_error_responses",
            "api.schema.add_links",
        ],
    }
)

# Spreadsheet exports: a cell starting with =, +, -, @ is written as text, so a
# merchant's name cannot run as a formula on an organiser's machine. The admin's
# formats (core/spreadsheets.py) replace the library's escaping, which drops a
# leading "=" only, with a leading "'" for every such text cell.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
# The most rows one admin export may hold (core.spreadsheets.BoundedExportMixin): a file
# built in a web request must be done well within gunicorn's timeout.
ADMIN_EXPORT_MAX_ROWS = env.int("ADMIN_EXPORT_MAX_ROWS", default=20_000)

# Webhooks: delivery targets on loopback/private networks are refused unless allowed.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# A pending or failing delivery whose attempt is this late was lost (e.g. with a killed worker): re-send it.
WEBHOOK_STALLED_AFTER_SECONDS = env.int("WEBHOOK_STALLED_AFTER_SECONDS", default=600)

# Security: production values come from the environment, so `check --deploy`
# is clean when DEBUG is off and HTTPS is on.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_HTTPS_PROXY", default=False) else None
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Production behind HTTPS: HTTPS=true turns on the redirect, secure cookies and
# HSTS at once (each can still be set on its own). docs/security.md lists the
# production environment, with which `manage.py check --deploy` is clean.
if env.bool("HTTPS", default=False):
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
# /healthz answers load balancers over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Content Security Policy (django-csp 4): everything from our own origin; no
# inline script (a <script> runs only from a static file, or with the
# per-request nonce: the API docs' init); no plugins, no framing, forms post
# to us only. Inline style attributes stay allowed (style-src 'unsafe-inline'):
# the admin's and Swagger UI's widgets set them; styles cannot run code.
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE  # noqa: E402

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "worker-src": [SELF, "blob:"],
    }
}
# Permissions-Policy: the site uses no device features (core/middleware.py).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)

# Logs: one JSON object a line on stderr (LOG_FORMAT=json, the default without DEBUG),
# each with the request id (core/logs.py); LOG_FORMAT=text for people.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "core.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": env("LOG_FORMAT", default="text" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Our request and task lines say it once: no second line per 404 or per task.
        "django.request": {"level": "ERROR"},
        "celery.app.trace": {"level": "WARNING"},
        "celery.worker.strategy": {"level": "WARNING"},
    },
}

# The festival clock (promotions/clock.py). One tick at a time: the lock lives in
# Redis when REDIS_URL is set, else in the database; the Redis lock's TTL is renewed
# while a tick runs (core/locks.py), so it is short: a killed worker keeps the next
# tick out for at most this long.
CLOCK_LOCK_TTL_SECONDS = env.int("CLOCK_LOCK_TTL_SECONDS", default=10)
# /healthz fails the clock when its last completed tick is older than this (beat runs it every 30 s).
HEALTH_CLOCK_MAX_AGE_SECONDS = env.int("HEALTH_CLOCK_MAX_AGE_SECONDS", default=180)
# Measured on PostgreSQL 15 (bench/clock.py): 5,000 rows a batch keep each
# transaction short (well under a second) while the per-batch round trips stay
# a small share of the cost.
CLOCK_BATCH_SIZE = env.int("CLOCK_BATCH_SIZE", default=5000)
# Webhook retries wait base × 2^(attempt-1) seconds, capped below the broker's visibility timeout (a retry
# waits in the broker), see api/webhooks.py.
WEBHOOK_RETRY_BASE_SECONDS = env.float("WEBHOOK_RETRY_BASE_SECONDS", default=30.0)
WEBHOOK_RETRY_MAX_SECONDS = env.float("WEBHOOK_RETRY_MAX_SECONDS", default=300.0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Worker, beat and web server write to the same file: take the write lock
    # when a transaction begins, so two writers queue instead of deadlocking.
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

# Login throttling (django-axes, database handler: the attempts are rows an
# organiser sees and clears in the admin under "Axes"). Every login form that
# goes through django.contrib.auth.authenticate (the admin's and the portal's)
# is covered. After AXES_FAILURE_LIMIT failures for one username from one
# address, that pair is refused, with 429 and a translated page, until the
# cool-off ends or an organiser deletes the attempt; other users and other
# addresses are not affected (so nobody can lock a merchant out from afar).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=30))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
# Behind a reverse proxy (BEHIND_HTTPS_PROXY) the client's address is the last
# X-Forwarded-For entry, the one the proxy added (core/security.py).
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"

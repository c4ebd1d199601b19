"""Qurb settings, read from the environment (12-factor).

Every value has an embedded default that gives a working demo on SQLite; production switches
by environment variables (see docs/operations.md). Nothing here reads a file that only
production has.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

SRC_DIR = Path(__file__).resolve().parents[1]  # src/qurb
REPO_DIR = SRC_DIR.parents[1]


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("QURB_DATA_DIR", REPO_DIR / "var"))


def _secret_key() -> str:
    """The secret key comes from the environment; the embedded demo keeps one in DATA_DIR."""
    if key := os.environ.get("QURB_SECRET_KEY"):
        return key
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("QURB_DEBUG", False)
# QURB_HTTPS=true is what a production deployment behind TLS sets: HSTS, secure cookies,
# redirect to HTTPS.
HTTPS = env_bool("QURB_HTTPS", False)
ALLOWED_HOSTS = env_list("QURB_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("QURB_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "django_tasks_db",
    "qurb.core",
    "qurb.language",
    "qurb.audit",
    "qurb.areas",
    "qurb.accounts",
    "qurb.reports",
    "qurb.engagement",
    "qurb.neighbourhoods",
    "qurb.communication",
    "qurb.insights",
    "qurb.alerts",
    "qurb.messaging",
    "qurb.sms",
    "qurb.demo",
    "qurb.web",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    # HEAD goes down the chain as GET and comes back without its body (RFC 9110 §9.3.2).
    "qurb.web.guards.head.HeadMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "qurb.web.guards.size.RequestSizeLimitMiddleware",
    "qurb.web.guards.params.HostileParamsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "qurb.web.guards.staff_mfa.StaffMfaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "qurb.web.guards.refusals.RefusalMiddleware",
]

ROOT_URLCONF = "qurb.web.urls"
WSGI_APPLICATION = "qurb.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SRC_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "qurb.web.common.context_processors.site",
                "qurb.web.common.navigation.staff_navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'qurb.sqlite3'}"),
        conn_max_age=int(os.environ.get("QURB_DB_CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout: an accepted write is durable and concurrent readers do not block it.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiles a query once its estimated cost is high, which on the
    # analyses' scans of a busy district costs more (about 1 s) than the query itself.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = os.environ.get(
        "QURB_PG_OPTIONS", "-c jit=off"
    )
    # A database that does not answer must not hold a web worker: give up connecting after
    # QURB_DB_CONNECT_TIMEOUT seconds, and (in web processes: qurb.config.wsgi says so) cancel
    # a statement after QURB_DB_STATEMENT_TIMEOUT_MS. Workers and commands keep no statement
    # limit: a national alert's fan-out or a bulk load may rightly run longer.
    DATABASES["default"]["OPTIONS"]["connect_timeout"] = int(
        os.environ.get("QURB_DB_CONNECT_TIMEOUT", "5")
    )
    if os.environ.get("QURB_PROCESS") == "web":
        DATABASES["default"]["OPTIONS"]["options"] += " -c statement_timeout=" + os.environ.get(
            "QURB_DB_STATEMENT_TIMEOUT_MS", "10000"
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# How often (seconds) a process re-reads which boundary generation is active.
AREAS_INDEX_RECHECK_SECONDS = float(os.environ.get("QURB_AREAS_INDEX_RECHECK", "5"))

REDIS_URL = os.environ.get("REDIS_URL", "")
REDIS_TIMEOUT_SECONDS = float(os.environ.get("QURB_REDIS_TIMEOUT_SECONDS", "0.5"))
CACHES: dict[str, dict[str, Any]] = {
    "default": (
        {
            # A cache, not a dependency: Redis down or hanging costs at most these timeouts,
            # then pages and reports go on without it (qurb.core.cache).
            "BACKEND": "qurb.core.cache.ForgivingRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
                "socket_timeout": REDIS_TIMEOUT_SECONDS,
            },
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "qurb"}
    )
}

# Background work. With a broker (production: RabbitMQ), tasks run on Celery workers
# (qurb.core.taskqueue); without one (the demo, the tests), the database queue runs them.
QURB_BROKER_URL = os.environ.get("QURB_BROKER_URL", "")  # e.g. amqp://user:pass@host:5672/qurb
QURB_BROKER_TIMEOUT = float(os.environ.get("QURB_BROKER_TIMEOUT", "2"))
QURB_TASK_QUEUE = os.environ.get("QURB_TASK_QUEUE", "qurb")
QURB_SWEEP_SECONDS = float(os.environ.get("QURB_SWEEP_SECONDS", "15"))
# Run by every worker's sweeper (core.sweeper).
WORKER_SWEEPS = [
    "qurb.alerts.tasks.sweep",
    "qurb.communication.tasks.sweep",
    "qurb.messaging.tasks.sweep",
    "qurb.sms.tasks.sweep",
]
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "QURB_TASK_BACKEND",
            "qurb.core.taskqueue.CeleryBackend"
            if QURB_BROKER_URL
            else "django_tasks_db.DatabaseBackend",
        ),
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "qurb.accounts.backends.RolePermissionBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"  # staff land on their home instead (web/accounts/views.py)
LOGOUT_REDIRECT_URL = "home"

# Login throttling (django-axes): lock a username+IP pair after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("QURB_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
OTP_TOTP_ISSUER = os.environ.get("QURB_OTP_ISSUER", "Qurb")
# The admin never shows a device's secret (TOTP key, QR code, backup codes).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Languages: Arabic first (right-to-left), French, English.
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [SRC_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "qurb_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
TIME_ZONE = os.environ.get("QURB_TIME_ZONE", "Africa/Casablanca")
USE_I18N = True
USE_TZ = True
# Dates, times and numbers as Morocco writes them in each language (src/qurb/config/formats/,
# docs/architecture.md "Languages"); the thousands separator only where a template asks for it
# (|intcomma), never on ids, years or coordinates.
FORMAT_MODULE_PATH = ["qurb.config.formats"]
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# Leaflet comes from the npm registry (package.json); `make` runs `npm ci` into node_modules.
LEAFLET_DIST = REPO_DIR / "node_modules" / "leaflet" / "dist"
STATICFILES_DIRS = [("vendor/leaflet", LEAFLET_DIST)] if LEAFLET_DIST.is_dir() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("QURB_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Django 6.1 mailers: SMTP when QURB_EMAIL_HOST is set, otherwise mail goes to the console.
MAILERS: dict[str, dict[str, Any]] = {
    "default": (
        {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["QURB_EMAIL_HOST"],
                "port": int(os.environ.get("QURB_EMAIL_PORT", "587")),
                "username": os.environ.get("QURB_EMAIL_USER", ""),
                "password": os.environ.get("QURB_EMAIL_PASSWORD", ""),
                "use_tls": env_bool("QURB_EMAIL_TLS", True),
                # Each SMTP step gives up after this: a hung mail server must not hold a
                # worker past the lease of the copy it sends (qurb.alerts.delivery).
                "timeout": float(os.environ.get("QURB_EMAIL_TIMEOUT", "5")),
            },
        }
        if os.environ.get("QURB_EMAIL_HOST")
        else {"BACKEND": "qurb.core.mail.ConsoleBackend"}  # readable: qurb/core/mail.py
    )
}
DEFAULT_FROM_EMAIL = os.environ.get("QURB_FROM_EMAIL", "qurb@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Map: tiles are an external URL, never needed for tests; boundaries draw without them.
MAP_TILE_URL = os.environ.get("QURB_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get("QURB_MAP_TILE_ATTRIBUTION", "© OpenStreetMap contributors")
EMERGENCY_NUMBER = os.environ.get("QURB_EMERGENCY_NUMBER", "19")
# A longitude/latitude box around the force's territory: a feature outside it whose swapped
# coordinates fall inside is reported as "latitude and longitude in the wrong order".
AREAS_EXTENT = tuple(
    float(v) for v in os.environ.get("QURB_AREAS_EXTENT", "-17.5,20.5,-0.9,36.1").split(",")
)

# Leaflet spreads tiles over the a, b and c subdomains when the URL has "{s}".
_tile_hosts = sorted(
    {
        f"{origin.scheme}://{origin.netloc}"
        for origin in (urlsplit(MAP_TILE_URL.replace("{s}", sub)) for sub in "abc")
        if origin.netloc
    }
)

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", *_tile_hosts],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = int(os.environ.get("QURB_SESSION_AGE", str(8 * 3600)))
CSRF_COOKIE_HTTPONLY = True
# A refused form gets the branded 403 page that says what to do (reload and send again).
CSRF_FAILURE_VIEW = "qurb.web.common.errorpages.csrf_failure"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS
SECURE_HSTS_SECONDS = 31_536_000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
QURB_BEHIND_PROXY = env_bool("QURB_BEHIND_PROXY", False)
if QURB_BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


def _trusted_proxies(value: str) -> int | tuple[str, ...]:
    """A count of trusted proxy hops ("1"), or the proxies' networks ("10.0.0.0/8,192.0.2.7")."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    networks = tuple(item.strip() for item in value.split(",") if item.strip())
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"QURB_TRUSTED_PROXIES: {network!r} is not a network"
            ) from error
    return networks


# Whose X-Forwarded-For entries are believed (qurb.web.guards.intake.client_address): 0 = none,
# the client is REMOTE_ADDR. Behind a proxy (QURB_BEHIND_PROXY) one hop unless told otherwise.
QURB_TRUSTED_PROXIES = _trusted_proxies(
    os.environ.get("QURB_TRUSTED_PROXIES") or ("1" if QURB_BEHIND_PROXY else "0")
)
# Login throttling and every rate limit see the same client address.
AXES_CLIENT_IP_CALLABLE = "qurb.web.guards.intake.client_address"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("QURB_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

# Concern reports: intake limits (see docs/operations.md).
from qurb.reports.limits import Limit  # noqa: E402

REPORT_TEXT_MAX = 4000
REPORT_PHOTOS_MAX = 3
# Documents an association sends with its application (PDF, or a photo of a paper).
ASSOCIATION_DOCUMENTS_MAX = 3
ASSOCIATION_DOCUMENT_MAX_BYTES = int(
    os.environ.get("QURB_ASSOCIATION_DOCUMENT_MAX_BYTES", str(5 * 1024 * 1024))
)
REPORT_PHOTO_MAX_BYTES = int(os.environ.get("QURB_PHOTO_MAX_BYTES", str(8 * 1024 * 1024)))
REPORT_PHOTO_MAX_PIXELS = int(os.environ.get("QURB_PHOTO_MAX_PIXELS", "24000000"))
# The whole request: three photos at their limit plus the form.
REQUEST_MAX_BYTES = int(
    os.environ.get("QURB_REQUEST_MAX_BYTES", str(3 * REPORT_PHOTO_MAX_BYTES + 256 * 1024))
)
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200
REPORT_POW_MAX_NUMBER = int(os.environ.get("QURB_POW_MAX_NUMBER", "100000"))
REPORT_POW_TTL_SECONDS = int(os.environ.get("QURB_POW_TTL", "1200"))


def _limit(name: str, default: str) -> Limit:
    """``COUNT/SECONDS`` from the environment, e.g. ``QURB_LIMIT_PER_ADDRESS=20/3600``."""
    count, seconds = os.environ.get(name, default).split("/")
    return Limit(int(count), int(seconds))


REPORT_LIMIT_PER_ADDRESS = _limit("QURB_LIMIT_PER_ADDRESS", "20/3600")
REPORT_LIMIT_PER_DEVICE = _limit("QURB_LIMIT_PER_DEVICE", "10/3600")
REPORT_LIMIT_PER_KEY = _limit("QURB_LIMIT_PER_KEY", "6000/60")
# Meeting places one anonymous client may take per meeting (per address and per device; a
# person may bring a companion). Kept, as a keyed hash, until the meeting starts.
MEETING_PLACES_PER_CLIENT = int(os.environ.get("QURB_MEETING_PLACES_PER_CLIENT", "2"))
# Sign-in, on top of django-axes (which locks a username+address pair): past this many failures
# for one username from any addresses in the window, that username is slowed, never locked:
# each further failure asks to wait, from SIGNIN_BACKOFF_MIN_SECONDS doubling up to
# SIGNIN_BACKOFF_MAX_SECONDS. An address that signed in to the account within
# SIGNIN_KNOWN_ADDRESS_DAYS is not slowed. Counted in Redis; without it, not counted.
SIGNIN_SOFT_LIMIT = _limit("QURB_SIGNIN_SOFT_LIMIT", "20/900")
SIGNIN_BACKOFF_MIN_SECONDS = int(os.environ.get("QURB_SIGNIN_BACKOFF_MIN_SECONDS", "2"))
SIGNIN_BACKOFF_MAX_SECONDS = int(os.environ.get("QURB_SIGNIN_BACKOFF_MAX_SECONDS", "60"))
SIGNIN_KNOWN_ADDRESS_DAYS = int(os.environ.get("QURB_SIGNIN_KNOWN_ADDRESS_DAYS", "30"))
API_KEY_CACHE_SECONDS = float(os.environ.get("QURB_API_KEY_CACHE_SECONDS", "30"))
# The type of area every report must fall in; a point outside all of them is refused.
REPORT_AREA_TYPE = os.environ.get("QURB_REPORT_AREA_TYPE", "district")
# Duplicate suggestions: same district and category, this close in metres and days.
REPORT_DUPLICATE_METRES = int(os.environ.get("QURB_DUPLICATE_METRES", "400"))
REPORT_DUPLICATE_DAYS = int(os.environ.get("QURB_DUPLICATE_DAYS", "14"))
# Text similarity (Jaccard of skeleton shingles) from which two reports say the same thing.
REPORT_DUPLICATE_TEXT = float(os.environ.get("QURB_DUPLICATE_TEXT", "0.45"))
OPEN311_JURISDICTION = os.environ.get("QURB_OPEN311_JURISDICTION", "qurb.ma")
SITE_URL = os.environ.get("QURB_SITE_URL", "http://127.0.0.1:8000")
# Atom feeds (RFC 4287): ids are tag: URIs (RFC 4151) under this "domain,date" (a domain the
# force held on that date), so they never change with the host or address that serves a feed.
# Set it once: a new value gives every entry a new id, and readers show them all again.
FEED_TAG_AUTHORITY = os.environ.get("QURB_FEED_TAG_AUTHORITY", "qurb.ma,2026")
if not re.fullmatch(r"[A-Za-z0-9._-]+(@[A-Za-z0-9.-]+)?,\d{4}(-\d\d){0,2}", FEED_TAG_AUTHORITY):
    raise ImproperlyConfigured(
        "QURB_FEED_TAG_AUTHORITY must be 'domain,YYYY[-MM[-DD]]' (RFC 4151), e.g. qurb.ma,2026"
    )
# The feeds' author; empty: "National police — Qurb" in the reader's language.
FORCE_NAME = os.environ.get("QURB_FORCE_NAME", "")

# Open data (/open-data/): the licence the figures are published under.
OPEN_DATA_LICENCE = os.environ.get("QURB_OPEN_DATA_LICENCE", "CC BY 4.0")
OPEN_DATA_LICENCE_URL = os.environ.get(
    "QURB_OPEN_DATA_LICENCE_URL", "https://creativecommons.org/licenses/by/4.0/"
)

# Missing-child alerts (see docs/alerts.md).
ALERT_RADIUS_KM = int(os.environ.get("QURB_ALERT_RADIUS_KM", "160"))  # default alert area
ALERT_MAX_RADIUS_KM = int(os.environ.get("QURB_ALERT_MAX_RADIUS_KM", "1000"))
ALERT_SUBSCRIBER_MAX_RADIUS_KM = int(os.environ.get("QURB_ALERT_SUBSCRIBER_MAX_RADIUS_KM", "200"))
ALERT_HOURS = int(os.environ.get("QURB_ALERT_HOURS", "72"))  # until an alert expires
ALERT_RETENTION_DAYS = int(os.environ.get("QURB_ALERT_RETENTION_DAYS", "30"))
ALERT_CAP_SENDER = os.environ.get("QURB_ALERT_CAP_SENDER", "alerts@qurb.invalid")
ALERT_VAPID_PRIVATE_KEY = os.environ.get("QURB_VAPID_PRIVATE_KEY", "")  # PEM; demo: DATA_DIR
ALERT_VAPID_SUBJECT = os.environ.get("QURB_VAPID_SUBJECT", "mailto:alerts@qurb.invalid")
ALERT_PUSH_TTL = int(os.environ.get("QURB_ALERT_PUSH_TTL", str(24 * 3600)))
ALERT_PUSH_TIMEOUT = float(os.environ.get("QURB_ALERT_PUSH_TIMEOUT", "10"))
ALERT_DELIVERY_ATTEMPTS = int(os.environ.get("QURB_ALERT_DELIVERY_ATTEMPTS", "6"))
# Copies per delivery task: a chunk of subscribers, sent one copy at a time by one worker.
ALERT_DELIVERY_CHUNK = int(os.environ.get("QURB_ALERT_DELIVERY_CHUNK", "300"))
# The push services a browser subscription may point at (a leading dot: any subdomain). Only
# these are ever contacted, over HTTPS; a test or a private push service adds its own host
# (plain http is accepted for loopback hosts listed here, for tests).
ALERT_PUSH_HOSTS = env_list(
    "QURB_ALERT_PUSH_HOSTS",
    [
        "fcm.googleapis.com",
        "updates.push.services.mozilla.com",
        ".notify.windows.com",
        ".push.apple.com",
    ],
)

# --- neighbourhood messages (docs/messaging.md) ---------------------------------------------
# Copies per delivery task, and attempts before a copy is given up (after 429, 5xx, timeouts).
MESSAGE_DELIVERY_CHUNK = int(os.environ.get("QURB_MESSAGE_DELIVERY_CHUNK", "300"))
MESSAGE_DELIVERY_ATTEMPTS = int(os.environ.get("QURB_MESSAGE_DELIVERY_ATTEMPTS", "6"))
MESSAGE_PUSH_TTL = int(os.environ.get("QURB_MESSAGE_PUSH_TTL", str(3 * 24 * 3600)))

# --- SMS through Kannel (docs/sms.md) --------------------------------------------------------
# Kannel's sendsms URL (http://host:13013/cgi-bin/sendsms); empty: no gateway, outgoing SMS are
# written to the console (the demo), like e-mails.
KANNEL_SENDSMS_URL = os.environ.get("QURB_KANNEL_SENDSMS_URL", "")
KANNEL_USERNAME = os.environ.get("QURB_KANNEL_USERNAME", "")
KANNEL_PASSWORD = os.environ.get("QURB_KANNEL_PASSWORD", "")
KANNEL_TIMEOUT = float(os.environ.get("QURB_KANNEL_TIMEOUT", "10"))
# The number or name Qurb's SMS come from, and the shared secret Kannel's sms-service and its
# delivery reports put in their URLs (empty: the incoming endpoints answer 404).
SMS_SENDER = os.environ.get("QURB_SMS_SENDER", "")
SMS_INCOMING_SECRET = os.environ.get("QURB_SMS_INCOMING_SECRET", "")
# Only these addresses may call the incoming and delivery-report endpoints (Kannel's smsbox).
SMS_GATEWAY_ADDRESSES = env_list("QURB_SMS_GATEWAY_ADDRESSES", ["127.0.0.1", "::1"])
# The base URL Kannel calls back for delivery reports (empty: QURB_SITE_URL).
SMS_CALLBACK_BASE_URL = os.environ.get("QURB_SMS_CALLBACK_BASE_URL", "")
# Costs: outgoing SMS per area and per day, per number and per day (Africa/Casablanca days).
SMS_DAILY_CAP_PER_AREA = int(os.environ.get("QURB_SMS_DAILY_CAP_PER_AREA", "5000"))
SMS_DAILY_CAP_PER_NUMBER = int(os.environ.get("QURB_SMS_DAILY_CAP_PER_NUMBER", "20"))
SMS_REPORTS_PER_NUMBER_PER_DAY = int(os.environ.get("QURB_SMS_REPORTS_PER_NUMBER_PER_DAY", "5"))
SMS_VERIFICATIONS_PER_HOUR = int(os.environ.get("QURB_SMS_VERIFICATIONS_PER_HOUR", "3"))
# Codes cost money: a ceiling for the whole platform a day, and the countries they may go to.
SMS_VERIFICATIONS_PER_DAY = int(os.environ.get("QURB_SMS_VERIFICATIONS_PER_DAY", "2000"))
SMS_VERIFICATION_COUNTRY_CODES = env_list("QURB_SMS_VERIFICATION_COUNTRY_CODES", ["+212"])
SMS_DELIVERY_ATTEMPTS = int(os.environ.get("QURB_SMS_DELIVERY_ATTEMPTS", "5"))
# Phone numbers that texted nothing and received nothing for this long are deleted.
SMS_RETENTION_DAYS = int(os.environ.get("QURB_SMS_RETENTION_DAYS", "365"))
# WhatsApp Cloud API, a second channel on the SMS conversation (docs/sms.md). Without a phone
# number id, a token, an app secret and a verify token, the channel is off (its webhook 404s).
WHATSAPP_BASE_URL = os.environ.get("QURB_WHATSAPP_BASE_URL", "https://graph.facebook.com")
WHATSAPP_API_VERSION = os.environ.get("QURB_WHATSAPP_API_VERSION", "v23.0")
WHATSAPP_PHONE_NUMBER_ID = os.environ.get("QURB_WHATSAPP_PHONE_NUMBER_ID", "")
WHATSAPP_TOKEN = os.environ.get("QURB_WHATSAPP_TOKEN", "")
WHATSAPP_APP_SECRET = os.environ.get("QURB_WHATSAPP_APP_SECRET", "")
WHATSAPP_VERIFY_TOKEN = os.environ.get("QURB_WHATSAPP_VERIFY_TOKEN", "")
# The approved template (one body parameter, {{1}}: the message) sent outside the 24-hour
# customer service window (empty: such messages are not sent), and its language codes.
WHATSAPP_TEMPLATE = os.environ.get("QURB_WHATSAPP_TEMPLATE", "")
WHATSAPP_TEMPLATE_LANGUAGES = dict(
    pair.split("=", 1)
    for pair in env_list("QURB_WHATSAPP_TEMPLATE_LANGUAGES", ["ar=ar", "fr=fr", "en=en"])
    if "=" in pair
)
WHATSAPP_TIMEOUT = float(os.environ.get("QURB_WHATSAPP_TIMEOUT", "10"))

# --- insights ------------------------------------------------------------------------------
# Hexagon size for hotspots: H3 resolution 9 is about 0.1 km² (edges of about 200 m). After a
# change, `qurb insights rebuild` recomputes the daily counts.
HOTSPOT_H3_RESOLUTION = int(os.environ.get("QURB_HOTSPOT_RESOLUTION", "9"))
# A hexagon is a hotspot when its neighbourhood's excess passes the false discovery rate below
# and the hexagon itself holds at least this many reports in the period.
HOTSPOT_FDR = float(os.environ.get("QURB_HOTSPOT_FDR", "0.05"))
HOTSPOT_MIN_COUNT = int(os.environ.get("QURB_HOTSPOT_MIN_COUNT", "5"))
# Trends: the recent weeks against the weeks before them.
TREND_RECENT_DAYS = int(os.environ.get("QURB_TREND_RECENT_DAYS", "28"))
TREND_BASELINE_DAYS = int(os.environ.get("QURB_TREND_BASELINE_DAYS", "84"))
TREND_MIN_RATIO = float(os.environ.get("QURB_TREND_MIN_RATIO", "1.5"))
TREND_MIN_COUNT = int(os.environ.get("QURB_TREND_MIN_COUNT", "5"))
# Schools: how near counts as "near", and the entry and exit windows of a school that has none
# of its own (weekdays 0 = Monday; local times).
SCHOOL_RADIUS_M = float(os.environ.get("QURB_SCHOOL_RADIUS_M", "300"))
SCHOOL_WINDOWS_DEFAULT = [
    {"label": "entry", "days": [0, 1, 2, 3, 4, 5], "start": "07:30", "end": "08:30"},
    {"label": "exit", "days": [0, 1, 2, 3, 4, 5], "start": "11:30", "end": "12:30"},
    {"label": "entry", "days": [0, 1, 2, 3, 4], "start": "13:30", "end": "14:30"},
    {"label": "exit", "days": [0, 1, 2, 3, 4], "start": "16:30", "end": "18:30"},
]
# Patrol windows: blocks of this many hours, over this many past days.
PATROL_BLOCK_HOURS = int(os.environ.get("QURB_PATROL_BLOCK_HOURS", "2"))
PATROL_LOOKBACK_DAYS = int(os.environ.get("QURB_PATROL_LOOKBACK_DAYS", "90"))
PATROL_MIN_COUNT = int(os.environ.get("QURB_PATROL_MIN_COUNT", "5"))
# Public figures: counts below this are shown as "fewer than N".
PUBLIC_MIN_COUNT = int(os.environ.get("QURB_PUBLIC_MIN_COUNT", "5"))
# Covering indexes (INCLUDE) are a PostgreSQL feature; SQLite keeps the key columns only.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

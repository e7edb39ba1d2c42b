"""Django settings for Linli, read once from environment variables (see .env.example)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from linli.common.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_str,
    secret_from_env_or_file,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LINLI_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("LINLI_DEBUG", default=False)
SECRET_KEY = secret_from_env_or_file("LINLI_SECRET_KEY", VAR_DIR / "secret.key")
PII_KEY = secret_from_env_or_file("LINLI_PII_KEY", VAR_DIR / "pii.key")
ALLOWED_HOSTS = env_list("LINLI_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("LINLI_CSRF_TRUSTED_ORIGINS", [])

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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_q",
    "linli.common",
    "linli.places",
    "linli.orgs",
    "linli.people",
    "linli.notify",
    "linli.cases",
    "linli.eligibility",
    "linli.orders",
    "linli.accounts",
    "linli.devices",
    "linli.care",
    "linli.activities",
    "linli.engagement",
    "linli.governance",
    "linli.sharing",
    "linli.economy",
    "linli.cockpit",
    "linli.audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "linli.common.faults.DatabaseUnavailableMiddleware",  # DB outage → 503 + Retry-After
    "linli.common.security.BadInputMiddleware",  # NUL bytes, DataError → 400, never 500
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "linli.common.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "linli.audit.middleware.ExportAuditMiddleware",  # every download → audit log
]
# Security audit log (linli/audit, docs/audit.md): days kept; < 180 refused at start-up.
AUDIT_KEEP_DAYS = env_int("LINLI_AUDIT_KEEP_DAYS", 400)

ROOT_URLCONF = "linli.urls"
WSGI_APPLICATION = "linli.wsgi.application"
ASGI_APPLICATION = "linli.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "linli" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "linli.notify.context_processors.unread",
            ],
        },
    },
]

_database_url = env_str("DATABASE_URL")
if _database_url:
    try:
        DATABASES = {
            "default": dj_database_url.parse(
                _database_url, conn_max_age=60, conn_health_checks=True
            )  # a connection cut by a server restart is replaced at the next request
        }
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "linli.sqlite3"),
            # WAL lets the web server read while the worker writes; IMMEDIATE takes the write
            # lock at BEGIN so two writers queue instead of failing half-way.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# AUTH_PASSWORD_VALIDATORS, PASSWORD_HASHERS: see "Log-in security" below.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "linli" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
NODE_MODULES = BASE_DIR / "node_modules"
# Front-end packages come from the npm registry through package-lock.json and are served
# by WhiteNoise: government intranets cannot reach a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "linli" / "static",
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "linli.common.staticstorage.StaticStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Browser security (docs/security.md) -----------------------------------------------------
# LINLI_HTTPS=1 behind TLS: redirect http to https, HSTS for a year, cookies only over https.
# LINLI_SECURE_COOKIES=1 (older name) still turns on the secure cookies alone.
LINLI_HTTPS = env_bool("LINLI_HTTPS", default=False)
SECURE_SSL_REDIRECT = LINLI_HTTPS
# Load balancers and the container's health check speak plain http to the web process.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^metrics/?$"]
SECURE_HSTS_SECONDS = 31_536_000 if LINLI_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = LINLI_HTTPS
# Trust X-Forwarded-Proto only from a proxy that sets it (never from the client).
if env_bool("LINLI_TRUSTED_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = LINLI_HTTPS or env_bool("LINLI_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the csrftoken cookie: htmx and fetch() take the token from the page.
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"


def _tile_source(url: str) -> str:
    """The CSP source of a Leaflet tile URL: ``https://t{s}.tianditu.gov.cn/…`` →
    ``https://*.tianditu.gov.cn`` (a placeholder label becomes the CSP wildcard)."""
    scheme, _, rest = url.partition("://")
    host = rest.split("/", 1)[0]
    if not scheme or not host:
        raise ImproperlyConfigured(f"LINLI_MAP_TILES_URL is not an http(s) URL: {url!r}")
    labels = host.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    if any("{" in label for label in labels):
        raise ImproperlyConfigured(
            f"LINLI_MAP_TILES_URL: only the first host label may vary, got {url!r}"
        )
    return f"{scheme}://{'.'.join(labels)}"


# Content-Security-Policy (django-csp 4): no inline scripts or styles anywhere; the API docs
# pages get their own relaxed policy in linli/urls.py.
_img_src = ["'self'", "data:", "blob:"]
if env_str("LINLI_MAP_TILES_URL", ""):
    _img_src.append(_tile_source(env_str("LINLI_MAP_TILES_URL", "")))  # the cockpit base map
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": _img_src,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "worker-src": ["'self'"],
    }
}
INSTALLED_APPS += ["csp"]
MIDDLEWARE += [
    "csp.middleware.CSPMiddleware",
    "linli.common.security.PermissionsPolicyMiddleware",
    "linli.common.security.StorageFullMiddleware",
]
# Uploads: a full disk answers 507 with a Chinese message and leaves no partial file.
STORAGES["default"] = {"BACKEND": "linli.common.security.UploadStorage"}
# End of browser security -----------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "linli.common.pagination.LimitOffset",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    # ASCII title: it becomes the schema's download file name (Content-Disposition).
    "TITLE": "Linli API",
    "DESCRIPTION": (
        "邻里社区治理与服务平台接口。实有人口与房屋（一标三实）：区域、楼栋、户、居民、单位；"
        "网格事件。认证：请求头 `Authorization: Token <令牌>`，令牌由 POST /api/auth/token/ 获取。"
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Background work: django-q2 with the database as broker on one machine, Redis when
# LINLI_REDIS_URL is set (several machines). See docs/tasks.md.
_redis_url = env_str("LINLI_REDIS_URL")
Q_CLUSTER: dict[str, object] = {
    # One queue per name on a shared Redis: several installations (or a test) keep apart.
    "name": env_str("LINLI_Q_NAME", "linli"),
    "workers": env_int("LINLI_WORKERS", 2),
    # A task taken by a worker that dies is handed out again after ``retry`` seconds (must
    # exceed ``timeout``); LINLI_Q_TIMEOUT / LINLI_Q_RETRY shorten both for fault tests.
    "timeout": env_int("LINLI_Q_TIMEOUT", 300),
    "retry": env_int("LINLI_Q_RETRY", 360),
    "max_attempts": 5,
    "ack_failures": True,
    "catch_up": False,
    "label": "任务队列",
}
if _redis_url:
    Q_CLUSTER["redis"] = _redis_url
    # django-q2's Redis broker loses the task of a killed worker; this one leases it.
    Q_CLUSTER["broker_class"] = "linli.common.faults.LeasedRedis"
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LINLI_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Open311 GeoReport v2 (linli/cases/open311, docs/api.md): the only accepted jurisdiction_id.
LINLI_OPEN311_JURISDICTION = env_str("LINLI_OPEN311_JURISDICTION", "jinfeng.yinchuan.gov.cn")

# Cases (docs/cases.md).
LINLI_CASE_REOPEN_DAYS = env_int("LINLI_CASE_REOPEN_DAYS", 15)
LINLI_CASE_DUPLICATE_RADIUS_M = env_int("LINLI_CASE_DUPLICATE_RADIUS_M", 200)
LINLI_CASE_DUPLICATE_WINDOW_HOURS = env_int("LINLI_CASE_DUPLICATE_WINDOW_HOURS", 72)
# Escalation (linli/cases/escalation.py): warn at this share of a stage's limit, then climb
# one level of the ladder per this share of the limit overdue.
LINLI_CASE_DUE_SOON = env_float("LINLI_CASE_DUE_SOON", 0.8)
LINLI_CASE_ESCALATION_STEP = env_float("LINLI_CASE_ESCALATION_STEP", 0.5)
LINLI_CASE_ESCALATION_CHANNELS = tuple(env_list("LINLI_CASE_ESCALATION_CHANNELS", ["inapp"]))

# Working time for SLA clocks (linli/common/workcalendar.py, docs/calendar.md).
LINLI_WORKING_HOURS = env_str("LINLI_WORKING_HOURS", "08:30-12:00,14:00-17:30")
LINLI_CALENDAR_REFRESH_SECONDS = env_int("LINLI_CALENDAR_REFRESH_SECONDS", 30)

# Demo log-ins share one password so it is hashed once (see linli/places/demo).
DEMO_PASSWORD = env_str("LINLI_DEMO_PASSWORD", "linli-demo-2026")

# Notifications ---------------------------------------------------------------------------
# linli/notify; see docs/notifications.md. Retry delay after the n-th failed attempt:
# NOTIFY_RETRY_BASE × 2^(n−1) seconds, at most NOTIFY_RETRY_CAP; NOTIFY_MAX_ATTEMPTS in all.
NOTIFY_SITE_URL = env_str("LINLI_SITE_URL")
NOTIFY_HTTP_TIMEOUT = env_int("LINLI_NOTIFY_HTTP_TIMEOUT", 10)
NOTIFY_RETRY_BASE = env_int("LINLI_NOTIFY_RETRY_BASE", 30)
NOTIFY_RETRY_CAP = env_int("LINLI_NOTIFY_RETRY_CAP", 3600)
NOTIFY_MAX_ATTEMPTS = env_int("LINLI_NOTIFY_MAX_ATTEMPTS", 8)
# A claimed delivery is invisible to other workers this long (must exceed the HTTP timeout).
NOTIFY_CLAIM_SECONDS = max(120, 3 * NOTIFY_HTTP_TIMEOUT)
NOTIFY_WECOM_WEBHOOK_BASE = env_str(
    "LINLI_WECOM_WEBHOOK_BASE", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
)
NOTIFY_DINGTALK_WEBHOOK_BASE = env_str(
    "LINLI_DINGTALK_WEBHOOK_BASE", "https://oapi.dingtalk.com/robot/send"
)
NOTIFY_SMS_BACKEND = env_str("LINLI_SMS_BACKEND", "linli.notify.channels.ConsoleSmsBackend")
if NOTIFY_HTTP_TIMEOUT <= 0 or NOTIFY_MAX_ATTEMPTS <= 0 or NOTIFY_RETRY_BASE <= 0:
    raise ImproperlyConfigured("LINLI_NOTIFY_* timeouts, attempts and delays must be positive")
_email_host = env_str("LINLI_EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if _email_host
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = _email_host or "localhost"
EMAIL_PORT = env_int("LINLI_EMAIL_PORT", 465)
EMAIL_HOST_USER = env_str("LINLI_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("LINLI_EMAIL_PASSWORD")
EMAIL_USE_SSL = env_bool("LINLI_EMAIL_SSL", default=EMAIL_PORT == 465)
EMAIL_USE_TLS = env_bool("LINLI_EMAIL_STARTTLS", default=False)
if EMAIL_USE_SSL and EMAIL_USE_TLS:
    raise ImproperlyConfigured("LINLI_EMAIL_SSL and LINLI_EMAIL_STARTTLS exclude each other")
EMAIL_TIMEOUT = NOTIFY_HTTP_TIMEOUT
DEFAULT_FROM_EMAIL = env_str("LINLI_EMAIL_FROM", "邻里 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# End of notifications --------------------------------------------------------------------

# Resident accounts -----------------------------------------------------------------------
# linli/accounts; see docs/accounts.md. Log-in by mobile number and a 6-digit one-time code.
ACCOUNTS_CODE_TTL_SECONDS = env_int("LINLI_LOGIN_CODE_TTL_SECONDS", 300)
ACCOUNTS_CODE_MAX_TRIES = env_int("LINLI_LOGIN_CODE_MAX_TRIES", 5)
ACCOUNTS_CODE_INTERVAL_SECONDS = env_int("LINLI_LOGIN_CODE_INTERVAL_SECONDS", 60)
ACCOUNTS_CODES_PER_NUMBER_HOUR = env_int("LINLI_LOGIN_CODES_PER_NUMBER_HOUR", 5)
ACCOUNTS_CODES_PER_IP_HOUR = env_int("LINLI_LOGIN_CODES_PER_IP_HOUR", 20)
if (
    min(
        ACCOUNTS_CODE_TTL_SECONDS,
        ACCOUNTS_CODE_MAX_TRIES,
        ACCOUNTS_CODES_PER_NUMBER_HOUR,
        ACCOUNTS_CODES_PER_IP_HOUR,
    )
    <= 0
    or ACCOUNTS_CODE_INTERVAL_SECONDS < 0
):
    raise ImproperlyConfigured("LINLI_LOGIN_CODE* limits must be positive")
# Resident users (logged in at /me/login/) may only reach these path prefixes.
ACCOUNTS_RESIDENT_PATHS = [
    "/me/",
    "/report/",
    "/activities/",
    "/yishi/",
    "/gongyi/",
    "/static/",
    "/i18n/",
]
MIDDLEWARE += ["linli.accounts.middleware.ResidentConfinementMiddleware"]
# End of resident accounts ----------------------------------------------------------------

# Resident service orders and dispatch (linli/orders, docs/orders.md) ---------------------
ORDERS_OFFER_SECONDS = env_int("LINLI_ORDERS_OFFER_SECONDS", 90)
ORDERS_SCHEDULED_LEAD_S = env_int("LINLI_ORDERS_SCHEDULED_LEAD_SECONDS", 2 * 3600)
ORDERS_CANCEL_BEFORE_SLOT_S = env_int("LINLI_ORDERS_CANCEL_BEFORE_SLOT_SECONDS", 2 * 3600)
ORDERS_DETOUR = env_float("LINLI_ORDERS_DETOUR", 1.3)
ORDERS_ROAD_NETWORK = env_str("LINLI_ORDERS_ROAD_NETWORK", "")
ORDERS_REOPTIMISE = env_bool("LINLI_ORDERS_REOPTIMISE", True)
if ORDERS_OFFER_SECONDS <= 0 or ORDERS_DETOUR < 1:
    raise ImproperlyConfigured("LINLI_ORDERS_OFFER_SECONDS must be > 0 and LINLI_ORDERS_DETOUR ≥ 1")
# End of orders ---------------------------------------------------------------------------

# Devices and event ingestion (linli/devices, docs/devices.md) ------------------------------
DEVICES_MQTT_URL = env_str("LINLI_MQTT_URL")  # mqtt://user:password@host:1883; unset: no ingestor
DEVICES_MQTT_CLIENT_ID = env_str("LINLI_MQTT_CLIENT_ID", "linli-ingest")
DEVICES_MQTT_TOPIC_PREFIX = env_str("LINLI_MQTT_TOPIC_PREFIX", "linli")
DEVICES_BUFFER_MESSAGES = env_int("LINLI_DEVICES_BUFFER_MESSAGES", 10_000)
DEVICES_HTTP_MAX_BYTES = env_int("LINLI_DEVICES_HTTP_MAX_BYTES", 1_048_576)
DEVICES_HTTP_MAX_EVENTS = env_int("LINLI_DEVICES_HTTP_MAX_EVENTS", 1000)
DEVICES_SIGNATURE_WINDOW_S = env_int("LINLI_DEVICES_SIGNATURE_WINDOW_SECONDS", 300)
DEVICES_FUTURE_TOLERANCE_S = env_int("LINLI_DEVICES_FUTURE_TOLERANCE_SECONDS", 300)
DEVICES_RETENTION_MONTHS = env_int("LINLI_DEVICES_RETENTION_MONTHS", 13)
DEVICES_PARTITIONS_AHEAD = env_int("LINLI_DEVICES_PARTITIONS_AHEAD", 2)
DEVICES_DEAD_LETTER_MAX_CHARS = env_int("LINLI_DEVICES_DEAD_LETTER_MAX_CHARS", 8000)
if (
    min(
        DEVICES_BUFFER_MESSAGES,
        DEVICES_HTTP_MAX_BYTES,
        DEVICES_HTTP_MAX_EVENTS,
        DEVICES_SIGNATURE_WINDOW_S,
        DEVICES_RETENTION_MONTHS,
        DEVICES_DEAD_LETTER_MAX_CHARS,
    )
    <= 0
    or DEVICES_FUTURE_TOLERANCE_S < 0
    or DEVICES_PARTITIONS_AHEAD < 0
):
    raise ImproperlyConfigured("LINLI_DEVICES_* limits must be positive")
# End of devices ----------------------------------------------------------------------------
# Day planning of booked visits (linli/orders/dayplan.py): solver time per run, and the most
# a second service for the same resident may wait after the first ends.
ORDERS_PLAN_SECONDS = env_float("LINLI_ORDERS_PLAN_SECONDS", 30.0)
ORDERS_SEQUENCE_GAP_S = env_int("LINLI_ORDERS_SEQUENCE_GAP_SECONDS", 1800)
# Cockpit map tiles (linli/cockpit/layers.py, docs/cockpit.md): none by default (boundaries on a
# plain background); CRS wgs84 | cgcs2000 | gcj02 (AMap/Tencent: coordinates converted on output).
COCKPIT_MAP_TILES_URL = env_str("LINLI_MAP_TILES_URL", "")
COCKPIT_MAP_TILES_CRS = env_str("LINLI_MAP_TILES_CRS", "wgs84").lower()
COCKPIT_MAP_TILES_ATTRIBUTION = env_str("LINLI_MAP_TILES_ATTRIBUTION", "")
# 15-minute service circle (linli/cockpit/circle.py, docs/service-circle.md): walking speed of
# older residents, m/s (1.0 m/s × 15 min = 900 m, within GB 50180-2018's 800–1 000 m).
LINLI_CIRCLE_WALK_SPEED_M_S = env_float("LINLI_CIRCLE_WALK_SPEED_M_S", 1.0)
# Checked here so a bad value stops start-up instead of failing every circle or map request.
if not (0 < LINLI_CIRCLE_WALK_SPEED_M_S < float("inf")):
    raise ImproperlyConfigured(
        "LINLI_CIRCLE_WALK_SPEED_M_S must be a positive walking speed in metres a second "
        f"(e.g. 1.0), got {LINLI_CIRCLE_WALK_SPEED_M_S!r}"
    )
# The tile systems linli.cockpit.layers.TILE_CRSES accepts ("-" ignored and empty = wgs84,
# as linli.cockpit.layers.tiles_crs reads it).
if (COCKPIT_MAP_TILES_CRS or "wgs84").replace("-", "") not in ("wgs84", "cgcs2000", "gcj02"):
    raise ImproperlyConfigured(
        f"LINLI_MAP_TILES_CRS must be wgs84, cgcs2000 or gcj02, got {COCKPIT_MAP_TILES_CRS!r}"
    )
# Personal-information retention (linli/common/retention.py, docs/privacy.md): days/years a
# record is kept before it is deleted or anonymised. Floors stop a typo from erasing what the
# law requires kept: PII view logs ≥ 180 days (Cybersecurity Law art. 21, GB/T 22239-2019
# 8.1.4.3), case contacts ≥ 30 days after closing (a case may be reopened and rated).
RETAIN_OTP_DAYS = env_int("LINLI_RETAIN_OTP_DAYS", 1)
RETAIN_PII_LOG_DAYS = env_int("LINLI_RETAIN_PII_LOG_DAYS", 365)
RETAIN_CASE_CONTACT_DAYS = env_int("LINLI_RETAIN_CASE_CONTACT_DAYS", 365)
RETAIN_MOVED_OUT_YEARS = env_int("LINLI_RETAIN_MOVED_OUT_YEARS", 5)
RETAIN_DEAD_LETTER_DAYS = env_int("LINLI_RETAIN_DEAD_LETTER_DAYS", 90)
for _name, _value, _floor in (
    ("LINLI_RETAIN_OTP_DAYS", RETAIN_OTP_DAYS, 1),
    ("LINLI_RETAIN_PII_LOG_DAYS", RETAIN_PII_LOG_DAYS, 180),
    ("LINLI_RETAIN_CASE_CONTACT_DAYS", RETAIN_CASE_CONTACT_DAYS, 30),
    ("LINLI_RETAIN_MOVED_OUT_YEARS", RETAIN_MOVED_OUT_YEARS, 1),
    ("LINLI_RETAIN_DEAD_LETTER_DAYS", RETAIN_DEAD_LETTER_DAYS, 7),
):
    if _value < _floor:
        raise ImproperlyConfigured(f"{_name} must be at least {_floor}, got {_value}")

# Log-in security (docs/accounts.md) -----------------------------------------------------
# Staff log in with a password (plus an optional TOTP code); residents with a one-time code.
# Argon2id first (OWASP Password Storage Cheat Sheet); the PBKDF2 hashers stay so older hashes
# still verify, and Django re-hashes them with Argon2 at the next successful log-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
_pv = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _pv + "UserAttributeSimilarityValidator"},
    {"NAME": "linli.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": _pv + "CommonPasswordValidator"},
    {"NAME": _pv + "NumericPasswordValidator"},
    # GB/T 22239-2019 (等保 2.0) 8.1.4.1: passwords of some complexity, changed regularly.
    {"NAME": "linli.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
]
# django-axes: a (username, client address) pair is locked after AXES_FAILURE_LIMIT failed
# log-ins for AXES_COOLOFF_TIME, so one attacker cannot lock a whole office out.
INSTALLED_APPS += ["axes"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LINLI_AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_MINUTES = env_int("LINLI_AXES_COOLOFF_MINUTES", 15)
if AXES_FAILURE_LIMIT <= 0 or AXES_COOLOFF_MINUTES <= 0:
    raise ImproperlyConfigured(
        "LINLI_AXES_FAILURE_LIMIT and LINLI_AXES_COOLOFF_MINUTES must be > 0"
    )
AXES_COOLOFF_TIME = dt.timedelta(minutes=AXES_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # successful log-ins are in the audit log (linli/audit)
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_LOCKOUT_CALLABLE = "linli.accounts.lockout.lockout_response"
# Staff sessions end after this many minutes without a request (resident sessions never do:
# age-friendly rules); requests to these paths (regular expressions: pages' background
# polling) or carrying the header "X-Linli-Poll: 1" do not count as activity.
STAFF_IDLE_MINUTES = env_int("LINLI_STAFF_IDLE_MINUTES", 30)
if STAFF_IDLE_MINUTES <= 0:
    raise ImproperlyConfigured("LINLI_STAFF_IDLE_MINUTES must be a positive number of minutes")
STAFF_POLL_PATHS = [
    r"^/cockpit/layers/",
    r"^/cockpit/kpis/panels",
    r"^/activities/manage/\d+/door/count/",
    r"^/work/offer/$",
    r"^/roster/import/\d+/progress/",
]
# Roles (linli.people.models.Role values) whose users must turn on the TOTP second factor.
STAFF_TOTP_REQUIRED_ROLES = env_list("LINLI_STAFF_TOTP_REQUIRED_ROLES", [])
MIDDLEWARE += [
    "linli.accounts.staff_middleware.StaffIdleTimeoutMiddleware",
    "linli.accounts.staff_middleware.StaffSafeguardMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]
# End of log-in security ------------------------------------------------------------------

# Operations: metrics and logs (docs/deploy.md) -------------------------------------------
# /metrics (linli/common/metrics.py): from these networks, or with "Authorization: Bearer
# <LINLI_METRICS_TOKEN>"; anyone else gets 404. "none" allows no address (token only).
import ipaddress as _ipaddress  # noqa: E402

try:
    METRICS_ALLOW = [
        _ipaddress.ip_network(item, strict=False)
        for item in env_list("LINLI_METRICS_ALLOW", ["127.0.0.1/32", "::1"])
        if item.lower() != "none"
    ]
except ValueError as _exc:
    raise ImproperlyConfigured(f"LINLI_METRICS_ALLOW: not a CIDR list ({_exc})") from None
METRICS_TOKEN = env_str("LINLI_METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ImproperlyConfigured("LINLI_METRICS_TOKEN must be at least 16 characters long")
# The request id and request line (linli/common/logging.py) wrap everything else; the metrics
# middleware sits inside them so it times the same work.
MIDDLEWARE[:0] = [
    "linli.common.logging.RequestIdMiddleware",
    "linli.common.metrics.MetricsMiddleware",
]
# LINLI_LOG_FORMAT: plain (development) or json (production: one JSON object per line).
LOG_FORMAT = env_str("LINLI_LOG_FORMAT", "plain").lower()
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LINLI_LOG_FORMAT must be plain or json, got {LOG_FORMAT!r}")
from linli.common.logging import logging_config as _logging_config  # noqa: E402

LOGGING = _logging_config(log_format=LOG_FORMAT, level=env_str("LINLI_LOG_LEVEL", "INFO"))
# End of operations -----------------------------------------------------------------------

"""Django settings for Wangge.

Development and demo defaults live here; `wangge.settings_production` hardens
them for a real deployment. Everything that differs between machines comes
from the environment (DATABASE_URL, WANGGE_SECRET_KEY, WANGGE_DEBUG, ...).
"""
import os
import secrets
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = PACKAGE_DIR.parent
VAR_DIR = Path(os.environ.get("WANGGE_VAR_DIR", BASE_DIR / "var"))


def _secret_key() -> str:
    """The key comes from the environment or a file made at first run (never committed)."""
    if os.environ.get("WANGGE_SECRET_KEY"):
        return os.environ["WANGGE_SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        tmp = VAR_DIR / f".secret_key.{os.getpid()}"
        tmp.write_text(secrets.token_urlsafe(50))
        tmp.chmod(0o600)
        try:
            os.link(tmp, key_file)  # atomic; if another process made one first, keep it
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = os.environ.get("WANGGE_DEBUG", "1") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("WANGGE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "wangge.core",
    "wangge.areas",
    "wangge.registry",
    "wangge.cases",
    "wangge.mediation",
    "wangge.sensing",
    "wangge.insight",
    "wangge.insight.assessment",
    "wangge.portal",
    "wangge.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "wangge.core.middleware.RejectNulBytesMiddleware",
    "wangge.core.middleware.RejectMalformedMultipartMiddleware",
    "wangge.core.middleware.ContentSecurityPolicyMiddleware",
    "wangge.core.middleware.ScriptedSubmitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Axes goes last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "wangge.urls"
WSGI_APPLICATION = "wangge.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wangge.core.context_processors.unread_count",
                "wangge.core.context_processors.calendar_notice",
                "wangge.core.context_processors.staff_shell",
            ],
            # `can`, `mask_phone`, `mask_id` on every page without a {% load %}.
            "builtins": ["wangge.core.templatetags.core_tags"],
        },
    },
]

# SQLite file in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("WANGGE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside one writer; IMMEDIATE takes the write lock
        # at BEGIN so two writers queue instead of failing with "database is locked".
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: it pays off for long analytic queries, and ours are short. A page's query whose cost
    # estimate passed jit_above_cost (100,000; a district's aggregates do) spent seconds compiling what then ran
    # in a few hundred milliseconds (docs/performance.md). WANGGE_PG_JIT=1 leaves the server's setting.
    if os.environ.get("WANGGE_PG_JIT") != "1":
        DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Lock a username out after 5 failures from one address, for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("WANGGE_MEDIA_ROOT", VAR_DIR / "media"))


def cache_settings(url: str) -> dict:
    """WANGGE_CACHE_URL=redis://host:6379/0 shares the cache (the portal's report limit, counted once for every
    server process) through Redis; without it each process keeps its own in memory."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                            "KEY_PREFIX": "wangge"}}
    return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


CACHES = cache_settings(os.environ.get("WANGGE_CACHE_URL", ""))

STATIC_URL = "static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("WANGGE_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise expects it even before collectstatic
WHITENOISE_USE_FINDERS = DEBUG
# Served deployments (`make demo`, `python -m wangge serve`, which run collectstatic) get hashed file names,
# gzip (and brotli, when the Brotli package is installed) copies, and WhiteNoise's far-future cache headers for
# the hashed names. With DEBUG the pages name the plain files, served from the source folders. Tests use the
# plain storage (conftest.py), except the throttled-network test, which collects into a temporary folder.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": os.environ.get("WANGGE_STATIC_STORAGE",
                                              "whitenoise.storage.CompressedManifestStaticFilesStorage")},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy of every HTML page (core.middleware.ContentSecurityPolicyMiddleware): scripts and
# styles only from our own static files; images also as data:/blob: URLs (photo previews, chart exports).
WANGGE_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data: blob:",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# The point maps' base map (docs/maps.md): a tile URL template with {z}/{x}/{y} (and {s} for
# WANGGE_BASE_MAP_SUBDOMAINS), its coordinate system (wgs84: 天地图 and other CGCS2000 maps; gcj02: 高德,
# 腾讯) and the attribution its licence asks for. None configured (the demo, a sealed intranet): our own
# outlines, names, buildings and places draw the base.
WANGGE_BASE_MAP = {
    "url": os.environ.get("WANGGE_BASE_MAP_URL", ""),
    "crs": os.environ.get("WANGGE_BASE_MAP_CRS", "wgs84"),
    "attribution": os.environ.get("WANGGE_BASE_MAP_ATTRIBUTION", ""),
    "subdomains": os.environ.get("WANGGE_BASE_MAP_SUBDOMAINS", "abc"),
    "max_zoom": int(os.environ.get("WANGGE_BASE_MAP_MAX_ZOOM", "18")),
}


def _tile_source(url: str) -> str:
    """The CSP source of a tile URL template: its origin ("{s}" in the host: a wildcard for the subdomains)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "SUBDOMAIN"))
    host = parts.netloc
    if "SUBDOMAIN" in host:
        host = "*." + host.split(".", 1)[1] if "." in host else host
    return f"{parts.scheme}://{host}" if parts.scheme and host else ""


if _tile_source(WANGGE_BASE_MAP["url"]):
    WANGGE_CSP["img-src"] += " " + _tile_source(WANGGE_BASE_MAP["url"])
# Address search on the point maps (docs/maps.md): the class that answers it; the default reads our own
# buildings, houses, places and organisations, in the user's area.
WANGGE_GEOCODER = os.environ.get("WANGGE_GEOCODER", "wangge.registry.search.OwnDataGeocoder")

WANGGE_CSP_EXEMPT = ["/api/v1/docs"]  # django-ninja's Swagger page brings its own inline script
# Pages whose charts are still inline scripts: the measures pages, until the measures engine's one chart
# template and static script replace them. Then empty this list (core/tests/test_csp.py follows it).
WANGGE_CSP_INLINE_ALLOWED: list[str] = []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WANGGE_LOG_LEVEL", "WARNING")},
}

# The most points one POST /api/v1/locate accepts.
LOCATE_BATCH_LIMIT = 10_000

# Background work: the django.tasks API with its database backend (one machine, no broker to run).
# `python -m wangge run_worker` runs the tasks and the deadlines poller.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Text messages: the default backend only writes the outbox table; a real gateway is one class away.
WANGGE_SMS_BACKEND = os.environ.get("WANGGE_SMS_BACKEND", "wangge.core.notify.OutboxSmsBackend")

# Photos: at most this many bytes each (before re-encoding) and this many per upload.
WANGGE_PHOTO_MAX_BYTES = int(os.environ.get("WANGGE_PHOTO_MAX_BYTES", str(10 * 1024 * 1024)))
WANGGE_PHOTO_MAX_COUNT = 9
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# API paging with both numbers bounded (a bare @paginate uses it too).
NINJA_PAGINATION_CLASS = "wangge.core.paging.LimitOffsetPagination"

# Sensing: the site's MQTT broker (devices publish to wangge/devices/<code>/events; `python -m wangge mqtt_ingest`
# subscribes, as the user and password in the URL if any), and how long door events and dead letters are kept.
WANGGE_MQTT_URL = os.environ.get("WANGGE_MQTT_URL", "mqtt://127.0.0.1:1883")
WANGGE_MQTT_TOPIC_ROOT = os.environ.get("WANGGE_MQTT_TOPIC_ROOT", "wangge")  # <root>/devices/<code>/events
# The subscriber's client id (its persistent session is kept under it); default wangge-ingest-<host name>. Two
# subscribers with one id take the session from each other in turn: a second site on the host sets its own.
WANGGE_MQTT_CLIENT_ID = os.environ.get("WANGGE_MQTT_CLIENT_ID", "")
WANGGE_EVENT_RETENTION_DAYS = int(os.environ.get("WANGGE_EVENT_RETENTION_DAYS", "180"))
WANGGE_DEAD_LETTER_RETENTION_DAYS = int(os.environ.get("WANGGE_DEAD_LETTER_RETENTION_DAYS", "30"))

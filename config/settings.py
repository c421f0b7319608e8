"""Paperwire settings, read from the environment (see README "Configuration").

Every setting has a default that runs the embedded stack (SQLite, a broker on disk, mail to the
console), so `make run` needs no external service; production sets the environment instead.
"""

import os
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from config.queues import queue_names, task_routes

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PAPERWIRE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (or DEBUG=1 for local development).")
    SECRET_KEY = "insecure-local-development-key-never-use-in-production"
# Rotating the key: the old one here (comma-separated) keeps every link already mailed working.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_celery_beat",
    "anymail",
    "django_ratelimit",
    "csp",
    "axes",
    "health_check",
    "papers",
    "newsletter",
    "config",  # the whole site: setup, local_setup, screenshots, the admin's state
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "config.middleware.DropControlCharacters",
    "config.middleware.PublicApiCors",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out login
]

# Content-Security-Policy (django-csp): scripts only from this site, never inline, so an injected
# <script> or onclick= never runs. Styles may be inline (the admin's preview of an email is
# HTML with inlined CSS); images may come from any https host (Hugging Face thumbnails).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "https:", "data:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "newsletter.context_processors.site",
            ],
        },
    },
]

# Database: DATABASE_URL, or a SQLite file under var/.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'paperwire.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
SQLITE_PAGE_SIZE = 16384  # bytes, for a database the site creates (SQLite's default is 4096)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share the file: WAL lets readers run beside the writer, IMMEDIATE
    # transactions take the write lock up front instead of failing half-way with "locked".
    # A new database gets 16 KB pages (an existing one keeps its own; docs/OPERATIONS.md says how
    # to convert one): a paper's row, with its abstract, is about 2 KB, and 4 KB pages held one
    # or two of them, so 100,000 papers took 365 MB instead of 265 MB, and an ingest wrote (and
    # WAL-checkpointed) the difference twice (benchmarks/README.md, "ingest").
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            f"PRAGMA page_size={SQLITE_PAGE_SIZE}; PRAGMA journal_mode=WAL; "
            "PRAGMA synchronous=NORMAL;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")

# Rate limits (django-ratelimit) count in the cache, shared by every web process: Redis when
# configured (Django's RedisCache increments atomically, though django-ratelimit lists only
# django-redis: W001), otherwise the database, with an atomic increment (config/cache.py; the
# table comes with migration newsletter 0011). Never a per-process memory.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.AtomicDatabaseCache",
            "LOCATION": "paperwire_cache",
            # Django culls a third of the table past 300 entries: that would forget counts.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }
# The address rate limits count against: see TRUSTED_PROXIES.
RATELIMIT_IP_META_KEY = "config.cache.client_ip"

# Celery: Redis when configured, otherwise a broker that lives in files under var/broker.
BROKER_DIR = VAR_DIR / "broker"
# (The file broker's URL names localhost only so that kombu does not warn of a missing host.)
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or REDIS_URL or "filesystem://localhost/"
if CELERY_BROKER_URL.startswith("filesystem://"):
    BROKER_DIR.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Each kind of work on a queue of its own (config/queues.py): fetch, match, send, maintenance.
CELERY_QUEUE_PREFIX = os.environ.get("CELERY_QUEUE_PREFIX", "")
CELERY_TASK_ROUTES = task_routes(CELERY_QUEUE_PREFIX)
CELERY_QUEUE_NAMES = [CELERY_TASK_DEFAULT_QUEUE, *queue_names(CELERY_QUEUE_PREFIX).values()]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = "UTC"

# Email: any Django or anymail backend. ANYMAIL_<NAME> variables become ANYMAIL["<NAME>"],
# e.g. ANYMAIL_MAILGUN_API_KEY or ANYMAIL_WEBHOOK_SECRET.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Paperwire <papers@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where List-Unsubscribe's mailto: points; the ESP or a person processes what arrives there.
NEWSLETTER_UNSUBSCRIBE_MAILBOX = os.environ.get(
    "NEWSLETTER_UNSUBSCRIBE_MAILBOX", parseaddr(DEFAULT_FROM_EMAIL)[1] or "unsubscribe@localhost"
)
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_") and value
}
if "," in ANYMAIL.get("WEBHOOK_SECRET", ""):  # "new:pass,old:pass" while the ESP changes over
    ANYMAIL["WEBHOOK_SECRET"] = [s.strip() for s in ANYMAIL["WEBHOOK_SECRET"].split(",") if s]

# The proxies in front of the site (a load balancer, nginx): the client's address is then the
# one they add to X-Forwarded-For, counted from the right; 0 (the default) trusts no header, so
# no client can choose the address its rate limits and lockouts count against.
TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))

# Admin logins (django-axes): after AXES_FAILURE_LIMIT failures for one username from one
# address, that pair is locked out for AXES_COOLOFF_TIME hours; attempts and lockouts are listed
# in the admin (Axes), where a lockout can be lifted.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("AXES_COOLOFF_TIME", "1"))  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXIES or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if TRUSTED_PROXIES else ["REMOTE_ADDR"]
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

if not DEBUG:
    HTTPS = SITE_URL.startswith("https://")
    if TRUSTED_PROXIES:
        # Only a proxy sets X-Forwarded-Proto (it overwrites what a client sent); without
        # trusted proxies, a client writing "https" there is not believed.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=HTTPS)
    CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # A site served over https says so to browsers (HSTS, a year by default) and redirects
    # plain http; set these to 0 while trying https out, or for a site on plain http.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=HTTPS)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)

# Logs: readable lines (`plain`, the default with DEBUG and in `make run`), or one JSON object a
# line (`json`, the default in production) with the task, digest and subscriber ids where a line
# has them; never an email address (config/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "config.logs.Context"},
        "redact": {"()": "config.logs.Redact"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# Celery's workers log through these settings too when the lines are JSON (instead of setting up
# logging of their own).
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# Newsletter: how far back a new or edited subscription is matched.
NEWSLETTER_MATCH_WINDOW_DAYS = int(os.environ.get("NEWSLETTER_MATCH_WINDOW_DAYS", "7"))
# Digests (see README "Digests"): matches younger than this are offered to a digest.
NEWSLETTER_DIGEST_LOOKBACK_DAYS = int(os.environ.get("NEWSLETTER_DIGEST_LOOKBACK_DAYS", "8"))
# Matching reads the subscriptions this many at a time: its memory is that of one such shard.
NEWSLETTER_MATCH_SHARD = int(os.environ.get("NEWSLETTER_MATCH_SHARD", "50000"))
NEWSLETTER_BATCH_SIZE = int(os.environ.get("NEWSLETTER_BATCH_SIZE", "500"))
# A transient send error is retried after RETRY_BASE, 2x, 4x, ... seconds, MAX_ATTEMPTS times.
NEWSLETTER_RETRY_BASE_SECONDS = float(os.environ.get("NEWSLETTER_RETRY_BASE_SECONDS", "60"))
NEWSLETTER_RETRY_MAX_SECONDS = float(os.environ.get("NEWSLETTER_RETRY_MAX_SECONDS", "21600"))
NEWSLETTER_MAX_ATTEMPTS = int(os.environ.get("NEWSLETTER_MAX_ATTEMPTS", "8"))
# A digest still "sending" this long after its claim was left by a worker that died.
NEWSLETTER_SENDING_TIMEOUT_SECONDS = float(
    os.environ.get("NEWSLETTER_SENDING_TIMEOUT_SECONDS", "1800")
)
# Where each send is journaled as it happens (newsletter/digests/journal.py).
NEWSLETTER_JOURNAL_URL = (
    os.environ.get("NEWSLETTER_JOURNAL_URL") or REDIS_URL or str(VAR_DIR / "journal")
)
NEWSLETTER_LIST_ID = os.environ.get(
    "NEWSLETTER_LIST_ID", f"Paperwire digest <digest.{urlsplit(SITE_URL).hostname or 'localhost'}>"
)

# Papers: where the live sources are, and how every fetch is bounded (README "Sources").
# Feeds out (/feeds/): how far back a rule's or topic's feed looks for its latest 50 papers (a
# year: a rare topic's feed is never empty by accident), and how long readers may keep a copy
# before asking again (they ask with If-None-Match and get a 304 when nothing changed).
PAPERS_FEED_DAYS = int(os.environ.get("PAPERS_FEED_DAYS", "365"))
PAPERS_FEED_MAX_AGE = int(os.environ.get("PAPERS_FEED_MAX_AGE", "600"))
# Where the footer's "Source code" link goes: a deployment that changes the code publishes its own.
SOURCE_CODE_URL = os.environ.get("SOURCE_CODE_URL", "https://github.com/paperwire/paperwire")
PAPERS_CONTACT_EMAIL = os.environ.get(
    "PAPERS_CONTACT_EMAIL", parseaddr(DEFAULT_FROM_EMAIL)[1] or "papers@localhost"
)
PAPERS_USER_AGENT = os.environ.get(
    "PAPERS_USER_AGENT",
    f"Paperwire/0.1 (+{SITE_URL}; mailto:{PAPERS_CONTACT_EMAIL}; trending papers digest)",
)
PAPERS_FETCH_TIMEOUT = float(os.environ.get("PAPERS_FETCH_TIMEOUT", "30"))
PAPERS_FETCH_DEADLINE = float(os.environ.get("PAPERS_FETCH_DEADLINE", "60"))
PAPERS_FETCH_MAX_BYTES = int(os.environ.get("PAPERS_FETCH_MAX_BYTES", str(200 * 1024 * 1024)))
PAPERS_FETCH_MAX_REDIRECTS = int(os.environ.get("PAPERS_FETCH_MAX_REDIRECTS", "5"))
PAPERS_FETCH_RETRIES = int(os.environ.get("PAPERS_FETCH_RETRIES", "3"))
# Fetches go to public addresses only (no loopback, private, link-local or reserved address, so
# a feed's URL cannot reach inside the network); 1 lets an operator fetch internal feeds.
PAPERS_FETCH_ALLOW_PRIVATE = env_bool("PAPERS_FETCH_ALLOW_PRIVATE", default=False)
PAPERS_FETCH_BACKOFF_SECONDS = float(os.environ.get("PAPERS_FETCH_BACKOFF_SECONDS", "1"))
PAPERS_HF_DAILY_URL = os.environ.get(
    "PAPERS_HF_DAILY_URL", "https://huggingface.co/api/daily_papers"
)
PAPERS_HF_REPOLL_DAYS = int(os.environ.get("PAPERS_HF_REPOLL_DAYS", "7"))
PAPERS_ARXIV_RSS_URL = os.environ.get("PAPERS_ARXIV_RSS_URL", "https://rss.arxiv.org/rss/")
PAPERS_ARXIV_API_URL = os.environ.get("PAPERS_ARXIV_API_URL", "https://export.arxiv.org/api/query")
PAPERS_ARXIV_CATEGORIES = env_list("PAPERS_ARXIV_CATEGORIES", "cs.AI,cs.CL,cs.CV,cs.LG")
# After this many failed fetches in a row a feed is flagged on the admin index and logged as an error.
PAPERS_FEED_FAILURES_ALERT = int(os.environ.get("PAPERS_FEED_FAILURES_ALERT", "3"))
# The site's Trending view: papers listed in the last few days, by upvotes gained in 24 hours.
# /health/: beat's last tick may be this old (its shortest schedule is 10 minutes), and the disk
# where the service writes must have this much free.
HEALTH_BEAT_MAX_AGE_MINUTES = int(os.environ.get("HEALTH_BEAT_MAX_AGE_MINUTES", "30"))
HEALTH_MIN_FREE_DISK_MB = int(os.environ.get("HEALTH_MIN_FREE_DISK_MB", "500"))

# The deliverability guard: sending pauses itself when spam complaints pass this share of the
# last 24 hours' sends (0.3%: Gmail's line), once there were at least NEWSLETTER_GUARD_MIN_SENDS.
NEWSLETTER_COMPLAINT_RATE_LIMIT = float(os.environ.get("NEWSLETTER_COMPLAINT_RATE_LIMIT", "0.003"))
NEWSLETTER_GUARD_MIN_SENDS = int(os.environ.get("NEWSLETTER_GUARD_MIN_SENDS", "100"))
# Sending throttled per ESP, across every worker: messages a second (0: no limit), and at most
# NEWSLETTER_SEND_WINDOW_LIMIT in any NEWSLETTER_SEND_WINDOW_SECONDS (0: no window).
NEWSLETTER_SEND_RATE = int(os.environ.get("NEWSLETTER_SEND_RATE", "0"))
NEWSLETTER_SEND_WINDOW_LIMIT = int(os.environ.get("NEWSLETTER_SEND_WINDOW_LIMIT", "0"))
NEWSLETTER_SEND_WINDOW_SECONDS = int(os.environ.get("NEWSLETTER_SEND_WINDOW_SECONDS", "3600"))
# /metrics (Prometheus): mounted only with a token, which every scrape must send as a bearer.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# Retention (days): "Prune old rows" deletes what is older, in batches. Papers are never pruned,
# nor a paper's last upvote count before the cutoff, nor a feed's latest ingest run.
PAPERS_UPVOTE_HISTORY_DAYS = int(os.environ.get("PAPERS_UPVOTE_HISTORY_DAYS", "90"))
PAPERS_INGEST_RUN_RETENTION_DAYS = int(os.environ.get("PAPERS_INGEST_RUN_RETENTION_DAYS", "90"))
NEWSLETTER_MATCH_RETENTION_DAYS = int(os.environ.get("NEWSLETTER_MATCH_RETENTION_DAYS", "30"))
NEWSLETTER_DIGEST_RETENTION_DAYS = int(os.environ.get("NEWSLETTER_DIGEST_RETENTION_DAYS", "180"))
NEWSLETTER_EVENT_RETENTION_DAYS = int(os.environ.get("NEWSLETTER_EVENT_RETENTION_DAYS", "180"))
NEWSLETTER_REQUEST_RETENTION_DAYS = int(os.environ.get("NEWSLETTER_REQUEST_RETENTION_DAYS", "30"))
PAPERS_TRENDING_DAYS = int(os.environ.get("PAPERS_TRENDING_DAYS", "3"))

# django-prometheus' request and database metrics, on /metrics with the service's own, when
# an operator asked for metrics (METRICS_TOKEN).
if METRICS_TOKEN:
    INSTALLED_APPS.append("django_prometheus")
    MIDDLEWARE = [
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        *MIDDLEWARE,
        "django_prometheus.middleware.PrometheusAfterMiddleware",
    ]

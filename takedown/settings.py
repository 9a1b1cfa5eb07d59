"""Settings for the takedown workbench, read from the environment.

Two profiles (``TAKEDOWN_PROFILE``):

* ``local`` (default): safe defaults for a laptop. No ``DATABASE_URL`` means
  SQLite in WAL mode under ``var/``; no ``CELERY_BROKER_URL`` means tasks run
  eagerly in-process; no ``CACHE_URL`` means a file cache under ``var/`` (shared
  by every local process, so throttles and lockouts hold across them).
* ``production``: ``DJANGO_SECRET_KEY`` and ``DJANGO_ALLOWED_HOSTS`` are required,
  HTTPS-only cookies, HSTS and SSL redirect are on; passes ``check --deploy``.

The same code runs on PostgreSQL + Redis + several worker processes when
``DATABASE_URL=postgres://...`` and ``CELERY_BROKER_URL=redis://...`` are set.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

PROFILE = env("TAKEDOWN_PROFILE", default="local")
if PROFILE not in {"local", "production"}:
    raise ImproperlyConfigured(f"TAKEDOWN_PROFILE must be 'local' or 'production', not {PROFILE!r}")
PRODUCTION = PROFILE == "production"

VAR_DIR = Path(env("TAKEDOWN_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off in the production profile")

if PRODUCTION:
    SECRET_KEY = env("DJANGO_SECRET_KEY")
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name at least one host")
else:
    # Local only: never used by the production profile, which requires its own key.
    SECRET_KEY = env(
        "DJANGO_SECRET_KEY", default="local-only-insecure-key-do-not-deploy-7c1f0b2e9d"
    )
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "takedown",
    "rightsholders",
    "listings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "takedown.second_factor.SecondFactorMiddleware",
    "takedown.middleware.UserTimeZoneMiddleware",
    "takedown.middleware.RefuseNulCharactersMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Logs, once per request, the personal data shown unmasked to a moderator.
    "takedown.privacy.PersonalDataAccessMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "takedown.urls"
WSGI_APPLICATION = "takedown.wsgi.application"

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
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "takedown.context_processors.access",
            ],
        },
    },
]

# Database ------------------------------------------------------------------

if env("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    # Persistent connections are per thread: a web machine holds up to
    # gunicorn's workers x threads of them (takedown/gunicorn.conf.py: 8 on
    # two cores), a Celery worker one per process. Their sum over all machines
    # must stay under PostgreSQL's max_connections (100 by default).
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if "postgresql" in DATABASES["default"]["ENGINE"]:
        # Send query parameters separately instead of quoting them in Python:
        # a 1,000-listing bulk insert spent a third of its time quoting arrays.
        DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env.bool(
            "DATABASE_SERVER_SIDE_BINDING", default=True
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "takedown.sqlite3",
            "OPTIONS": {
                # WAL lets the web server read while a worker writes; IMMEDIATE
                # transactions take the write lock up front instead of failing
                # with "database is locked" when a reader upgrades to a writer.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache ---------------------------------------------------------------------

if env("CACHE_URL", default=""):
    CACHES = {"default": env.cache("CACHE_URL")}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": VAR_DIR / "cache",
        }
    }

# Auth ----------------------------------------------------------------------

# Sessions are read from the shared cache and written to both it and the
# database (Django's cached_db): a signed-in page costs no session query; the
# database answers when the cache lost the key or cannot be reached. Logging out
# deletes the session from both (takedown.middleware.SessionStore).
SESSION_ENGINE = "takedown.middleware"

AUTH_USER_MODEL = "takedown.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# AxesBackend refuses a locked-out username and address before the password is
# checked; ModelBackend then checks the password. (AxesBackend first, not the
# standalone one: force_login and sessions use the first backend's get_user.)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Brute force (django-axes): this many failed logins for one username from one
# address lock that pair out for the cool-off. Attempts are rows in the database,
# so every web process counts the same failures. Five tries forgive typos; at
# five guesses per 15 minutes a password guesser gets 480 a day per address.
AXES_FAILURE_LIMIT = env.int("TAKEDOWN_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("TAKEDOWN_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "takedown.auth_views.login_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
# The client's address: REMOTE_ADDR unless a proxy in front sets X-Forwarded-For
# (then the address the proxy saw); never a header the client may choose itself,
# or every guess could come "from" a new address.
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    AXES_IPWARE_PROXY_COUNT = 1
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

# Second factor (django-otp): a moderator with a TOTP device enters a code after
# the password before any page; with this on, a moderator without one must enrol.
TAKEDOWN_REQUIRE_2FA_FOR_MODERATORS = env.bool("TAKEDOWN_REQUIRE_2FA_FOR_MODERATORS", default=False)
OTP_TOTP_ISSUER = env("TAKEDOWN_OTP_ISSUER", default="Takedown workbench")
# Recovery codes handed out at enrolment, each good once.
TAKEDOWN_RECOVERY_CODES = 8

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Internationalisation ------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static and uploaded files -------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploaded proof, feeds and thumbnails. Web servers and workers on several
# machines must share it (a network mount), as they share the database.
MEDIA_ROOT = Path(env("TAKEDOWN_MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded files are never served directly: proof documents and images go
# through views that apply tenancy. MEDIA_URL only names the prefix.
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_PERMISSIONS = 0o640
# Locally WhiteNoise serves static files straight from the apps (no collectstatic);
# production serves the hashed, compressed copies collectstatic made.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# Limits for uploaded proof documents, right images and letters of authorisation.
TAKEDOWN_UPLOAD_MAX_BYTES = env.int("TAKEDOWN_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)
# 40 megapixels covers 8K product photography (7680 x 4320 = 33 MP) and refuses
# decompression bombs long before Pillow's own 89 MP warning.
TAKEDOWN_IMAGE_MAX_PIXELS = env.int("TAKEDOWN_IMAGE_MAX_PIXELS", default=40_000_000)
# A proof document is a certificate or an extract, not a book.
TAKEDOWN_PDF_MAX_PAGES = env.int("TAKEDOWN_PDF_MAX_PAGES", default=200)

# Listing feeds and images --------------------------------------------------

# A feed larger than this is refused with 413 before any of it is stored.
TAKEDOWN_FEED_MAX_BYTES = env.int("TAKEDOWN_FEED_MAX_BYTES", default=200 * 1024 * 1024)
# A single feed line longer than this is refused with its line number (a listing
# with a long description is a few KB; a megabyte line is a mistake or an attack).
TAKEDOWN_FEED_MAX_LINE_BYTES = env.int("TAKEDOWN_FEED_MAX_LINE_BYTES", default=1024 * 1024)
# Lines upserted per transaction: large enough to amortise round trips, small
# enough that a killed worker redoes little.
TAKEDOWN_FEED_CHUNK_LINES = env.int("TAKEDOWN_FEED_CHUNK_LINES", default=1000)
# A feed claimed this long ago without finishing is taken over by the sweep.
TAKEDOWN_FEED_CLAIM_TIMEOUT_SECONDS = env.int("TAKEDOWN_FEED_CLAIM_TIMEOUT_SECONDS", default=600)
TAKEDOWN_IMAGE_FETCH_TIMEOUT_SECONDS = env.float(
    "TAKEDOWN_IMAGE_FETCH_TIMEOUT_SECONDS", default=10.0
)
TAKEDOWN_IMAGE_MAX_BYTES = env.int("TAKEDOWN_IMAGE_MAX_BYTES", default=10 * 1024 * 1024)
TAKEDOWN_IMAGE_MAX_REDIRECTS = env.int("TAKEDOWN_IMAGE_MAX_REDIRECTS", default=3)
# Addresses (CIDR) image fetching may reach even though they are private or
# loopback. Empty in production; tests serve images from 127.0.0.1.
TAKEDOWN_IMAGE_FETCH_ALLOW_NETS = env.list("TAKEDOWN_IMAGE_FETCH_ALLOW_NETS", default=[])
# Platform API rate limit per platform (all its tokens together), on the shared cache.
TAKEDOWN_PLATFORM_API_RATE = env("TAKEDOWN_PLATFORM_API_RATE", default="600/min")

# Decision webhooks -------------------------------------------------------------

# Addresses (CIDR) a webhook URL may point at although they are private or
# loopback (and where plain http is accepted). Empty in production: webhooks go
# to public https URLs only. Tests receive on 127.0.0.1.
TAKEDOWN_WEBHOOK_ALLOW_NETS = env.list("TAKEDOWN_WEBHOOK_ALLOW_NETS", default=[])
# Connect and read timeout of one delivery; a slow receiver is retried later.
TAKEDOWN_WEBHOOK_TIMEOUT_SECONDS = env.float("TAKEDOWN_WEBHOOK_TIMEOUT_SECONDS", default=10.0)

# Celery --------------------------------------------------------------------

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# With no broker every task runs in-process at .delay() time: the embedded default.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="takedown")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 300
CELERY_TASK_TIME_LIMIT = 360
# A task not acknowledged within an hour is redelivered by Redis (a message held
# by a worker killed outright comes back after this; docs/reliability.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("TAKEDOWN_BROKER_VISIBILITY_TIMEOUT_SECONDS", default=3600)
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# How often the sweeps that re-queue lost work run (feeds, due scans, outbox,
# retro-scans): a lost message waits at most about this long once its stale
# time has passed. The fault tests shorten it (docs/reliability.md).
TAKEDOWN_SWEEP_SECONDS = env.float("TAKEDOWN_SWEEP_SECONDS", default=60.0)
# A listing due this long with every image settled lost its scan message.
TAKEDOWN_SCAN_DUE_STALE_SECONDS = env.int("TAKEDOWN_SCAN_DUE_STALE_SECONDS", default=120)
# A scan queued less than this long ago may still wait behind a backlog: the
# sweep does not queue it again (that would double a backlog's work every
# sweep). Longer, and its message is taken as lost.
TAKEDOWN_SCAN_QUEUED_STALE_SECONDS = env.int("TAKEDOWN_SCAN_QUEUED_STALE_SECONDS", default=1800)
CELERY_BEAT_SCHEDULE = {
    "rights-expire-due": {
        "task": "rightsholders.expire_due_rights",
        "schedule": crontab(minute=5),
    },
    "feeds-resume-stale": {
        "task": "listings.resume_stale_feeds",
        "schedule": TAKEDOWN_SWEEP_SECONDS,
    },
    "images-resume-pending": {
        "task": "listings.resume_pending_images",
        "schedule": 300.0,
    },
    "listings-resume-due-scans": {
        "task": "listings.resume_due_scans",
        "schedule": TAKEDOWN_SWEEP_SECONDS,
    },
    # After an engine version bump: the listings stored before, a chunk a run.
    "listings-engine-rescan": {
        "task": "listings.engine_rescan",
        "schedule": TAKEDOWN_SWEEP_SECONDS,
    },
    "outbox-resume": {
        "task": "takedown.resume_outbox",
        "schedule": TAKEDOWN_SWEEP_SECONDS,
    },
    "cases-restore-after-counter-notice": {
        "task": "takedown.restore_after_counter_notices",
        "schedule": crontab(minute="*/10"),
    },
    "trusted-flaggers-accuracy": {
        "task": "takedown.recompute_trusted_flaggers",
        "schedule": crontab(hour=3, minute=30),
    },
    "cases-close-unanswered": {
        "task": "takedown.close_unanswered_cases",
        "schedule": crontab(minute=15),
    },
    "listings-resume-retro-scans": {
        "task": "listings.resume_retro_scans",
        "schedule": TAKEDOWN_SWEEP_SECONDS,
    },
    "listings-retro-scan-rights-come-into-force": {
        "task": "listings.retro_scan_rights_come_into_force",
        "schedule": crontab(minute=10),
    },
    # The evidence ledger's head, recorded and logged (docs/evidence.md).
    "evidence-ledger-anchor": {
        "task": "takedown.anchor_evidence_ledger",
        "schedule": crontab(minute="*/10"),
    },
}

# API -----------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "takedown.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Counterfeit takedown workbench API",
    "DESCRIPTION": "Rights registry, listing feeds, detections, complaints and decisions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "RightStatusEnum": "takedown.states.RightStatus",
        "FeedStatusEnum": "takedown.states.FeedStatus",
        "ImageStatusEnum": "takedown.states.ImageStatus",
        "DetectionStatusEnum": "takedown.states.DetectionStatus",
        "DismissReasonEnum": "takedown.states.DismissReason",
        "CaseStatusEnum": "takedown.states.CaseStatus",
        "ComplaintReasonEnum": "takedown.states.ComplaintReason",
        "CaseActionEnum": "takedown.states.CaseAction",
        "DecisionActionEnum": "takedown.api.serializers.DECISION_CHOICES",
    },
}

# Email ---------------------------------------------------------------------

EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="takedown@localhost")
# Where people reach the workbench: links in emails (a seller's private link) start with it.
TAKEDOWN_PUBLIC_URL = env("TAKEDOWN_PUBLIC_URL", default="http://127.0.0.1:8000")

# Policies --------------------------------------------------------------------
# Repeat infringers: a strike per complaint with upheld removals or restrictions
# lasts this many months; this many active strikes bring the seller a warning
# (unset: one below the suspension), and this many, after the warning (DSA
# Art. 23(1)), recommend the seller's suspension.
TAKEDOWN_STRIKE_MONTHS = env.int("TAKEDOWN_STRIKE_MONTHS", default=12)
TAKEDOWN_STRIKES_TO_WARN = env.int("TAKEDOWN_STRIKES_TO_WARN", default=None)
TAKEDOWN_STRIKES_TO_SUSPEND = env.int("TAKEDOWN_STRIKES_TO_SUSPEND", default=3)
# Misuse by notifiers (DSA Art. 23(2)): manifestly unfounded notices in a year
# that bring a warning, and a suspension of filing for so many days.
TAKEDOWN_MISUSE_WARN = env.int("TAKEDOWN_MISUSE_WARN", default=3)
TAKEDOWN_MISUSE_SUSPEND = env.int("TAKEDOWN_MISUSE_SUSPEND", default=5)
TAKEDOWN_MISUSE_SUSPEND_DAYS = env.int("TAKEDOWN_MISUSE_SUSPEND_DAYS", default=30)

# Security ------------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): scripts and styles from our own origin
# only, never inline, so injected markup cannot run or restyle anything.
# img-src allows data: for the SVG icons inside Bootstrap's CSS (the select
# arrow, the close button, the navbar toggler).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The one inline <style> of Django's admin change list (shown when a
        # ModelAdmin turns off both action bars), allowed by its hash;
        # tests/takedown/test_csp.py checks every inline <style> against the policy.
        "style-src": ["'self'", "'sha256-blvLUW3UscWqsXGByNOqdBboM+ShWAuugp2mC/wbafU='"],
        "img-src": ["'self'", "data:"],
        # Proof documents (PDF) previewed in the verification queue, served by
        # our own views with frame-ancestors 'self' (rightsholders.views.proof_document).
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# Retention (issue 7, docs/privacy.md): listings, snapshots and case records are kept
# at least three years, then purged by takedown.purge_expired (ledger entries stay).
TAKEDOWN_RETENTION_DAYS = env.int("TAKEDOWN_RETENTION_DAYS", default=1096)
if TAKEDOWN_RETENTION_DAYS < 1096:
    raise ImproperlyConfigured(
        f"TAKEDOWN_RETENTION_DAYS is {TAKEDOWN_RETENTION_DAYS}: listings, snapshots and case "
        "records must be kept at least three years (1096 days)."
    )
CELERY_BEAT_SCHEDULE["retention-purge"] = {
    "task": "takedown.purge_expired",
    "schedule": crontab(hour=2, minute=15),
}

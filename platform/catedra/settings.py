"""Catedra settings: one module, everything from the environment.

With no variables set, Catedra runs on the embedded PostgreSQL and Redis (see
catedra.embedded) with data under `.catedra/`. `CATEDRA_ENV=production` refuses to
start unless the real servers, a secret key and the HTTPS settings are given.
Secrets may also be read from `<NAME>_FILE` (Kubernetes secrets mounted as files).
"""

from pathlib import Path

import environ
import pghistory
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from catedra import embedded
from catedra.keys import backup_key_valid, vapid_pair_valid

env = environ.FileAwareEnv()

BASE_DIR = Path(__file__).resolve().parents[2]  # the repository root
PLATFORM_DIR = BASE_DIR / "platform"

CATEDRA_ENV = env.str("CATEDRA_ENV", default="development")
if CATEDRA_ENV not in ("development", "production"):
    raise ImproperlyConfigured(f"CATEDRA_ENV must be 'development' or 'production', not {CATEDRA_ENV!r}.")
PRODUCTION = CATEDRA_ENV == "production"

DEVELOPMENT_SECRET_KEY = "catedra-development-only-secret-key-never-use-in-production"  # noqa: S105 - refused in production
SECRET_KEY = env.str("SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Off by default everywhere: pages must look the same in development as in production.
DEBUG = env.bool("DEBUG", default=False)

# -- hosts and tenancy ----------------------------------------------------------

# Schools live at <slug>.<base domain>; the provider's control plane at the base domain.
CATEDRA_BASE_DOMAIN = env.str("CATEDRA_BASE_DOMAIN", default="localhost").lower().rstrip(".")
CATEDRA_CONTROL_PLANE_HOST = env.str("CATEDRA_CONTROL_PLANE_HOST", default=CATEDRA_BASE_DOMAIN).lower()
# How links in e-mails reach a school (https behind the ingress in production).
CATEDRA_PUBLIC_SCHEME = env.str("CATEDRA_PUBLIC_SCHEME", default="https" if PRODUCTION else "http")
CATEDRA_PUBLIC_PORT = env.str(
    "CATEDRA_PUBLIC_PORT", default="" if PRODUCTION else env.str("CATEDRA_PORT", default="8000")
)
ALLOWED_HOSTS = [CATEDRA_BASE_DOMAIN, f".{CATEDRA_BASE_DOMAIN}", CATEDRA_CONTROL_PLANE_HOST]

TENANT_MODEL = "tenants.School"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "catedra.urls_public"
# Set search_path only when the schema changes, not before every query (half the round trips).
TENANT_LIMIT_SET_CALLS = True
ROOT_URLCONF = "catedra.urls_school"

# Identity lives in both: provider staff in public, each school's people in its schema.
IDENTITY_APPS = [
    "accounts",
    "allauth",
    "allauth.account",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp.plugins.otp_email",
    "django_otp_webauthn",
]
# So is the audit trail: the provider's actions in public, each school's in its schema.
# Row-history triggers (pgtrigger, pghistory) use unqualified names: they must be in both.
AUDIT_APPS = ["pgtrigger", "pghistory", "audit"]
# A history row carries its context (actor, request id, reason) itself, copied by the trigger
# from the transaction's settings: no context row to upsert per tracked change.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextJSONField()
PGHISTORY_CONTEXT_ID_FIELD = pghistory.ContextUUIDField()
SHARED_APPS = [
    # Before django_tenants: its `migrate` command gives way to ours (public, template, schools).
    "provisioning",
    "django_tenants",
    "catedra",
    "tenants",
    "ops",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",  # the APIs' interactive docs from our own static files (no CDN: the CSP allows none)
    *IDENTITY_APPS,
    *AUDIT_APPS,
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    *IDENTITY_APPS,
    *AUDIT_APPS,
    "catalog.structure",
    "catalog.notify",
    "catalog.rights",
    "catalog.privacy",
    "catalog.grades",
    "catalog.attendance",
    "catalog.exports",
    "catalog.reports",
    "catalog.family",
    "catalog.api",
    "catalog.web",
    "django_htmx",
]
INSTALLED_APPS = SHARED_APPS + [app for app in TENANT_APPS if app not in SHARED_APPS]
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    # Probes first: they answer on any host, before host validation and routing.
    "ops.middleware.HealthCheckMiddleware",
    # The APIs refuse plain http (403 JSON) before SecurityMiddleware could redirect it.
    "catedra.middleware.ApiHttpsOnlyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Every answer after the probes carries these, the routing's 404 and the refusals below too.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "catedra.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tenants.middleware.SchoolRoutingMiddleware",
    # Text with control characters is refused before anything reads it (sessions, forms, views).
    "catedra.middleware.ControlCharacterMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "audit.middleware.AuditContextMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.TwoFactorEnforcementMiddleware",
    # A statistics viewer whose consent the management withdrew is refused every page (art. 20).
    "catalog.rights.middleware.ConsentWithdrawnMiddleware",
    # Whoever signed in while a privacy notice waits for them reads it first (GDPR art. 13).
    "catalog.privacy.middleware.NoticeFirstMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catedra.context_processors.shell",
                "catalog.rights.context.approver",
            ],
        },
    },
]

WSGI_APPLICATION = "catedra.wsgi.application"
ASGI_APPLICATION = "catedra.asgi.application"

# -- data folder and the embedded servers ----------------------------------------

CATEDRA_DATA_DIR = Path(env.str("CATEDRA_DATA_DIR", default=str(BASE_DIR / ".catedra"))).resolve()
# Two logins (docs/architecture.md, "Database roles"): DATABASE_URL is the runtime role's
# (web, worker, beat: owns nothing), DATABASE_OWNER_URL the owner's (migrations, new schemas,
# restores). Outside production an unset owner URL means the same login as DATABASE_URL.
DATABASE_URL = env.str("DATABASE_URL", default="")
DATABASE_OWNER_URL = env.str("DATABASE_OWNER_URL", default="")
REDIS_URL = env.str("REDIS_URL", default="")
EMBEDDED_SERVERS = not (DATABASE_URL and REDIS_URL)
if EMBEDDED_SERVERS and not PRODUCTION:
    _urls = embedded.EmbeddedStack(CATEDRA_DATA_DIR).acquire()
    if not DATABASE_URL:
        DATABASE_URL, DATABASE_OWNER_URL = _urls.database, DATABASE_OWNER_URL or _urls.database_owner
    REDIS_URL = REDIS_URL or _urls.redis


def _database_config(url: str) -> dict:
    config = env.db_url_config(url)
    # A unix-socket URL (`...@/catedra?host=/run/pg`) arrives as an option; it is the HOST.
    if socket_dir := config.get("OPTIONS", {}).pop("host", None):
        config["HOST"] = socket_dir
    return config


DATABASES = {"default": _database_config(DATABASE_URL)} if DATABASE_URL else {}
DATABASE_OWNER = _database_config(DATABASE_OWNER_URL or DATABASE_URL) if DATABASE_URL else {}
DATABASE_RUNTIME_USER = DATABASES["default"].get("USER", "") if DATABASES else ""
if DATABASES:
    # django-tenants' backend, plus statements that ride along (catedra/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "catedra.postgresql"
    # Bounded connection life: each connection caches the catalog of every schema it touched.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CATEDRA_DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["TEST"] = {"NAME": env.str("CATEDRA_TEST_DATABASE", default="test_catedra")}
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]
# PostgreSQL client programs (pg_dump) matching the server; default: those of the pgserver wheel.
CATEDRA_PG_BIN_DIR = env.str("CATEDRA_PG_BIN_DIR", default="")
# School schemas migrated at once by `catedra migrate`.
CATEDRA_MIGRATE_PROCESSES = env.int("CATEDRA_MIGRATE_PROCESSES", default=2)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

# -- Celery --------------------------------------------------------------------

CELERY_BROKER_URL = embedded.celery_url(REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Europe/Bucharest"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker touches many schemas; recycle it before the catalog caches grow large.
CELERY_WORKER_MAX_TASKS_PER_CHILD = 200
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "scheduler-heartbeat": {"task": "ops.tasks.scheduler_heartbeat", "schedule": 60.0},
}
# /readyz reports a stalled scheduler when the last heartbeat is older than this.
CATEDRA_HEARTBEAT_MAX_AGE = env.int("CATEDRA_HEARTBEAT_MAX_AGE", default=180)

# -- backups (ops.backups) -------------------------------------------------------

# Monthly full dumps, encrypted here (AES-256-GCM), go to S3-compatible storage; with no
# endpoint, to a local folder (development). BACKUP_ENCRYPTION_KEY: 32 random bytes in
# URL-safe base64 (`python -c "import os,base64;print(base64.urlsafe_b64encode(os.urandom(32)).decode())"`).
DEVELOPMENT_BACKUP_KEY = "Y2F0ZWRyYS1kZXZlbG9wbWVudC1iYWNrdXAta2V5ISE="
BACKUP_ENCRYPTION_KEY = env.str("BACKUP_ENCRYPTION_KEY", default=DEVELOPMENT_BACKUP_KEY)
BACKUP_S3_ENDPOINT = env.str("BACKUP_S3_ENDPOINT", default="")
BACKUP_S3_BUCKET = env.str("BACKUP_S3_BUCKET", default="catedra-backups")
BACKUP_S3_REGION = env.str("BACKUP_S3_REGION", default="eu-central-1")
BACKUP_S3_ACCESS_KEY_ID = env.str("BACKUP_S3_ACCESS_KEY_ID", default="")
BACKUP_S3_SECRET_ACCESS_KEY = env.str("BACKUP_S3_SECRET_ACCESS_KEY", default="")
BACKUP_S3_PREFIX = env.str("BACKUP_S3_PREFIX", default="catedra")
BACKUP_LOCAL_DIR = Path(env.str("BACKUP_LOCAL_DIR", default=str(CATEDRA_DATA_DIR / "offsite")))
# Daily incrementals go into one schema per school of the backup database; embedded
# default: a second database in the embedded PostgreSQL server.
BACKUP_DATABASE_URL = env.str("BACKUP_DATABASE_URL", default="")
if not BACKUP_DATABASE_URL and DATABASE_URL and EMBEDDED_SERVERS and not PRODUCTION:
    BACKUP_DATABASE_URL = embedded.backup_database_url(DATABASE_URL)
# Order 3896/2023 art. 9: kept for the contract and at least 24 months after it ends.
BACKUP_RETENTION_MONTHS = env.int("BACKUP_RETENTION_MONTHS", default=24)
if BACKUP_RETENTION_MONTHS < 24:
    raise ImproperlyConfigured("BACKUP_RETENTION_MONTHS cannot be under 24 (Order 3896/2023 art. 9).")
# When beat starts the jobs (local time, HH:MM): daily incrementals, monthly fulls (on BACKUP_FULL_DAY).
BACKUP_INCREMENTAL_TIME = env.str("BACKUP_INCREMENTAL_TIME", default="02:30")
BACKUP_FULL_TIME = env.str("BACKUP_FULL_TIME", default="03:30")
BACKUP_FULL_DAY = env.int("BACKUP_FULL_DAY", default=1)
# The weekly restore drill: day of the week (0 = Sunday ... 6 = Saturday) and time; it picks a
# backup taken in the last BACKUP_DRILL_RECENT_DAYS days.
BACKUP_DRILL_WEEKDAY = env.int("BACKUP_DRILL_WEEKDAY", default=0)
BACKUP_DRILL_TIME = env.str("BACKUP_DRILL_TIME", default="04:30")
BACKUP_DRILL_RECENT_DAYS = env.int("BACKUP_DRILL_RECENT_DAYS", default=35)
if not 1 <= BACKUP_FULL_DAY <= 31:
    raise ImproperlyConfigured(f"BACKUP_FULL_DAY must be a day of the month, 1 to 31, not {BACKUP_FULL_DAY}.")
if not 0 <= BACKUP_DRILL_WEEKDAY <= 6:
    raise ImproperlyConfigured(f"BACKUP_DRILL_WEEKDAY must be 0 (Sunday) to 6 (Saturday), not {BACKUP_DRILL_WEEKDAY}.")
if BACKUP_DRILL_RECENT_DAYS < 1:
    raise ImproperlyConfigured("BACKUP_DRILL_RECENT_DAYS must be at least 1.")


def _hour_minute(name: str, value: str) -> tuple[int, int]:
    hour, _sep, minute = value.partition(":")
    if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
        raise ImproperlyConfigured(f"{name} must be a time of day as HH:MM, not {value!r}.")
    return int(hour), int(minute)


_incremental_at = _hour_minute("BACKUP_INCREMENTAL_TIME", BACKUP_INCREMENTAL_TIME)
_full_at = _hour_minute("BACKUP_FULL_TIME", BACKUP_FULL_TIME)
_drill_at = _hour_minute("BACKUP_DRILL_TIME", BACKUP_DRILL_TIME)
CELERY_BEAT_SCHEDULE |= {
    "backups-incremental": {
        "task": "ops.tasks.backups_incremental_dispatch",
        "schedule": crontab(hour=_incremental_at[0], minute=_incremental_at[1]),
    },
    "backups-full": {
        "task": "ops.tasks.backups_full_dispatch",
        "schedule": crontab(hour=_full_at[0], minute=_full_at[1], day_of_month=BACKUP_FULL_DAY),
    },
    "backups-purge": {"task": "ops.tasks.backups_purge_job", "schedule": crontab(hour=5, minute=0)},
    "backups-restore-drill": {
        "task": "ops.tasks.backups_restore_drill_job",
        "schedule": crontab(hour=_drill_at[0], minute=_drill_at[1], day_of_week=BACKUP_DRILL_WEEKDAY),
    },
}

# -- the schools' own periodic jobs ------------------------------------------------

# Large documents made by a job (a class's catalog, ...) wait this long for their download.
CATEDRA_DOCUMENT_HOURS = env.int("CATEDRA_DOCUMENT_HOURS", default=24)
if not 1 <= CATEDRA_DOCUMENT_HOURS <= 24 * 7:
    raise ImproperlyConfigured("CATEDRA_DOCUMENT_HOURS must be 1 to 168 hours.")
# The catalog's periodic work runs in every school: beat starts ops.tasks.schools_dispatch with
# the task's name, and the dispatcher sends it into each school's schema.
CELERY_BEAT_SCHEDULE["documents-expire"] = {
    "task": "ops.tasks.schools_dispatch", "schedule": crontab(minute=20),
    "args": ("catalog.reports.tasks.documents_expire",),
}  # fmt: skip
CELERY_BEAT_SCHEDULE["grants-expire"] = {
    "task": "ops.tasks.schools_dispatch", "schedule": crontab(hour=0, minute=5),
    "args": ("catalog.rights.tasks.grants_expire_job",),
}  # fmt: skip
CELERY_BEAT_SCHEDULE["request-photos-expire"] = {
    "task": "ops.tasks.schools_dispatch", "schedule": crontab(hour=3, minute=50),
    "args": ("catalog.attendance.tasks.request_photos_expire",),
}  # fmt: skip

# Families' notifications: the evening's digests (and instant ones a broker never took).
CATEDRA_DIGEST_TIME = env.str("CATEDRA_DIGEST_TIME", default="18:00")
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {
    "task": "ops.tasks.schools_dispatch",
    "schedule": crontab(hour=CATEDRA_DIGEST_TIME.partition(":")[0], minute=CATEDRA_DIGEST_TIME.partition(":")[2]),
    "args": ("catalog.notify.tasks.notifications_sweep",),
}
# Web Push (the PWA's notifications): a VAPID key pair, the private key as 32 bytes in
# URL-safe base64 and the public one as the uncompressed point (what the browser is given);
# generate: `catedra vapid_keys`. The development pair below is refused in production.
DEVELOPMENT_VAPID_PRIVATE_KEY = "L8ulHkWyEIBL-tj6Bn00z6Vwk3EiMRoGTDMPx9CM5qQ"
DEVELOPMENT_VAPID_PUBLIC_KEY = "BMzhLKEOMOmXRNgGs6y-SYjIFXw07p7BabPm836aXH37KKz9WSIGHkNeBefPplW3HoMLIEnHDgXhVACI3Kjo4xI"
CATEDRA_VAPID_PRIVATE_KEY = env.str("CATEDRA_VAPID_PRIVATE_KEY", default=DEVELOPMENT_VAPID_PRIVATE_KEY)
CATEDRA_VAPID_PUBLIC_KEY = env.str("CATEDRA_VAPID_PUBLIC_KEY", default=DEVELOPMENT_VAPID_PUBLIC_KEY)
CATEDRA_VAPID_SUBJECT = env.str("CATEDRA_VAPID_SUBJECT", default="mailto:suport@catedra.ro")

# -- audit anchors (ops.anchors) -------------------------------------------------

# Hourly and after every backup, each schema's audit chain head is written to the backup
# storage, signed (HMAC-SHA256) with AUDIT_ANCHOR_KEY, which the database never holds:
# 32 random bytes in URL-safe base64, not the backup key (generated as that one is).
DEVELOPMENT_AUDIT_ANCHOR_KEY = "Y2F0ZWRyYS1kZXZlbG9wbWVudC1hbmNob3Ita2V5ISE="
AUDIT_ANCHOR_KEY = env.str("AUDIT_ANCHOR_KEY", default=DEVELOPMENT_AUDIT_ANCHOR_KEY)
CELERY_BEAT_SCHEDULE["audit-anchors"] = {"task": "ops.tasks.audit_anchors_dispatch", "schedule": crontab(minute=5)}

# -- identity and sessions -------------------------------------------------------

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
AUTHENTICATION_BACKENDS = ["accounts.backends.SideAwareBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_LOGOUT_ON_GET = False
# Failed sign-ins: per IP and per account, then a wait (allauth's rate limits, in the cache).
ACCOUNT_RATE_LIMITS = {"login_failed": env.str("CATEDRA_LOGIN_RATE_LIMIT", default="20/m/ip,5/5m/key")}
OTP_TOTP_ISSUER = "Catedra"
OTP_TOTP_THROTTLE_FACTOR = env.int("CATEDRA_OTP_THROTTLE_FACTOR", default=1)
OTP_STATIC_THROTTLE_FACTOR = OTP_TOTP_THROTTLE_FACTOR
OTP_EMAIL_THROTTLE_FACTOR = OTP_TOTP_THROTTLE_FACTOR
OTP_EMAIL_TOKEN_VALIDITY = 300  # five minutes, then the code is dead
OTP_EMAIL_COOLDOWN_DURATION = 30  # seconds between two codes sent by e-mail
OTP_EMAIL_SUBJECT = "Cod de autentificare Catedra"
# Passkeys (WebAuthn) are a second factor only, never a sign-in without the password. The
# relying party is the request's own host (accounts.two_factor.PasskeyHelper): a passkey made
# at one school's host is bound to it and means nothing at another school or the control plane.
# So there is no fixed OTP_WEBAUTHN_ALLOWED_ORIGINS list, and its check (E030) is silenced.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "accounts.two_factor.PasskeyHelper"
OTP_WEBAUTHN_RP_NAME = "Catedra"
OTP_WEBAUTHN_RP_ID_CALLABLE = "accounts.two_factor.passkey_relying_party_id"
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]
# SMS codes: "console" logs them (development); "http" POSTs JSON to an SMS gateway.
CATEDRA_SMS_GATEWAY = env.str("CATEDRA_SMS_GATEWAY", default="console")
if CATEDRA_SMS_GATEWAY not in ("console", "http"):
    raise ImproperlyConfigured(f"CATEDRA_SMS_GATEWAY must be 'console' or 'http', not {CATEDRA_SMS_GATEWAY!r}.")
CATEDRA_SMS_URL = env.str("CATEDRA_SMS_URL", default="")
CATEDRA_SMS_TOKEN = env.str("CATEDRA_SMS_TOKEN", default="")
if CATEDRA_SMS_GATEWAY == "http" and not CATEDRA_SMS_URL.startswith(("https://", "http://127.0.0.1")):
    raise ImproperlyConfigured("CATEDRA_SMS_GATEWAY=http needs CATEDRA_SMS_URL, an https:// URL.")
# SMS is offered as a second factor only where it can be sent: through a gateway, or in
# development, where the console gateway logs the code. (Production without a gateway: no SMS.)
CATEDRA_SMS_ENABLED = CATEDRA_SMS_GATEWAY == "http" or not PRODUCTION
CATEDRA_SMS_SENDER = env.str("CATEDRA_SMS_SENDER", default="Catedra")
CATEDRA_SMS_CODE_VALIDITY = 300
OTP_EMAIL_BODY_TEMPLATE = (
    "Codul dumneavoastră de autentificare Catedra este {{ token }}.\n"
    "Este valabil 5 minute și poate fi folosit o singură dată. Dacă nu l-ați cerut, ignorați acest mesaj."
)
SESSION_ENGINE = "django.contrib.sessions.backends.db"  # a session table in every schema
SESSION_COOKIE_DOMAIN = None  # host-only: a school's cookie never reaches another school
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("CATEDRA_SESSION_AGE", default=8 * 3600)

# -- security ------------------------------------------------------------------

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
# Pages redirect to https; the APIs refuse plain http instead (catedra.middleware).
CATEDRA_API_HTTPS_ONLY = env.bool("CATEDRA_API_HTTPS_ONLY", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^api/", r"^ims/"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=PRODUCTION)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=PRODUCTION)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_HTTPONLY = True
_BEHIND_TLS_PROXY = env.bool("CATEDRA_BEHIND_TLS_PROXY", default=PRODUCTION)
if _BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# allauth's sign-in limits read the client's address through AccountAdapter.get_client_ip
# (audit.services.client_ip: the X-Forwarded-For hop the proxy added); its own reading, for
# anything that bypasses the adapter, trusts that same single hop and nothing without the proxy.
ALLAUTH_TRUSTED_PROXY_COUNT = 1 if _BEHIND_TLS_PROXY else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CATEDRA_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 200
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# -- language, time, static files ----------------------------------------------------

LANGUAGE_CODE = "ro"
LANGUAGES = [("ro", _("Română"))]
LOCALE_PATHS = [PLATFORM_DIR / "catedra" / "locale"]
TIME_ZONE = "Europe/Bucharest"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("CATEDRA_STATIC_ROOT", default=str(CATEDRA_DATA_DIR / "static")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic in development
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Mail (sign-in codes, parents' absence notices): EMAIL_URL, a secret, names the SMTP server,
# e.g. smtp+tls://user:password@smtp.example.ro:587 (STARTTLS) or smtp+ssl://…:465; without it
# development prints messages to stderr, which production refuses (they carry personal data).
EMAIL_URL = env.str("EMAIL_URL", default="")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="catedra.mail.ConsoleEmailBackend")
if EMAIL_URL:
    try:
        _mail = environ.Env.email_url_config(EMAIL_URL)
    except (ImproperlyConfigured, ValueError):
        # The URL holds a password: the message names the variable, never its value.
        raise ImproperlyConfigured("EMAIL_URL is not a mail URL (smtp://, smtp+tls:// or smtp+ssl://).") from None
    if not _mail["EMAIL_BACKEND"].endswith("smtp.EmailBackend") or not _mail["EMAIL_HOST"]:
        raise ImproperlyConfigured("EMAIL_URL is not a mail URL (smtp://, smtp+tls:// or smtp+ssl://).")
    EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT = _mail["EMAIL_BACKEND"], _mail["EMAIL_HOST"], _mail["EMAIL_PORT"] or 25
    EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = _mail["EMAIL_HOST_USER"] or "", _mail["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS, EMAIL_USE_SSL = _mail.get("EMAIL_USE_TLS", False), _mail.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)  # seconds: a stuck server fails the send, not the worker
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Catedra <no-reply@catedra.ro>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("CATEDRA_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Never log request bodies or SQL parameters: they carry children's personal data.
        "django.db.backends": {"level": "WARNING"},
        "pgserver": {"level": "WARNING"},
        # Scanners send bad Host headers all day; they get a 400 and no log line.
        "django.security.DisallowedHost": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
}


SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    from catedra.sentry import sentry_init

    sentry_init(
        dsn=SENTRY_DSN,
        environment=CATEDRA_ENV,
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    )


# Mail backends from which no message leaves the machine.
_MAIL_NOWHERE = {"catedra.mail.ConsoleEmailBackend"} | {
    f"django.core.mail.backends.{kind}.EmailBackend" for kind in ("console", "locmem", "dummy", "filebased")
}


def _production_problems() -> list[str]:
    """What keeps this configuration from being run in production."""
    problems = []
    if not env.str("DATABASE_URL", default=""):
        problems.append("DATABASE_URL is not set (the embedded PostgreSQL is for development only).")
    if not DATABASE_OWNER_URL:
        problems.append("DATABASE_OWNER_URL is not set (migrations and new schools need the owner's login).")
    elif DATABASES and DATABASE_OWNER.get("USER") == DATABASE_RUNTIME_USER:
        problems.append(
            "DATABASE_OWNER_URL has the same user as DATABASE_URL: the application must not own its tables."
        )
    elif DATABASES and DATABASE_OWNER.get("NAME") != DATABASES["default"].get("NAME"):
        problems.append("DATABASE_OWNER_URL names another database than DATABASE_URL.")
    if not env.str("REDIS_URL", default=""):
        problems.append("REDIS_URL is not set (the embedded Redis is for development only).")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        problems.append("SECRET_KEY is the development key, shorter than 50 characters or not random.")
    if DEBUG:
        problems.append("DEBUG is on.")
    if not SECURE_SSL_REDIRECT:
        problems.append("SECURE_SSL_REDIRECT is off: plain http must redirect to https.")
    if SECURE_HSTS_SECONDS < 31536000:
        problems.append("SECURE_HSTS_SECONDS is under one year (31536000).")
    if not CATEDRA_API_HTTPS_ONLY:
        problems.append("CATEDRA_API_HTTPS_ONLY is off: the APIs must refuse plain http.")
    if not SESSION_COOKIE_SECURE:
        problems.append("SESSION_COOKIE_SECURE is off.")
    if not CSRF_COOKIE_SECURE:
        problems.append("CSRF_COOKIE_SECURE is off.")
    if BACKUP_ENCRYPTION_KEY == DEVELOPMENT_BACKUP_KEY or not backup_key_valid(BACKUP_ENCRYPTION_KEY):
        problems.append("BACKUP_ENCRYPTION_KEY is the development key or not 32 bytes in URL-safe base64.")
    anchor_key_reused = AUDIT_ANCHOR_KEY in (DEVELOPMENT_AUDIT_ANCHOR_KEY, BACKUP_ENCRYPTION_KEY)
    if anchor_key_reused or not backup_key_valid(AUDIT_ANCHOR_KEY):
        problems.append("AUDIT_ANCHOR_KEY is the development key, the backup key, or not 32 bytes in URL-safe base64.")
    if not BACKUP_S3_ENDPOINT:
        problems.append("BACKUP_S3_ENDPOINT is not set (monthly full backups must leave the premises).")
    if not BACKUP_DATABASE_URL:
        problems.append("BACKUP_DATABASE_URL is not set (daily incrementals need a backup database).")
    if EMAIL_BACKEND in _MAIL_NOWHERE:
        problems.append("EMAIL_URL is not set: sign-in codes and parents' notices would be printed, not sent.")
    if CATEDRA_VAPID_PRIVATE_KEY == DEVELOPMENT_VAPID_PRIVATE_KEY or not vapid_pair_valid(
        CATEDRA_VAPID_PRIVATE_KEY, CATEDRA_VAPID_PUBLIC_KEY
    ):
        problems.append("CATEDRA_VAPID_PRIVATE_KEY / CATEDRA_VAPID_PUBLIC_KEY are the development pair or not a pair.")
    return problems


if PRODUCTION and (_problems := _production_problems()):
    raise ImproperlyConfigured(
        "Catedra refuses to start with CATEDRA_ENV=production:\n" + "\n".join(f"  - {p}" for p in _problems)
    )

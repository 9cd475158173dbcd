"""The sandbox as a production deployment runs it: several gunicorn processes and task workers
on one PostgreSQL, settings from the environment (docs/deployment.md).

    DJANGO_SETTINGS_MODULE=sandbox.settings_production \\
    DATABASE_URL=postgres://... SECRET_KEY=... REDIS_URL=redis://127.0.0.1:6379/0 \\
    gunicorn sandbox.wsgi --workers 4 --bind 0.0.0.0:8000

Environment:

- ``DATABASE_URL`` (required): PostgreSQL, shared by every web process and worker.
- ``SECRET_KEY`` (required), ``ALLOWED_HOSTS`` (comma-separated).
- ``REDIS_URL`` (optional): Django's cache in Redis, shared by all processes; without it each
  process has its own small in-memory cache (only short-lived lists are cached).
- ``TASKS_BACKEND``: ``database`` (default, ``manage.py db_worker``) or ``rq`` (Redis,
  ``manage.py rqworker``, needs ``REDIS_URL``).
- ``SECURE_COOKIES``: ``1`` (default) sends session and CSRF cookies over HTTPS only and
  trusts ``X-Forwarded-Proto`` from the proxy; ``0`` for plain HTTP on loopback (tests).
- ``STATIC_ROOT``: where ``collectstatic`` writes; ``EMAIL_BACKEND``: Django's (SMTP by default).
- ``MEDIA_ROOT``: where export, import and document files live; every web process and worker
  must see the same folder (a shared volume) or use a shared storage backend.
"""

import os

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS, MIDDLEWARE, SANDBOX_DIR


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"Set the {name} environment variable.")
    return value


DEBUG = False
# Webhooks never reach into the host's own network in production (docs/webhooks.md).
OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = False
SECRET_KEY = _required("SECRET_KEY")
ALLOWED_HOSTS = [host for host in os.environ.get(
    "ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if host]

import dj_database_url  # noqa: E402

DATABASES = {
    # Persistent connections: one per process and thread, checked before reuse.
    "default": dj_database_url.parse(_required("DATABASE_URL"), conn_max_age=600,
                                     conn_health_checks=True),
}

# Static files from the web processes themselves (no separate static server), compressed and
# with hashed names: run `manage.py collectstatic` at deploy time.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(SANDBOX_DIR / "media"))
STATIC_ROOT = os.environ.get("STATIC_ROOT", str(SANDBOX_DIR / "static_collected"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = {"default": (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"})}

if os.environ.get("TASKS_BACKEND", "database") == "rq":
    INSTALLED_APPS = [*INSTALLED_APPS, "django_rq"]
    RQ_QUEUES = {"default": {"URL": _required("REDIS_URL")}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

SECURE = os.environ.get("SECURE_COOKIES", "1") == "1"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE
if SECURE:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

"""Settings of the sandbox shop: django-oscar 4.2 at ``/``, Wagtail 8 at ``/cms/``.

Configured the way a merchant would install ``oscar-orders-ext`` into an existing shop.
For development and demos only: DEBUG is on and the secret key is public.

The database comes from ``DATABASE_URL`` (SQLite file ``sandbox/db.sqlite3`` by default), e.g.
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/oscar_sandbox``.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _
from oscar.defaults import *  # noqa: F403  (Oscar's defaults, dashboard navigation included)

SANDBOX_DIR = Path(__file__).resolve().parent
REPO_ROOT = SANDBOX_DIR.parent

DEBUG = True
SECRET_KEY = "sandbox-only-not-secret-8f1c2b0e7d4a4f6b9a3c5e1d0b2a4c6e"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INTERNAL_IPS = ["127.0.0.1"]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SANDBOX_DIR / 'db.sqlite3'}", conn_max_age=0),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The web server, the worker and the tick share the file: wait for a lock rather than
    # failing at once ("database is locked") when another process is writing.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 30
# Oscar's own models use AutoField; keep new tables consistent with them.
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    # django-oscar
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "oscar.apps.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "oscar.apps.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "oscar.apps.search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    # Oscar's third-party dependencies
    "widget_tweaks",
    "haystack",
    "treebeard",
    "sorl.thumbnail",
    "django_tables2",
    # The app under development, before Wagtail and taggit: Django takes a msgid's
    # translation from the first app listed that has it (docs/translations.md).
    "django_filters",
    "payments",
    "oscar_orders_ext",
    "oscar_orders_ext.dashboard.apps.OrdersWorkspaceDashboardConfig",
    "oscar_orders_ext.contrib.wagtail",
    # Wagtail
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_tasks",
    "django_tasks_db",
    "sandbox.demo",
]

SITE_ID = 1

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "oscar_orders_ext.middleware.CurrentUserMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "sandbox.urls"
WSGI_APPLICATION = "sandbox.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [SANDBOX_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.media",
                "django.template.context_processors.static",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # Oscar
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS: list[dict[str, str]] = []  # the demo login is demo / demo

# The languages oscar-orders-ext ships (docs/translations.md). LocaleMiddleware picks one from
# the language cookie that Oscar's language switcher sets (i18n/), else Accept-Language;
# Wagtail's admin follows each user's own language preference (Account > Preferences).
LANGUAGE_CODE = "en-gb"
LANGUAGES = [
    ("en-gb", _("English")),
    ("it", _("Italian")),
    ("fr", _("French")),
]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = SANDBOX_DIR / "static_collected"
MEDIA_URL = "/media/"
MEDIA_ROOT = SANDBOX_DIR / "media"

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

LOGIN_REDIRECT_URL = "/"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# Background tasks (Wagtail and the app use django-tasks) go to django-tasks' database backend:
# `make run` starts its worker (`manage.py db_worker`) beside the web server. Without a worker,
# SANDBOX_TASKS=immediate runs them inline in the request instead.
TASKS = {"default": {"BACKEND": (
    "django_tasks.backends.immediate.ImmediateBackend"
    if os.environ.get("SANDBOX_TASKS") == "immediate"
    else "django_tasks_db.DatabaseBackend")}}

# Search: Oscar's storefront search through Haystack's database-less engine.
HAYSTACK_CONNECTIONS = {
    "default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"},
}
# Oscar's defaults index products on every save; the simple engine keeps no index and warns
# ("update is not implemented in this backend") each time, so don't send it updates.
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"

# --- django-oscar ---------------------------------------------------------------------------
OSCAR_SHOP_NAME = "Oscar Orders Ext sandbox"
OSCAR_SHOP_TAGLINE = "Demo shop"
OSCAR_DEFAULT_CURRENCY = "EUR"
# Customer groups' price lists in Oscar's pricing (docs/customers.md).
OSCAR_DYNAMIC_CLASS_LOADER = "oscar_orders_ext.class_loader.load_classes"
OSCAR_ALLOW_ANON_CHECKOUT = True
OSCAR_INITIAL_ORDER_STATUS = "Pending"

# The status strings oscar-orders-ext mirrors into Order.status (one per state of its default
# workflow), and the moves Oscar's own dashboard allows between them. It follows the app's
# workflow, so both dashboards agree on what can happen next.
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending": ("Being processed", "Awaiting payment", "On hold", "Awaiting customer",
                "Shipped", "Cancelled", "Rejected", "Error"),
    "Being processed": ("Awaiting payment", "On hold", "Awaiting customer", "Shipped",
                        "Complete", "Cancelled", "Error"),
    "Awaiting payment": ("Being processed", "On hold", "Cancelled", "Rejected", "Error"),
    "On hold": ("Being processed", "Awaiting payment", "Awaiting customer", "Cancelled",
                "Rejected", "Error"),
    "Awaiting customer": ("Being processed", "On hold", "Cancelled", "Rejected", "Error"),
    "Shipped": ("Complete", "Returned", "Refunded"),
    "Complete": ("Returned", "Refunded"),
    "Returned": ("Refunded",),
    "Cancelled": ("Pending", "Refunded"),
    "Rejected": ("Pending", "Refunded"),
    "Refunded": (),
    "Error": ("Being processed", "Cancelled"),
}
OSCAR_ORDER_STATUS_CASCADE: dict[str, str] = {}

# Oscar's dashboard navigation comes from ``oscar.defaults`` (imported above); the workspace
# adds itself under Fulfilment at start-up. Make it what "Orders" opens:
OSCAR_ORDERS_EXT_REPLACE_ORDER_LIST = True
# The demo has a few hundred orders: exporting more than 100 goes through the worker, so the
# export page shows its progress bar and then the download.
OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT = int(os.environ.get("OSCAR_ORDERS_EXT_EXPORT_SYNC_LIMIT", 100))
# Webhooks may reach a receiver on this machine (docs/webhooks.md); never in production.
OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True

# --- Wagtail ---------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Oscar Orders Ext sandbox"
# The address sandbox/run.py serves (its --port); links in emails follow the Site's domain,
# which run.py points at the same address (the demo_site command).
WAGTAILADMIN_BASE_URL = f"http://{os.environ.get('SANDBOX_ADDRESS', '127.0.0.1:8000')}"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "txt", "xlsx", "zip"]

# Payments (docs/payments.md): django-payments with our payment model; the dummy provider
# lets you pay (or fail, or go through a 3-D Secure redirect) without a gateway.
PAYMENT_MODEL = "oscar_orders_ext.OrderPayment"
# Empty: django-payments builds its addresses from the Site's domain, the served address.
PAYMENT_HOST = os.environ.get("PAYMENT_HOST", "")
PAYMENT_USES_SSL = False
PAYMENT_VARIANTS = {"dummy": ("payments.dummy.DummyProvider", {})}

"""URLs of the sandbox: Oscar at ``/``, Wagtail's admin at ``/cms/``, its pages at ``/pages/``."""

from django.apps import apps
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("pages/", include(wagtail_urls)),
    # The order workspace, inside Oscar's dashboard (before Oscar's own patterns).
    path("dashboard/workspace/",
         include("oscar_orders_ext.dashboard.urls")),
    # The customer's pay pages and django-payments' provider callbacks (docs/payments.md).
    path("pay/", include("oscar_orders_ext.storefront.payment_urls")),
    path("payments/", include("payments.urls")),
    path("", include("oscar_orders_ext.storefront.chat_urls")),
    # The customer's subscriptions in the account pages (docs/subscriptions.md).
    path("", include("oscar_orders_ext.storefront.subscription_urls")),
    # The customer's API tokens in the account pages (docs/api.md).
    path("", include("oscar_orders_ext.storefront.token_urls")),
    # The JSON API and its OpenAPI schema (docs/api.md).
    path("api/orders/", include("oscar_orders_ext.api.urls")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

from django.apps import apps
from django.contrib import admin
from django.urls import include, path

# Wagtail's admin only where Wagtail is installed (tests/settings_no_wagtail.py leaves it out).
wagtail_admin = ([path("cms/", include("wagtail.admin.urls"))]
                 if apps.is_installed("wagtail.admin") else [])

urlpatterns = [
    path("admin/", admin.site.urls),
    *wagtail_admin,
    # Before Oscar's include, so Oscar's catch-all pages do not shadow the workspace.
    path("dashboard/workspace/", include("oscar_orders_ext.dashboard.urls")),
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

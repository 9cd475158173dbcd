"""The customer's subscription pages; a shop mounts them on its storefront with
``path("", include("oscar_orders_ext.storefront.subscription_urls"))`` (before Oscar's own
URLs)."""

from django.urls import path

from .subscription_views import AccountSubscriptionsView

app_name = "oscar_orders_ext_account"

urlpatterns = [
    path("accounts/subscriptions/", AccountSubscriptionsView.as_view(),
         name="subscriptions"),
]

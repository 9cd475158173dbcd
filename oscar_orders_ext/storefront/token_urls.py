"""The customer's API token page in Oscar's account area; a shop mounts it with
``path("", include("oscar_orders_ext.storefront.token_urls"))`` (before Oscar's own URLs)."""

from django.urls import path

from .token_views import NAMESPACE, AccountApiTokensView

app_name = NAMESPACE

urlpatterns = [
    path("accounts/api-tokens/", AccountApiTokensView.as_view(), name="orders-api-tokens"),
]

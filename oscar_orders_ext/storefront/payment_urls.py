"""URLs of the customer's pay pages; a shop mounts them with
``path("pay/", include("oscar_orders_ext.storefront.payment_urls"))`` beside
``path("payments/", include("payments.urls"))`` (the providers' callbacks)."""

from django.urls import path

from oscar_orders_ext.models.payments import PAY_NAMESPACE

from .payment_views import PayDetailsView, PayDoneView, PayView

app_name = PAY_NAMESPACE

urlpatterns = [
    path("<str:token>/", PayView.as_view(), name="pay"),
    path("<str:token>/done/", PayDoneView.as_view(), name="pay-done"),
    path("<str:token>/<uuid:payment>/", PayDetailsView.as_view(), name="pay-details"),
]

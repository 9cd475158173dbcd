"""``path("api/orders/", include("oscar_orders_ext.api.urls"))``: the API and its schema
(``openapi.json``), in the namespace ``oscar_orders_ext_api``."""

from .main import NAMESPACE, api

app_name = NAMESPACE
urlpatterns = api.urls[0]

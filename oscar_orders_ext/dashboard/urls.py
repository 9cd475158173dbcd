"""``path("dashboard/workspace/", include("oscar_orders_ext.dashboard.urls"))``"""

from django.apps import apps

from .apps import OrdersWorkspaceDashboardConfig

app_name = "oscar_orders_ext_dashboard"
_config = apps.get_app_config(app_name)
assert isinstance(_config, OrdersWorkspaceDashboardConfig)  # a shop's subclass is one too
urlpatterns = _config.urls[0]

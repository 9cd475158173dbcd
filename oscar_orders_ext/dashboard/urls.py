"""``path("dashboard/workspace/", include("oscar_orders_ext.dashboard.urls"))``"""

from django.apps import apps

app_name = "oscar_orders_ext_dashboard"
urlpatterns = apps.get_app_config(app_name).urls[0]

from django.apps import apps
from django.contrib import admin
from django.urls import include, path
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/", admin.site.urls),
    path("cms/", include(wagtailadmin_urls)),
    # Before Oscar's include, so Oscar's catch-all pages do not shadow the workspace.
    path("dashboard/workspace/", include("oscar_orders_ext.dashboard.urls")),
    path("", include(apps.get_app_config("oscar").urls[0])),
]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersWagtailConfig(AppConfig):
    """Add ``"oscar_orders_ext.contrib.wagtail"`` to ``INSTALLED_APPS`` beside Wagtail's apps."""

    name = "oscar_orders_ext.contrib.wagtail"
    label = "oscar_orders_ext_wagtail"
    verbose_name = _("Order workspace for Wagtail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from wagtail.permissions import register_permission_policy

        from oscar_orders_ext.models import OrderProcess

        from .permissions import permission_policy

        register_permission_policy(OrderProcess, permission_policy)

"""App config of the sandbox's demo-data app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Holds the ``seed_demo`` management command; it has no models."""

    name = "sandbox.demo"
    label = "demo"
    verbose_name = _("Sandbox demo data")

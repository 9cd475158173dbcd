"""Wagtail's and Django's system checks pass with the Wagtail front end installed."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from wagtail.permissions import policy_registry

from oscar_orders_ext.contrib.wagtail.permissions import permission_policy
from oscar_orders_ext.models import OrderProcess


def test_system_checks_pass_at_warning_level():
    out = StringIO()
    call_command("check", "--fail-level", "WARNING", stdout=out, stderr=out)
    assert "no issues" in out.getvalue()


def test_the_permission_policy_is_registered_the_wagtail_way():
    assert policy_registry.get_by_type(OrderProcess) is permission_policy

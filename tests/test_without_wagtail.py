"""Under tests.settings_no_wagtail (``make test`` runs the suite so on SQLite), Wagtail cannot
be imported: every test of that run passing proves the core and the Oscar dashboard work
without it."""

from __future__ import annotations

import importlib
import sys

import pytest

from .conftest import wagtail_installed
from .dashboard.conftest import ws_url

pytestmark = pytest.mark.skipif(wagtail_installed(),
                                reason="runs under tests.settings_no_wagtail only")


def test_wagtail_cannot_be_imported():
    with pytest.raises(ImportError):
        importlib.import_module("wagtail.admin")
    assert not [name for name, module in sys.modules.items()
                if name.startswith("wagtail.") and module is not None]


def test_the_dashboard_workspace_answers_without_wagtail(django_app, make_staff):
    user = make_staff("viewer", ["view_orderprocess"])
    page = django_app.get(ws_url("orders-workspace"), user=user)
    assert page.status_code == 200 and "ooe-bulk-form" in page.text

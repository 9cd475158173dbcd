"""Shared fixtures: a stocked product, a way to place real Oscar orders, staff users."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import translation
from oscar.core.loading import get_model
from oscar.test import factories

StockRecord = get_model("partner", "StockRecord")

ORDER_EDITOR_PERMISSIONS = [
    "view_orderprocess", "change_orderprocess", "change_order_state", "cancel_order",
]


def uses_postgres() -> bool:
    """Whether this run uses PostgreSQL (DATABASE_URL=postgres://…); SQLite otherwise."""
    return os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))


def pytest_configure(config: Any) -> None:
    """On SQLite, build the test tables from the models rather than by running every
    migration (pytest-django's --no-migrations): a shorter loop. PostgreSQL keeps the migrations,
    which hold the tally triggers; ``--migrations`` asks for them on SQLite too."""
    if not uses_postgres() and "--migrations" not in config.invocation_params.args:
        config.option.nomigrations = True


def check_migrations_complete() -> None:
    """``makemigrations --check`` against the migration files, also in a run whose tables were
    built without them (``--no-migrations`` swaps ``MIGRATION_MODULES`` for a stand-in)."""
    with override_settings(MIGRATION_MODULES={}):  # the test settings name none of their own
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def wagtail_installed() -> bool:
    """Whether this run has the Wagtail admin (tests/settings_no_wagtail.py leaves it out)."""
    return "oscar_orders_ext.contrib.wagtail" in settings.INSTALLED_APPS


def pytest_ignore_collect(collection_path: Any, config: Any) -> bool | None:
    """tests/custom_workflow runs only under its own settings (the workflow is fixed at import);
    without Wagtail, its tests (tests/wagtail/, tests/browser/test_wagtail_*) are not collected."""
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    if collection_path.name == "custom_workflow" and "custom_workflow" not in settings_module:
        return True
    if collection_path.name == "wagtail" or collection_path.name.startswith("test_wagtail"):
        return True if not wagtail_installed() else None
    return None


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    """Skip, with the reason, PostgreSQL-only tests on SQLite and Wagtail tests without it."""
    skips = []
    if not uses_postgres():
        skips.append(("postgres", pytest.mark.skip(
            reason="needs PostgreSQL: set DATABASE_URL=postgres://…")))
    if not wagtail_installed():
        skips.append(("wagtail", pytest.mark.skip(reason="needs Wagtail (not installed here)")))
    for item in items:
        for keyword, skip in skips:
            if item.get_closest_marker(keyword):
                item.add_marker(skip)


@pytest.fixture
def product() -> Any:
    """A stock-tracked product with 10 in stock at 10.00."""
    return factories.create_product(title="Espresso cup", price=Decimal("10.00"),
                                    num_in_stock=10, partner_sku="CUP-1")


@pytest.fixture
def place_order(product: Any) -> Callable[..., Any]:
    """Place an order through Oscar's OrderCreator, as checkout does (stock gets allocated)."""

    def place(quantity: int = 2, **kwargs: Any) -> Any:
        basket = factories.create_basket(empty=True)
        basket.add_product(product, quantity)
        return factories.create_order(basket=basket, **kwargs)

    return place


def stock_of(product: Any) -> tuple[int, int]:
    """(num_in_stock, num_allocated) of the product's stock record, fresh from the database."""
    record = StockRecord.objects.get(product=product)
    return record.num_in_stock, record.num_allocated or 0


@pytest.fixture
def make_staff(db: Any) -> Callable[..., Any]:
    """A staff user with the given app permissions (codenames)."""

    def make(username: str = "operator", permissions: list[str] | None = None) -> Any:
        user = get_user_model().objects.create_user(
            username=username, email=f"{username}@example.com", password="pw", is_staff=True)
        codenames = ORDER_EDITOR_PERMISSIONS if permissions is None else permissions
        user.user_permissions.set(Permission.objects.filter(
            content_type__app_label="oscar_orders_ext", codename__in=codenames))
        return get_user_model().objects.get(pk=user.pk)  # fresh permission cache

    return make


@pytest.fixture
def operator(make_staff: Callable[..., Any]) -> Any:
    return make_staff()


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Cached choice lists must not leak from one test into the next."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """LocaleMiddleware leaves a request's language active in the thread after the response:
    every test starts in the default language again."""
    yield
    translation.deactivate()


@pytest.fixture
def editor(make_staff: Callable[..., Any]) -> Any:
    """Staff who may view, move, cancel and bulk-edit orders."""
    from .dashboard.conftest import WORKSPACE_EDITOR

    return make_staff("editor", WORKSPACE_EDITOR)


@pytest.fixture
def viewer(make_staff: Callable[..., Any]) -> Any:
    """Staff who may only look at the workspace."""
    from .dashboard.conftest import WORKSPACE_VIEWER

    return make_staff("viewer", WORKSPACE_VIEWER)

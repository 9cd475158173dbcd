"""Wagtail admin tests: staff who may enter Wagtail's admin, with or without order permissions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from ..conftest import wagtail_installed
from ..dashboard.conftest import WORKSPACE_EDITOR, WORKSPACE_VIEWER

#: URL namespaces of the front ends of this run, for tests of a behaviour they share.
FRONT_ENDS = ["oscar_orders_ext_dashboard",
              *(["oscar_orders_ext_wagtail"] if wagtail_installed() else [])]


def wt_url(name: str, **kwargs: Any) -> str:
    return reverse(f"oscar_orders_ext_wagtail:{name}", kwargs=kwargs or None)


def with_wagtail_access(user: Any) -> Any:
    """``user`` (fresh from the database) with Wagtail's "can access the admin" too (when
    this run has Wagtail)."""
    if not wagtail_installed():
        return user
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin",
                                                     codename="access_admin"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def make_wagtail_user(make_staff: Callable[..., Any]) -> Callable[..., Any]:
    """Staff with Wagtail's "can access the admin" and the given app permissions."""

    def make(username: str, permissions: list[str]) -> Any:
        return with_wagtail_access(make_staff(username, permissions))

    return make


@pytest.fixture
def cms_viewer(make_wagtail_user: Callable[..., Any]) -> Any:
    return make_wagtail_user("cms-viewer", WORKSPACE_VIEWER)


@pytest.fixture
def cms_editor(make_wagtail_user: Callable[..., Any]) -> Any:
    return make_wagtail_user("cms-editor", WORKSPACE_EDITOR)


@pytest.fixture
def cms_outsider(make_wagtail_user: Callable[..., Any]) -> Any:
    """An editor of the Wagtail site without any order permission."""
    return make_wagtail_user("cms-outsider", [])


@pytest.fixture
def make_partner_user(django_user_model: Any) -> Callable[..., Any]:
    """Not staff: Wagtail's admin, Oscar's ``dashboard_access``, the given app permissions and
    one partner, whose orders are the only ones the user may reach."""

    def make(partner: Any, permissions: list[str]) -> Any:
        user = django_user_model.objects.create_user(username=f"partner-{partner.pk}",
                                                     email=f"p{partner.pk}@example.com",
                                                     password="pw")
        user.user_permissions.add(*Permission.objects.filter(
            codename__in=["access_admin", "dashboard_access", *permissions]))
        partner.users.add(user)
        return django_user_model.objects.get(pk=user.pk)

    return make

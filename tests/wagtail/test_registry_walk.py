"""Every URL of both front ends, for every kind of user, answers as the permission registry
says: allowed means no 403 and no redirect to a login page; refused means a 403 (signed-in
users) or the login page (anonymous users), as each front end does it.

(Under ``tests/wagtail`` because it walks the Wagtail admin too.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse

from oscar_orders_ext import permissions
from oscar_orders_ext.models import Funnel
from oscar_orders_ext.views.routes import ROUTES

pytestmark = pytest.mark.django_db

DASHBOARD, WAGTAIL = "oscar_orders_ext_dashboard", "oscar_orders_ext_wagtail"
#: Every app permission, each given on its own to one staff user.
APP_PERMISSIONS = [
    permissions.VIEW, permissions.CHANGE, permissions.CHANGE_STATE, permissions.CANCEL,
    permissions.REFUND, permissions.REOPEN, permissions.BULK_EDIT, permissions.MANAGE_FUNNELS,
    permissions.IMPORT, permissions.CREATE_ORDERS, permissions.EDIT_LINES,
    permissions.EDIT_SHIPPED_LINES, permissions.EDIT_DETAILS, permissions.MANAGE_CARRIERS,
    permissions.ISSUE_INVOICE, permissions.ISSUE_CREDIT_NOTE, permissions.SEND_INVOICE,
    permissions.MANAGE_IDENTITY, permissions.VIEW_SUBSCRIPTIONS,
    permissions.MANAGE_SUBSCRIPTIONS]
#: What the partner user holds besides Oscar's ``partner.dashboard_access``.
PARTNER_PERMISSIONS = [permissions.VIEW, permissions.CHANGE_STATE, permissions.SEND_INVOICE]


def grant(user: Any, *names: str) -> Any:
    """``user`` (fresh from the database) with the permissions ``app_label.codename``."""
    for name in names:
        app_label, codename = name.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label,
                                                         codename=codename))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def users(django_user_model: Any) -> dict[str, Any]:
    """Every kind of user, by a readable name (``None``: anonymous)."""

    def make(name: str, *, staff: bool = False, superuser: bool = False) -> Any:
        return django_user_model.objects.create_user(
            username=name, email=f"{name}@example.com", password="pw", is_staff=staff,
            is_superuser=superuser)

    admin = "wagtailadmin.access_admin"
    kinds: dict[str, Any] = {
        "anonymous": None,
        "customer": make("customer"),
        "staff without app permissions": grant(make("staff", staff=True), admin),
        "superuser": make("root", staff=True, superuser=True),
    }
    for number, permission in enumerate(APP_PERMISSIONS):
        kinds[f"staff with {permission} only"] = grant(make(f"staff{number}", staff=True),
                                                      admin, permission)
    from oscar.core.loading import get_model

    partner = get_model("partner", "Partner").objects.create(name="Partner")
    partner_user = grant(make("partner"), admin, permissions.PARTNER_ACCESS,
                         *PARTNER_PERMISSIONS)
    partner.users.add(partner_user)
    kinds["partner user"] = partner_user
    return kinds


def address(namespace: str, route: Any, number: str) -> str:
    funnel = Funnel.objects.get_default()
    values = {"number": number, "funnel": funnel.slug, "stage": funnel.stages.first().pk,
              "pk": funnel.pk, "kind": "nothing"}
    return reverse(f"{namespace}:{route.name}",
                   kwargs={name: value for name, value in values.items()
                           if f":{name}>" in route.path})


def refused(answer: Any, anonymous: bool) -> bool:
    """Whether an answer is the front end's refusal."""
    if answer.status_code == 403:
        return not anonymous
    location = answer.get("Location", "") if answer.status_code == 302 else ""
    # Oscar and Wagtail send anonymous users to their login pages; Wagtail sends signed-in
    # users without admin access back to its dashboard, which then asks them to log in.
    return "login" in location or location.rstrip("/").endswith("/cms")


def close_quietly(answer: Any) -> None:
    """Close a response's file without Django's ``request_finished`` closing the database
    connection of the test's transaction (as the test client itself avoids; on PostgreSQL
    every later query would fail)."""
    request_finished.disconnect(close_old_connections)
    try:
        answer.close()
    finally:
        request_finished.connect(close_old_connections)


def mismatches(namespace: str, users: dict[str, Any], number: str,
               allows: Callable[[Any, str], bool]) -> list[str]:
    found = []
    for kind, user in users.items():
        client = Client()
        if user is not None:
            client.force_login(user)
        for route in ROUTES:
            if namespace == DASHBOARD and route.key == "results":
                continue  # Wagtail's in-place refresh only
            answer = client.get(address(namespace, route, number))
            close_quietly(answer)  # exports and downloads answer with files
            expected = user is not None and allows(user, route.name)
            if refused(answer, anonymous=user is None) == expected:
                found.append(f"{kind}: {route.name} answered {answer.status_code} "
                             f"({'allowed' if expected else 'refused'} by the registry)")
    return found


def test_every_dashboard_url_answers_each_kind_of_user_as_the_registry_says(users,
                                                                             place_order):
    number = place_order().number
    assert mismatches(DASHBOARD, users, number, permissions.dashboard_allows) == []


def test_every_wagtail_url_answers_each_kind_of_user_as_the_registry_says(users, place_order):
    number = place_order().number

    def allows(user: Any, name: str) -> bool:
        return (user.has_perm("wagtailadmin.access_admin")
                and permissions.wagtail_allows(user, name))

    assert mismatches(WAGTAIL, users, number, allows) == []

"""The webhook and API token pages of both skins: a secret or key is shown once, private URLs
are refused with the reason, redeliver keeps the id, tokens are revoked by their owner only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from oscar_orders_ext.models import ApiToken, WebhookDelivery, WebhookEndpoint
from oscar_orders_ext.services.api_tokens import create_token, user_for_key
from tests.conftest import wagtail_installed

pytestmark = pytest.mark.django_db

SKINS = {"dashboard": "/dashboard/workspace/",
         **({"wagtail": "/cms/orders/"} if wagtail_installed() else {})}


def admin_access(user: Any) -> Any:
    """``user`` (fresh) with Wagtail's admin access, where Wagtail is installed."""
    user.user_permissions.add(*Permission.objects.filter(codename="access_admin"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture(params=list(SKINS))
def base(request: Any) -> str:
    return SKINS[request.param]


@pytest.fixture
def manager(make_staff: Any) -> Any:
    return admin_access(make_staff("hooks", ["view_orderprocess", "change_webhookendpoint"]))


def test_an_endpoint_is_added_and_its_secret_shown_once(client, manager, base, settings):
    client.force_login(manager)
    refused = client.post(base + "webhooks/", {"url": "http://10.0.0.5/hook"})
    assert refused.status_code == 400
    assert "private addresses" in refused.content.decode()
    assert not WebhookEndpoint.objects.exists()

    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    added = client.post(base + "webhooks/", {"url": "http://127.0.0.1:9/hook",
                                              "events": ["order.created"]})
    endpoint = WebhookEndpoint.objects.get()
    assert added.status_code == 200 and endpoint.secret in added.content.decode()
    assert endpoint.events == ["order.created"]
    listing = client.get(base + "webhooks/").content.decode()
    assert endpoint.url in listing and endpoint.secret not in listing


@pytest.mark.django_db(transaction=True)  # deliveries are sent on commit
def test_an_endpoint_page_switches_rotates_and_redelivers(client, manager, base, settings,
                                                          place_order):
    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    endpoint = WebhookEndpoint.objects.create(url="http://127.0.0.1:9/hook", secret="whsec_"
                                              + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY")
    place_order()  # a delivery, failing (nothing listens on port 9)
    delivery = WebhookDelivery.objects.get()
    client.force_login(manager)
    page = base + f"webhooks/{endpoint.pk}/"

    assert delivery.message_id in client.get(page).content.decode()
    client.post(page, {"action": "redeliver", "delivery": delivery.pk})
    assert WebhookDelivery.objects.get().attempts == 2
    rotated = client.post(page, {"action": "rotate"})
    endpoint.refresh_from_db()
    assert endpoint.secret in rotated.content.decode() and endpoint.previous_secret
    client.post(page, {"action": "toggle"})
    endpoint.refresh_from_db()
    assert not endpoint.is_active


def test_webhook_pages_need_the_permission(client, make_staff, base):
    client.force_login(admin_access(make_staff("viewer", ["view_orderprocess"])))
    assert client.get(base + "webhooks/").status_code == 403


def test_tokens_are_created_shown_once_and_revoked_by_their_owner(client, make_staff, base):
    user = admin_access(make_staff("api", ["view_orderprocess"]))
    someone_else = make_staff("other", [])
    theirs, _ = create_token(someone_else, "theirs")
    client.force_login(user)

    created = client.post(base + "api-tokens/", {"action": "create", "name": "Shop app"})
    token = ApiToken.objects.get(user=user)
    [key] = re.findall(r"ooe_[\w-]{30,}", created.content.decode())
    assert user_for_key(key) == user
    assert key not in client.get(base + "api-tokens/").content.decode()

    assert client.post(base + "api-tokens/", {"action": "revoke",
                                               "token": theirs.pk}).status_code == 404
    client.post(base + "api-tokens/", {"action": "revoke", "token": token.pk})
    assert user_for_key(key) is None
    assert ApiToken.objects.get(pk=theirs.pk).revoked_at is None


def test_an_endpoint_s_url_and_events_are_changed_on_its_page(client, manager, base,
                                                                 settings):
    endpoint = WebhookEndpoint.objects.create(url="https://hooks.example.com/a", secret="whsec_x",
                                              events=["order.created"])
    client.force_login(manager)
    page = base + f"webhooks/{endpoint.pk}/"
    assert 'value="https://hooks.example.com/a"' in client.get(page).content.decode()

    refused = client.post(page, {"action": "save", "url": "http://10.0.0.5/hook"})
    assert refused.status_code == 400 and "private addresses" in refused.content.decode()
    endpoint.refresh_from_db()
    assert endpoint.url == "https://hooks.example.com/a"

    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    saved = client.post(page, {"action": "save", "url": "http://127.0.0.1:9/b",
                               "description": "CRM", "events": ["order.paid", "quote.sent"]})
    assert saved.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.description, endpoint.events) == (
        "http://127.0.0.1:9/b", "CRM", ["order.paid", "quote.sent"])
    assert endpoint.secret == "whsec_x"  # the secret stays: receivers keep verifying

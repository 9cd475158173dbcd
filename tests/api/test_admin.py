"""Tokens and webhook endpoints managed in Django's admin: secrets shown once, private
addresses refused with a form error, redeliver and revoke through the services."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages

from oscar_orders_ext.models import ApiToken, WebhookEndpoint
from oscar_orders_ext.services.api_tokens import user_for_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    return client, admin


def shown(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_private_endpoint_is_a_form_error(admin_client_):
    client, _ = admin_client_
    response = client.post("/admin/oscar_orders_ext/webhookendpoint/add/", {
        "url": "http://127.0.0.1:8000/hook", "description": "", "events": "[]",
        "is_active": "on"})
    assert response.status_code == 200
    assert "private addresses" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_a_new_endpoints_secret_is_shown_once(admin_client_, settings):
    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = True
    client, _ = admin_client_
    response = client.post("/admin/oscar_orders_ext/webhookendpoint/add/", {
        "url": "http://127.0.0.1:8000/hook", "description": "CRM",
        "events": '["order.created"]', "is_active": "on"}, follow=True)
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["order.created"]
    assert any(endpoint.secret in message for message in shown(response))


def test_a_token_made_in_the_admin_works_and_is_stored_hashed(admin_client_):
    client, admin = admin_client_
    response = client.post("/admin/oscar_orders_ext/apitoken/add/",
                           {"user": admin.pk, "name": "CRM sync"}, follow=True)
    [message] = [m for m in shown(response) if "ooe_" in m]
    key = message.rsplit(" ", 1)[-1]
    assert user_for_key(key) == admin
    assert ApiToken.objects.get().key_hash != key

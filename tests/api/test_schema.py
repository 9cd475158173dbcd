"""The OpenAPI schema the app serves is valid, and the API keeps to it: schemathesis sends
generated requests (bounded examples) and finds no 5xx and no answer outside the schema."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from openapi_spec_validator import validate

from oscar_orders_ext.models import Tag
from oscar_orders_ext.services.api_tokens import create_token
from tests.conftest import uses_postgres, wagtail_installed
from tests.factories import bulk_orders

SCHEMA_URL = "/api/orders/openapi.json"


@pytest.mark.django_db
def test_the_schema_is_valid_openapi():
    schema = Client().get(SCHEMA_URL).json()
    validate(schema)
    assert "/api/orders/staff/orders" in schema["paths"]
    assert schema["components"]["securitySchemes"]


@pytest.fixture
def keep_connection() -> Any:
    """Requests through the WSGI app start and end with ``close_old_connections``, which
    would close the test transaction's connection (on PostgreSQL every later query fails);
    the test client avoids it the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def staff_key(keep_connection: Any, db: Any, make_staff: Any) -> str:
    """A token of a staff member who may do everything; a few orders to find."""
    bulk_orders(3, prefix="FUZZ")
    Tag.objects.create(name="VIP")
    user = make_staff("fuzzer", ["view_orderprocess", "change_orderprocess",
                                 "change_order_state", "cancel_order", "bulk_edit_orders",
                                 "change_webhookendpoint", "edit_order_lines",
                                 "send_payment_link", "refund_order", "record_payment"])
    return create_token(user, "fuzz")[1]


#: The served schema, called in-process (WSGI): nothing leaves the machine.
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())


# Once per `make test`: in its main run (SQLite, with Wagtail). The answers' conformance does
# not depend on the database or on Wagtail, and PostgreSQL's per-request cost would make this
# minutes long there.
@pytest.mark.skipif(uses_postgres() or not wagtail_installed(),
                    reason="runs once, in the SQLite run with Wagtail (the same API and schema)")
@schema.parametrize()
@hypothesis_settings(max_examples=8, deadline=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))
def test_the_api_keeps_to_its_schema(case: Any, staff_key: str, settings: Any,
                                     monkeypatch: Any) -> None:
    # Generated webhook URLs are never looked up (no DNS query leaves the machine): every
    # host is "not found", which the API must answer with a 400 problem.
    settings.OSCAR_ORDERS_EXT_WEBHOOKS_ALLOW_PRIVATE_URLS = False

    def no_lookup(*args: Any, **kwargs: Any) -> Any:
        raise OSError("no DNS in tests")

    monkeypatch.setattr("oscar_orders_ext.webhooks.service.socket.getaddrinfo", no_lookup)
    # Ids and choices that exist (funnels, stages, tags, workflow states) are the database's
    # and the workflow's, not the schema's: a schema-valid unknown id is rightly a 400.
    case.call_and_validate(headers={"Authorization": f"Bearer {staff_key}"},
                           excluded_checks=[positive_data_acceptance])

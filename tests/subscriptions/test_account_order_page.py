"""Oscar's account order page as the sandbox shows it (``sandbox/templates``, the pattern a
shop copies): the order's state in the customer's language instead of Oscar's raw status
text, and the setup fee among the totals, which then add up."""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from oscar_orders_ext.models import Subscription
from oscar_orders_ext.services.transitions import transition_order

pytestmark = pytest.mark.django_db

SANDBOX_TEMPLATES = Path(__file__).resolve().parents[2] / "sandbox" / "templates"


@pytest.fixture
def sandbox_templates(settings: Any) -> None:
    """The sandbox's overrides of Oscar's customer templates before Oscar's own."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [str(SANDBOX_TEMPLATES)]
    settings.TEMPLATES = templates


def test_an_italian_customer_reads_the_state_and_the_setup_fee_on_oscars_order_page(
        sandbox_templates: None, subscribe: Callable[..., Subscription], customer: Any) -> None:
    order = subscribe().order
    order.surcharges.create(name="Setup fee", code="setup-fee", excl_tax=Decimal("5.00"),
                            incl_tax=Decimal("5.00"))
    assert order.status == "Being processed"  # Oscar's status, stored as text
    client = Client()
    client.force_login(customer)
    page = client.get(reverse("customer:order", kwargs={"order_number": order.number}),
                      headers={"Accept-Language": "it"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "In preparazione" in text and "Being processed" not in text
    assert "Costo di attivazione" in text and "5,00\xa0€" in text
    order.refresh_from_db()
    assert order.status == "Being processed"  # what the page printed was never saved


def test_a_guest_reads_the_state_in_their_language_on_the_status_page(
        sandbox_templates: None, place_order: Callable[..., Any]) -> None:
    order = place_order(guest_email="guest@example.com")
    transition_order(order, "confirm")
    client = Client()
    session = client.session
    session["anon_order_email"] = order.email  # what Oscar's form asks before the page
    session.save()
    page = client.get(reverse("customer:anon-order", kwargs={
        "order_number": order.number, "hash": order.verification_hash()}),
        headers={"Accept-Language": "fr"})
    text = page.content.decode()
    assert page.status_code == 200
    assert "En cours" in text and "Being processed" not in text

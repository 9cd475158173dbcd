"""The workspace in Italian and French, in a real browser: server text and the JavaScript's
own text (Django's JavaScript catalogue) follow the browser's language."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from oscar.test import factories

from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.services.transitions import transition_order

from ..dashboard.conftest import WORKSPACE_EDITOR
from ..order_page.conftest import ORDER_MANAGER, page_url
from .conftest import _local_only, sign_in
from .test_kanban_drag import drag, open_board, stage_list

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_in(browser: Any, locale: str) -> Iterator[Any]:
    """A page whose browser asks for ``locale`` (Accept-Language), as a visitor's would."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale=locale)
    context.route("**/*", _local_only)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def italian_page(browser: Any) -> Iterator[Any]:
    yield from page_in(browser, "it-IT")


@pytest.fixture
def french_page(browser: Any) -> Iterator[Any]:
    yield from page_in(browser, "fr-FR")


def test_the_kanban_in_italian(live_server, italian_page, make_staff, place_order):
    page = italian_page
    make_staff("operatrice", WORKSPACE_EDITOR)
    sign_in(page, live_server, "operatrice")
    confirmed, fresh, offline = place_order(), place_order(), place_order()
    transition_order(confirmed, "confirm")
    open_board(page, live_server)
    assert "Sposta in…" in page.locator(".ooe-board").inner_text()

    # A move the workflow allows: the server's message, in Italian.
    card = stage_list(page, "processing").locator(f".ooe-card[data-order='{confirmed.pk}']")
    with page.expect_response(lambda r: r.url.endswith("/move/")) as answer:
        drag(page, card, stage_list(page, "shipped"))
    assert answer.value.status == 200
    toast = page.locator(".ooe-toast")
    toast.wait_for()
    assert toast.inner_text() == f"L'ordine {confirmed.number} è ora “Spedito”."

    # A move it refuses: the card goes back and the reason is in Italian.
    card = stage_list(page, "new").locator(f".ooe-card[data-order='{fresh.pk}']")
    with page.expect_response(lambda r: r.url.endswith("/move/")) as answer:
        drag(page, card, stage_list(page, "refunded"))
    assert answer.value.status == 400
    page.locator(".ooe-toast.alert-danger").wait_for()
    assert (f"L'ordine {fresh.number} non può passare da “Nuovo” a “Rimborsato”."
            in toast.inner_text())
    assert OrderProcess.objects.get(order=fresh).state == "new"

    # The JavaScript's own words come from the JavaScript catalogue.
    page.route("**/move/", lambda route: route.abort())
    card = stage_list(page, "new").locator(f".ooe-card[data-order='{offline.pk}']")
    drag(page, card, stage_list(page, "processing"))
    page.wait_for_function(
        "document.querySelector('.ooe-toast').textContent.startsWith('Impossibile')")
    assert toast.inner_text() == ("Impossibile raggiungere il server; la scheda è tornata "
                                  "al suo posto.")


def test_the_order_page_in_french(live_server, french_page, make_staff, place_order):
    page = french_page
    billing = factories.BillingAddressFactory(first_name="Claire", last_name="Dubois",
                                              line1="3 rue de la Paix", line4="Paris",
                                              postcode="75002")
    order = place_order(guest_email="claire@example.com", billing_address=billing)
    make_staff("operateur", ORDER_MANAGER)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                   origin=live_server.url)
    sign_in(page, live_server, "operateur")
    page.goto(live_server.url + page_url(order))

    text = page.locator("body").inner_text()
    for french in ("Espace de travail des commandes", "Enregistrer une expédition",
                   "Copier les données de facturation", "Rien n'a encore été expédié."):
        assert french in text
    for english in ("Record a shipment", "Copy billing details", "Nothing shipped"):
        assert english not in text
    button = page.locator("#ooe-customer .ooe-copy")
    button.click()
    page.wait_for_selector(".ooe-copy.ooe-copied")
    assert button.inner_text() == "Copié"  # JavaScript catalogue

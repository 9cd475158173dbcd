"""Printing an order: each document shows the order's data; nothing outside the shop is fetched."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from oscar_orders_ext.constants import DocumentKind
from oscar_orders_ext.documents.identity import get_identity
from oscar_orders_ext.documents.rendering import document_html, document_stylesheet, render_pdf
from oscar_orders_ext.documents.service import (DeliveryDetails, bulk_render, document_context,
                                                orders_for_documents, render_document,
                                                render_fragment)

from .conftest import pdf_pages, pdf_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("kind", ["order_summary", "receipt_a4", "receipt_80mm",
                                  "delivery_note"])
def test_each_printable_document_shows_the_order(make_order, kind):
    order = make_order(lines=2, quantity=3)
    text = pdf_text(render_document(kind, order).pdf)
    assert str(order.number) in text
    assert "Espresso cup 1" in text and "Espresso cup 2" in text
    assert "Bottega Rossi srl" in text
    if kind != "delivery_note":
        assert "60.00" in text  # 2 lines × 3 × 10.00
    else:
        assert "60.00" not in text  # a delivery note has no prices


def test_delivery_note_states_carrier_packages_and_reason(make_order):
    order = make_order()
    text = pdf_text(render_document(DocumentKind.DELIVERY_NOTE, order, delivery=DeliveryDetails(
        carrier="BRT Corriere", packages=3, reason="Sale")).pdf)
    assert "Maria Bianchi" in text and "Corso Como 5" in text
    assert "BRT Corriere" in text and "Reason for transport" in text
    assert "Number of packages" in text and "3" in text


def test_an_80mm_receipt_is_as_tall_as_its_content(make_order):
    short = render_document("receipt_80mm", make_order(lines=1))
    long = render_document("receipt_80mm", make_order(lines=12))
    (short_page,), (long_page,) = pdf_pages(short.pdf), pdf_pages(long.pdf)
    mm = 25.4 / 72
    assert round(float(short_page.mediabox.width) * mm) == 80
    assert float(short_page.mediabox.height) * mm < 150
    assert float(long_page.mediabox.height) > float(short_page.mediabox.height) + 11 * 3 / mm  # 3 mm+ a line
    assert float(long_page.mediabox.height) * mm == pytest.approx(long.page_heights_mm[0], abs=.1)


def test_bulk_print_is_one_pdf_with_a_page_per_order(make_order):
    orders = [make_order(lines=index + 1) for index in range(4)]
    result = bulk_render("order_summary", [order.pk for order in orders])
    pages = pdf_pages(result.rendered.pdf)
    assert len(pages) == 4 and result.count == 4
    for page, order in zip(pages, orders):
        assert str(order.number) in page.extract_text()


def test_each_page_of_a_bulk_print_names_its_own_document_not_a_running_page_count(
        make_order):
    orders = [make_order(lines=1), make_order(lines=60), make_order(lines=1)]
    pages = pdf_pages(bulk_render("delivery_note", [o.pk for o in orders]).rendered.pdf)
    footers = [page.extract_text().strip().splitlines()[-1] for page in pages]
    long_order = [f"Delivery note {orders[1].number}"] * (len(pages) - 2)
    assert len(pages) > 3  # the second note runs over more than one page
    assert footers == [f"Delivery note {orders[0].number}", *long_order,
                       f"Delivery note {orders[2].number}"]
    # A single document keeps its page numbers.
    (single,) = pdf_pages(bulk_render("delivery_note", [orders[0].pk]).rendered.pdf)
    assert single.extract_text().strip().splitlines()[-1] == "1 / 1"


def test_bulk_80mm_receipts_get_a_fitted_page_each(make_order):
    orders = [make_order(lines=1), make_order(lines=8)]
    pages = pdf_pages(bulk_render("receipt_80mm", [o.pk for o in orders]).rendered.pdf)
    assert len(pages) == 2
    assert float(pages[1].mediabox.height) > float(pages[0].mediabox.height)


EVIL = ('<img src="http://example.com/x.png"><img src="file:///etc/passwd">'
        '<link rel="stylesheet" href="https://cdn.example.net/evil.css">'
        '<img src="/static/../../../../etc/passwd"><img src="{{ order.number }}">')


def test_rendering_never_fetches_outside_static_and_media(make_order, settings, tmp_path,
                                                           monkeypatch):
    """A shop template (or order data) pointing at other hosts or files renders without them."""
    templates = tmp_path / "templates" / "oscar_orders_ext" / "documents"
    templates.mkdir(parents=True)
    (templates / "order_summary.html").write_text(
        EVIL + '<img src="/static/oscar/img/image_not_found.jpg"><p>{{ order.number }}</p>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path / "templates")]}]
    opened = []
    monkeypatch.setattr("urllib.request.OpenerDirector.open",
                        lambda self, *a, **k: opened.append(a) or 1 / 0)
    order = make_order()

    result = render_document("order_summary", order)

    assert str(order.number) in pdf_text(result.pdf)
    assert opened == []  # urllib was never asked to open anything
    assert "http://example.com/x.png" in result.refused
    assert "file:///etc/passwd" in result.refused
    assert "https://cdn.example.net/evil.css" in result.refused
    assert any("etc/passwd" in url for url in result.refused if url.startswith("https://documents"))


def test_order_data_cannot_smuggle_urls_into_the_document(make_order):
    order = make_order()
    line = order.lines.get()
    line.title = '<img src="http://example.com/track.png">Cup'
    line.save()
    result = render_document("order_summary", order)
    assert result.refused == []  # escaped by the template: printed as text, never fetched
    assert "example.com/track.png" in "".join(pdf_text(result.pdf).split())


def test_the_logo_comes_from_the_shops_own_files(make_order, settings, shop_identity):
    settings.OSCAR_ORDERS_EXT_SHOP_IDENTITY = {**shop_identity,
                                               "logo": "oscar/img/image_not_found.jpg"}
    result = render_document("receipt_a4", make_order())
    assert result.refused == []


def test_a_shops_own_stylesheet_is_used_and_its_outside_urls_refused_on_every_render(
        make_order, settings, tmp_path):
    """``styles.css`` overridden by the shop applies; what it points at outside the shop is
    reported on every render, although the stylesheet is parsed once."""
    templates = tmp_path / "templates" / "oscar_orders_ext" / "documents"
    templates.mkdir(parents=True)
    (templates / "styles.css").write_text(
        '@font-face { font-family: Shop; src: url("https://cdn.example.net/shop.woff2"); }\n'
        'body { font-family: Shop, sans-serif; '
        'background: url("https://cdn.example.net/paper.png"); }\n'
        ".ooe-lines { display: none; }\n")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path / "templates")]}]
    order = make_order()

    for _ in range(2):
        result = render_document("order_summary", order)
        text = pdf_text(result.pdf)
        assert str(order.number) in text
        assert "Espresso cup 1" not in text  # the shop's stylesheet hid the lines
        assert "https://cdn.example.net/shop.woff2" in result.refused  # when parsed
        assert "https://cdn.example.net/paper.png" in result.refused  # when laid out


def test_documents_render_side_by_side_in_threads(make_order):
    """Each thread keeps its own fonts (Pango's font map is not thread-safe): renders running
    at the same time in a threaded server all come out whole."""
    order = make_order(lines=2)
    expected = pdf_text(render_document("receipt_a4", order).pdf)
    orders = list(orders_for_documents([order.pk]))  # read here: threads get no test database
    html = document_html("receipt_a4", [render_fragment("receipt_a4", document_context(
        "receipt_a4", orders[0], identity=get_identity()))])
    stylesheet = document_stylesheet("receipt_a4")
    start = threading.Barrier(4)

    def render(_: int) -> str:
        start.wait()
        return pdf_text(render_pdf(html, stylesheet=stylesheet).pdf)

    with ThreadPoolExecutor(max_workers=4) as pool:
        texts = list(pool.map(render, range(8)))
    assert texts == [expected] * 8

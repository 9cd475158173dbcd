"""A4 documents stay inside their margins: measured on WeasyPrint's layout boxes."""

from __future__ import annotations

from typing import Any

import pytest
from weasyprint import HTML

from oscar_orders_ext.documents.identity import get_identity
from oscar_orders_ext.documents.rendering import (LOCAL_ORIGIN, PX_PER_MM, _resources,
                                                  document_html, document_stylesheet)
from oscar_orders_ext.documents.service import (DeliveryDetails, document_context,
                                                orders_for_documents, render_fragment)

pytestmark = pytest.mark.django_db


def boxes(box: Any) -> list[Any]:
    found = [box]
    for child in getattr(box, "children", None) or []:
        found.extend(boxes(child))
    return found


def overflow_mm(kind: str, order: Any) -> dict[str, float]:
    """How far each classed element of the first page reaches past the right margin (mm)."""
    order = orders_for_documents([order.pk]).get()
    extra = {"delivery": DeliveryDetails().for_order(order)} if kind == "delivery_note" else {}
    context = document_context(kind, order, identity=get_identity(), **extra)
    sheet, _refused = _resources.stylesheet(document_stylesheet(kind))
    page = HTML(string=document_html(kind, [render_fragment(kind, context)]),
                base_url=LOCAL_ORIGIN + "/").render(
        stylesheets=[sheet], font_config=_resources.font_config).pages[0]._page_box
    right_margin = page.margin_width() - page.margin_right
    over = {}
    for box in boxes(page):
        element = getattr(box, "element", None)
        classes = element.get("class", "") if element is not None else ""
        if "ooe-" in classes:
            beyond = (box.position_x + box.margin_width() - right_margin) / PX_PER_MM
            if beyond > 0.1:
                over[f"{box.element_tag}.{classes}"] = round(beyond, 1)
    return over


@pytest.mark.parametrize("kind", ["order_summary", "receipt_a4", "delivery_note", "invoice"])
def test_nothing_runs_past_the_right_margin(make_order, kind):
    # The line-item table stuck out about 12 mm beyond the header and totals, and the delivery
    # note's third signature line ran off the page: cell padding came on top of the widths.
    assert overflow_mm(kind, make_order(lines=3)) == {}

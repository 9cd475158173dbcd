"""Template helpers of the workspace front ends."""

from __future__ import annotations

import copy
from datetime import timedelta
from functools import lru_cache
from urllib.parse import quote
from typing import Any, cast

from django import template
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from oscar_orders_ext.constants import source_label
from oscar_orders_ext.display import format_money, person_name
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.permissions import allows_in
from oscar_orders_ext.selectors import order_quotes
from oscar_orders_ext.services.notifications import order_email_context
from oscar_orders_ext.subscriptions.surcharges import surcharge_name as _surcharge_name

register = template.Library()


@register.filter
def order_source(source: str) -> str:
    """An order's source as merchants read it (``constants.source_label``)."""
    return source_label(source or "")


@register.filter
def person(user: Any) -> str:
    """A user's full name, else username ("" for nobody): how the workspace names people."""
    return person_name(user)


@register.simple_tag
def query_with(query: QueryDict, **changes: Any) -> str:
    """``query`` with some keys replaced (``None`` or "" removes one); always drops ``page``."""
    updated = query.copy()
    updated.pop("page", None)
    for key, value in changes.items():
        updated.pop(key, None)
        if value not in (None, ""):
            updated[key] = value
    return updated.urlencode()


@register.filter
def is_stale(card: Any) -> bool:
    """Whether the card has overstayed its stage's time limit."""
    limit = card.stage.time_limit if card.stage else None
    return bool(limit) and timezone.now() - card.state_changed_at > limit


@register.filter
def in_stage_for(card: Any) -> timedelta:
    return timezone.now() - card.state_changed_at


DASHBOARD_NAMESPACE = "oscar_orders_ext_dashboard"


@lru_cache(maxsize=4)
def _order_detail_prefix(namespace: str) -> str:
    return reverse(f"{namespace}:orders-workspace-order", kwargs={"number": "0"})[:-2]


@register.filter
def order_detail_url(number: str, namespace: str | None = None) -> str:
    """The workspace's order page of an order, in the dashboard or in the front end whose URL
    namespace is given (``{{ row.number|order_detail_url:order_namespace }}``); reversed once,
    not once per card."""
    return f"{_order_detail_prefix(namespace or DASHBOARD_NAMESPACE)}{quote(str(number))}/"


@lru_cache(maxsize=1)
def _order_lines_parts() -> tuple[str, str]:
    prefix, suffix = reverse("oscar_orders_ext_dashboard:orders-workspace-order-lines",
                             kwargs={"number": "0"}).rsplit("/0/", 1)
    return f"{prefix}/", f"/{suffix}"


@register.filter
def order_lines_url(number: str) -> str:
    """The line editor of an order (reversed once, not once per row)."""
    prefix, suffix = _order_lines_parts()
    return f"{prefix}{quote(str(number))}{suffix}"


@register.filter
def row_href(action: Any, row: Any) -> str | None:
    """The link of a row button (``views.actions.BoundRowAction``) for this row, None where it
    does not apply: ``{% with href=action|row_href:row %}``."""
    return action.href(row)


@register.filter
def selected_values(field: Any) -> set[str]:
    """The submitted values of a bound form field, as strings."""
    value = field.value()
    if value is None:
        return set()
    values = value if isinstance(value, list | tuple) else [value]
    return {str(v) for v in values}


@register.filter
def choice_value(value: Any) -> str:
    """A choice's value as the HTML option carries it (model choices wrap theirs)."""
    return str(getattr(value, "value", value))


@register.filter
def choices_of(field: Any) -> list[tuple[Any, Any]]:
    """A bound field's choices as a list (django-filter's lazy choices have no usable len())."""
    return list(iter(field.field.choices))  # iter(): no COUNT query for the length hint


@register.simple_tag
def order_buyer_info(order: Any) -> dict[str, Any]:
    """``tracking_links`` and ``buyer_notes`` of an order, for a shop's customer pages."""
    return order_email_context(order)


@register.simple_tag
def customer_order(order: Any) -> Any:
    """The order as its customer's pages print it: a copy (never saved) whose ``status`` is
    the order's workflow state in the reader's language. Oscar stores its status as plain
    text ("Being processed") and its account pages print it as stored, untranslated."""
    pk = getattr(order, "pk", None)
    process = OrderProcess.objects.filter(order_id=pk).only("state").first() if pk else None
    if process is None:
        return order
    shown = copy.copy(order)
    shown.status = str(process.state_info.label)
    return shown


@register.filter
def surcharge_name(charge: Any) -> str:
    """An order's surcharge (``order.surcharges``, or a document's frozen copy of one) named in
    the reader's language when it is one of the app's (the setup fee), as stored otherwise."""
    return _surcharge_name(charge)


@register.simple_tag
def order_proposals(order: Any) -> list[Any]:
    """The order's price proposals, newest first, each with its ``outcome`` (customer pages)."""
    return order_quotes(order)


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    """Oscar's ``currency`` filter, same output, with the Babel formatter built once per
    currency and language instead of on every call."""
    return format_money(value, currency)


class CellsNode(template.Node):
    """One ``<td class="ooe-cell-KEY">`` per column, holding the ``{% case %}`` of its key."""

    def __init__(self, columns: Any, branches: dict[str, template.NodeList]) -> None:
        self.columns, self.branches = columns, branches

    def render(self, context: template.Context) -> str:
        cells = []
        with context.push():
            for column in self.columns.resolve(context, ignore_failures=True) or ():
                context["column"] = column
                branch = self.branches.get(column.key)
                body = branch.render(context) if branch is not None else ""
                cells.append(f'<td class="ooe-cell-{conditional_escape(column.key)}">{body}</td>')
        return mark_safe("".join(cells))


@register.tag
def cells(parser: Any, token: Any) -> CellsNode:
    """``{% cells columns %}{% case "number" %}…{% case "a" "b" %}…{% endcells %}``: a table
    cell per column, drawn by the case of its key, with ``column`` in the context. One
    dictionary lookup per cell where a ``{% for %}`` around an ``{% if %}``/``{% elif %}``
    chain pays a loop step and a comparison per branch (a page draws hundreds of cells)."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("'cells' takes the columns: {% cells columns %}")
    columns = parser.compile_filter(bits[1])
    before = parser.parse(("case", "endcells"))
    if any(not isinstance(node, template.base.TextNode) or node.s.strip() for node in before):
        raise template.TemplateSyntaxError("Only {% case %} may follow {% cells %}.")
    branches: dict[str, template.NodeList] = {}
    token = parser.next_token()
    while token.contents != "endcells":
        labels = token.split_contents()[1:]
        if not labels or any(label[0] not in "\"'" or label[-1] != label[0]
                             for label in labels):
            raise template.TemplateSyntaxError("'case' takes quoted keys: {% case \"number\" %}")
        body = parser.parse(("case", "endcells"))
        for label in labels:
            branches.setdefault(label[1:-1], body)
        token = parser.next_token()
    return CellsNode(columns, branches)


class IncludeRowNode(template.Node):
    """Draws a template in place, loaded once per page (see ``include_row``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def render(self, context: template.Context) -> str:
        loaded = cast("dict[Any, Any]", context.render_context.dicts[0])
        drawn = loaded.get(self)
        if drawn is None:
            page = cast(template.Template, context.template)  # (set while a page renders)
            drawn = loaded[self] = page.engine.get_template(self.name)
        with context.push():
            return drawn.nodelist.render(context)


@register.tag
def include_row(parser: Any, token: Any) -> IncludeRowNode:
    """``{% include_row "shared/table/row_cells.html" %}``: ``{% include %}`` of a fixed
    template inside a loop, drawn in the loop's context. Django's include resolves the name,
    looks the template up and opens a new render state on every row (a sixth of drawing a
    table of 25 rows); this one loads the template on the first row and renders its nodes.
    The included template must not extend another."""
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError("'include_row' takes one quoted template name")
    return IncludeRowNode(bits[1][1:-1])


def _namespace(context: template.Context) -> str:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    return (getattr(match, "namespace", "") or context.get("order_namespace")
            or "oscar_orders_ext_dashboard")


@register.simple_tag(takes_context=True)
def skin_url(context: template.Context, name: str, *args: Any, **kwargs: Any) -> str:
    """``{% url %}`` for a workspace URL name, in the namespace of the front end drawing the
    page: shared partials link within the skin they are shown in."""
    return reverse(f"{_namespace(context)}:{name}", args=args or None, kwargs=kwargs or None)


@register.simple_tag(takes_context=True)
def allowed(context: template.Context, name: str) -> bool:
    """Whether the page's user may open action ``name`` in this front end (the permission
    registry's answer; for page chrome drawn by every view, such as the view switcher)."""
    return allows_in(_namespace(context), context["request"].user, name)

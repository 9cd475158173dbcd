"""What every front end of the workspace does the same way, whatever its templates and URLs.

The Oscar dashboard (``dashboard/``) and the Wagtail admin (``contrib/wagtail/``) differ only in
templates, URL wiring and view classes; the steps between a request and the selectors and
services live here: building the filter from a query string, a table page (summary, paginated
rows, columns, sorting), a bulk action, and a card move with its JSON answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

from django import forms
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.views.i18n import JavaScriptCatalog
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from oscar_orders_ext import display, selectors
from oscar_orders_ext.columns import COLUMNS, Column, columns_for, ordering_for
from oscar_orders_ext.documents.service import BULK_PRINTABLE
from oscar_orders_ext.exceptions import OrderConflict, OrderWorkflowError
from oscar_orders_ext.models import ColumnPreference, Funnel, OrderProcess, SavedView, Stage
from oscar_orders_ext.services import preferences
from oscar_orders_ext.services.bulk import (SET_BASED_ACTIONS, SIMPLE_ACTIONS, BulkReport,
                                            resolve_action, run_bulk_action, run_set_based,
                                            run_transitions, set_based_action, transition_of)
from oscar_orders_ext.services.transitions import move_to_stage, stage_move, transition_order

PAGE_SIZES = (25, 50, 100)
CARDS_PER_STAGE = 10
#: Query parameters that steer the page rather than filter orders.
NON_FILTER_PARAMS = ("page", "page_size", "sort", "view", "filters")


class SkinMixin:
    """What a front end (skin) sets on a shared view: the URL namespace its routes are mounted
    under (every skin names its routes alike, see ``views.routes``) and, per view, templates."""

    url_namespace = ""

    def url(self, name: str, **kwargs: Any) -> str:
        """One of this front end's URLs, by its route name."""
        return reverse(f"{self.url_namespace}:{name}", kwargs=kwargs or None)


def wants_json(request: HttpRequest) -> bool:
    """Whether the caller is a script asking for JSON."""
    return "application/json" in request.headers.get("Accept", "")


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The ``next`` URL when it points into this site, else ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return fallback


class KnownCountPaginator(Paginator):
    """A paginator told the count (already computed by the summary) instead of counting."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        return self._known_count


def order_filter_for(request: HttpRequest, query: QueryDict | None = None,
                     hidden: tuple[str, ...] = ()) -> selectors.OrderFilter:
    """The workspace filter bound to ``query`` (default: the request's GET), over the orders
    the user may see; ``hidden`` fields are dropped from its form."""
    data = (request.GET if query is None else query).copy()
    for name in NON_FILTER_PARAMS:
        data.pop(name, None)
    order_filter = selectors.OrderFilter(data, request=request,
                                         queryset=selectors.visible_processes(request.user))
    for name in hidden:
        order_filter.form.fields.pop(name, None)
    return order_filter


def filter_query(query: QueryDict) -> str:
    """The current filter as a query string (for saved views, bulk "all", exports)."""
    data = query.copy()
    for name in ("page", "view", "filters"):
        data.pop(name, None)
    return data.urlencode()


def filter_errors(order_filter: selectors.OrderFilter) -> list[str]:
    """The filter form's errors, each as "label: message"."""
    form = order_filter.form
    return [f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
            for name, errors in form.errors.items() for error in errors]


def board_query(query: str, funnel: Funnel) -> str:
    """A Kanban board's filter as a query string: the page's filter (search included) and the
    board's funnel, which its URL names rather than its query (what the board exports)."""
    return "&".join(filter(None, [query, f"funnel={funnel.pk}"]))


def active_filters(order_filter: selectors.OrderFilter) -> list[tuple[str, str]]:
    """(label, field name) of every filter that narrows the orders."""
    form = order_filter.form
    return [(str(form.fields[name].label), name)
            for name, value in order_filter.cleaned_data.items()
            if selectors.is_set(value) and name in form.fields]


@dataclass(frozen=True)
class FilterChip:
    """One value of a filter that narrows the orders, and the query string without it."""

    label: str
    value: str
    remove_query: str


def _without(params: QueryDict, keys: list[str], name: str = "", keep: list[str] | None = None
             ) -> str:
    rest = params.copy()
    for key in [*keys, "page"]:
        rest.pop(key, None)
    if keep:
        rest.setlist(name, keep)
    return rest.urlencode()


def filter_chips(order_filter: selectors.OrderFilter, params: QueryDict) -> list[FilterChip]:
    """A removable chip per value of every filter that narrows the orders (each value of a
    multiple choice on its own), with the query string that drops it, as Wagtail's listings
    show them."""
    form = order_filter.form
    chips = []
    for label, name in active_filters(order_filter):
        field = form.fields[name]
        choices = getattr(field, "choices", None)  # (django-filter's lists have no truth value)
        if isinstance(field, forms.ModelChoiceField):
            # The chosen rows, already loaded by the form: listing the choices would read
            # every tag (or stage, funnel) again.
            chosen = order_filter.cleaned_data[name]
            names = {str(field.prepare_value(row)): str(field.label_from_instance(row))
                     for row in (chosen if isinstance(field, forms.ModelMultipleChoiceField)
                                 else [chosen])}
        else:
            names = ({str(value): str(text) for value, text in choices}
                     if choices is not None else {})
        keys = [key for key in params if key == name or key.startswith(f"{name}_")]
        values = [value for value in params.getlist(name) if value]
        if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
            for value in values:
                chips.append(FilterChip(label, names.get(value, value), _without(
                    params, keys, name, keep=[other for other in values if other != value])))
            continue
        shown = (names.get(values[0], values[0]) if values else
                 " – ".join(given for key in sorted(keys) if (given := params.get(key))))
        chips.append(FilterChip(label, shown, _without(params, keys)))
    return chips


@dataclass
class FilterPanel:
    """Whether the filter panel is drawn with the page, and if not, the filter values the
    search form must carry as hidden inputs so that searching keeps them."""

    open: bool
    kept: list[tuple[str, str]] = field(default_factory=list)


def filter_panel(order_filter: selectors.OrderFilter, query: QueryDict) -> FilterPanel:
    """The panel is drawn (a dozen fields, their choices and three queries: a third of a
    filtered page's time) only when asked, ``?filters=open``, or to show an error; otherwise
    the page's script fetches it on first opening (``?filters=panel``), and the filters set
    show as chips (``filter_chips``)."""
    form = order_filter.form
    if query.get("filters") == "open" or bool(form.errors):
        return FilterPanel(open=True)
    keys = [key for name, form_field in form.fields.items() if name != "q"
            for key in widget_keys(name, form_field.widget)]
    return FilterPanel(open=False, kept=[(key, value) for key in keys
                                         for value in query.getlist(key) if value])


def widget_keys(name: str, widget: forms.Widget) -> list[str]:
    """The query keys a field's widget reads: ``total_min`` and ``total_max`` for django-filter's
    range widgets (their ``suffixes``), the field's name otherwise."""
    suffixes = getattr(widget, "suffixes", None)
    if suffixes:
        return [f"{name}_{suffix}" if suffix else name for suffix in suffixes]
    return [name]


def saved_views_for(user: Any) -> QuerySet[SavedView]:
    """The saved views a user may open: their own and the shared ones."""
    return SavedView.objects.filter(Q(owner=user) | Q(shared=True))


def saved_view_query(user: Any, pk: str) -> str | None:
    """The query string a saved view stands for (its filter and columns), None if not visible."""
    saved = saved_views_for(user).filter(pk=pk).first() if pk.isdigit() else None
    if saved is None:
        return None
    query = QueryDict(saved.query, mutable=True)
    query["columns"] = ",".join(saved.columns)
    return query.urlencode()


def chosen_column_keys(request: HttpRequest) -> list[str] | None:
    """The columns named in the URL, else the user's remembered choice, else None (default)."""
    if request.GET.get("columns"):
        return request.GET["columns"].split(",")
    user = request.user if request.user.is_authenticated else None  # the pages need a login
    preference = ColumnPreference.objects.filter(user=user).first()
    return preference.columns if preference else None


@dataclass
class TablePage:
    """One page of the table, with everything drawn around it."""

    summary: selectors.Summary
    paginator: KnownCountPaginator
    page: Page
    rows: list[OrderProcess]
    columns: list[Column]
    sort: str
    page_size: int
    query_without_sort: str
    all_columns: list[Column] = field(default_factory=list)
    #: The filter's errors as "label: message"; the page lists nothing while there are any.
    errors: list[str] = field(default_factory=list)

    @property
    def column_keys(self) -> str:
        """The shown columns as one comma-separated value."""
        return ",".join(column.key for column in self.columns)


def table_page(order_filter: selectors.OrderFilter, query: QueryDict,
               column_keys: list[str] | None) -> TablePage:
    """Summary, sorted page, rows with their related data, columns: a fixed number of queries.

    A filter with bad input lists nothing and counts nothing: the orders it would show ignore
    the bad value, so any list or total would mislead (the form shows the errors)."""
    errors = filter_errors(order_filter)
    summary = (selectors.Summary(count=0, totals=[], states=[]) if errors
               else selectors.summarize(order_filter))
    processes = OrderProcess.objects.none() if errors else order_filter.qs
    sort, order_by = ordering_for(query.get("sort"))
    size = query.get("page_size") or ""
    page_size = int(size) if size.isdigit() and int(size) in PAGE_SIZES else PAGE_SIZES[0]
    paginator = KnownCountPaginator(processes.order_by(*order_by), page_size, summary.count)
    page = paginator.get_page(query.get("page"))
    # The page's ids first, in a sub-select PostgreSQL plans on its own: it can then read them
    # off an index alone (a rare state's newest orders may sit far down ooe_process_placed), and
    # the joins and note counts run for the rows shown only.
    page_rows = cast("QuerySet[OrderProcess]", page.object_list)  # a slice of ``processes``
    ids = None
    if sort.lstrip("-") == "operator" and not errors:  # a join and a sort of every order
        ids = selectors.operator_sorted_ids(processes, descending=sort.startswith("-"),
                                            offset=(page.number - 1) * page_size,
                                            limit=page_size)
    shown = OrderProcess.objects.filter(pk__in=page_rows.values("pk") if ids is None else ids)
    rows = list(selectors.with_related(shown).order_by(*order_by))
    selectors.attach_lines(rows)
    columns = columns_for(column_keys)
    display.prepare_rows(rows, [column.key for column in columns])
    chosen = {column.key for column in columns}
    if "tracking" in chosen:  # one more query, only when the column is shown
        selectors.attach_tracking(rows)
    if "payment_link" in chosen:  # likewise
        selectors.attach_payment_links(rows)
    if "installments_due" in chosen:  # likewise
        selectors.attach_installments_due(rows)
    without_sort = query.copy()
    for name in ("sort", "page"):
        without_sort.pop(name, None)
    return TablePage(summary=summary, paginator=paginator, page=page, rows=rows,
                     columns=columns, sort=sort, page_size=page_size, errors=errors,
                     query_without_sort=without_sort.urlencode(),
                     all_columns=columns + [c for c in COLUMNS if c.key not in chosen])


def bulk_document_choices() -> list[tuple[str, str]]:
    """The documents a bulk print can make, as (kind, label)."""
    return [(kind.value, str(kind.label)) for kind in BULK_PRINTABLE]


def board(order_filter: selectors.OrderFilter, funnel: Funnel, user: Any = None
          ) -> list[selectors.KanbanColumn]:
    """The Kanban board of ``funnel``: its columns with their first cards, ready to draw, the
    columns ``user`` folded marked so."""
    columns = selectors.kanban(order_filter, funnel, per_stage=CARDS_PER_STAGE,
                               folded=selectors.folded_stages(user, funnel))
    display.prepare_cards(card for column in columns for card in column.cards)
    return columns


def next_cards(order_filter: selectors.OrderFilter, stage: Stage, after: str
               ) -> list[OrderProcess]:
    """The cards of a column after the card whose process id is ``after`` ("load more")."""
    previous = (OrderProcess.objects.filter(pk=after).first() if after.isdigit() else None)
    cards = selectors.more_cards(order_filter.qs, stage, after=previous, limit=CARDS_PER_STAGE)
    display.prepare_cards(cards)
    return cards


def workflow_transition_choices() -> list[tuple[str, str]]:
    """Every transition of the workflow as (name, label), for bulk state changes."""
    return list(_transition_choices(get_language()))


@lru_cache(maxsize=32)
def _transition_choices(language: str | None) -> tuple[tuple[str, str], ...]:
    # Once per language: the workflow is fixed when the models load, and reading it means
    # building a process and walking django-fsm's transitions.
    seen: dict[str, str] = {}
    for transition in OrderProcess().get_all_state_transitions():
        label = transition.custom.get("label") or transition.name
        seen.setdefault(transition.name, str(label))
    return tuple(seen.items())


# --- Bulk actions -----------------------------------------------------------------------------

def bulk_selection(request: HttpRequest, data: dict[str, Any]) -> list[int]:
    """The process ids a valid ``BulkActionForm`` targets: the ticked rows the user may see, or
    every order matching the filter the user was looking at."""
    if data["select_all"]:
        order_filter = order_filter_for(request, QueryDict(data["query"]))
        return list(order_filter.qs.order_by("pk").values_list("pk", flat=True))
    return list(selectors.visible_processes(request.user).filter(pk__in=data["selected"])
                .values_list("pk", flat=True))


@dataclass
class BulkOutcome:
    """What a bulk action did: an error, or a report (orders done, refusals)."""

    error: str = ""
    report: BulkReport | None = None

    @property
    def success_message(self) -> str:
        """The "n orders updated." line (and how many customers were emailed), empty when
        nothing changed."""
        if self.report is None or not self.report.done:
            return ""
        message = ngettext("%(count)d order updated.", "%(count)d orders updated.",
                           self.report.done) % {"count": self.report.done}
        if self.report.emailed:
            message += " " + ngettext("%(count)d customer emailed.",
                                      "%(count)d customers emailed.",
                                      self.report.emailed) % {"count": self.report.emailed}
        return message


def apply_bulk_action(request: HttpRequest, data: dict[str, Any], pks: list[int]
                      ) -> BulkOutcome:
    """Run a (non-export) bulk action of a valid ``BulkActionForm`` on ``pks`` in the request
    (ticked rows, up to ``BULK_SYNC_LIMIT``): set-based actions a batch at once, the others
    order by order."""
    try:
        if data["action"] in SET_BASED_ACTIONS:
            kind, batch = set_based_action(data["action"], user=request.user, tag=data["tag"],
                                           operator=data["operator"])
            return BulkOutcome(report=run_set_based(pks, data["action"], batch, kind=kind,
                                                    user=request.user))
        apply = resolve_action(data["action"], transition=data["transition"], tag=data["tag"],
                               operator=data["operator"], notify=data.get("notify"))
    except OrderWorkflowError as error:
        return BulkOutcome(error=error.message)
    move = transition_of(data["action"], data["transition"] or "")
    if move:  # a state change: the transition service a batch at a time
        return BulkOutcome(report=run_transitions(pks, move, user=request.user,
                                                  notify=data.get("notify"),
                                                  action=data["action"]))
    return BulkOutcome(report=run_bulk_action(pks, data["action"], apply, user=request.user))


def bulk_action_label(data: dict[str, Any]) -> str:
    """What a bulk action does, in words, for its job page ("Add tag “VIP”")."""
    action = data["action"]
    if action in SIMPLE_ACTIONS:
        return str(SIMPLE_ACTIONS[action][0])
    if action == "transition":
        labels = dict(workflow_transition_choices())
        return labels.get(data["transition"], data["transition"])
    if action in {"add_tag", "remove_tag"} and data.get("tag") is not None:
        text = _("Add tag “%(tag)s”") if action == "add_tag" else _("Remove tag “%(tag)s”")
        return text % {"tag": data["tag"].name}
    if action == "assign_operator":
        operator = data.get("operator")
        return (_("Assign to %(name)s") % {"name": display.person_name(operator)}
                if operator is not None else _("Unassign the operator"))
    if action == "send_payment_links":
        return _("Send payment links")
    return action


# --- Moves ------------------------------------------------------------------------------------

@dataclass
class MoveOutcome:
    """The answer to a move: a Kanban drop or a transition button."""

    ok: bool
    message: str
    status: int = 200
    process: OrderProcess | None = None
    conflict: bool = False


def form_errors(form: Any) -> str:
    """A form's errors as one sentence."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def confirmation_needed(form: Any, user: Any) -> OrderProcess | None:
    """The order of a bound ``MoveForm`` moving it to a stage whose move asks first (cancel,
    refund) when the form does not carry the confirmation; None otherwise."""
    if not form.is_valid() or form.cleaned_data["confirmed"]:
        return None
    process, stage = form.cleaned_data["order"], form.cleaned_data["stage"]
    if stage is None:
        return None
    found = stage_move(process, stage, user)
    return process if found is not None and found.confirm else None


def move(form: Any, user: Any) -> MoveOutcome:
    """Apply a bound ``MoveForm``: to a stage, or through a named transition."""
    if not form.is_valid():
        return MoveOutcome(ok=False, message=form_errors(form), status=400)
    process, stage = form.cleaned_data["order"], form.cleaned_data["stage"]
    version, note = form.cleaned_data["version"], form.cleaned_data["note"]
    try:
        if stage is not None:
            result = move_to_stage(process, stage, user=user, note=note,
                                   expected_version=version,
                                   notify_customer=form.cleaned_data["notify_customer"])
        else:
            result = transition_order(process, form.cleaned_data["transition"], user=user,
                                      note=note, expected_version=version,
                                      notify_customer=form.cleaned_data["notify_customer"])
    except OrderConflict as error:
        return MoveOutcome(ok=False, message=error.message, status=409, process=process,
                           conflict=True)
    except OrderWorkflowError as error:
        return MoveOutcome(ok=False, message=error.message, status=400, process=process)
    message = _("Order %(number)s is now “%(state)s”.") % {
        "number": result.process.number, "state": result.process.state_info.label}
    return MoveOutcome(ok=True, message=message, process=result.process)


def move_payload(outcome: MoveOutcome,
                 render_card: Callable[[OrderProcess, list[Any]], str]) -> dict[str, Any]:
    """The JSON contract of a move (ok, message, conflict; card, stage, state, version)."""
    payload: dict[str, Any] = {"ok": outcome.ok, "message": outcome.message,
                               "conflict": outcome.conflict}
    if outcome.process is not None:
        current = selectors.with_related(
            OrderProcess.objects.filter(pk=outcome.process.pk)).select_related("funnel").get()
        display.prepare_cards([current])
        stages = list(current.funnel.stages.all()) if current.funnel_id else []
        payload.update({"stage": current.stage_id, "state": current.state,
                        "version": current.version, "card": render_card(current, stages)})
    return payload


# --- Columns and saved views --------------------------------------------------------------------

def save_view(form: Any, user: Any, columns: str) -> SavedView:
    """Save a valid ``SavedViewForm`` for ``user`` with the shown columns (comma-separated),
    or the user's remembered columns when none are given."""
    data = form.cleaned_data
    return preferences.save_view(user, name=data["name"], query=data["query"],
                                 shared=data["shared"],
                                 columns=columns.split(",") if columns else [])


class WorkspaceJavaScriptCatalog(JavaScriptCatalog):
    """The translations of the workspace's static JavaScript (``gettext()`` there)."""

    packages = ["oscar_orders_ext"]

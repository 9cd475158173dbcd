"""Oscar dashboard views of the workspace: thin layers over selectors and services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from oscar_orders_ext import selectors
from oscar_orders_ext.columns import COLUMNS, columns_for, ordering_for
from oscar_orders_ext.exceptions import OrderConflict, OrderWorkflowError
from oscar_orders_ext.models import ColumnPreference, Funnel, OrderProcess, SavedView, Stage, Tag
from oscar_orders_ext.services.bulk import SIMPLE_ACTIONS, resolve_action, run_bulk_action
from oscar_orders_ext.services.transitions import (available_transitions, move_to_stage,
                                                   transition_order)
from oscar_orders_ext.workflow import get_workflow

from oscar_orders_ext.exports.service import ExportOptions

from .forms import EXPORT_ACTIONS, BulkActionForm, ColumnPreferenceForm, MoveForm, SavedViewForm

NAMESPACE = "oscar_orders_ext_dashboard"
PAGE_SIZES = (25, 50, 100)
CARDS_PER_STAGE = 20


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"{NAMESPACE}:{name}", kwargs=kwargs or None)


def wants_json(request: HttpRequest) -> bool:
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
    def count(self) -> int:  # type: ignore[override]
        return self._known_count


class WorkspaceMixin:
    """What the table and the board share: visible orders, the filter, saved views."""

    request: HttpRequest
    filter_fields_hidden: tuple[str, ...] = ()

    def visible(self) -> QuerySet[OrderProcess]:
        return selectors.visible_processes(self.request.user)

    @cached_property
    def order_filter(self) -> selectors.OrderFilter:
        data = self.request.GET.copy()
        for name in ("page", "page_size", "sort", "view"):
            data.pop(name, None)
        order_filter = selectors.OrderFilter(data, queryset=self.visible(), request=self.request)
        for name in self.filter_fields_hidden:
            order_filter.form.fields.pop(name, None)
        return order_filter

    def filter_query(self) -> str:
        """The current filter as a query string (for saved views, bulk "all", exports)."""
        data = self.request.GET.copy()
        for name in ("page", "view"):
            data.pop(name, None)
        return data.urlencode()

    def saved_views(self) -> QuerySet[SavedView]:
        from django.db.models import Q

        return SavedView.objects.filter(Q(owner=self.request.user) | Q(shared=True))

    def active_filters(self) -> list[tuple[str, str]]:
        form = self.order_filter.form
        active = []
        for name, value in self.order_filter.cleaned_data.items():
            if not selectors.is_set(value):
                continue
            active.append((str(form.fields[name].label), name))
        return active

    def common_context(self) -> dict[str, Any]:
        return {
            "filter": self.order_filter,
            "filter_form": self.order_filter.form,
            "active_filters": self.active_filters(),
            "saved_views": self.saved_views(),
            "saved_view_form": SavedViewForm(initial={"query": self.filter_query()}),
            "funnels": Funnel.objects.all(),
            "query_string": self.filter_query(),
            "workflow_states": get_workflow().get_states(),
        }


class OrderTableView(WorkspaceMixin, TemplateView):
    """The table: chosen columns, filters, search, sorting, totals, counts, bulk actions."""

    template_name = "oscar_orders_ext/dashboard/table.html"
    extra_context = {"view_mode": "table"}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        view = request.GET.get("view")
        if view and view.isdigit():  # open a saved view: its filter becomes the URL
            saved = self.saved_views().filter(pk=view).first()
            if saved is None:
                raise Http404(_("This saved view does not exist or is not shared with you."))
            query = QueryDict(saved.query, mutable=True)
            query["columns"] = ",".join(saved.columns)
            return redirect(f"{url('orders-workspace')}?{query.urlencode()}")
        return super().get(request, *args, **kwargs)

    def chosen_column_keys(self) -> list[str] | None:
        if self.request.GET.get("columns"):
            return self.request.GET["columns"].split(",")
        preference = ColumnPreference.objects.filter(user=self.request.user).first()
        return preference.columns if preference else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        order_filter = self.order_filter
        summary = selectors.summarize(order_filter)
        sort, order_by = ordering_for(self.request.GET.get("sort"))
        page_size = int(self.request.GET.get("page_size") or PAGE_SIZES[0])
        if page_size not in PAGE_SIZES:
            page_size = PAGE_SIZES[0]
        paginator = KnownCountPaginator(order_filter.qs.order_by(*order_by), page_size,
                                        summary.count)
        page = paginator.get_page(self.request.GET.get("page"))
        rows = list(selectors.with_related(page.object_list))
        selectors.attach_lines(rows)
        columns = columns_for(self.chosen_column_keys())
        chosen = {column.key for column in columns}
        query_without_sort = self.request.GET.copy()
        for name in ("sort", "page"):
            query_without_sort.pop(name, None)
        context.update(self.common_context())
        context.update({
            "summary": summary,
            "page_obj": page,
            "paginator": paginator,
            "rows": rows,
            "columns": columns,
            "column_keys": ",".join(column.key for column in columns),
            "all_columns": columns + [c for c in COLUMNS if c.key not in chosen],
            "sort": sort,
            "query_without_sort": query_without_sort.urlencode(),
            "page_size": page_size,
            "page_sizes": PAGE_SIZES,
            "bulk_form": BulkActionForm(initial={"query": self.filter_query()}),
            "bulk_actions": [(key, label) for key, (label, _action) in SIMPLE_ACTIONS.items()],
            "bulk_transitions": workflow_transition_choices(),
            "tags": Tag.objects.all(),
            "operators": selectors.operator_choices()[1:],
        })
        return context


def workflow_transition_choices() -> list[tuple[str, str]]:
    """Every transition of the workflow as (name, label), for bulk state changes."""
    seen: dict[str, str] = {}
    for transition in OrderProcess().get_all_state_transitions():
        label = transition.custom.get("label") or transition.name
        seen.setdefault(transition.name, str(label))
    return list(seen.items())


class KanbanView(WorkspaceMixin, TemplateView):
    """One board per funnel: a column per stage, its first cards, counts and totals."""

    template_name = "oscar_orders_ext/dashboard/kanban.html"
    extra_context = {"view_mode": "kanban"}
    filter_fields_hidden = ("funnel", "stage")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        slug = self.kwargs.get("funnel")
        funnel = (get_object_or_404(Funnel, slug=slug) if slug
                  else Funnel.objects.get_default())
        board = selectors.kanban(self.order_filter, funnel, per_stage=CARDS_PER_STAGE)
        context.update(self.common_context())
        context.update({"funnel": funnel, "board": board, "move_url": url("orders-workspace-move"),
                        "stages": [column.stage for column in board]})
        return context


class StageCardsView(WorkspaceMixin, View):
    """The next cards of a column ("load more"), as an HTML fragment."""

    def get(self, request: HttpRequest, funnel: str, stage: int) -> HttpResponse:
        stage_obj = get_object_or_404(Stage.objects.select_related("funnel"), pk=stage,
                                      funnel__slug=funnel)
        after = None
        if request.GET.get("after", "").isdigit():
            after = OrderProcess.objects.filter(pk=request.GET["after"]).first()
        cards = selectors.more_cards(self.order_filter.qs, stage_obj, after=after,
                                     limit=CARDS_PER_STAGE)
        context = {"move_url": url("orders-workspace-move")}
        html = "".join(render_to_string("oscar_orders_ext/dashboard/partials/card.html",
                                        {"card": card, **context}, request=request)
                       for card in cards)
        return HttpResponse(html)


class MoveOrderView(View):
    """Move one order: a Kanban drop (stage) or a transition button (transition name).

    Answers JSON to scripts and redirects with a message otherwise, so the same endpoint
    serves drag and drop and the no-JavaScript "move to" forms. GET shows a confirmation
    page for moves that ask for one (cancel, refund).
    """

    def processes(self) -> QuerySet[OrderProcess]:
        return selectors.visible_processes(self.request.user)

    def get(self, request: HttpRequest) -> HttpResponse:
        order_id = request.GET.get("order", "")
        process = get_object_or_404(self.processes().select_related("funnel", "stage"),
                                    order_id=order_id if order_id.isdigit() else 0)
        name = request.GET.get("transition", "")
        if not name:  # "Move to…" from a card: the stages of its funnel, as buttons
            return render(request, "oscar_orders_ext/dashboard/move_choose.html", {
                "process": process, "stages": process.funnel.stages.all(),
                "next": safe_next(request, url("orders-workspace-kanban",
                                               funnel=process.funnel.slug))})
        options = {option.name: option for option in
                   available_transitions(process, request.user)}
        if name not in options:
            messages.error(request, _("This action is not available for order %(number)s.")
                           % {"number": process.number})
            return redirect(safe_next(request, url("orders-workspace")))
        return render(request, "oscar_orders_ext/dashboard/move_confirm.html", {
            "process": process, "option": options[name],
            "form": MoveForm(initial={"order": process.order_id, "transition": name,
                                      "version": process.version}),
            "next": safe_next(request, url("orders-workspace")),
        })

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MoveForm(request.POST, processes=self.processes())
        fallback = url("orders-workspace")
        if not form.is_valid():
            message = " ".join(str(error) for errors in form.errors.values() for error in errors)
            return self.answer(request, ok=False, message=message, status=400,
                               fallback=fallback)
        process, stage = form.cleaned_data["order"], form.cleaned_data["stage"]
        version = form.cleaned_data["version"]
        note = form.cleaned_data["note"]
        try:
            if stage is not None:
                result = move_to_stage(process, stage, user=request.user, note=note,
                                       expected_version=version)
            else:
                result = transition_order(process, form.cleaned_data["transition"],
                                          user=request.user, note=note,
                                          expected_version=version)
        except OrderConflict as error:
            return self.answer(request, ok=False, message=error.message, status=409,
                               process=process, conflict=True, fallback=fallback)
        except OrderWorkflowError as error:
            return self.answer(request, ok=False, message=error.message, status=400,
                               process=process, fallback=fallback)
        label = result.process.state_info.label
        message = _("Order %(number)s is now “%(state)s”.") % {"number": result.process.number,
                                                             "state": label}
        return self.answer(request, ok=True, message=message, process=result.process,
                           fallback=fallback)

    def answer(self, request: HttpRequest, *, ok: bool, message: str, fallback: str,
               status: int = 200, process: OrderProcess | None = None,
               conflict: bool = False) -> HttpResponse:
        if not wants_json(request):
            (messages.success if ok else messages.error)(request, message)
            return redirect(safe_next(request, fallback))
        payload: dict[str, Any] = {"ok": ok, "message": message, "conflict": conflict}
        if process is not None:
            current = selectors.with_related(OrderProcess.objects.filter(pk=process.pk)).get()
            selectors.attach_lines([current])
            payload.update({
                "stage": current.stage_id, "state": current.state, "version": current.version,
                "card": render_to_string("oscar_orders_ext/dashboard/partials/card.html",
                                         {"card": current, "move_url": url(
                                             "orders-workspace-move")}, request=request),
            })
        return JsonResponse(payload, status=status)


class BulkActionView(WorkspaceMixin, View):
    """Apply an action to the selected orders or to every order matching the filter."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkActionForm(request.POST)
        back = f"{url('orders-workspace')}?{request.POST.get('query', '')}"
        if not form.is_valid():
            for error in form.non_field_errors() or [_("The bulk action is not valid.")]:
                messages.error(request, error)
            return redirect(back)
        data = form.cleaned_data
        if data["select_all"]:
            self.request.GET = QueryDict(data["query"])  # the filter the user was looking at
            pks = list(self.order_filter.qs.order_by("pk").values_list("pk", flat=True))
        else:
            pks = self.visible().filter(pk__in=data["selected"]).values_list("pk", flat=True)
        if data["action"] in EXPORT_ACTIONS:
            from .export_views import export_response

            options = ExportOptions(format=EXPORT_ACTIONS[data["action"]], query=data["query"],
                                    columns=request.POST.get("columns", "").split(",")
                                    if request.POST.get("columns") else [],
                                    selected=[] if data["select_all"] else list(pks))
            return export_response(request, options)
        try:
            apply = resolve_action(data["action"], transition=data["transition"],
                                   tag=data["tag"], operator=data["operator"])
        except OrderWorkflowError as error:
            messages.error(request, error.message)
            return redirect(back)
        report = run_bulk_action(pks, data["action"], apply, user=request.user)
        if report.done:
            messages.success(request, _("%(count)d orders updated.") % {"count": report.done})
        if not report.refused:
            return redirect(back)
        return render(request, "oscar_orders_ext/dashboard/bulk_report.html",
                      {"report": report, "back": back})


class ColumnPreferenceView(View):
    """Remember the columns (and their order) a user picked."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ColumnPreferenceForm(request.POST)
        if not form.is_valid():
            if wants_json(request):
                return JsonResponse({"ok": False, "message": form.errors["columns"][0]},
                                    status=400)
            messages.error(request, form.errors["columns"][0])
        else:
            ColumnPreference.objects.update_or_create(
                user=request.user, defaults={"columns": form.cleaned_data["columns"]})
            if wants_json(request):
                return JsonResponse({"ok": True})
        return redirect(safe_next(request, url("orders-workspace")))


class SavedViewCreateView(View):
    def post(self, request: HttpRequest) -> HttpResponse:
        form = SavedViewForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the view a name."))
            return redirect(f"{url('orders-workspace')}?{request.POST.get('query', '')}")
        saved = form.save(commit=False)
        saved.owner = request.user
        preference = ColumnPreference.objects.filter(user=request.user).first()
        saved.columns = request.POST.get("columns", "").split(",") if request.POST.get(
            "columns") else (preference.columns if preference else [])
        saved.save()
        messages.success(request, _("View “%(name)s” saved.") % {"name": saved.name})
        return redirect(f"{url('orders-workspace')}?{urlencode({'view': saved.pk})}")


class SavedViewDeleteView(View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        saved = get_object_or_404(SavedView, pk=pk)
        if saved.owner_id != request.user.pk:
            raise PermissionDenied(_("Only the owner can delete a saved view."))
        saved.delete()
        messages.success(request, _("View “%(name)s” deleted.") % {"name": saved.name})
        return redirect(url("orders-workspace"))

"""The workspace's own pages: table, board, moves, bulk actions, columns and saved views.

Thin layers over ``common``, selectors and services; a front end sets its URL namespace and
templates (``SkinMixin``) and its permission check of the registry (``permission_check``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from oscar_orders_ext import permissions, selectors
from oscar_orders_ext.models import BulkJob, Funnel, OrderProcess, SavedView, Stage, Tag
from oscar_orders_ext.exports.service import ExportOptions
from oscar_orders_ext.services import preferences
from oscar_orders_ext.services.bulk import SIMPLE_ACTIONS, runs_inline, start_bulk_job
from oscar_orders_ext.services.transitions import (available_transitions, notifies_by_default,
                                                   stage_move, stage_moves)
from oscar_orders_ext.workflow import get_workflow

from . import actions, common
from .common import SkinMixin, safe_next, wants_json
from .documents import print_response
from .exports import export_response
from .forms import (BULK_NOTIFY_CHOICES, EXPORT_ACTIONS, PAYMENT_ACTIONS, PRINT_ACTION,
                    BulkActionForm, ColumnPreferenceForm, MoveForm, SavedViewForm)


class WorkspaceMixin(SkinMixin):
    """What the table and the board share: visible orders, the filter, saved views."""

    request: HttpRequest
    filter_fields_hidden: tuple[str, ...] = ()
    filter_panel_template = ""
    #: The front end's access check of the registry, for the page's ``can_*`` flags.
    permission_check = staticmethod(permissions.dashboard_allows)

    def visible(self) -> QuerySet[OrderProcess]:
        return selectors.visible_processes(self.request.user)

    @cached_property
    def order_filter(self) -> selectors.OrderFilter:
        return common.order_filter_for(self.request, hidden=self.filter_fields_hidden)

    def filter_query(self) -> str:
        return common.filter_query(self.request.GET)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.GET.get("filters") == "panel" and self.filter_panel_template:
            # the panel's fields, fetched on first opening
            return render(request, self.filter_panel_template,
                          {"filter_form": self.order_filter.form})
        return super().get(request, *args, **kwargs)  # type: ignore[misc]

    def common_context(self) -> dict[str, Any]:
        return {
            "filter": self.order_filter,
            "filter_form": self.order_filter.form,
            "filter_panel": common.filter_panel(self.order_filter, self.request.GET),
            "active_filters": common.active_filters(self.order_filter),
            "filter_chips": common.filter_chips(self.order_filter, self.request.GET),
            "saved_views": common.saved_views_for(self.request.user),
            "funnels": Funnel.objects.all(),
            "query_string": self.filter_query(),
            "workflow_states": get_workflow().get_states(),
            **permissions.flags(self.request.user, self.permission_check),
        }


class OrderTableView(WorkspaceMixin, TemplateView):
    """The table: chosen columns, filters, search, sorting, totals, counts, bulk actions."""

    template_name = ""
    extra_context = {"view_mode": "table"}

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        view = request.GET.get("view")
        if view:  # open a saved view: its filter becomes the URL
            query = common.saved_view_query(request.user, view)
            if query is None:
                raise Http404(_("This saved view does not exist or is not shared with you."))
            return redirect(f"{self.url('orders-workspace')}?{query}")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        table = common.table_page(self.order_filter, self.request.GET,
                                     common.chosen_column_keys(self.request))
        context.update(self.common_context())
        context.update(table_context(table, self.request.GET))
        row_actions = actions.row_actions(self.request.user, self.url_namespace,
                                          back=self.request.get_full_path())
        actions.attach_row_links(table.rows, row_actions)
        context.update({"row_actions": row_actions, "order_namespace": self.url_namespace})
        return context


def is_inbox(query: QueryDict) -> bool:
    """Whether the table's address is the inbox's (its page says "Inbox", not "Orders")."""
    return query.get("inbox") == "true"


def table_context(table: common.TablePage, page_query: QueryDict) -> dict[str, Any]:
    """What the shared table partials draw, in both skins: the rows, summary, sorting, pages
    (``page_query``: the table's query) and the bulk bar's choices."""
    return {
        "filter_errors": table.errors,
        "is_inbox": is_inbox(page_query),
        "summary": table.summary,
        "page_obj": table.page,
        "paginator": table.paginator,
        "rows": table.rows,
        "columns": table.columns,
        "column_keys": table.column_keys,
        "all_columns": table.all_columns,
        "sort": table.sort,
        "page_query": page_query,
        "query_without_sort": table.query_without_sort,
        "page_size": table.page_size,
        "page_sizes": common.PAGE_SIZES,
        "bulk_actions": [*((key, label) for key, (label, _action) in SIMPLE_ACTIONS.items()),
                         *PAYMENT_ACTIONS.items()],
        "bulk_transitions": common.workflow_transition_choices(),
        "bulk_notify_choices": BULK_NOTIFY_CHOICES,
        "bulk_documents": common.bulk_document_choices(),
        "tags": Tag.objects.all(),
        "operators": selectors.operator_choices()[1:],
    }


class KanbanView(WorkspaceMixin, TemplateView):
    """One board per funnel: a column per stage, its first cards, counts and totals."""

    template_name = ""
    extra_context = {"view_mode": "kanban"}
    filter_fields_hidden = ("funnel", "stage")

    kwargs: dict[str, Any]

    @cached_property
    def funnel(self) -> Funnel:
        """The board's funnel: the one named in the URL, else the default one."""
        slug = self.kwargs.get("funnel")
        return (get_object_or_404(Funnel, slug=slug) if slug
                else Funnel.objects.get_default())

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        funnel = self.funnel
        board = common.board(self.order_filter, funnel, self.request.user)
        context.update(self.common_context())
        context.update({"funnel": funnel, "board": board,
                        "export_query": common.board_query(self.filter_query(), funnel),
                        "move_url": self.url("orders-workspace-move"),
                        "order_namespace": self.url_namespace,
                        "stages": [column.stage for column in board]})
        return context


class CardsMixin(SkinMixin):
    """Drawing Kanban cards in this front end's look."""

    request: HttpRequest
    cards_template = ""

    def render_cards(self, cards: list[OrderProcess], stages: Any = None) -> str:
        """Kanban cards of this front end, as HTML."""
        return render_to_string(self.cards_template, {
            "cards": cards, "stages": stages, "move_url": self.url("orders-workspace-move"),
            "order_namespace": self.url_namespace}, request=self.request)


class StageCardsView(CardsMixin, WorkspaceMixin, View):
    """The next cards of a column ("load more"), as an HTML fragment."""

    def get(self, request: HttpRequest, funnel: str, stage: int) -> HttpResponse:
        stage_obj = get_object_or_404(Stage.objects.select_related("funnel"), pk=stage,
                                      funnel__slug=funnel)
        cards = common.next_cards(self.order_filter, stage_obj, request.GET.get("after", ""))
        return HttpResponse(self.render_cards(cards, list(stage_obj.funnel.stages.all())))


class MoveOrderView(CardsMixin, View):
    """Move one order: a Kanban drop (stage) or a transition button (transition name).

    Answers JSON to scripts and redirects with a message otherwise, so the same endpoint
    serves drag and drop and the no-JavaScript "move to" forms. GET shows "Move to…" (the
    stages the workflow allows now) and the confirmation of moves that ask first (cancel,
    refund); with ``?fragment=1`` only the page's body, for the card's menu and the dialog.
    """

    choose_template = ""
    confirm_template = ""
    menu_template = "oscar_orders_ext/shared/board/move_menu.html"
    confirm_fragment_template = "oscar_orders_ext/shared/board/move_confirm.html"

    def processes(self) -> QuerySet[OrderProcess]:
        return selectors.visible_processes(self.request.user)

    def page_context(self, title: str) -> dict[str, Any]:
        """What the skin's page around the body needs (Wagtail: its header)."""
        return {"title": title}

    def show(self, page: str, fragment: str, context: dict[str, Any]) -> HttpResponse:
        if self.request.GET.get("fragment") == "1":
            return render(self.request, fragment, context)
        return render(self.request, page, {**context, **self.page_context(context["title"])})

    def refuse(self, process: OrderProcess) -> HttpResponse:
        message = (_("This action is not available for order %(number)s.")
                   % {"number": process.number})
        if self.request.GET.get("fragment") == "1":
            return HttpResponse(message, status=400)
        messages.error(self.request, message)
        return redirect(safe_next(self.request, self.url("orders-workspace")))

    def get(self, request: HttpRequest) -> HttpResponse:
        order_id = request.GET.get("order", "")
        process = get_object_or_404(self.processes().select_related("funnel", "stage"),
                                    order_id=order_id if order_id.isdigit() else 0)
        name, stage_id = request.GET.get("transition", ""), request.GET.get("stage", "")
        back = safe_next(request, self.url("orders-workspace-kanban", funnel=process.funnel.slug)
                         if process.funnel_id else self.url("orders-workspace"))
        if stage_id:  # a move to a stage that asks first
            stage = Stage.objects.filter(pk=stage_id if stage_id.isdigit() else 0).first()
            found = stage_move(process, stage, request.user) if stage else None
            if found is None or stage is None:
                return self.refuse(process)
            notify = notifies_by_default(stage.state) if found.option else False
            return self.show(self.confirm_template, self.confirm_fragment_template, {
                "process": process, "option": found.option, "stage": stage,
                "style": found.style if found.style != "secondary" else "primary",
                "title": found.option.label if found.option else stage.display_name,
                "form": MoveForm(initial={"order": process.order_id, "stage": stage.pk,
                                          "version": process.version, "notify_asked": True,
                                          "notify": notify, "confirmed": True}),
                "next": back})
        if not name:  # "Move to…": the stages the workflow allows now
            return self.show(self.choose_template, self.menu_template, {
                "process": process, "moves": stage_moves(process, request.user),
                "title": _("Move order %(number)s") % {"number": process.number},
                "next": back})
        options = {option.name: option for option in
                   available_transitions(process, request.user)}
        if name not in options:
            return self.refuse(process)
        option = options[name]
        return self.show(self.confirm_template, self.confirm_fragment_template, {
            "process": process, "option": option, "style": option.style, "title": option.label,
            "form": MoveForm(initial={"order": process.order_id, "transition": name,
                                      "version": process.version, "notify_asked": True,
                                      "notify": notifies_by_default(option.target),
                                      "confirmed": True}),
            "next": safe_next(request, self.url("orders-workspace")),
        })

    def post(self, request: HttpRequest) -> HttpResponse:
        form = MoveForm(request.POST, processes=self.processes())
        ask = common.confirmation_needed(form, request.user)
        if ask:  # a drop (or a bare form) on a stage whose move asks first
            url = (f"{self.url('orders-workspace-move')}?"
                   + urlencode({"order": ask.order_id, "stage": form.cleaned_data["stage"].pk,
                                "next": safe_next(request, self.url("orders-workspace"))}))
            if wants_json(request):
                return JsonResponse({"ok": False, "confirm_url": url, "conflict": False,
                                     "message": _("This move asks for confirmation.")})
            return redirect(url)
        outcome = common.move(form, request.user)
        if not wants_json(request):
            (messages.success if outcome.ok else messages.error)(request, outcome.message)
            return redirect(safe_next(request, self.url("orders-workspace")))
        return JsonResponse(common.move_payload(outcome, self.render_cards_of_one),
                            status=outcome.status)

    def render_cards_of_one(self, card: OrderProcess, stages: list[Any]) -> str:
        """The card a move sends back."""
        return self.render_cards([card], stages)


class BaseBulkActionView(View):
    """Apply a bulk action to the ticked rows or every order matching the filter.

    A front end names its table URL, its report template, its URL namespace (large exports
    and prints continue on its job page) and, if it likes, extra report context; everything
    else is the same.
    """

    report_template = ""
    url_namespace = ""

    def table_url(self) -> str:
        raise NotImplementedError

    def report_context(self) -> dict[str, Any]:
        return {}

    def post(self, request: HttpRequest) -> HttpResponseBase:
        form = BulkActionForm(request.POST)
        back = f"{self.table_url()}?{request.POST.get('query', '')}"
        if not form.is_valid():
            for error in form.non_field_errors() or [_("The bulk action is not valid.")]:
                messages.error(request, str(error))
            return redirect(back)
        data = form.cleaned_data
        if data["action"] == PRINT_ACTION:
            pks = common.bulk_selection(request, data)
            order_pks = list(OrderProcess.objects.filter(pk__in=pks).order_by("placed_at", "pk")
                             .values_list("order_id", flat=True))
            return print_response(request, data["document"], order_pks, back=back,
                                  url_namespace=self.url_namespace)
        if data["action"] in EXPORT_ACTIONS:
            columns = request.POST.get("columns", "")
            options = ExportOptions(format=EXPORT_ACTIONS[data["action"]], query=data["query"],
                                    columns=columns.split(",") if columns else [],
                                    selected=[] if data["select_all"] else
                                    common.bulk_selection(request, data))
            return export_response(request, options, url_namespace=self.url_namespace)
        if not runs_inline(data["select_all"], data["selected"]):
            # Every matching order, or more than a page of ticked rows: the worker does it;
            # nothing is counted here, so the request answers at once.
            job = start_bulk_job(
                request.user, action=data["action"], label=common.bulk_action_label(data),
                transition=data["transition"], tag=data["tag"], operator=data["operator"],
                notify=data.get("notify"), query=data["query"], select_all=data["select_all"],
                selected=data["selected"])
            messages.info(request, _("The action runs in the background."))
            return redirect(reverse(f"{self.url_namespace}:orders-bulk-job",
                                    kwargs={"pk": job.pk}))
        pks = common.bulk_selection(request, data)
        outcome = common.apply_bulk_action(request, data, pks)
        if outcome.error:
            messages.error(request, outcome.error)
            return redirect(back)
        if outcome.success_message:
            messages.success(request, outcome.success_message)
        if outcome.report is None or not outcome.report.refused:
            return redirect(back)
        return render(request, self.report_template,
                      {"report": outcome.report, "back": back, **self.report_context()})


class BaseBulkJobView(View):
    """A bulk action running on the worker (the user's own): its progress (HTML, or JSON for
    the progress bar), then its report, refusals listed order by order.

    A front end sets ``url_namespace`` and ``template_name`` and may add context in
    ``extra_page_context``.
    """

    url_namespace = ""
    template_name = ""

    def extra_page_context(self, job: BulkJob) -> dict[str, Any]:
        """Front-end specific context (page title, breadcrumbs …)."""
        return {}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = get_object_or_404(BulkJob, pk=pk, user=request.user)
        if wants_json(request):
            return JsonResponse({"status": job.status, "progress": job.progress,
                                 "done": job.done, "total": job.total, "changed": job.changed,
                                 "refused": job.refused, "error": job.error})
        back = reverse(f"{self.url_namespace}:orders-workspace")
        if job.params.get("query"):
            back = f"{back}?{job.params['query']}"
        return render(request, self.template_name,
                      {"job": job, "back": back, **self.extra_page_context(job)})


class BulkJobView(SkinMixin, BaseBulkJobView):
    """A bulk action's progress and report."""


class BulkActionView(SkinMixin, BaseBulkActionView):
    """Apply an action to the selected orders or to every order matching the filter."""

    def table_url(self) -> str:
        return self.url("orders-workspace")


class FoldStageView(SkinMixin, View):
    """Fold or unfold a column of the user's board (``folded=1`` or ``0``), remembered."""

    def post(self, request: HttpRequest, funnel: str, stage: int) -> HttpResponse:
        stage_obj = get_object_or_404(Stage, pk=stage, funnel__slug=funnel)
        folded = preferences.fold_stage(request.user, stage_obj,
                                        request.POST.get("folded") == "1")
        if wants_json(request):
            return JsonResponse({"ok": True, "folded": folded})
        return redirect(safe_next(request, self.url("orders-workspace-kanban", funnel=funnel)))


class ColumnPreferenceView(SkinMixin, View):
    """Remember the columns (and their order) a user picked."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ColumnPreferenceForm(request.POST)
        if not form.is_valid():
            if wants_json(request):
                return JsonResponse({"ok": False, "message": form.errors["columns"][0]},
                                    status=400)
            messages.error(request, str(form.errors["columns"][0]))
        else:
            preferences.remember_columns(request.user, form.cleaned_data["columns"])
            if wants_json(request):
                return JsonResponse({"ok": True})
        return redirect(safe_next(request, self.url("orders-workspace")))


class SavedViewCreateView(SkinMixin, View):
    """Save the current filter and columns under a name, private or shared."""

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SavedViewForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Give the view a name."))
            return redirect(f"{self.url('orders-workspace')}?{request.POST.get('query', '')}")
        saved = common.save_view(form, request.user, request.POST.get("columns", ""))
        messages.success(request, _("View “%(name)s” saved.") % {"name": saved.name})
        return redirect(f"{self.url('orders-workspace')}?{urlencode({'view': saved.pk})}")


class SavedViewDeleteView(SkinMixin, View):
    """Delete one of the user's own saved views."""

    def refuse(self, request: HttpRequest) -> HttpResponse:
        """The answer to someone deleting another user's view (403)."""
        raise PermissionDenied(_("Only the owner can delete a saved view."))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        saved = get_object_or_404(SavedView, pk=pk)
        if saved.owner_id != request.user.pk:
            return self.refuse(request)
        preferences.delete_saved_view(saved)
        messages.success(request, _("View “%(name)s” deleted.") % {"name": saved.name})
        return redirect(self.url("orders-workspace"))


class InboxView(SkinMixin, View):
    """The inbox: the table of new orders and orders with unread customer messages, newest
    first, keeping any other filter of the address."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        query = request.GET.copy()
        query["inbox"] = "true"
        return redirect(f"{self.url('orders-workspace')}?{query.urlencode()}")

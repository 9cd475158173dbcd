"""Funnel settings in Oscar's dashboard: thin views over ``services.funnels``.

Access is decided by ``OrdersWorkspaceDashboardConfig.permissions_map`` (``manage_funnels``).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import FormView, TemplateView

from oscar_orders_ext import selectors
from oscar_orders_ext.exceptions import FunnelError
from oscar_orders_ext.models import Funnel, Stage
from oscar_orders_ext.services import funnels as funnel_service

from .funnel_forms import (FunnelCreateForm, FunnelDeleteForm, FunnelForm, StageDeleteForm,
                           StageFormSet, format_hours)



class FunnelUrlsMixin:
    """Reverse the funnel pages in the front end's URL namespace.

    Both front ends name their funnel URLs alike (``orders-funnel-update`` …); a front end
    sets ``url_namespace`` and keeps every step of these views.
    """

    url_namespace = ""

    def url(self, name: str, **kwargs: Any) -> str:
        """The URL of one of the funnel pages of this front end."""
        return reverse(f"{self.url_namespace}:{name}", kwargs=kwargs or None)


class FunnelListView(FunnelUrlsMixin, TemplateView):
    """Every funnel with its stages and how many orders each holds."""

    template_name = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        funnels = selectors.funnel_overview()
        for funnel in funnels:
            for stage in funnel.stages.all():
                stage.time_limit_hours = (format_hours(stage.time_limit)  # type: ignore[attr-defined]
                                          if stage.time_limit else "")
        context["funnels"] = funnels
        return context


class FunnelCreateView(FunnelUrlsMixin, FormView):
    """A new funnel: name, default or not, workflow states as stages or empty."""

    template_name = ""
    form_class = FunnelCreateForm

    def form_valid(self, form: FunnelCreateForm) -> HttpResponse:
        funnel = funnel_service.create_funnel(
            form.cleaned_data["name"], is_default=form.cleaned_data["is_default"],
            from_workflow=form.cleaned_data["stages"] == FunnelCreateForm.WORKFLOW)
        messages.success(self.request, _("Funnel “%(funnel)s” created.") % {"funnel": funnel})
        return redirect(self.url("orders-funnel-update", pk=funnel.pk))


class FunnelUpdateView(FunnelUrlsMixin, TemplateView):
    """A funnel's name, slug and default flag, with its stages as an editable, sortable table."""

    template_name = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.funnel = get_object_or_404(Funnel, pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.render_to_response(self.get_context_data(
            form=FunnelForm(instance=self.funnel),
            formset=StageFormSet(instance=self.funnel)))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = FunnelForm(request.POST, instance=self.funnel)
        formset = StageFormSet(request.POST, instance=self.funnel)
        if not (form.is_valid() and formset.is_valid()):
            messages.error(request, _("The funnel was not saved: please correct the errors "
                                      "below."))
            return self.render_to_response(self.get_context_data(form=form, formset=formset))
        funnel = funnel_service.save_funnel_settings(
            form.save, formset.save, make_default=form.cleaned_data["is_default"])
        messages.success(request, _("Funnel “%(funnel)s” saved.") % {"funnel": funnel})
        return redirect(self.url("orders-funnel-update", pk=funnel.pk))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        counts = selectors.funnel_order_counts(funnel=self.funnel)
        for stage_form in context["formset"].forms:
            stage = stage_form.instance
            stage_form.order_count = counts.get((self.funnel.pk, stage.pk), 0) if stage.pk else 0
        context.update(funnel=self.funnel,
                       reorder_url=self.url("orders-stage-reorder", pk=self.funnel.pk))
        return context


class StageReorderView(FunnelUrlsMixin, View):
    """POST the funnel's stage ids in their new order (form-encoded ``stage`` or JSON)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
        funnel = get_object_or_404(Funnel, pk=kwargs["pk"])
        try:
            stage_ids = self.stage_ids(request)
            funnel_service.reorder_stages(funnel, stage_ids)
        except FunnelError as error:
            return JsonResponse({"ok": False, "error": error.message}, status=400)
        return JsonResponse({"ok": True})

    def stage_ids(self, request: HttpRequest) -> list[Any]:
        """The ids from a JSON body ``{"stages": [...]}`` or form fields ``stage=…``."""
        if request.content_type == "application/json":
            try:
                payload = json.loads(request.body or b"{}")
            except ValueError:
                raise FunnelError(_("The request body is not valid JSON.")) from None
            stages = payload.get("stages") if isinstance(payload, dict) else None
            if not isinstance(stages, list):
                raise FunnelError(_("Send the stage ids as {\"stages\": [...]}."))
            return stages
        return request.POST.getlist("stage")


class StageDeleteView(FunnelUrlsMixin, FormView):
    """Confirm deleting a stage; if it holds orders, choose the stage they move to."""

    template_name = ""
    form_class = StageDeleteForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.stage = get_object_or_404(Stage.objects.select_related("funnel"),
                                       pk=kwargs["stage"], funnel_id=kwargs["pk"])
        self.order_count = selectors.stage_order_count(self.stage)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "stage": self.stage,
                "order_count": self.order_count}

    def form_valid(self, form: StageDeleteForm) -> HttpResponse:
        try:
            moved = funnel_service.delete_stage(self.stage, move_to=form.cleaned_data["move_to"],
                                                user=self.request.user)
        except FunnelError as error:
            form.add_error("move_to" if self.order_count else None, error.message)
            return self.form_invalid(form)
        text = _("Stage “%(stage)s” deleted.") % {"stage": self.stage.display_name}
        if moved:
            text += " " + ngettext("%(count)d order moved to “%(target)s”.",
                                   "%(count)d orders moved to “%(target)s”.", moved) % {
                "count": moved, "target": form.cleaned_data["move_to"].name}
        messages.success(self.request, text)
        return redirect(self.url("orders-funnel-update", pk=self.stage.funnel_id))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(stage=self.stage, funnel=self.stage.funnel,
                                        order_count=self.order_count, **kwargs)


class FunnelDeleteView(FunnelUrlsMixin, FormView):
    """Confirm deleting a funnel; if it holds orders (or is the default), choose a target."""

    template_name = ""
    form_class = FunnelDeleteForm

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.funnel = get_object_or_404(Funnel, pk=kwargs["pk"])
        self.order_count = selectors.funnel_order_count(self.funnel)
        self.is_only_funnel = selectors.is_only_funnel(self.funnel)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "funnel": self.funnel,
                "order_count": self.order_count}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.is_only_funnel:
            # The page offers no form then; the service says why it refuses.
            try:
                funnel_service.delete_funnel(self.funnel, user=request.user)
            except FunnelError as error:
                messages.error(request, error.message)
            return redirect(self.url("orders-funnel-delete", pk=self.funnel.pk))
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: FunnelDeleteForm) -> HttpResponse:
        target = form.cleaned_data["move_to"]
        try:
            moved = funnel_service.delete_funnel(self.funnel, move_to=target,
                                                 user=self.request.user)
        except FunnelError as error:
            form.add_error("move_to" if form.fields["move_to"].required else None,
                           error.message)
            return self.form_invalid(form)
        text = _("Funnel “%(funnel)s” deleted.") % {"funnel": self.funnel.display_name}
        if moved:
            text += " " + ngettext("%(count)d order moved to “%(target)s”.",
                                   "%(count)d orders moved to “%(target)s”.", moved) % {
                "count": moved, "target": target.display_name}
        if self.funnel.is_default:
            text += " " + _("“%(target)s” is now the default funnel.") % {
                "target": target.display_name}
        messages.success(self.request, text)
        return HttpResponseRedirect(self.url("orders-funnel-list"))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        states = funnel_service.state_counts(funnel=self.funnel) if self.order_count else []
        return super().get_context_data(funnel=self.funnel, order_count=self.order_count,
                                        is_only_funnel=self.is_only_funnel,
                                        states_in_use=states, **kwargs)


__all__ = ["FunnelCreateView", "FunnelDeleteView", "FunnelListView", "FunnelUpdateView",
           "FunnelUrlsMixin", "StageDeleteView", "StageReorderView"]

"""Settings pages for headless clients and automations: webhook endpoints (with their
delivery log) and the user's own API tokens. A skin sets ``url_namespace``, its templates and
``extra_page_context``; the page bodies are shared partials
(``oscar_orders_ext/shared/integrations/``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import ApiToken, WebhookDelivery, WebhookEndpoint
from oscar_orders_ext.services import api_tokens
from oscar_orders_ext.webhooks import service as webhooks
from oscar_orders_ext.webhooks.events import EVENTS

from .common import SkinMixin

#: Deliveries listed on an endpoint's page.
DELIVERIES_SHOWN = 50


class EndpointForm(forms.Form):
    """A webhook endpoint: a new one, or one changed on its page."""

    url = forms.CharField(label=gettext_lazy("URL"), max_length=500)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200,
                                  required=False)
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(event, event) for event in EVENTS],
        help_text=gettext_lazy("None ticked: every event."))


class TokenForm(forms.Form):
    """A new API token."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)


class PageView(SkinMixin, View):
    """A settings page drawn with the skin's template around a shared partial."""

    template_name = ""

    def extra_page_context(self) -> dict[str, Any]:
        """Front-end specific context (page title, breadcrumbs …)."""
        return {}

    def page(self, request: HttpRequest, context: dict[str, Any], status: int = 200
             ) -> HttpResponse:
        return render(request, self.template_name, {**context, **self.extra_page_context()},
                      status=status)


class WebhookListView(PageView):
    """The webhook endpoints and the form for a new one (its secret is shown once)."""

    def context(self, form: EndpointForm, **extra: Any) -> dict[str, Any]:
        return {"endpoints": WebhookEndpoint.objects.all(), "form": form, **extra}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, self.context(EndpointForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint, secret = webhooks.create_endpoint(
                    form.cleaned_data["url"], events=form.cleaned_data["events"],
                    description=form.cleaned_data["description"])
            except OrderWorkflowError as error:
                form.add_error("url", error.message)
            else:
                # Drawn, not redirected: the secret is in this answer only.
                return self.page(request, self.context(EndpointForm(), new_secret=secret,
                                                       new_endpoint=endpoint))
        return self.page(request, self.context(form), status=400)


class WebhookDetailView(PageView):
    """One endpoint: change its URL, events and description, switch it on or off, rotate its
    secret, its deliveries (redeliver)."""

    def context(self, endpoint: WebhookEndpoint, form: EndpointForm | None = None,
                **extra: Any) -> dict[str, Any]:
        deliveries = endpoint.deliveries.prefetch_related("attempt_log")[:DELIVERIES_SHOWN]
        form = form or EndpointForm(initial={"url": endpoint.url, "events": endpoint.events,
                                             "description": endpoint.description})
        return {"endpoint": endpoint, "deliveries": deliveries, "form": form, **extra}

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.page(request, self.context(get_object_or_404(WebhookEndpoint, pk=pk)))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        endpoint = get_object_or_404(WebhookEndpoint, pk=pk)
        action = request.POST.get("action")
        if action == "save":
            form = EndpointForm(request.POST)
            if form.is_valid():
                try:
                    webhooks.update_endpoint(endpoint, url=form.cleaned_data["url"],
                                             events=form.cleaned_data["events"],
                                             description=form.cleaned_data["description"])
                except OrderWorkflowError as error:
                    form.add_error("url", error.message)
                else:
                    messages.success(request, _("The endpoint is saved."))
                    return redirect(self.url("orders-webhook-detail", pk=endpoint.pk))
            endpoint.refresh_from_db()  # the page shows what is stored, the form what was sent
            return self.page(request, self.context(endpoint, form), status=400)
        if action == "rotate":
            secret = webhooks.rotate_secret(endpoint)
            return self.page(request, self.context(endpoint, new_secret=secret))
        if action == "toggle":
            webhooks.update_endpoint(endpoint, is_active=not endpoint.is_active)
            messages.success(request, _("The endpoint is switched on.") if endpoint.is_active
                             else _("The endpoint is switched off."))
        elif action == "redeliver":
            delivery = get_object_or_404(WebhookDelivery, endpoint=endpoint,
                                         pk=request.POST.get("delivery") or 0)
            webhooks.redeliver(delivery)
            messages.success(request, _("The delivery is sent again, with the same id."))
        else:
            messages.error(request, _("Choose an action."))
        return redirect(self.url("orders-webhook-detail", pk=endpoint.pk))


class ApiTokensView(PageView):
    """The user's own API tokens: create one (its key is shown once), revoke one."""

    def context(self, request: HttpRequest, form: TokenForm, **extra: Any) -> dict[str, Any]:
        user = request.user if request.user.is_authenticated else None
        return {"tokens": ApiToken.objects.filter(user=user), "form": form, **extra}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.page(request, self.context(request, TokenForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("action") == "revoke":
            token = get_object_or_404(ApiToken, user=request.user,
                                      pk=request.POST.get("token") or 0)
            api_tokens.revoke_token(token)
            messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
            return redirect(self.url("orders-api-tokens"))
        form = TokenForm(request.POST)
        if not form.is_valid():
            return self.page(request, self.context(request, form), status=400)
        token, key = api_tokens.create_token(request.user, form.cleaned_data["name"])
        return self.page(request, self.context(request, TokenForm(), new_key=key,
                                               new_token=token))

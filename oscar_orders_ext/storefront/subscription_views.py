"""The customer's subscriptions in Oscar's account pages: the list, cancelling (now or at the
end of the period) and resuming. A shop mounts them with
``path("", include("oscar_orders_ext.storefront.subscription_urls"))``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View

from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.subscriptions import reads, service


class AccountSubscriptionsView(LoginRequiredMixin, View):
    """The signed-in customer's subscriptions, with cancel and resume buttons."""

    template_name = "oscar_orders_ext/storefront/subscriptions.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return render(request, self.template_name, {
            "page_title": _("Subscriptions"), "active_tab": "subscriptions",
            "subscriptions": reads.customer_subscriptions(request.user)})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        sub = get_object_or_404(reads.customer_subscriptions(request.user),
                                pk=request.POST.get("subscription") or 0)
        action = request.POST.get("action")
        try:
            if action == "resume":
                service.resume(sub, customer=request.user)
                messages.success(request, _("Your subscription goes on."))
            elif action in {"cancel", "cancel_at_period_end"}:
                service.cancel(sub, at_period_end=action == "cancel_at_period_end",
                               customer=request.user)
                messages.success(request, _("Your subscription is cancelled.")
                                 if action == "cancel" else
                                 _("Your subscription ends with its current period."))
            else:
                messages.error(request, _("Unknown action."))
        except OrderWorkflowError as error:
            messages.error(request, error.message)
        return redirect(request.path)

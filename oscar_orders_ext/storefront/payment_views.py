"""The customer's pay pages: a signed payment link, the payment method, the provider's form.

They work for guests (the signed link is the only credential) and extend Oscar's storefront
templates. Every write goes through ``oscar_orders_ext.payments.service``; the provider's
callbacks (``payments.urls``) confirm payments, recorded once by a signal receiver.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from payments import RedirectNeeded

from oscar_orders_ext.models import OrderPayment, PaymentLink
from oscar_orders_ext.models.payments import PAY_NAMESPACE
from oscar_orders_ext.payments import service

TEMPLATES = "oscar_orders_ext/storefront/pay/"
#: HTTP status of the "cannot pay this link" page, by reason.
UNAVAILABLE_STATUS = {"invalid": 404, "expired": 410, "superseded": 410, "cancelled": 410,
                      "paid": 200}


def unavailable(request: HttpRequest, problem: service.LinkUnavailable) -> HttpResponse:
    """The clear page for a link that cannot be paid; nothing is changed."""
    return render(request, TEMPLATES + "unavailable.html",
                  {"problem": problem, "reason": problem.reason,
                   "order": problem.link.order if problem.link else None},
                  status=UNAVAILABLE_STATUS[problem.reason])


def page_context(link: PaymentLink) -> dict[str, Any]:
    """What the pay page shows: the order summary and the amount of the link."""
    order = link.order
    return {"link": link, "order": order, "lines": order.lines.all(),
            "methods": service.online_methods(), "balance": service.balance(order)}


class PayView(View):
    """The pay page (GET) and the choice of a payment method (POST)."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            link = service.link_from_token(token)
        except service.LinkUnavailable as problem:
            return unavailable(request, problem)
        return render(request, TEMPLATES + "pay.html", page_context(link))

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            link = service.link_from_token(token)
            payment = service.start_link_payment(link, request.POST.get("method", ""),
                                                 ip_address=request.META.get("REMOTE_ADDR"))
        except service.LinkUnavailable as problem:
            return unavailable(request, problem)
        except service.PaymentProblem as problem:
            return render(request, TEMPLATES + "pay.html",
                          {**page_context(link), "error": problem.message}, status=400)
        return redirect(reverse(f"{PAY_NAMESPACE}:pay-details",
                                kwargs={"token": token, "payment": payment.token}))


class PayDetailsView(View):
    """The provider's own form (card details, or the dummy provider's outcome choice)."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            self.link = service.link_from_token(kwargs["token"])
        except service.LinkUnavailable as problem:
            return unavailable(request, problem)
        payment = OrderPayment.objects.filter(token=str(kwargs["payment"]),
                                              link=self.link).first()
        if payment is None:
            raise Http404(_("No such payment."))
        try:
            form = payment.get_form(data=request.POST or None)
        except RedirectNeeded as to:
            return redirect(str(to))
        return render(request, TEMPLATES + "details.html",
                      {**page_context(self.link), "payment": payment, "form": form})


class PayDoneView(View):
    """Where the provider sends the customer back: thanks, or "waiting for confirmation"."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        try:
            link = service.link_from_token(token)
        except service.LinkUnavailable as problem:
            if problem.reason == "paid":  # the usual way back: the provider confirmed it
                problem = service.LinkUnavailable(
                    "paid", _("Thank you: your payment was received."), problem.link)
            return unavailable(request, problem)
        return render(request, TEMPLATES + "pending.html", page_context(link))

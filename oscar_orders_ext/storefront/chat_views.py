"""The customer's side of the order's conversation, on Oscar's storefront.

A logged-in customer opens it from their account's order page (their own orders only: any
other number answers 404, whether it exists or not); a guest opens it through the signed link
of the email (a forged or altered link answers 404, an expired one says so). Opening the page
marks the shop's messages read; the form writes through the conversation service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views import View
from oscar.core.loading import get_model

from oscar_orders_ext.exceptions import (ConversationLinkError, ConversationLinkExpired,
                                         OrderWorkflowError)
from oscar_orders_ext.models import MessageSide, OrderMessage, Quote
from oscar_orders_ext.payments.service import active_link
from oscar_orders_ext.selectors import order_messages, order_quotes
from oscar_orders_ext.services import conversations, quotes
from oscar_orders_ext.views.conversation_forms import MessageForm
from oscar_orders_ext.views.orders import attachment_response, quote_pdf_response

Order = get_model("order", "Order")


class ConversationPageMixin(View):
    """Draw the conversation of the order ``get_order()`` returns, and take the answer."""

    template_name = "oscar_orders_ext/storefront/chat/conversation.html"

    def get_order(self) -> Any:
        raise NotImplementedError

    def render_page(self, order: Any, form: MessageForm, *, status: int = 200) -> HttpResponse:
        proposals = order_quotes(order)  # every version, newest first, with its outcome
        # Only the latest version, open and within its date, can be answered.
        quote = proposals[0] if proposals and proposals[0].can_decide else None
        context = {"order": order, "conversation": order_messages(order), "form": form,
                   "quote": quote, "proposals": proposals, "payment_link": active_link(order),
                   "post_url": self.request.path, "guest": not self.request.user.is_authenticated
                   or order.user_id != self.request.user.pk}
        return render(self.request, self.template_name, context, status=status)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        order = self.get_order()
        conversations.mark_read(order, by=MessageSide.CUSTOMER)
        return self.render_page(order, MessageForm())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        order = self.get_order()
        if "decision" in request.POST:
            return self.decide(order)
        form = MessageForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(order, form, status=400)
        try:
            conversations.post_customer_message(order, form.cleaned_data["body"],
                                                user=request.user,
                                                attachment=form.cleaned_data.get("attachment"))
        except OrderWorkflowError as error:
            form.add_error("body", error.message)
            return self.render_page(order, form, status=400)
        messages.success(request, _("Your message was sent to the shop."))
        return redirect(request.path)

    def decide(self, order: Any) -> HttpResponse:
        """Accept or reject a price proposal of this order (any other answers 404)."""
        request = self.request
        quote_id = request.POST.get("quote", "")
        if not quote_id.isdigit() or not Quote.objects.filter(pk=quote_id, order=order).exists():
            raise Http404(_("No such price proposal for this order."))
        accept = request.POST["decision"] == "accept"
        try:
            decided = quotes.decide_quote(int(quote_id), accept=accept, user=request.user)
        except OrderWorkflowError as error:
            messages.error(request, error.message)
        else:
            link = active_link(order) if accept else None
            if link is not None and decided.decided_at and link.created_at >= decided.decided_at:
                # An online payment method: on to pay the approved amount (payments/quotes.py).
                messages.success(request, _("Thank you: you accepted the price proposal. You "
                                            "can pay the amount due now."))
                return redirect(link.get_absolute_url())
            messages.success(request, _("Thank you: you accepted the price proposal.") if accept
                             else _("You rejected the price proposal; the shop will be in touch."))
        return redirect(request.path)


class AccountConversationView(LoginRequiredMixin, ConversationPageMixin):
    """The conversation of one of the logged-in customer's own orders."""

    def get_order(self) -> Any:
        try:
            return Order.objects.get(number=self.kwargs["number"], user=self.request.user)
        except Order.DoesNotExist:
            raise Http404(_("No order with this number is yours.")) from None


class GuestConversationView(ConversationPageMixin):
    """The conversation opened through the signed link of an email, without logging in."""

    def get_order(self) -> Any:
        try:
            return conversations.order_for_token(self.kwargs["token"])
        except ConversationLinkExpired:
            raise  # dispatch() answers with the "expired" page
        except ConversationLinkError:
            raise Http404(_("This link is not valid.")) from None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return super().dispatch(request, *args, **kwargs)
        except ConversationLinkExpired as error:
            return render(request, "oscar_orders_ext/storefront/chat/expired.html",
                          {"reason": error.message}, status=410)


def _attachment(order: Any, pk: int) -> HttpResponseBase:
    message = get_object_or_404(OrderMessage.objects.exclude(attachment=""), pk=pk,
                                order_id=order.pk)
    return attachment_response(message)


class AccountAttachmentView(AccountConversationView):
    """An attachment of one of the logged-in customer's own orders."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return _attachment(self.get_order(), kwargs["pk"])


class GuestAttachmentView(GuestConversationView):
    """An attachment reached through the signed link."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return _attachment(self.get_order(), kwargs["pk"])


def _quote_pdf(order: Any, pk: int) -> HttpResponseBase:
    """A price proposal of this order as a PDF (any other proposal answers 404)."""
    return quote_pdf_response(get_object_or_404(Quote, pk=pk, order_id=order.pk), order.number)


class AccountQuotePdfView(AccountConversationView):
    """A price proposal of one of the logged-in customer's own orders, as a PDF."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return _quote_pdf(self.get_order(), kwargs["pk"])


class GuestQuotePdfView(GuestConversationView):
    """A price proposal reached through the signed link, as a PDF."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return _quote_pdf(self.get_order(), kwargs["pk"])

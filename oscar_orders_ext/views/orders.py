"""The order page: one screen to run an order from start to finish, and its actions.

Views stay thin: selectors load what the page shows, services make every change. Access to
each URL is decided by ``OrdersWorkspaceDashboardConfig.permissions_map``; the services check
permissions again, and partner users only reach the orders of their partner (404 otherwise).
Each action answers with a redirect to the page (success, or a refusal as an error message;
nothing is written then), or with the page and the form's errors when the input is invalid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, ProtectedError, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import CreateView, ListView, TemplateView, UpdateView

from oscar_orders_ext import permissions, selectors
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.documents.quotes import quote_document, quote_filename, render_quote
from oscar_orders_ext.documents.service import OrderDocuments, order_documents
from oscar_orders_ext.exceptions import OrderConflict, OrderWorkflowError
from oscar_orders_ext.models import Carrier, MessageSide, OrderMessage, OrderProcess, Quote
from oscar_orders_ext.services.transitions import notifies_by_default
from oscar_orders_ext.services import conversations, edits, logistics, order_details, quotes
from oscar_orders_ext.services.transitions import transition_choices, transition_order

from oscar_orders_ext.subscriptions import reads as subscription_reads
from .payment_forms import (InstallmentForm, OfflinePaymentForm, PaymentLinkForm, RefundForm,
                            payment_panel)
from .conversation_forms import MessageForm, QuoteForm
from .order_forms import (CarrierForm, CustomerDetailsForm, NoteForm, ShipmentForm,
                          TransitionForm, WorkflowFieldsForm)



def dashboard_url(name: str, **kwargs: Any) -> str:
    """``reverse(name)``, or "" where the shop does not mount that page."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:  # a shop may not mount that part of Oscar's dashboard
        return ""


def attachment_response(message: OrderMessage) -> FileResponse:
    """A message's attachment as a download, with the type its content was checked to be."""
    response = FileResponse(message.attachment.open("rb"), as_attachment=True,
                            filename=message.attachment_name,
                            content_type=message.attachment_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def billing_text(order: Any) -> str:
    """The billing details as plain lines, for the "copy" button."""
    address = order.billing_address or order.shipping_address
    lines = address.active_address_fields() if address else []
    if order.email:
        lines.append(order.email)
    phone = order.shipping_address.phone_number if order.shipping_address else None
    if phone:
        lines.append(str(phone))
    return "\n".join(str(line) for line in lines)


#: The order page's forms that start closed, each with the page's flag (``permissions.flags``)
#: a user needs to be given it. They are drawn only when their panel is opened (the page's
#: script fetches ``?form=<key>``, the form alone), when asked without the script
#: (``?open=<key>``: the page with that form open), or sent back with errors. Their widgets
#: (country lists, operators, tags, a field per line) are most of what drawing the page would
#: cost otherwise (issue 18).
LAZY_FORMS: dict[str, str] = {
    "workflow_form": "can_edit", "customer_form": "can_edit_details",
    "shipment_form": "can_change_state", "quote_form": "can_send_quote",
    "payment_link_form": "can_send_payment_link", "installment_form": "can_split_installments",
    "offline_payment_form": "can_record_payment", "refund_form": "can_refund"}


def lazy_form_template(key: str) -> str:
    """The partial that draws one of ``LAZY_FORMS`` alone."""
    return f"oscar_orders_ext/shared/order/forms/{key}.html"


class OrderPageMixin:
    """Loading the order the user may see, and drawing its page with any bound forms.

    A front end sets ``page_template`` and ``url_namespace`` (both name the order page's URLs
    alike) and may add context in ``extra_page_context``; every other step is shared.
    """

    request: HttpRequest
    kwargs: dict[str, Any]
    page_template = ""
    #: The skin's frame of the shared order page (``shared/order/detail.html`` extends it).
    page_base_template = ""
    url_namespace = ""
    #: The front end's access check of the registry, for the page's ``can_*`` flags.
    permission_check = staticmethod(permissions.dashboard_allows)

    def page_url(self, number: str) -> str:
        """The order page of order ``number`` in this front end."""
        return reverse(f"{self.url_namespace}:orders-workspace-order",
                       kwargs={"number": number})

    def extra_page_context(self, process: OrderProcess) -> dict[str, Any]:
        """Front-end specific context (page title, breadcrumbs …)."""
        return {}

    def get_process(self) -> OrderProcess:
        try:
            return selectors.order_page_process(self.request.user, self.kwargs["number"])
        except OrderProcess.DoesNotExist:
            raise Http404(_("No order with this number is visible to you.")) from None

    def page_context(self, process: OrderProcess, *, draw: str = "", **forms: Any
                     ) -> dict[str, Any]:
        """Everything the order page draws; of ``LAZY_FORMS`` only the one sent back with
        errors or asked open (``open_form``) or alone (``draw``) is built, if the user may
        use it."""
        order, user = process.order, self.request.user
        flags = permissions.flags(user, self.permission_check)
        drawn = {key for key in (forms.get("open_form", ""), draw)
                 if key in LAZY_FORMS and flags[LAZY_FORMS[key]]}
        # The process says which tables hold rows for the order: empty panels ask nothing.
        holds = selectors.holds
        shipped = holds(process, "shipping_events")
        lines = selectors.order_lines(order, shipped=shipped, keep=True)
        notes = selectors.order_notes(order) if holds(process, "notes") else []
        issued = order_documents(order.pk) if holds(process, "documents") else OrderDocuments([])
        left_to_ship = [line for line in lines if line.left_to_ship]
        notify_enabled = bool(app_settings.NOTIFY_CUSTOMERS)
        transitions = [{"choice": choice,
                        "notify": notifies_by_default(choice.option.target)}
                       for choice in transition_choices(process, user)]
        internal_notes, buyer_notes = selectors.split_notes(notes)
        closed: dict[str, Callable[[], Any]] = {
            "workflow_form": lambda: WorkflowFieldsForm.for_process(process),
            "customer_form": lambda: CustomerDetailsForm(order, version=process.version),
            "shipment_form": lambda: ShipmentForm(
                lines=left_to_ship, initial={"version": process.version,
                                             **logistics.shipment_defaults(process)}),
            "quote_form": lambda: QuoteForm(lines=lines, order=order),
            "payment_link_form": PaymentLinkForm,
            "refund_form": lambda: RefundForm(lines=lines),
            "offline_payment_form": OfflinePaymentForm,
            "installment_form": InstallmentForm,
        }
        context = {
            "process": process, "order": order, "lines": lines,
            "totals": selectors.order_totals(order, lines,
                                             discounts=holds(process, "discounts")),
            "surcharges": list(order.surcharges.all()) if holds(process, "surcharges") else [],
            "transitions": transitions, "notify_enabled": notify_enabled,
            **{key: build() if key in drawn else None for key, build in closed.items()},
            "note_form": NoteForm(),
            "conversation": selectors.order_messages(order) if holds(process, "messages") else [],
            "message_form": MessageForm(),
            "quotes": selectors.order_quotes(order) if holds(process, "quotes") else [],
            "open_form": forms.get("open_form", ""),
            "shipments": logistics.shipments_of(order) if shipped else [],
            "everything_shipped": bool(lines) and not left_to_ship,
            "internal_notes": internal_notes, "buyer_notes": buyer_notes,
            "timeline": selectors.order_timeline(
                order, payment_events=holds(process, "payment_events"), shipping_events=shipped),
            "billing_text": billing_text(order),
            "require_tracking": app_settings.REQUIRE_TRACKING_TO_SHIP,
            "oscar_order_url": dashboard_url("dashboard:order-detail", number=order.number),
            "customer_url": (dashboard_url("dashboard:user-detail", pk=order.user_id)
                             if order.user_id else ""),
            "issued": issued,
            "order_page_base": self.page_base_template,
            **payment_panel(order, lines, process, issued),
            **subscription_reads.order_page_context(process),
            **flags,
        }
        # A form sent back with its errors (or bound again after a conflict) replaces the
        # empty one.
        context.update({key: form for key, form in forms.items()
                        if key != "open_form" and form is not None})
        return context

    def render_page(self, process: OrderProcess, *, status: int = 200, **forms: Any
                    ) -> HttpResponse:
        context = {**self.page_context(process, **forms), **self.extra_page_context(process)}
        return render(self.request, self.page_template, context, status=status)


class OrderDetailView(OrderPageMixin, View):
    """The order page."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        process = self.get_process()
        key = request.GET.get("form", "")
        if key in LAZY_FORMS:  # a closed form's panel was opened: that form alone
            context = {**self.page_context(process, draw=key), **self.extra_page_context(process)}
            if not context[LAZY_FORMS[key]]:
                raise PermissionDenied
            return render(request, lazy_form_template(key), context)
        # The page shows the conversation: the customer's messages are read now. The badge
        # still shows how many were new on this drawing.
        conversations.mark_read(process, by=MessageSide.STAFF)
        # Without the script, a closed form's link asks for the page with that form open.
        opened = request.GET.get("open", "")
        return self.render_page(process, open_form=opened if opened in LAZY_FORMS else "")


class OrderActionView(OrderPageMixin, View):
    """Base of the page's POST actions: bind, validate, call a service, say what happened.

    Subclasses give ``form_key`` (the page context name of their form, re-drawn with errors),
    ``bind()`` and ``perform()``, which returns the success message.
    """

    http_method_names = ["post"]
    form_key = ""

    def bind(self, process: OrderProcess) -> Any:
        raise NotImplementedError

    def perform(self, process: OrderProcess, form: Any) -> str:
        raise NotImplementedError

    def invalid(self, process: OrderProcess, form: Any) -> HttpResponse:
        """The page again with the form's errors and the operator's input; nothing saved."""
        messages.error(self.request, _("Nothing was saved: please correct the errors below."))
        return self.render_page(process, status=400,
                                **{self.form_key: form, "open_form": self.form_key})

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        process = self.get_process()
        form = self.bind(process)
        if not form.is_valid():
            return self.invalid(process, form)
        try:
            message = self.perform(process, form)
        except OrderConflict:
            return self.conflict()
        except OrderWorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, message)
        return redirect(self.page_url(process.order.number))

    def conflict(self) -> HttpResponse:
        """The order as it is now, with the operator's input still in the form (bound to the
        current version), so nothing typed is lost: check it and save again."""
        process = self.get_process()
        messages.error(self.request, _(
            "Someone else changed this order in the meantime. The page shows the order as it "
            "is now, with your changes still in the form: check them and save again."))
        self.conflict_data = self.request.POST.copy()
        self.conflict_data["version"] = str(process.version)
        return self.render_page(process, status=409,
                                **{self.form_key: self.bind(process), "open_form": self.form_key})

    def form_data(self) -> Any:
        """The posted data (after a conflict: with the order's current version)."""
        return getattr(self, "conflict_data", None) or self.request.POST


class TransitionView(OrderActionView):
    """A transition button: note, customer message, "notify the customer"."""

    form_key = "transition_form"

    def bind(self, process: OrderProcess) -> TransitionForm:
        return TransitionForm(self.form_data())

    def conflict(self) -> HttpResponse:
        # The buttons are drawn from the order as it is now; the choice may no longer apply.
        messages.error(self.request, OrderConflict.default_message)
        return redirect(self.page_url(self.kwargs["number"]))

    def invalid(self, process: OrderProcess, form: Any) -> HttpResponse:
        # Only the hidden fields can be wrong (a tampered or truncated post): start over.
        messages.error(self.request, _("The action was not understood: reload the page and "
                                       "try again."))
        return redirect(self.page_url(process.order.number))

    def perform(self, process: OrderProcess, form: TransitionForm) -> str:
        data = form.cleaned_data
        result = transition_order(
            process.order, data["transition"], user=self.request.user, note=data["note"],
            customer_message=data["customer_message"], notify_customer=data["notify"],
            expected_version=data["version"])
        return _("Order %(number)s is now “%(state)s”.") % {
            "number": process.order.number, "state": result.process.state_info.label}


class WorkflowFieldsView(OrderActionView):
    """Payment status, order type, operator, funnel and tags."""

    form_key = "workflow_form"

    def bind(self, process: OrderProcess) -> WorkflowFieldsForm:
        return WorkflowFieldsForm(self.form_data())

    def perform(self, process: OrderProcess, form: WorkflowFieldsForm) -> str:
        data = form.cleaned_data
        order_details.update_workflow_fields(
            process.order, user=self.request.user, expected_version=data["version"],
            payment_status=data["payment_status"], order_type=data["order_type"],
            operator=data["operator"], funnel=data["funnel"], tags=data["tags"],
            shown_tags=data["shown_tags"])
        return _("Order details saved.")


class CustomerDetailsView(OrderActionView):
    """Buyer email, billing and shipping addresses, "shipping same as billing"."""

    form_key = "customer_form"

    def bind(self, process: OrderProcess) -> CustomerDetailsForm:
        return CustomerDetailsForm(process.order, self.form_data())

    def perform(self, process: OrderProcess, form: CustomerDetailsForm) -> str:
        order_details.update_customer_details(
            process.order, user=self.request.user,
            shipping_same_as_billing=bool(form.buyer.cleaned_data["shipping_same_as_billing"]),
            **form.service_arguments())
        return _("Buyer details saved.")


class ShipmentView(OrderActionView):
    """Record a parcel: carrier, tracking code, all lines or some."""

    form_key = "shipment_form"

    def bind(self, process: OrderProcess) -> ShipmentForm:
        lines = [line for line in selectors.order_lines(process.order) if line.left_to_ship]
        return ShipmentForm(self.form_data(), lines=lines)

    def perform(self, process: OrderProcess, form: ShipmentForm) -> str:
        data = form.cleaned_data
        shipment = logistics.record_shipment(
            process.order, carrier=data["carrier"], carrier_name=data["carrier_name"],
            tracking_code=data["tracking_code"], lines=data["lines"], note=data["note"],
            user=self.request.user, expected_version=data["version"],
            mark_shipped=data["mark_shipped"], notify_customer=data["notify"])
        message = _("Shipment with %(carrier)s recorded.") % {"carrier": shipment.carrier_name}
        result = shipment.transition_result
        if result is not None:
            message += " " + _("Order %(number)s is now “%(state)s”.") % {
                "number": process.order.number, "state": result.process.state_info.label}
        elif data["mark_shipped"]:
            message += " " + _("Items are left to ship: the order keeps its state.")
        return message


class NoteView(OrderActionView):
    """Add a note. Notes only add, never overwrite, so they carry no version."""

    form_key = "note_form"

    def bind(self, process: OrderProcess) -> NoteForm:
        return NoteForm(self.form_data())

    def perform(self, process: OrderProcess, form: NoteForm) -> str:
        for_customer = form.cleaned_data["audience"] == NoteForm.BUYER
        edits.add_note(process.order, form.cleaned_data["message"], user=self.request.user,
                       for_customer=for_customer)
        return _("Note for the buyer added.") if for_customer else _("Internal note added.")


class MessageView(OrderActionView):
    """Write to the customer; the first message may move a new order on (see the service)."""

    form_key = "message_form"

    def bind(self, process: OrderProcess) -> MessageForm:
        return MessageForm(self.form_data(), self.request.FILES)

    def perform(self, process: OrderProcess, form: MessageForm) -> str:
        posted = conversations.post_staff_message(
            process.order, form.cleaned_data["body"], user=self.request.user,
            attachment=form.cleaned_data.get("attachment"))
        text = _("Message sent to the customer.")
        if posted.transition is not None:
            text += " " + _("Order %(number)s is now “%(state)s”.") % {
                "number": process.order.number,
                "state": posted.transition.process.state_info.label}
        elif posted.refusal:
            text += " " + _("The order keeps its state: %(reason)s") % {
                "reason": posted.refusal}
        return text


class MessageAttachmentView(OrderPageMixin, View):
    """A message's attachment, to who may see the order (404 otherwise), as a download."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        process = self.get_process()
        message = get_object_or_404(OrderMessage.objects.exclude(attachment=""),
                                     pk=kwargs["pk"], order_id=process.order_id)
        return attachment_response(message)


class QuoteView(OrderActionView):
    """Send a price proposal; it supersedes the open one."""

    form_key = "quote_form"

    def bind(self, process: OrderProcess) -> QuoteForm:
        return QuoteForm(self.form_data(), lines=selectors.order_lines(process.order),
                         order=process.order)

    def perform(self, process: OrderProcess, form: QuoteForm) -> str:
        data = form.cleaned_data
        quote = quotes.send_quote(process.order, unit_prices=form.unit_prices(),
                                  shipping=data["shipping"], message=data["message"],
                                  valid_until=data["valid_until"], user=self.request.user,
                                  document=quote_document, total=data.get("total"))
        return _("Price proposal %(version)d sent to the customer.") % {
            "version": quote.version}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """As every action, but a refused proposal redraws the form with what was typed."""
        process = self.get_process()
        form = self.bind(process)
        if form.is_valid():
            try:
                message = self.perform(process, form)
            except OrderConflict:
                return self.conflict()
            except OrderWorkflowError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, message)
                return redirect(self.page_url(process.order.number))
        return self.invalid(process, form)


def quote_pdf_response(quote: Quote, number: str) -> HttpResponse:
    """The PDF of a price proposal, shown in the browser (downloadable)."""
    response = HttpResponse(render_quote(quote).pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote_filename(quote, number)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


class QuotePdfView(OrderPageMixin, View):
    """The PDF of one version of the order's price proposals, to who may see the order."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        process = self.get_process()
        quote = get_object_or_404(Quote, pk=kwargs["pk"], order_id=process.order_id)
        return quote_pdf_response(quote, process.order.number)


class QuoteWithdrawView(OrderActionView):
    """Withdraw the open price proposal."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        process = self.get_process()
        quote = get_object_or_404(Quote, pk=kwargs["pk"], order_id=process.order_id)
        try:
            quotes.withdraw_quote(quote, user=request.user)
        except OrderWorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Price proposal %(version)d withdrawn.")
                             % {"version": quote.version})
        return redirect(self.page_url(process.order.number))


# --- Carriers -----------------------------------------------------------------------------

class CarrierPageMixin:
    """Reverse the carrier pages in the front end's URL namespace.

    Both front ends name their carrier URLs alike (``orders-carrier-list`` …); a front end
    sets ``url_namespace`` and its templates and keeps every step of these views.
    """

    url_namespace = ""

    def url(self, name: str, **kwargs: Any) -> str:
        """One of the carrier pages of this front end."""
        return reverse(f"{self.url_namespace}:{name}", kwargs=kwargs or None)


class CarrierListView(CarrierPageMixin, ListView):
    """The managed carriers, with how many shipments each has."""

    template_name = ""
    context_object_name = "carriers"

    def get_queryset(self) -> QuerySet[Carrier]:
        return Carrier.objects.annotate(shipment_count=Count("shipments"))


class CarrierFormMixin(CarrierPageMixin):
    """The carrier form: save, say so, back to the list."""

    request: HttpRequest
    model = Carrier
    form_class: type[CarrierForm] | None = CarrierForm
    template_name: str | None = ""

    def form_valid(self, form: CarrierForm) -> HttpResponse:
        carrier = logistics.save_carrier(form.save(commit=False), user=self.request.user)
        messages.success(self.request, _("Carrier “%(carrier)s” saved.") % {"carrier": carrier})
        return redirect(self.url("orders-carrier-list"))


class CarrierCreateView(CarrierFormMixin, CreateView):
    """A new carrier."""


class CarrierUpdateView(CarrierFormMixin, UpdateView):
    """A carrier's name, tracking page and order."""


class CarrierDeleteView(CarrierPageMixin, TemplateView):
    """Confirm (GET), then delete (POST); a carrier used by shipments is kept."""

    template_name = ""
    carrier: Carrier

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.carrier = get_object_or_404(Carrier, pk=kwargs["pk"])
        return self.render_to_response(self.get_context_data(carrier=self.carrier))

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        carrier = get_object_or_404(Carrier, pk=kwargs["pk"])
        name = carrier.name
        try:
            logistics.delete_carrier(carrier, user=request.user)
        except (OrderWorkflowError, ProtectedError) as error:
            messages.error(request, getattr(error, "message", str(error)))
        else:
            messages.success(request, _("Carrier “%(carrier)s” deleted.") % {"carrier": name})
        return redirect(self.url("orders-carrier-list"))

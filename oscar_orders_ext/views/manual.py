"""Manual orders (the cart editor) and the line editor of placed orders.

Both pages are one form each. Every button posts an ``action``; with JavaScript the cart
buttons are sent with ``fetch`` and answered with JSON (the re-rendered cart and its totals),
without it the page is rendered again. Prices always come from the services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import View
from oscar.core.loading import get_class

from oscar_orders_ext import selectors
from oscar_orders_ext.exceptions import (ManualOrderError, OrderConflict, OrderWorkflowError,
                                         TransitionPermissionDenied)
from .common import form_errors, wants_json
from oscar_orders_ext.services import manual_orders as manual
from oscar_orders_ext.subscriptions import installments
from oscar_orders_ext.services.line_edits import (LineEditPlan, apply_line_edit,
                                                  lines_locked_for, plan_line_edit)
from oscar_orders_ext.templatetags.orders_workspace import order_detail_url

from .manual_forms import (BillingAddressForm, LineEditForm, ManualOrderForm,
                           ShippingAddressForm, quantities, shipping_choice)

Selector = get_class("partner.strategy", "Selector")

#: Session key listing the draft carts this session started (others are refused).
DRAFTS_KEY = "oscar_orders_ext_manual_drafts"


def _product_from(request: HttpRequest) -> str:
    """The product id a cart "add" names: picked in the search, or typed as SKU or UPC."""
    product = request.POST.get("product", "").strip()
    if product:
        return product
    return manual.product_id_for_code(request.POST.get("sku", ""))


# --- Manual orders ---------------------------------------------------------------------------

class OrderCreateView(View):
    """Build a cart for a customer, see Oscar's totals live, and place the order.

    A front end sets its templates and ``url_namespace`` (where the placed order opens) and
    may add context in ``extra_page_context``; every other step is shared.
    """

    template_name = ""
    cart_template = ""
    url_namespace = ""

    def extra_page_context(self) -> dict[str, Any]:
        """Front-end specific context of the full page (page title, breadcrumbs …)."""
        return {}

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.respond(ManualOrderForm(user=request.user), basket=None, customer=None)

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action", "update")
        # Only placing validates the order's details; cart actions just keep what was typed.
        form = (ManualOrderForm(request.POST, user=request.user) if action == "place"
                else ManualOrderForm(initial=request.POST.dict(), user=request.user))
        customer = self.customer()
        error = notice = ""
        basket = None
        try:
            basket = self.draft(customer, create=action == "add")
            if action == "place":
                return self.place(form, basket)
            notice = self.apply(action, basket, customer)
        except ManualOrderError as refusal:
            error = refusal.message
        return self.respond(form, basket=basket, customer=customer, error=error, notice=notice,
                            status=400 if error else 200)

    # steps

    def customer(self) -> Any:
        pk = self.request.POST.get("customer", "")
        return get_user_model().objects.filter(pk=pk).first() if pk.isdigit() else None

    def draft(self, customer: Any, *, create: bool) -> Any:
        """The session's draft cart named in the form, or a new one when adding to nothing."""
        session = self.request.session
        basket_id = self.request.POST.get("basket", "")
        if basket_id:
            if not basket_id.isdigit() or int(basket_id) not in session.get(DRAFTS_KEY, []):
                raise ManualOrderError(_("This cart was started elsewhere. Start a new order."))
            return manual.load_draft(basket_id, customer)
        if not create:
            return None
        basket = manual.start_draft(customer)
        session[DRAFTS_KEY] = [*session.get(DRAFTS_KEY, [])[-19:], basket.pk]
        return basket

    def apply(self, action: str, basket: Any, customer: Any) -> str:
        """Run one cart action; returns what to tell the operator."""
        post = self.request.POST
        if basket is None:
            if action.startswith(("voucher", "remove-", "unvoucher-")):
                raise ManualOrderError(_("Add a product first."))
            return ""
        manual.set_quantities(basket, quantities(post, "qty"))
        if action == "add":
            line = manual.add_product(basket, _product_from(self.request),
                                      post.get("quantity") or 1)
            return _("“%(title)s” added.") % {"title": line.product.get_title()}
        if action.startswith("remove-"):
            manual.remove_line(basket, action.removeprefix("remove-"))
        elif action == "voucher":
            voucher = manual.add_voucher(basket, post.get("voucher_code", ""), customer)
            return _("Voucher “%(code)s” applied.") % {"code": voucher.code}
        elif action.startswith("unvoucher-"):
            manual.remove_voucher(basket, action.removeprefix("unvoucher-"))
        return ""

    def place(self, form: ManualOrderForm, basket: Any) -> HttpResponse:
        post = self.request.POST
        billing = BillingAddressForm(post, prefix="billing")
        shipping = ShippingAddressForm(post, prefix="shipping") if post.get(
            "ship_elsewhere") else None
        customer = self.customer()
        forms_valid = all([form.is_valid(), billing.is_valid(),
                           shipping is None or shipping.is_valid()])
        error = ""
        if basket is None:
            error = _("The cart is empty.")
        elif not forms_valid:
            error = _("Check the highlighted fields.")
        else:
            data = form.manual_order(basket.pk, billing.cleaned_data,
                                     dict(shipping.cleaned_data) if shipping else None)
            try:
                order = manual.place_manual_order(data, user=self.request.user)
            except OrderWorkflowError as refusal:
                error = refusal.message
            else:
                self.split(order, form.installment_plan())
                return self.placed(order, basket)
        return self.respond(form, basket=basket, customer=customer, error=error, status=400,
                            billing=billing, shipping=shipping)

    def split(self, order: Any, plan: dict[str, Any] | None) -> None:
        """Split the placed order into the installments asked for; a refusal is said, the
        order stays placed (split it later from its page)."""
        if plan is None:
            return
        try:
            installments.split_order(order, plan["count"], first_due=plan["first_due"],
                                     every=plan["every"], unit=plan["unit"],
                                     user=self.request.user)
        except OrderWorkflowError as refusal:
            messages.warning(self.request, refusal.message)

    def placed(self, order: Any, basket: Any) -> HttpResponse:
        session = self.request.session
        session[DRAFTS_KEY] = [pk for pk in session.get(DRAFTS_KEY, []) if pk != basket.pk]
        message = _("Order %(number)s placed.") % {"number": order.number}
        target = order_detail_url(order.number, self.url_namespace)
        if wants_json(self.request):
            return JsonResponse({"ok": True, "message": message, "number": order.number,
                                 "redirect": target})
        messages.success(self.request, message)
        return redirect(target)

    # drawing

    def cart_context(self, basket: Any, customer: Any) -> dict[str, Any]:
        """The priced cart; a wrong shipping choice is reported and priced as the default."""
        post = self.request.POST
        context: dict[str, Any] = {
            "basket": basket, "quote": None, "shipping_error": "",
            "shipping_code": post.get("shipping_method", ""),
            "charge_excl": post.get("shipping_charge_excl_tax", ""),
            "charge_incl": post.get("shipping_charge_incl_tax", ""),
            "manual_code": manual.MANUAL_SHIPPING,
        }
        if basket is None:
            return context
        try:
            context["quote"] = manual.quote(basket, customer, shipping_choice(post))
        except ManualOrderError as refusal:
            context["shipping_error"] = refusal.message
            context["quote"] = manual.quote(basket, customer, manual.ShippingChoice())
        # One option selected: the hand-typed charge while the operator has chosen it (its
        # charge may still be missing), else the method the totals were priced with.
        if context["shipping_code"] != manual.MANUAL_SHIPPING:
            context["shipping_code"] = context["quote"].shipping_method.code
        return context

    def respond(self, form: ManualOrderForm, *, basket: Any, customer: Any, error: str = "",
                notice: str = "", status: int = 200, billing: Any = None,
                shipping: Any = None) -> HttpResponse:
        cart = self.cart_context(basket, customer)
        quote = cart["quote"]
        if wants_json(self.request):
            return JsonResponse({
                "ok": not error, "message": error or notice,
                "basket": basket.pk if basket else None,
                "html": render_to_string(self.cart_template, cart, request=self.request),
                "totals": quote.totals() if quote else None,
            }, status=status)
        if error:
            messages.error(self.request, error)
        elif notice:
            messages.info(self.request, notice)
        return render(self.request, self.template_name, {
            **cart, "form": form, "customer": customer, "cart_template": self.cart_template,
            "billing_form": billing or self.address_form(BillingAddressForm, "billing"),
            "shipping_form": shipping or self.address_form(ShippingAddressForm, "shipping"),
            **self.extra_page_context(),
        }, status=status)

    def address_form(self, form_class: type[forms.ModelForm[Any]], prefix: str
                     ) -> forms.ModelForm[Any]:
        """An unbound address form showing what was typed (cart actions validate nothing)."""
        post = self.request.POST
        initial = {name: post.get(f"{prefix}-{name}") for name in form_class.base_fields
                   if post.get(f"{prefix}-{name}")}
        return form_class(prefix=prefix, initial=initial)


class CustomerSearchView(View):
    """Customers by name or email, as JSON, for the customer picker."""

    def get(self, request: HttpRequest) -> HttpResponse:
        users = selectors.search_customers(request.GET.get("q", ""))
        return JsonResponse({"results": [
            {"id": user.pk, "name": user.get_full_name(), "email": user.email,
             "first_name": user.first_name, "last_name": user.last_name,
             "address": selectors.saved_address(user)}
            for user in users]})


class ProductSearchView(View):
    """Products by title, SKU or UPC, with their price and stock, as JSON."""

    def get(self, request: HttpRequest) -> HttpResponse:
        strategy = Selector().strategy(request=None, user=None)
        results = []
        for product in selectors.search_products(request.GET.get("q", "")):
            info = strategy.fetch_for_product(product)
            price = info.price
            results.append({
                "id": product.pk, "title": product.get_title(), "upc": product.upc or "",
                "sku": info.stockrecord.partner_sku if info.stockrecord else "",
                "price": str(price.incl_tax if price.exists and price.is_tax_known
                             else price.excl_tax if price.exists else ""),
                "currency": price.currency if price.exists else "",
                "available": bool(info.availability.is_available_to_buy),
                "availability": str(info.availability.message),
            })
        return JsonResponse({"results": results})


# --- Lines of placed orders -------------------------------------------------------------------

class OrderLinesView(View):
    """Add, remove and change the lines of a placed order.

    Front ends set templates and ``url_namespace`` as for ``OrderCreateView``.
    """

    template_name = ""
    rows_template = ""
    url_namespace = ""

    def extra_page_context(self, process: Any) -> dict[str, Any]:
        """Front-end specific context of the full page (page title, breadcrumbs …)."""
        return {}

    def process(self, number: str) -> Any:
        process = selectors.visible_processes(self.request.user).select_related(
            "order").filter(number=number).first()
        if process is None:
            raise Http404(_("No such order."))
        return process

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        process = self.process(number)
        plan = plan_line_edit(process.order)
        return self.respond(process, plan, LineEditForm(initial={"version": process.version}))

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        process = self.process(number)
        post = request.POST
        action = post.get("action", "preview")
        form = LineEditForm(post)
        lines, additions = quantities(post, "line"), quantities(post, "add")
        try:
            if action == "add":
                product = _product_from(request)
                additions[product] = str(_count(additions.get(product, "0"))
                                         + _count(post.get("quantity") or "1"))
            elif action.startswith("remove-"):
                lines[action.removeprefix("remove-")] = "0"
            elif action.startswith("drop-"):
                additions.pop(action.removeprefix("drop-"), None)
            if action == "save":
                return self.save(process, form, lines, additions)
            plan = plan_line_edit(process.order, lines, additions)
        except OrderWorkflowError as refusal:
            status = 403 if isinstance(refusal, TransitionPermissionDenied) else 400
            return self.respond(process, plan_line_edit(process.order), form,
                                error=refusal.message, status=status)
        return self.respond(process, plan, form)

    def save(self, process: Any, form: LineEditForm, lines: dict[str, str],
             additions: dict[str, str]) -> HttpResponse:
        if not form.is_valid():
            return self.respond(process, plan_line_edit(process.order), form,
                                error=form_errors(form), status=400)
        try:
            plan = apply_line_edit(process.order, lines, additions, user=self.request.user,
                                   expected_version=form.cleaned_data["version"],
                                   note=form.cleaned_data["note"])
        except OrderConflict as conflict:
            return self.respond(process, plan_line_edit(process.order), LineEditForm(
                initial={"version": process.version}), error=conflict.message, status=409)
        message = (_("The lines of order %(number)s were saved.") if plan.changed
                   else _("Nothing was changed.")) % {"number": process.number}
        target = order_detail_url(process.number, self.url_namespace)
        if wants_json(self.request):
            return JsonResponse({"ok": True, "message": message, "redirect": target,
                                 "totals": plan.totals()})
        messages.success(self.request, message)
        return redirect(target)

    def respond(self, process: Any, plan: LineEditPlan, form: LineEditForm, *, error: str = "",
                status: int = 200) -> HttpResponse:
        context = {"process": process, "order": process.order, "plan": plan, "form": form,
                   "locked": lines_locked_for(process, self.request.user),
                   "rows_template": self.rows_template}
        if wants_json(self.request):
            return JsonResponse({"ok": not error, "message": error,
                                 "html": render_to_string(self.rows_template, context,
                                                          request=self.request),
                                 "totals": plan.totals()}, status=status)
        if error:
            messages.error(self.request, error)
        return render(self.request, self.template_name,
                      {**context, **self.extra_page_context(process)}, status=status)


def _count(value: str) -> int:
    """A quantity typed in the add box (the service validates the result again)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ManualOrderError(_("“%(value)s” is not a quantity.") % {"value": value}) from None

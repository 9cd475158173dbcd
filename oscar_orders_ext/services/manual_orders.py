"""Manual orders (phone and in-store sales), priced and placed by Oscar's own machinery.

The cart being built is a real Oscar ``Basket`` with no owner and status "Saved": Oscar's
basket middleware only picks up open baskets, or saved ones by owner, so a draft never shows up
as anyone's basket. Every price comes from the strategy of the customer being served
(``Selector().strategy(user=customer)``), offers and vouchers from Oscar's ``Applicator``,
shipping from Oscar's shipping ``Repository`` (or a charge typed by the operator), surcharges
(a plan's setup fee) from Oscar's ``SurchargeApplicator``, totals from
``OrderTotalCalculator``: the numbers are what checkout would charge. ``place_manual_order``
then places the order with Oscar's ``OrderCreator`` (which allocates stock as checkout does)
and sets the workspace fields, all in one transaction.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from functools import partial
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from oscar.core.loading import get_class, get_model

from oscar_orders_ext import permissions
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import OrderType, PaymentStatus, StockEffect
from oscar_orders_ext.exceptions import ManualOrderError
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.workflow import State, get_workflow

from .bounds import BoundError, check_order_items, parse_quantity
from .customers import customer_for_details
from .edits import (add_note, assign_operator, check_permission, set_order_type,
                    set_payment_status)
from .notifications import send_order_confirmation
from .locking import lock_stock_records
from .order_numbers import new_order_number
from .processes import order_source
from .transitions import transition_order

Applicator = get_class("offer.applicator", "Applicator")
Basket = get_model("basket", "Basket")
BillingAddress = get_model("order", "BillingAddress")
FixedPrice = get_class("shipping.methods", "FixedPrice")
OrderCreator = get_class("order.utils", "OrderCreator")
OrderTotalCalculator = get_class("checkout.calculators", "OrderTotalCalculator")
Product = get_model("catalogue", "Product")
Repository = get_class("shipping.repository", "Repository")
Selector = get_class("partner.strategy", "Selector")
SurchargeApplicator = get_class("checkout.applicator", "SurchargeApplicator")
ShippingAddress = get_model("order", "ShippingAddress")
Source = get_model("payment", "Source")
SourceType = get_model("payment", "SourceType")
Voucher = get_model("voucher", "Voucher")

CREATE_PERMISSION = permissions.OPERATIONS["create-order"]
#: ``OrderProcess.source`` of orders made here.
SOURCE = "manual"
#: Drafts are saved baskets without an owner (see the module docstring).
DRAFT_STATUS = Basket.SAVED
MANUAL_SHIPPING = "manual"
CENT = Decimal("0.01")


class ManualShipping(FixedPrice):  # type: ignore[misc,valid-type]  # a get_class() base
    """A shipping charge the operator types in (a courier quote, a delivery agreed by phone)."""

    code = MANUAL_SHIPPING
    name = gettext_lazy("Charge entered by hand")  # printed as "Shipping (…)"


# --- the draft cart ------------------------------------------------------------------------

def product_id_for_code(code: str) -> str:
    """The id of the product whose stock record SKU, else whose UPC, is ``code`` (any case)."""
    code = code.strip()
    if not code:
        raise ManualOrderError(_("Choose a product, or type its SKU or UPC."))
    record = get_model("partner", "StockRecord").objects.filter(partner_sku__iexact=code).first()
    if record is not None:
        return str(record.product_id)
    found = Product.objects.filter(upc__iexact=code).values_list("pk", flat=True).first()
    if found is None:
        raise ManualOrderError(_("No product has the SKU or UPC “%(code)s”.") % {"code": code})
    return str(found)

def _customer_or_anonymous(customer: Any) -> Any:
    return customer if customer is not None else AnonymousUser()


def prepare(basket: Any, customer: Any) -> Any:
    """Give the basket the pricing strategy of ``customer`` and forget computed discounts."""
    basket.strategy = Selector().strategy(request=None, user=customer)
    basket.reset_offer_applications()
    return basket


def start_draft(customer: Any = None) -> Any:
    """A new, empty draft cart."""
    return prepare(Basket.objects.create(owner=None, status=DRAFT_STATUS), customer)


def load_draft(basket_id: Any, customer: Any = None) -> Any:
    """The draft cart ``basket_id``, priced for ``customer``; refused if it is not a draft."""
    basket = None
    if str(basket_id or "").isdigit():
        basket = Basket.objects.filter(pk=basket_id, owner__isnull=True,
                                       status=DRAFT_STATUS).first()
    if basket is None:
        raise ManualOrderError(_("This cart no longer exists (the order may already have been "
                                 "placed). Start a new order."))
    return prepare(basket, customer)


def _quantity(value: Any, *, allow_zero: bool) -> int:
    try:
        return parse_quantity(value, allow_zero=allow_zero,
                              negative=_("Quantities must be positive."))
    except BoundError as error:
        raise ManualOrderError(error.message) from None


def find_product(product_id: Any) -> Any:
    """A product that can be sold (not a parent), or a clear refusal."""
    product = None
    if str(product_id or "").isdigit():
        product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise ManualOrderError(_("There is no such product."))
    if product.is_parent:
        raise ManualOrderError(_("“%(title)s” has variants: choose one of them.")
                               % {"title": product.get_title()})
    return product


def _check_available(title: str, availability: Any, quantity: int) -> None:
    permitted, reason = availability.is_purchase_permitted(quantity)
    if not permitted:
        raise ManualOrderError(_("“%(title)s”: %(reason)s") % {"title": title, "reason": reason})


def add_product(basket: Any, product_id: Any, quantity: Any = 1) -> Any:
    """Add a product to the draft (or raise the quantity of its line); returns the line."""
    quantity = _quantity(quantity, allow_zero=False)
    product = find_product(product_id)
    info = basket.strategy.fetch_for_product(product)
    title = product.get_title()
    if not info.price.exists or info.stockrecord is None:
        raise ManualOrderError(_("“%(title)s” has no price: it cannot be sold.")
                               % {"title": title})
    if basket.currency and info.price.currency != basket.currency:
        raise ManualOrderError(_("“%(title)s” is priced in %(currency)s, the cart in "
                                 "%(basket)s.") % {"title": title,
                                                   "currency": info.price.currency,
                                                   "basket": basket.currency})
    already = basket.line_quantity(product, info.stockrecord)
    _check_available(title, info.availability, already + quantity)
    allowed, reason = basket.is_quantity_allowed(quantity)
    if not allowed:
        raise ManualOrderError(reason)
    line, _created = basket.add_product(product, quantity)
    return line


def set_quantities(basket: Any, quantities: dict[Any, Any]) -> None:
    """Set the quantities of the draft's lines ({line id: quantity}); 0 removes a line.

    All or nothing: one bad quantity refuses the whole change.
    """
    lines = {str(line.pk): line for line in basket.all_lines()}
    wanted: dict[str, int] = {}
    for line_id, value in quantities.items():
        if str(line_id) not in lines:
            raise ManualOrderError(_("This line is no longer in the cart. Reload the page."))
        wanted[str(line_id)] = _quantity(value, allow_zero=True)
    for line_id, quantity in wanted.items():
        line = lines[line_id]
        if quantity:
            _check_available(line.product.get_title(), line.purchase_info.availability, quantity)
    items = {line_id: line.quantity for line_id, line in lines.items()} | wanted
    try:  # Oscar's basket threshold, for the cart as a whole
        check_order_items(items.values())
    except BoundError as error:
        raise ManualOrderError(error.message) from None
    with transaction.atomic():
        for line_id, quantity in wanted.items():
            line = lines[line_id]
            if quantity == 0:
                line.delete()
            elif quantity != line.quantity:
                line.quantity = quantity
                line.save(update_fields=["quantity"])
    basket.reset_offer_applications()


def remove_line(basket: Any, line_id: Any) -> None:
    """Take a line out of the draft."""
    set_quantities(basket, {line_id: 0})


def add_voucher(basket: Any, code: str, customer: Any = None) -> Any:
    """Apply a voucher code to the draft, as Oscar's basket page does; returns the voucher.

    Refused, with the reason, when the code is unknown, expired, inactive, already used by
    this customer, or gives this cart no discount.
    """
    code = (code or "").strip().upper()
    if not code:
        raise ManualOrderError(_("Enter a voucher code."))
    if basket.contains_voucher(code):
        raise ManualOrderError(_("Voucher “%(code)s” is already applied.") % {"code": code})
    voucher = Voucher._default_manager.filter(code=code).first()
    if voucher is None:
        raise ManualOrderError(_("No voucher has the code “%(code)s”.") % {"code": code})
    if voucher.is_expired():
        raise ManualOrderError(_("Voucher “%(code)s” has expired.") % {"code": code})
    if not voucher.is_active():
        raise ManualOrderError(_("Voucher “%(code)s” is not active.") % {"code": code})
    user = _customer_or_anonymous(customer)
    available, message = voucher.is_available_to_user(user=user)
    if not available:
        raise ManualOrderError(_("Voucher “%(code)s”: %(reason)s")
                               % {"code": code, "reason": message})
    with transaction.atomic():
        basket.vouchers.add(voucher)
        basket.reset_offer_applications()
        Applicator().apply(basket, user)
        if not any(discount["voucher"] == voucher for discount in basket.offer_applications):
            # Rolls back the voucher link: nothing is kept of a voucher that does not apply.
            raise ManualOrderError(_("Voucher “%(code)s” gives this cart no discount.")
                                   % {"code": code})
    basket.reset_offer_applications()
    return voucher


def remove_voucher(basket: Any, code: str) -> None:
    """Take a voucher off the draft."""
    voucher = basket.vouchers.filter(code=(code or "").strip().upper()).first()
    if voucher is None:
        raise ManualOrderError(_("This voucher is not applied to the cart."))
    basket.vouchers.remove(voucher)
    basket.reset_offer_applications()


# --- pricing ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShippingChoice:
    """The shipping method chosen: a code of Oscar's repository, or ``manual`` with a charge."""

    code: str = ""
    charge_excl_tax: Decimal | None = None
    charge_incl_tax: Decimal | None = None


@dataclass
class QuoteLine:
    """A cart line as priced now."""

    id: int
    product_id: int
    title: str
    sku: str
    quantity: int
    unit_price_excl_tax: Decimal
    unit_price_incl_tax: Decimal | None
    price_excl_tax: Decimal
    price_incl_tax: Decimal | None
    discount: Decimal
    warning: str = ""

    @property
    def unit_price(self) -> Decimal:
        """The unit price the cart shows: including tax when the tax is known."""
        return self.unit_price_excl_tax if self.unit_price_incl_tax is None \
            else self.unit_price_incl_tax

    @property
    def price(self) -> Decimal:
        """The line's price the cart shows: including tax when the tax is known."""
        return self.price_excl_tax if self.price_incl_tax is None else self.price_incl_tax


@dataclass
class Quote:
    """The priced draft: lines, discounts, shipping and totals, as the order would record."""

    basket: Any
    currency: str
    lines: list[QuoteLine]
    vouchers: list[dict[str, Any]]
    offers: list[dict[str, Any]]
    shipping_methods: list[Any]
    shipping_method: Any
    shipping_charge: Any
    total: Any
    lines_total_excl_discounts: Decimal
    discount: Decimal
    basket_total_incl_tax: Decimal | None
    basket_total_excl_tax: Decimal
    errors: list[str] = field(default_factory=list)
    #: Oscar's ``SurchargeList`` (a plan's setup fee, …), or None when nothing applies.
    surcharges: Any = None

    @property
    def tax(self) -> Decimal | None:
        """Total tax (incl. minus excl.), None when the tax is not known yet."""
        if self.total.incl_tax is None:
            return None
        return self.total.incl_tax - self.total.excl_tax

    def totals(self) -> dict[str, str | None]:
        """The totals as strings, for JSON and for the browser test."""

        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(Decimal(value).quantize(CENT))

        return {
            "currency": self.currency,
            "lines": text(self.lines_total_excl_discounts),
            "discount": text(self.discount),
            "basket_incl_tax": text(self.basket_total_incl_tax),
            "basket_excl_tax": text(self.basket_total_excl_tax),
            "shipping_incl_tax": text(self.shipping_charge.incl_tax
                                      if self.shipping_charge.is_tax_known else None),
            "shipping_excl_tax": text(self.shipping_charge.excl_tax),
            "surcharges_incl_tax": text(self.surcharges.total.incl_tax
                                        if self.surcharges else Decimal("0")),
            "tax": text(self.tax),
            "total_excl_tax": text(self.total.excl_tax),
            "total_incl_tax": text(self.total.incl_tax),
        }


def available_shipping_methods(basket: Any) -> list[Any]:
    """Oscar's shipping methods for this cart (shipping offers applied)."""
    return list(Repository().get_shipping_methods(basket))


def shipping_method_for(basket: Any, choice: ShippingChoice, methods: list[Any]) -> Any:
    """The method ``choice`` names among ``methods``; the first one when nothing is chosen."""
    if choice.code == MANUAL_SHIPPING and basket.is_shipping_required():
        if choice.charge_excl_tax is None or choice.charge_excl_tax < 0:
            raise ManualOrderError(_("Enter the shipping charge."))
        incl = choice.charge_incl_tax if choice.charge_incl_tax is not None \
            else choice.charge_excl_tax
        if incl < choice.charge_excl_tax:
            raise ManualOrderError(_("The shipping charge including tax cannot be lower than "
                                     "the charge excluding tax."))
        method = ManualShipping(choice.charge_excl_tax, incl)
        if basket.has_shipping_discounts:  # as Repository does for its own methods
            method = Repository().apply_shipping_offer(
                basket, method, basket.shipping_discounts[0]["offer"])
        return method
    for method in methods:
        if not choice.code or method.code == choice.code:
            return method
    if choice.code == MANUAL_SHIPPING:  # nothing to ship: Oscar's "no shipping required"
        return methods[0]
    raise ManualOrderError(_("“%(code)s” is not a shipping method of this shop.")
                           % {"code": choice.code})


def _quote_line(line: Any) -> QuoteLine:
    info = line.purchase_info
    warning = ""
    if info.availability:
        permitted, reason = info.availability.is_purchase_permitted(line.quantity)
        warning = "" if permitted else str(reason)
    tax_known = line.is_tax_known
    return QuoteLine(
        id=line.pk, product_id=line.product_id, title=line.product.get_title(),
        sku=line.stockrecord.partner_sku if line.stockrecord_id else "",
        quantity=line.quantity, unit_price_excl_tax=line.unit_price_excl_tax,
        unit_price_incl_tax=line.unit_price_incl_tax if tax_known else None,
        price_excl_tax=line.line_price_excl_tax_incl_discounts,
        price_incl_tax=line.line_price_incl_tax_incl_discounts if tax_known else None,
        discount=line.discount_value, warning=warning)


def quote(basket: Any, customer: Any, shipping: ShippingChoice) -> Quote:
    """Price the draft for ``customer``: offers, vouchers, shipping, tax and totals."""
    user = _customer_or_anonymous(customer)
    basket.reset_offer_applications()
    Applicator().apply(basket, user)
    methods = available_shipping_methods(basket)
    method = shipping_method_for(basket, shipping, methods)
    charge = method.calculate(basket)
    # The applicator checkout uses (``load_classes`` adds the plans' setup fees): one rule for
    # both. A manual order has no customer's request to hand it.
    surcharges = SurchargeApplicator().get_applicable_surcharges(basket, shipping_charge=charge)
    total = OrderTotalCalculator().calculate(basket, charge, surcharges=surcharges)
    currency = basket.currency or settings.OSCAR_DEFAULT_CURRENCY
    lines = [_quote_line(line) for line in basket.all_lines()]
    vouchers = [{"code": voucher.code, "name": voucher.name,
                 "discount": sum((d["discount"] for d in basket.grouped_voucher_discounts
                                  if d["voucher"] == voucher), Decimal("0.00"))}
                for voucher in basket.vouchers.all()]
    offers = [{"name": d["name"], "discount": d["discount"]} for d in basket.offer_discounts]
    lines_total = sum((line.line_price_excl_tax for line in basket.all_lines()), Decimal("0"))
    return Quote(
        basket=basket, currency=currency, lines=lines, vouchers=vouchers, offers=offers,
        shipping_methods=methods, shipping_method=method, shipping_charge=charge, total=total,
        lines_total_excl_discounts=lines_total, discount=basket.total_discount,
        basket_total_incl_tax=basket.total_incl_tax if basket.is_tax_known else None,
        basket_total_excl_tax=basket.total_excl_tax, surcharges=surcharges,
        errors=[f"{line.title}: {line.warning}" for line in lines if line.warning])


# --- choices: payment methods and initial states ------------------------------------------

def payment_methods() -> list[tuple[str, str]]:
    """(code, label) of the payment methods manual orders may record."""
    return [(str(code), str(label)) for code, label in app_settings.PAYMENT_METHODS]


def _transitions() -> list[Any]:
    return list(OrderProcess().get_all_state_transitions())


def path_to_state(target: str) -> list[str] | None:
    """The shortest list of transition names from the workflow's initial state to ``target``
    (empty when it is the initial state), or None when no path leads there."""
    workflow = get_workflow()
    start = workflow.initial_state
    paths: dict[str, list[str]] = {start: []}
    queue = deque([start])
    transitions = _transitions()
    while queue:
        state = queue.popleft()
        if state == target:
            return paths[state]
        for transition in transitions:
            if transition.source in {state, "*", "+"} and transition.target not in paths:
                paths[str(transition.target)] = paths[state] + [transition.name]
                queue.append(str(transition.target))
    return None


def initial_states() -> list[State]:
    """The states a manual order may start in (``OSCAR_ORDERS_EXT_MANUAL_ORDER_STATES``)."""
    workflow = get_workflow()
    configured = app_settings.MANUAL_ORDER_STATES
    if configured is not None:
        return [workflow.get_state(code) for code in configured
                if workflow.has_state(code) and path_to_state(code) is not None]
    effects = workflow.get_stock_effects()
    states = []
    for state in workflow.get_states():
        effect = effects.get(state.code)
        if state.code != workflow.initial_state and (
                effect in {StockEffect.RELEASE, StockEffect.RESTOCK}
                or (state.final and effect != StockEffect.CONSUME)):
            continue
        if path_to_state(state.code) is not None:
            states.append(state)
    return states


# --- placing -------------------------------------------------------------------------------

@dataclass
class ManualOrder:
    """Everything the operator filled in, besides the cart."""

    basket_id: int
    billing_address: dict[str, Any]
    customer: Any = None
    #: Used to find or create the customer when ``customer`` is None.
    email: str = ""
    shipping_address: dict[str, Any] | None = None
    shipping: ShippingChoice = field(default_factory=ShippingChoice)
    payment_method: str = ""
    operator: Any = None
    initial_state: str = ""
    paid: bool = False
    note: str = ""
    #: Email Oscar's order confirmation to the customer once the order is saved.
    send_confirmation: bool = False
    #: An ``OrderType``; "quote": the price is still to agree (a price proposal follows), so
    #: no payment is recorded and the payment method may be left out.
    order_type: str = ""


def _locked_draft(basket_id: int) -> Any:
    basket = Basket.objects.select_for_update().filter(pk=basket_id).first()
    if basket is None or basket.owner_id is not None or basket.status != DRAFT_STATUS:
        raise ManualOrderError(_("This cart was already turned into an order, or it no longer "
                                 "exists. Start a new order."))
    return basket


def _payment_source(order: Any, code: str, *, paid: bool) -> Any:
    labels = dict(payment_methods())
    source_type = SourceType.objects.filter(code=code).first()
    if source_type is None:
        source_type = SourceType.objects.create(name=labels[code], code=code)
    total = order.total_incl_tax
    return Source.objects.create(order=order, source_type=source_type, currency=order.currency,
                                 amount_allocated=total,
                                 amount_debited=total if paid else Decimal("0.00"))


def _enter_initial_state(order: Any, state: str, user: Any) -> None:
    path = path_to_state(state)
    if path is None:
        raise ManualOrderError(_("An order cannot start as “%(state)s”.")
                               % {"state": get_workflow().get_state(state).label})
    for name in path:
        transition_order(order, name, user=user, notify_customer=False)


def place_manual_order(data: ManualOrder, *, user: Any = None) -> Any:
    """Place the draft as an Oscar order for the customer, with addresses, shipping, payment
    method, operator and initial state. All or nothing: a refusal leaves no trace."""
    check_permission(user, CREATE_PERMISSION)
    state = data.initial_state or get_workflow().initial_state
    if state not in {s.code for s in initial_states()}:
        raise ManualOrderError(_("An order cannot start as “%(state)s”.")
                               % {"state": get_workflow().get_state(state).label})
    is_quote = data.order_type == OrderType.QUOTE
    if data.order_type and data.order_type not in OrderType.values:
        raise ManualOrderError(_("Choose an order type."))
    if not is_quote and data.payment_method not in dict(payment_methods()):
        raise ManualOrderError(_("Choose a payment method."))
    with transaction.atomic():
        basket = _locked_draft(data.basket_id)
        customer = data.customer
        if customer is None:
            if not data.email:
                raise ManualOrderError(_("Choose a customer or enter an email address."))
            customer, _created = customer_for_details(
                data.email, data.billing_address.get("first_name", ""),
                data.billing_address.get("last_name", ""))
        prepare(basket, customer)
        if basket.is_empty:
            raise ManualOrderError(_("The cart is empty."))
        priced = quote(basket, customer, data.shipping)
        if priced.errors:
            raise ManualOrderError(" ".join(priced.errors))
        billing = BillingAddress.objects.create(**data.billing_address)
        shipping_fields = data.shipping_address or {
            name: value for name, value in data.billing_address.items()
            if name in {f.name for f in ShippingAddress._meta.get_fields()}}
        shipping_address = ShippingAddress.objects.create(**shipping_fields)
        basket.owner = customer
        basket.save(update_fields=["owner"])
        # Oscar allocates stock line by line: lock the records first, by primary key.
        lock_stock_records(line.stockrecord_id for line in basket.all_lines())
        try:
            with order_source(SOURCE):
                order = OrderCreator().place_order(
                    basket=basket, total=priced.total, shipping_method=priced.shipping_method,
                    shipping_charge=priced.shipping_charge, surcharges=priced.surcharges,
                    user=customer,
                    shipping_address=shipping_address, billing_address=billing,
                    order_number=new_order_number(basket))
        except ValueError as error:  # Oscar's refusals (voucher used up, number taken)
            raise ManualOrderError(str(error)) from error
        basket.submit()
        if not is_quote:
            _payment_source(order, data.payment_method, paid=data.paid)
        if data.order_type:
            # Part of creating the order, which the create permission covers.
            set_order_type(order, data.order_type, user=None)
        _enter_initial_state(order, state, user)
        if data.operator is not None:
            assign_operator(order, data.operator, user=user)
        if data.paid and not is_quote:
            set_payment_status(order, PaymentStatus.PAID, user=user)
        if data.note.strip():
            add_note(order, data.note, user=user)
        if data.send_confirmation:
            # After the commit: a refused order sends nothing, a slow mail server holds no lock.
            transaction.on_commit(partial(send_order_confirmation, order, user=user))
    # The moves above changed the order through instances of their own: hand back a fresh one.
    return type(order)._default_manager.get(pk=order.pk)

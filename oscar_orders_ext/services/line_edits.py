"""Changing the lines of a placed order: add, remove, change quantities.

Prices: a line keeps the unit prices it was sold at (its discount per unit included), so
changing a quantity never re-prices the rest of the order; an added product is priced by the
customer's strategy now, without offers. Offers and vouchers are not re-evaluated (their
recorded discounts stay as they were) and the shipping charge is kept.

Stock follows the order's ``stock_status``:

- allocated: allocations follow the quantities (``StockRecord.allocate`` /
  ``cancel_allocation``), and extra units must be available;
- consumed (edited after shipping, with the permission): extra units are taken out of stock
  (allocated then consumed), removed units are put back in stock;
- released, restocked, untracked: the order holds no stock, nothing moves.

The change is refused in the workflow's ``lines_locked`` states unless the user has
``edit_shipped_order_lines``, is checked against the version the user saw, and goes on the
timeline as an "Order edited" entry listing every line changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from oscar.core.loading import get_class, get_model

from oscar_orders_ext import permissions
from oscar_orders_ext.constants import StockStatus, TimelineKind
from oscar_orders_ext.exceptions import (LineEditError, ManualOrderError,
                                         TransitionPermissionDenied)
from oscar_orders_ext.models import OrderProcess
from oscar_orders_ext.signals import order_process_changed

from .bounds import BoundError, check_amounts, check_order_items, parse_quantity
from .edits import check_permission
from .locking import OrderLike, lock_stock_records, locked_process
from .manual_orders import find_product
from .timeline import record

Line = get_model("order", "Line")
LinePrice = get_model("order", "LinePrice")
Order = get_model("order", "Order")
Selector = get_class("partner.strategy", "Selector")
StockRecord = get_model("partner", "StockRecord")

EDIT_PERMISSION = permissions.OPERATIONS["edit-lines"]
EDIT_SHIPPED_PERMISSION = permissions.OPERATIONS["edit-shipped-lines"]
CENT = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class EditedLine:
    """One line as it was and as it will be."""

    line: Any  # the order line; None for a product being added
    product: Any
    stockrecord: Any
    title: str
    sku: str
    old_quantity: int
    quantity: int
    unit_price_excl_tax: Decimal
    unit_price_incl_tax: Decimal
    #: What one unit costs after the line's discounts.
    net_unit_excl_tax: Decimal
    net_unit_incl_tax: Decimal
    tax_code: str | None = None
    #: The unit price was changed (an accepted quote): the old net unit price incl. tax.
    old_unit_incl_tax: Decimal | None = None

    @property
    def status(self) -> str:
        """added, removed, changed or kept."""
        if self.line is None:
            return "added"
        if self.quantity == 0:
            return "removed"
        changed = self.quantity != self.old_quantity or self.old_unit_incl_tax is not None
        return "changed" if changed else "kept"

    @property
    def price_excl_tax(self) -> Decimal:
        return _money(self.net_unit_excl_tax * self.quantity)

    @property
    def price_incl_tax(self) -> Decimal:
        return _money(self.net_unit_incl_tax * self.quantity)

    @property
    def price_before_discounts_excl_tax(self) -> Decimal:
        return _money(self.unit_price_excl_tax * self.quantity)

    @property
    def price_before_discounts_incl_tax(self) -> Decimal:
        return _money(self.unit_price_incl_tax * self.quantity)

    @property
    def delta(self) -> int:
        return self.quantity - self.old_quantity


@dataclass
class LineEditPlan:
    """The order's lines and totals after the change; computing it writes nothing."""

    order: Any
    lines: list[EditedLine]
    stock_changes: list[dict[str, Any]] = field(default_factory=list)
    #: A new shipping charge (an accepted quote), incl. and excl. tax; None keeps the order's.
    shipping_incl_tax: Decimal | None = None
    shipping_excl_tax: Decimal | None = None

    @property
    def shipping(self) -> tuple[Decimal, Decimal]:
        """The shipping charge after the change, (excl. tax, incl. tax)."""
        if self.shipping_incl_tax is None or self.shipping_excl_tax is None:
            return self.order.shipping_excl_tax, self.order.shipping_incl_tax
        return self.shipping_excl_tax, self.shipping_incl_tax

    @property
    def currency(self) -> str:
        return self.order.currency

    @property
    def basket_total_excl_tax(self) -> Decimal:
        return sum((line.price_excl_tax for line in self.lines), Decimal("0.00"))

    @property
    def basket_total_incl_tax(self) -> Decimal:
        return sum((line.price_incl_tax for line in self.lines), Decimal("0.00"))

    def _surcharges(self, field_name: str) -> Decimal:
        return sum((getattr(s, field_name) for s in self.order.surcharges.all()),
                   Decimal("0.00"))

    @property
    def total_excl_tax(self) -> Decimal:
        return (self.basket_total_excl_tax + self.shipping[0]
                + self._surcharges("excl_tax"))

    @property
    def total_incl_tax(self) -> Decimal:
        return (self.basket_total_incl_tax + self.shipping[1]
                + self._surcharges("incl_tax"))

    @property
    def tax(self) -> Decimal:
        return self.total_incl_tax - self.total_excl_tax

    @property
    def changed(self) -> bool:
        return (any(line.status != "kept" for line in self.lines)
                or self.shipping != (self.order.shipping_excl_tax, self.order.shipping_incl_tax))

    def changes(self) -> list[dict[str, Any]]:
        """The line diff recorded on the timeline."""
        return [{"title": line.title, "sku": line.sku, "change": line.status,
                 "from": line.old_quantity, "to": line.quantity,
                 **({"price_from": str(_money(line.old_unit_incl_tax)),
                     "price_to": str(_money(line.net_unit_incl_tax))}
                    if line.old_unit_incl_tax is not None else {})}
                for line in self.lines if line.status != "kept"]

    def totals(self) -> dict[str, str]:
        """The totals as strings, for JSON."""
        return {"currency": self.currency,
                "basket_excl_tax": str(self.basket_total_excl_tax),
                "basket_incl_tax": str(self.basket_total_incl_tax),
                "shipping_excl_tax": str(self.shipping[0]),
                "shipping_incl_tax": str(self.shipping[1]),
                "tax": str(self.tax),
                "total_excl_tax": str(self.total_excl_tax),
                "total_incl_tax": str(self.total_incl_tax)}


def _existing(line: Any) -> EditedLine:
    quantity = line.quantity or 1
    return EditedLine(
        line=line, product=line.product, stockrecord=line.stockrecord, title=line.title,
        sku=line.partner_sku, old_quantity=line.quantity, quantity=line.quantity,
        unit_price_excl_tax=line.unit_price_excl_tax
        if line.unit_price_excl_tax is not None
        else line.line_price_before_discounts_excl_tax / quantity,
        unit_price_incl_tax=line.unit_price_incl_tax
        if line.unit_price_incl_tax is not None
        else line.line_price_before_discounts_incl_tax / quantity,
        net_unit_excl_tax=line.line_price_excl_tax / quantity,
        net_unit_incl_tax=line.line_price_incl_tax / quantity, tax_code=line.tax_code)


def _quantity(value: Any) -> int:
    try:
        return parse_quantity(value, allow_zero=True)
    except BoundError as error:
        raise LineEditError(error.message) from None


def _tax_ratio(excl: Decimal, incl: Decimal) -> Decimal:
    return Decimal(excl) / Decimal(incl) if incl else Decimal(1)


def _reprice(edited: EditedLine, value: Any) -> None:
    """Give the line a new unit price incl. tax (its tax rate kept, its discounts replaced)."""
    try:
        price = _money(Decimal(str(value)))
    except ArithmeticError:
        raise LineEditError(_("“%(value)s” is not a price.") % {"value": value}) from None
    if price < 0:
        raise LineEditError(_("A price cannot be negative."))
    if price == _money(edited.net_unit_incl_tax):
        return
    ratio = _tax_ratio(edited.net_unit_excl_tax, edited.net_unit_incl_tax)
    edited.old_unit_incl_tax = edited.net_unit_incl_tax
    edited.unit_price_incl_tax = edited.net_unit_incl_tax = price
    edited.unit_price_excl_tax = edited.net_unit_excl_tax = _money(price * ratio)


def plan_line_edit(order: Any, quantities: dict[Any, Any] | None = None,
                   additions: dict[Any, Any] | None = None, *,
                   unit_prices: dict[Any, Any] | None = None,
                   shipping_incl_tax: Decimal | None = None) -> LineEditPlan:
    """What the order would look like with these quantities ({line id: quantity}, 0 removes)
    and these products added ({product id: quantity}); ``unit_prices`` ({line id: unit price
    incl. tax}) and ``shipping_incl_tax`` re-price it (an accepted quote). Writes nothing."""
    lines = [_existing(line) for line in order.lines.select_related(
        "product__product_class", "product__parent__product_class", "stockrecord__partner"
    ).order_by("pk")]
    by_id = {str(edited.line.pk): edited for edited in lines}
    for line_id, value in (quantities or {}).items():
        if str(line_id) not in by_id:
            raise LineEditError(_("This line is not part of order %(number)s.")
                                % {"number": order.number})
        by_id[str(line_id)].quantity = _quantity(value)
    for line_id, value in (unit_prices or {}).items():
        if str(line_id) not in by_id:
            raise LineEditError(_("This line is not part of order %(number)s.")
                                % {"number": order.number})
        _reprice(by_id[str(line_id)], value)
    strategy = None
    for product_id, value in (additions or {}).items():
        quantity = _quantity(value)
        if not quantity:
            continue
        try:
            product = find_product(product_id)
        except ManualOrderError as error:
            raise LineEditError(error.message) from error
        strategy = strategy or Selector().strategy(request=None, user=order.user)
        info = strategy.fetch_for_product(product)
        if not info.price.exists or info.stockrecord is None:
            raise LineEditError(_("“%(title)s” has no price: it cannot be sold.")
                                % {"title": product.get_title()})
        if info.price.currency != order.currency:
            raise LineEditError(_("“%(title)s” is priced in %(currency)s, the order in "
                                  "%(order)s.") % {"title": product.get_title(),
                                                   "currency": info.price.currency,
                                                   "order": order.currency})
        same = next((edited for edited in lines if edited.line is not None
                     and edited.product is not None and edited.product.pk == product.pk
                     and edited.stockrecord is not None
                     and edited.stockrecord.pk == info.stockrecord.pk), None)
        if same is not None:  # one line per product: raise its quantity
            same.quantity += quantity
            continue
        incl = info.price.incl_tax if info.price.is_tax_known else info.price.excl_tax
        lines.append(EditedLine(
            line=None, product=product, stockrecord=info.stockrecord, title=product.get_title(),
            sku=info.stockrecord.partner_sku, old_quantity=0, quantity=quantity,
            unit_price_excl_tax=info.price.excl_tax, unit_price_incl_tax=incl,
            net_unit_excl_tax=info.price.excl_tax, net_unit_incl_tax=incl,
            tax_code=info.price.tax_code))
    if not any(edited.quantity for edited in lines):
        raise LineEditError(_("An order needs at least one line: cancel the order instead."))
    try:  # Oscar's basket bound, for the order as a whole, and prices its columns can hold
        check_order_items(edited.quantity for edited in lines)
        check_amounts(edited.price_before_discounts_incl_tax for edited in lines)
    except BoundError as error:
        raise LineEditError(error.message) from None
    plan = LineEditPlan(order=order, lines=lines)
    if shipping_incl_tax is not None:
        if shipping_incl_tax < 0:
            raise LineEditError(_("A price cannot be negative."))
        plan.shipping_incl_tax = _money(shipping_incl_tax)
        plan.shipping_excl_tax = _money(plan.shipping_incl_tax * _tax_ratio(
            order.shipping_excl_tax, order.shipping_incl_tax))
    return plan


def lines_locked_for(process: OrderProcess, user: Any) -> bool:
    """Whether ``user`` is refused line edits because of the order's state."""
    if not process.workflow.lines_locked(process.state):
        return False
    return user is not None and not user.has_perm(EDIT_SHIPPED_PERMISSION)


def _tracks_stock(edited: EditedLine) -> bool:
    return bool(edited.stockrecord is not None and edited.product is not None
                and edited.product.get_product_class().track_stock)


def _move_stock(process: OrderProcess, edited: EditedLine) -> dict[str, Any] | None:
    """Apply the line's stock difference as the order's stock status says (module docstring)."""
    delta = edited.delta
    if not delta or not _tracks_stock(edited):
        return None
    record = StockRecord.objects.select_for_update().get(pk=edited.stockrecord.pk)
    status = process.stock_status
    if status not in {StockStatus.ALLOCATED, StockStatus.CONSUMED}:
        return None
    if delta > 0 and record.net_stock_level < delta:
        available = max(record.net_stock_level, 0)
        raise LineEditError(ngettext("Only %(count)d more of “%(title)s” is available.",
                                     "Only %(count)d more of “%(title)s” are available.",
                                     available) % {"count": available, "title": edited.title})
    if status == StockStatus.ALLOCATED:
        if delta > 0:
            record.allocate(delta)
        else:
            record.cancel_allocation(-delta)
        effect = "allocated" if delta > 0 else "released"
    elif delta > 0:
        record.allocate(delta)
        record.consume_allocation(delta)
        effect = "consumed"
    else:
        StockRecord.objects.filter(pk=record.pk).update(num_in_stock=F("num_in_stock") - delta)
        effect = "restocked"
    return {"sku": edited.sku, "title": edited.title, "quantity": abs(delta), "effect": effect,
            "stockrecord": record.pk}


def _write_line(order: Any, edited: EditedLine, allocated: bool) -> None:
    if edited.status == "removed":
        edited.line.delete()
        return
    values = {
        "quantity": edited.quantity,
        "line_price_excl_tax": edited.price_excl_tax,
        "line_price_incl_tax": edited.price_incl_tax,
        "line_price_before_discounts_excl_tax": edited.price_before_discounts_excl_tax,
        "line_price_before_discounts_incl_tax": edited.price_before_discounts_incl_tax,
    }
    if edited.old_unit_incl_tax is not None:
        values.update(unit_price_excl_tax=edited.unit_price_excl_tax,
                      unit_price_incl_tax=edited.unit_price_incl_tax)
    if edited.line is None:
        record = edited.stockrecord
        line = Line.objects.create(
            order=order, partner=record.partner, partner_name=record.partner.name,
            partner_sku=record.partner_sku, stockrecord=record, product=edited.product,
            title=edited.title, upc=edited.product.upc, unit_price_excl_tax=edited.
            unit_price_excl_tax, unit_price_incl_tax=edited.unit_price_incl_tax,
            tax_code=edited.tax_code, num_allocated=edited.quantity if allocated else None,
            status=getattr(settings, "OSCAR_INITIAL_LINE_STATUS", ""), **values)
    else:
        line = edited.line
        if allocated and _tracks_stock(edited):
            values["num_allocated"] = max((line.num_allocated or 0) + edited.delta, 0)
        Line.objects.filter(pk=line.pk).update(**values)
        line.prices.all().delete()
    # One price row for the whole quantity, at the net unit price.
    LinePrice.objects.create(order=order, line=line, quantity=edited.quantity,
                             price_incl_tax=_money(edited.net_unit_incl_tax),
                             price_excl_tax=_money(edited.net_unit_excl_tax),
                             tax_code=edited.tax_code)


def apply_line_edit(order: OrderLike, quantities: dict[Any, Any] | None = None,
                    additions: dict[Any, Any] | None = None, *, user: Any = None,
                    expected_version: int | None = None, note: str = "",
                    unit_prices: dict[Any, Any] | None = None,
                    shipping_incl_tax: Decimal | None = None) -> LineEditPlan:
    """Change the order's lines, totals and stock in one transaction (see the module docstring).

    Returns the plan that was applied; when it changes nothing, nothing is written.
    """
    check_permission(user, EDIT_PERMISSION)
    with locked_process(order, expected_version=expected_version) as process:
        if lines_locked_for(process, user):
            raise TransitionPermissionDenied(
                _("Order %(number)s is “%(state)s”: its lines can no longer be changed.")
                % {"number": process.order.number, "state": process.state_info.label},
                order_number=process.order.number)
        locked_order = Order.objects.select_for_update().get(pk=process.order_id)
        plan = plan_line_edit(locked_order, quantities, additions, unit_prices=unit_prices,
                              shipping_incl_tax=shipping_incl_tax)
        if not plan.changed:
            return plan
        old_total = locked_order.total_incl_tax
        allocated = process.stock_status == StockStatus.ALLOCATED
        # Every record this edit may move, at once and by primary key (services/locking.py).
        lock_stock_records(edited.stockrecord.pk for edited in plan.lines
                           if edited.delta and _tracks_stock(edited))
        for edited in plan.lines:
            change = _move_stock(process, edited)
            if change:
                plan.stock_changes.append(change)
            if edited.status != "kept":
                _write_line(locked_order, edited, allocated)
        locked_order.total_excl_tax = plan.total_excl_tax
        locked_order.total_incl_tax = plan.total_incl_tax
        locked_order.shipping_excl_tax, locked_order.shipping_incl_tax = plan.shipping
        # post_save refreshes the workspace's copy of the total.
        locked_order.save(update_fields=["total_excl_tax", "total_incl_tax",
                                         "shipping_excl_tax", "shipping_incl_tax"])
        now = timezone.now()
        process.version += 1
        process.last_activity_at = now
        process.save(update_fields=["version", "last_activity_at"])
        data = {"action": "lines", "lines": plan.changes(), "stock": plan.stock_changes,
                "total": {"from": str(old_total), "to": str(plan.total_incl_tax)}}
        record(process.order_id, TimelineKind.EDIT, actor=user, note=note, data=data, at=now)
        plan.order = locked_order
        order_process_changed.send_on_commit(sender=OrderProcess, process=process,
                                             order=locked_order, kind=TimelineKind.EDIT,
                                             user=user, data=data)
    return plan

"""Customer groups' price lists in Oscar's own pricing: a strategy ``Selector`` that gives the
customer of a group a strategy pricing from the group's valid price list (product pages,
basket, checkout, the manual-order cart editor), and Oscar's normal strategy to everyone else.

Models are looked up through the app registry: Oscar loads this module through its class
loader (``class_loader.py``), possibly while apps are still loading.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.apps import apps
from django.db.models import Q
from django.utils import timezone
from oscar.apps.partner.prices import FixedPrice
from oscar.core.loading import default_class_loader

# Oscar's classes, or a forked partner app's, loaded without our class loader (which would
# hand back this module's Selector).
OscarSelector, OscarDefault, PurchaseInfo = default_class_loader(
    "partner.strategy", ["Selector", "Default", "PurchaseInfo"], "oscar.apps")
CENTS = Decimal("0.01")


def price_lists_for(user: Any, today: Any = None) -> list[Any]:
    """The valid price lists of ``user``'s customer group, highest priority first (none for
    anonymous visitors and customers outside a group)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    today = today or timezone.localdate()
    price_list_model = apps.get_model("oscar_orders_ext", "PriceList")
    return list(price_list_model.objects.filter(
        groups__customers__user=user)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
        .order_by("-priority", "pk"))


def category_paths(product: Any) -> list[str]:
    """The tree paths of the product's categories (a variant's are its parent's)."""
    owner = product.parent if product.is_child and product.parent_id else product
    return [category.path for category in owner.get_categories().all()]


def best_item(price_list: Any, product: Any, quantity: int) -> Any:
    """The list's item for ``quantity`` of ``product``: a product item before a category item
    (the nearest category first), then the highest minimum quantity reached; or None."""
    item_model = apps.get_model("oscar_orders_ext", "PriceListItem")
    items = list(item_model.objects.filter(price_list=price_list, min_quantity__lte=quantity)
                 .filter(Q(product=product) | Q(product=product.parent_id)
                         if product.parent_id else Q(product=product))
                 .order_by("-min_quantity"))
    if items:
        return items[0]
    paths = category_paths(product)
    if not paths:
        return None
    candidates = (item_model.objects.filter(price_list=price_list, category__isnull=False,
                                            min_quantity__lte=quantity)
                  .select_related("category"))
    matching = [item for item in candidates
                if any(path.startswith(item.category.path) for path in paths)]
    matching.sort(key=lambda item: (-len(item.category.path), -item.min_quantity))
    return matching[0] if matching else None


def list_price(item: Any, base_excl_tax: Decimal) -> Decimal:
    """The item's unit price excluding tax, from the normal one."""
    if item.fixed_price is not None:
        return Decimal(item.fixed_price)
    factor = (Decimal(100) - Decimal(item.percent_off)) / Decimal(100)
    return max(base_excl_tax * factor, Decimal(0)).quantize(CENTS, rounding=ROUND_HALF_UP)


class PriceListPricing:
    """A strategy mixin: prices from ``price_lists`` where one has an item for the product,
    in the stock record's currency; the normal price otherwise."""

    price_lists: list[Any]

    def list_policy(self, product: Any, stockrecord: Any, policy: Any, quantity: int) -> Any:
        """``policy`` (the normal price), or the price list's price for ``quantity``."""
        if not getattr(policy, "exists", False) or stockrecord is None:
            return policy
        for price_list in self.price_lists:
            if price_list.currency != policy.currency:
                continue
            item = best_item(price_list, product, quantity)
            if item is None:
                continue
            excl_tax = list_price(item, policy.excl_tax)
            tax = None
            if policy.is_tax_known and policy.excl_tax:
                tax = (policy.tax * excl_tax / policy.excl_tax).quantize(CENTS)
            return FixedPrice(currency=policy.currency, excl_tax=excl_tax, tax=tax)
        return policy

    def pricing_policy(self, product: Any, stockrecord: Any) -> Any:
        policy = super().pricing_policy(product, stockrecord)  # type: ignore[misc]
        return self.list_policy(product, stockrecord, policy, 1)

    def fetch_for_line(self, line: Any, stockrecord: Any = None) -> Any:
        """A basket line is priced for its quantity (quantity breaks)."""
        info = super().fetch_for_line(line, stockrecord)  # type: ignore[misc]
        if not self.price_lists or info.stockrecord is None:
            return info
        product = line.product
        base = super().pricing_policy(product, info.stockrecord)  # type: ignore[misc]
        price = self.list_policy(product, info.stockrecord, base, line.quantity or 1)
        return PurchaseInfo(price=price, availability=info.availability,
                                     stockrecord=info.stockrecord)


class GroupPricing(PriceListPricing, OscarDefault):  # type: ignore[misc,valid-type]
    """Oscar's default strategy with a customer group's price lists."""

    def __init__(self, request: Any = None, *, price_lists: list[Any] | None = None) -> None:
        super().__init__(request)
        self.price_lists = price_lists or []


class Selector(OscarSelector):  # type: ignore[misc,valid-type]
    """Oscar's ``Selector``: customers of a group with a valid price list get its prices."""

    def strategy(self, request: Any = None, user: Any = None, **kwargs: Any) -> Any:
        """The group's pricing for its members, Oscar's strategy for everyone else."""
        if user is None and request is not None:
            user = getattr(request, "user", None)
        lists = price_lists_for(user)
        if lists:
            return GroupPricing(request, price_lists=lists)
        return super().strategy(request=request, user=user, **kwargs)

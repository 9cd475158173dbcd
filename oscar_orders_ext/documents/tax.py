"""The tax summary of a document: per tax rate, the taxable amount, the tax and the total.

European invoices must state it (riepilogo IVA, récapitulatif TVA). Oscar stores amounts, not
rates, so a rate is read back from each line's amounts (tax / amount excl. tax) and snapped to
the simplest rate the rounding of those amounts allows (22, 5.5, 2.1 rather than 22.22).

The groups always add up to the document's totals to the cent:

1. Lines and shipping are grouped by rate, with their own amounts.
2. What the order's total excluding tax holds beyond them (an order-level discount) is shared
   out pro rata to each group's taxable amount; cents left by rounding go to the largest
   remainders. Each share takes tax in its group's own proportion.
3. A tax total that still differs from the groups' tax by rounding (shops that round tax once
   per rate rather than per line) is put a cent at a time where it belongs: on the group whose
   tax is furthest from its taxable amount times its rate, as long as that stays within the
   rounding its amounts allow.
4. Tax the amounts cannot explain (imported orders store prices including tax only, so their
   lines look untaxed) goes to a group whose rate is not known (``rate`` None), together with
   the lines that looked untaxed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")
HUNDRED = Decimal(100)
INFINITY = Decimal("Infinity")
#: Rate precisions tried in turn, as (step, exponent of the rate shown).
RATE_STEPS = ((Decimal(1), Decimal(1)), (Decimal("0.5"), Decimal("0.1")),
              (Decimal("0.1"), Decimal("0.1")), (Decimal("0.01"), Decimal("0.01")))


@dataclass
class _Group:
    rate: Decimal | None
    excl: Decimal = Decimal("0.00")
    tax: Decimal = Decimal("0.00")
    quantity: int = 0  # of the amounts summed, for how much rounding the group may carry
    items: list[int] = field(default_factory=list)

    @property
    def incl(self) -> Decimal:
        return self.excl + self.tax

    def add(self, excl: Decimal, tax: Decimal, quantity: int) -> None:
        self.excl += excl
        self.tax += tax
        self.quantity += quantity

    def ideal_tax(self) -> Decimal:
        """The tax of this group's taxable amount at its rate, unrounded."""
        assert self.rate is not None
        return self.excl * self.rate / HUNDRED

    def tolerance(self) -> Decimal:
        """How far rounding may take its tax from ``ideal_tax``: half a cent on the amount and
        on the tax of each unit, and of the discount's share."""
        assert self.rate is not None
        return HALF_CENT * (self.quantity + 1) * (1 + self.rate / HUNDRED)

    def as_dict(self) -> dict[str, Any]:
        return {"rate": self.rate, "taxable": self.excl, "tax": self.tax, "total": self.incl}


@dataclass
class TaxSummary:
    """The groups, highest rate first and the unknown rate last, and the rate of each line."""

    groups: list[dict[str, Any]]
    line_rates: list[Decimal | None]


def summarise(lines: Sequence[dict[str, Any]], totals: dict[str, Decimal]) -> TaxSummary:
    """The tax summary of a document's ``lines`` and ``totals`` (as ``order_content`` makes
    them); the groups add up to ``totals["excl_tax"]`` and ``totals["tax"]`` exactly."""
    items = [(line["total_excl_tax"], line["total_incl_tax"] - line["total_excl_tax"],
              max(int(line.get("quantity") or 1), 1)) for line in lines]
    shipping_excl, shipping_incl = totals["shipping_excl_tax"], totals["shipping_incl_tax"]
    if shipping_excl or shipping_incl:
        items.append((shipping_excl, shipping_incl - shipping_excl, 1))

    groups: dict[Decimal | None, _Group] = {}
    item_rates: list[Decimal | None] = [None] * len(items)
    # The most precise amounts first: their rates are the ones smaller amounts snap to.
    for index in sorted(range(len(items)), key=lambda i: _imprecision(*items[i])):
        excl, tax, quantity = items[index]
        if not excl and not tax:
            continue  # a free line: no amount to put anywhere
        rate = rate_of(excl, tax, quantity, [key for key in groups if key is not None])
        group = groups.setdefault(rate, _Group(rate))
        group.add(excl, tax, quantity)
        group.items.append(index)
        item_rates[index] = rate

    _share_out(groups, totals["excl_tax"])
    leftover = _reconcile_tax(groups, totals["tax"])
    if leftover:
        unknown = groups.setdefault(None, _Group(None))
        untaxed = groups.pop(Decimal(0), None)
        if untaxed is not None:  # the lines that looked untaxed did not say their tax
            unknown.add(untaxed.excl, untaxed.tax, untaxed.quantity)
            for index in untaxed.items:
                item_rates[index] = None
        unknown.tax += leftover

    ordered = sorted(groups.values(),
                     key=lambda group: (group.rate is None, -(group.rate or 0)))
    return TaxSummary(groups=[group.as_dict() for group in ordered],
                      line_rates=item_rates[:len(lines)])


def rate_of(excl: Decimal, tax: Decimal, quantity: int = 1,
            known: Iterable[Decimal] = ()) -> Decimal | None:
    """The tax rate (percent) of an amount and its tax: one of ``known`` if the rounding of the
    amounts allows it, else the simplest one it allows; None when it cannot be told."""
    if not excl or (tax and (excl > 0) != (tax > 0)):
        return None
    excl, tax = abs(excl), abs(tax)
    slack = HALF_CENT * max(quantity, 1)
    raw = tax / excl * HUNDRED
    low = max(tax - slack, Decimal(0)) / (excl + slack) * HUNDRED
    high = (tax + slack) / (excl - slack) * HUNDRED if excl > slack else INFINITY
    fitting = [rate for rate in known if low <= rate <= high]
    if fitting:
        return min(fitting, key=lambda rate: abs(rate - raw))
    for step, exponent in RATE_STEPS:
        below = (raw / step).to_integral_value(ROUND_FLOOR) * step
        above = (raw / step).to_integral_value(ROUND_CEILING) * step
        for candidate in sorted({below, above}, key=lambda rate: abs(rate - raw)):
            if low <= candidate <= high:
                return candidate.quantize(exponent)
    return raw.quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """``amount`` split in cents pro rata to ``weights`` (not negative, not all zero); the
    cents rounding leaves go to the largest remainders, ties to the first."""
    total = sum(weights, Decimal(0))
    sign = -1 if amount < 0 else 1
    cents = int((abs(amount) / CENT).to_integral_value(ROUND_HALF_UP))
    exact = [cents * weight / total for weight in weights]
    shares = [int(value) for value in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for index in by_remainder[:cents - sum(shares)]:
        shares[index] += 1
    return [sign * share * CENT for share in shares]


def credit_groups(groups: Sequence[dict[str, Any]], amount: Decimal) -> list[dict[str, Any]]:
    """``amount`` (including tax) shared out over tax ``groups`` pro rata to their totals, each
    share's tax in its group's proportion: what a partial credit takes from each rate."""
    shares = allocate(amount, [abs(group["total"]) for group in groups])
    credited = []
    for group, share in zip(groups, shares, strict=True):
        if not share:
            continue
        tax = (share * group["tax"] / group["total"]).quantize(CENT, ROUND_HALF_UP)
        credited.append({"rate": group["rate"], "taxable": share - tax, "tax": tax,
                         "total": share})
    return credited


def _share_out(groups: dict[Decimal | None, _Group], excl_tax: Decimal) -> None:
    """Add what the order's total excl. tax holds beyond the groups (a discount) to them, pro
    rata to their taxable amounts, each share with tax in its group's proportion."""
    ordered = list(groups.values())
    rest = excl_tax - sum((group.excl for group in ordered), Decimal("0.00"))
    if not rest:
        return
    if not any(group.excl for group in ordered):  # nothing to share it by
        groups.setdefault(None, _Group(None)).add(rest, Decimal("0.00"), 0)
        return
    for group, share in zip(ordered, allocate(rest, [abs(g.excl) for g in ordered]),
                            strict=True):
        tax = (share * group.tax / group.excl).quantize(CENT, ROUND_HALF_UP) if group.excl \
            else Decimal("0.00")
        group.add(share, tax, 0)


def _reconcile_tax(groups: dict[Decimal | None, _Group], tax_total: Decimal) -> Decimal:
    """Add rounding cents to the groups' tax until it is ``tax_total``, each to the group
    whose tax is furthest from its rate's; returns the difference no rounding explains."""
    difference = tax_total - sum((group.tax for group in groups.values()), Decimal("0.00"))
    rated = [group for group in groups.values() if group.rate is not None]
    while difference:
        step = CENT if difference > 0 else -CENT
        fitting = [group for group in rated
                   if abs(group.ideal_tax() - group.tax - step) <= group.tolerance()]
        if not fitting:
            return difference
        group = max(fitting, key=lambda g: ((g.ideal_tax() - g.tax) * step, -rated.index(g)))
        group.tax += step
        difference -= step
    return difference


def _imprecision(excl: Decimal, tax: Decimal, quantity: int) -> Decimal:
    """How loosely an amount pins its rate down (the rounding slack over the amount)."""
    return HALF_CENT * max(quantity, 1) / abs(excl) if excl else INFINITY

"""What every format reader produces: normalised orders, row errors, and parsing helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone as dt_timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from oscar_orders_ext.constants import PaymentStatus
from oscar_orders_ext.imports.cells import RowProblem
from oscar_orders_ext.imports.sources import SourceRow, SourceTable
from oscar_orders_ext.services.bounds import amount_problem, max_order_quantity, quantity_problem
from oscar_orders_ext.workflow import get_workflow

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class RowError:
    """Why a row of the file cannot be imported."""

    row: int
    column: str
    reason: str


@dataclass(slots=True)
class ImportedAddress:
    """An address as the file gives it; ``country`` is a code or a country name."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postcode: str = ""
    country: str = ""
    phone: str = ""

    def is_empty(self) -> bool:
        """Whether the file gave nothing but, at most, a country."""
        return not any((self.first_name, self.last_name, self.line1, self.city, self.postcode))

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(slots=True)
class ImportedLine:
    """One line item: matched to a product by SKU when the shop knows the SKU."""

    title: str
    quantity: int
    unit_price: Decimal
    sku: str = ""
    row: int = 0
    #: The line's total when the file gives it and it is not quantity × unit price.
    line_price: Decimal | None = None

    @property
    def total(self) -> Decimal:
        return self.line_price if self.line_price is not None else self.unit_price * self.quantity


@dataclass(slots=True)  # a plan holds 100,000s of orders: no __dict__ each (nor addresses, lines)
class ImportedOrder:
    """An order read from a foreign file, normalised for our models."""

    source: str
    number: str
    placed_at: datetime
    currency: str
    state: str
    payment_status: str
    total: Decimal = ZERO
    subtotal: Decimal | None = None
    shipping: Decimal = ZERO
    discount: Decimal = ZERO
    discount_code: str = ""
    tax: Decimal = ZERO
    payment_method: str = ""
    shipping_method: str = ""
    financial_status: str = ""
    fulfilment_status: str = ""
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    billing: ImportedAddress = field(default_factory=ImportedAddress)
    shipping_address: ImportedAddress = field(default_factory=ImportedAddress)
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    lines: list[ImportedLine] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    @property
    def customer_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class ReadResult:
    """What a reader made of the table."""

    orders: list[ImportedOrder] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: Edits of existing orders (our own export read back): see imports/roundtrip.py.
    edits: list[EditedRow] = field(default_factory=list)


@dataclass(slots=True)
class EditedRow:
    """A row of this shop's own export: the order number and the editable cells, as written."""

    number: str
    row: int
    #: Round-trip field name → the cell's text.
    cells: dict[str, str]


class FormatReader:
    """Base class of the readers: a name, the headers that identify it, ``read()``."""

    #: Stored on imported orders as ``import:<name>``.
    name: str = ""
    label: str | Promise = ""
    #: Groups of normalised headers; the format matches when one header of every group is there.
    signature: tuple[tuple[str, ...], ...] = ()
    #: Headers without which nothing can be imported.
    required: tuple[str, ...] = ()
    #: Whether the reader edits existing orders (round trip) instead of creating orders.
    edits_orders: bool = False

    @property
    def source(self) -> str:
        return f"import:{self.name}"

    def matches(self, headers: Iterable[str]) -> bool:
        """Whether the (normalised) headers look like this format."""
        present = set(headers)
        return all(any(header in present for header in group) for group in self.signature)

    def missing_columns(self, headers: Iterable[str]) -> list[str]:
        """Required headers the file lacks."""
        present = set(headers)
        return [header for header in self.required if header not in present]

    def read(self, table: SourceTable) -> ReadResult:
        """Turn the table's rows into orders and row errors."""
        result = ReadResult()
        result.orders = list(self.iter_orders(table, result))
        return result

    def iter_orders(self, table: SourceTable, result: ReadResult) -> Iterator[ImportedOrder]:
        """The table's orders one by one, as they are read; row errors and warnings go to
        ``result``."""
        raise NotImplementedError


# --- helpers shared by the readers -------------------------------------------------------------

def resolve_state(code: str) -> str:
    """A state code of the configured workflow: ``code`` itself, or the closest by Oscar status."""
    workflow = get_workflow()
    if workflow.has_state(code):
        return code
    return workflow.state_for_oscar_status(code.replace("_", " "))


def parse_money(row: SourceRow, column: str, *, default: Decimal | None = ZERO) -> Decimal | None:
    """A decimal amount; accepts "1,234.50", "1234,50", "$12", "" (the default)."""
    raw = row.cells.get(column)
    if not raw:
        return default
    value = _amount(raw)
    if value is None:
        raise RowProblem(column, _("“%(value)s” is not an amount.") % {"value": raw[:64]})
    problem = amount_problem(value)
    if problem:
        raise RowProblem(column, problem)
    return value


#: "1e30", "-2.5E+3": scientific notation, read as a number rather than stripped of its "e".
_SCIENTIFIC = re.compile(r"^\s*[-+]?\d+(?:\.\d*)?[eE][-+]?\d+\s*$")


@lru_cache(maxsize=8192)
def _amount(raw: str) -> Decimal | None:
    """The amount a cell's text means, or None (remembered: files repeat their prices)."""
    if _SCIENTIFIC.match(raw):
        return _finite_cents(raw.strip())
    text = re.sub(r"[^\d,.\-]", "", raw)
    if "," in text and "." in text:
        text = text.replace(",", "") if text.rfind(".") > text.rfind(",") else \
            text.replace(".", "").replace(",", ".")
    elif "," in text:
        head, __, tail = text.rpartition(",")
        text = f"{head.replace(',', '')}.{tail}" if len(tail) != 3 else text.replace(",", "")
    return _finite_cents(text)


def _finite_cents(text: str) -> Decimal | None:
    """The finite number ``text`` writes, to the cent (unrounded when too large to round: the
    caller refuses it), or None."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    try:
        return value.quantize(Decimal("0.01"))
    except InvalidOperation:  # more digits than the context holds: far beyond any column
        return value


def parse_quantity(row: SourceRow, column: str, *, default: int = 1) -> int:
    """A positive whole quantity."""
    raw = row.get(column)
    if not raw:
        return default
    try:
        value = Decimal(raw.replace(",", "."))
    except InvalidOperation:
        raise RowProblem(column, _("“%(value)s” is not a quantity.") % {"value": raw[:64]}
                         ) from None
    if not value.is_finite() or value != value.to_integral_value() or value <= 0:
        raise RowProblem(column, _("“%(value)s” is not a positive whole quantity.")
                         % {"value": raw[:64]})
    if value > max_order_quantity():  # compared before int(): "1e999999999" stays cheap
        raise RowProblem(column, quantity_problem(max_order_quantity() + 1))
    return int(value)


_ISO_OFFSET = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2}|UTC)?$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHED = re.compile(
    r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"\s*([AaPp][Mm])?)?$")


def slash_order(values: Iterable[str], *, default_day_first: bool) -> bool:
    """Whether slashed dates in these values put the day first, decided by values > 12."""
    for value in values:
        match = _SLASHED.match(value.strip())
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            return True
        if second > 12 >= first:
            return False
    return default_day_first


def parse_when(row: SourceRow, column: str, *, day_first: bool = True,
               required: bool = False) -> datetime | None:
    """An aware datetime from every style found in the exports.

    ISO with or without offset ("2023-01-05 10:12:33 -0500"), a spreadsheet's "31/12/2023 22:36"
    and Etsy's "12/31/23". Times without an offset are read in the current time zone.
    """
    raw = row.get(column)
    if not raw:
        if required:
            raise RowProblem(column, _("A date is required."))
        return None
    try:
        return _parse_when(raw.strip(), day_first=day_first)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 moved by an offset
        raise RowProblem(column, _("“%(value)s” is not a date.") % {"value": raw[:64]}
                         ) from None


def _parse_when(text: str, *, day_first: bool) -> datetime:
    match = _ISO_OFFSET.match(text)
    if match:
        year, month, day, hour, minute = (int(part) for part in match.groups()[:5])
        second = int(match.group(6) or 0)
        naive = datetime(year, month, day, hour, minute, second)
        return _with_offset(naive, match.group(7))
    match = _ISO_DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _with_offset(datetime(year, month, day), None)
    match = _SLASHED.match(text)
    if match:
        first, other, year_text, hour_text, minute_text, sec_text, meridiem = match.groups()
        day, month = (int(first), int(other)) if day_first else (int(other), int(first))
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
        hours = int(hour_text or 0)
        if meridiem:
            hours = hours % 12 + (12 if meridiem.lower() == "pm" else 0)
        naive = datetime(year, month, day, hours, int(minute_text or 0), int(sec_text or 0))
        return _with_offset(naive, None)
    parsed = datetime.fromisoformat(text)  # anything else ISO 8601 reads; ValueError otherwise
    return _with_offset(parsed, None)


def _with_offset(naive: datetime, offset: str | None) -> datetime:
    if not offset:
        return timezone.make_aware(naive) if timezone.is_naive(naive) else naive
    if offset in ("Z", "UTC"):
        return naive.replace(tzinfo=UTC)
    sign = -1 if offset.startswith("-") else 1
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return naive.replace(tzinfo=dt_timezone(sign * delta))


class CellReader:
    """Parses cells and records every problem as a RowError instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def _record(self, row: SourceRow, problem: RowProblem) -> None:
        self.errors.append(RowError(problem.row or row.number, problem.column, problem.reason))

    def money(self, row: SourceRow, column: str, *,
              default: Decimal | None = ZERO) -> Decimal | None:
        """parse_money, recording a problem and returning the default."""
        try:
            return parse_money(row, column, default=default)
        except RowProblem as problem:
            self._record(row, problem)
            return default

    def amount(self, row: SourceRow, column: str) -> Decimal:
        """An amount, 0.00 when empty or wrong (wrong is recorded)."""
        return self.money(row, column) or ZERO

    def quantity(self, row: SourceRow, column: str) -> int:
        """parse_quantity, recording a problem and returning 1."""
        try:
            return parse_quantity(row, column)
        except RowProblem as problem:
            self._record(row, problem)
            return 1

    def when(self, row: SourceRow, column: str, *, day_first: bool) -> datetime:
        """A required date, recording a problem and returning now."""
        try:
            value = parse_when(row, column, day_first=day_first, required=True)
        except RowProblem as problem:
            self._record(row, problem)
            return timezone.now()
        assert value is not None
        return value

    def problem(self, row: SourceRow, column: str, reason: str) -> None:
        """Record a problem found by the reader itself."""
        self.errors.append(RowError(row.number, column, reason))


def grouped_rows(rows: Iterable[SourceRow], column: str, errors: list[RowError]
                 ) -> Iterator[tuple[str, list[SourceRow]]]:
    """Runs of consecutive rows with the same order number in ``column`` (platforms write an
    order's rows together; the same number further down is another order, which the plan
    reports as a repeated number). Rows without a number are errors."""
    key: str | None = None
    group: list[SourceRow] = []
    for row in rows:
        number = row.get(column)
        if not number:
            errors.append(RowError(row.number, column, _("The order number is missing.")))
            continue
        if number != key:
            if group and key is not None:
                yield key, group
            key, group = number, []
        group.append(row)
    if group and key is not None:
        yield key, group


def split_name(full_name: str) -> tuple[str, str]:
    """("Ada", "Lovelace") from "Ada Lovelace"; the last word is the last name."""
    parts = full_name.split()
    if len(parts) < 2:
        return (parts[0] if parts else ""), ""
    return " ".join(parts[:-1]), parts[-1]


PAID = PaymentStatus.PAID.value
UNPAID = PaymentStatus.UNPAID.value
REFUNDED = PaymentStatus.REFUNDED.value
PARTIALLY_REFUNDED = PaymentStatus.PARTIALLY_REFUNDED.value


def collect_orders(result: ReadResult, rows: Iterable[SourceRow], column: str,
                   build: Callable[[str, list[SourceRow], CellReader], ImportedOrder]
                   ) -> Iterator[ImportedOrder]:
    """Group ``rows`` by ``column`` and build one order per group, as they are read; an order
    with cell errors is reported in ``result`` and left out."""
    for number, group in grouped_rows(rows, column, result.errors):
        cells = CellReader()
        order = build(number, group, cells)
        if cells.errors:
            result.errors.extend(cells.errors)
        else:
            yield order

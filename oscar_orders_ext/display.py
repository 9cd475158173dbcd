"""Display values of table rows and Kanban cards, computed once in Python per page.

A board draws hundreds of cards: formatting money, dates and durations through template
filters costs far more than the SQL behind the page (Oscar's ``currency`` filter re-parses the
locale and the Babel pattern on every call). ``prepare_rows`` and ``prepare_cards`` give each
row or card ready-made strings instead, formatted once per page; the templates only print them.
The strings are exactly what the filters they replace would print (Oscar's ``currency``,
Django's ``date``, ``timesince`` and ``truncatechars``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache, partial
from typing import Any

from babel import Locale
from babel.numbers import (format_currency, get_currency_precision, get_currency_symbol,
                           get_decimal_symbol, get_group_symbol, parse_pattern)
from django.conf import settings
from django.utils import formats, timezone
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format
from django.utils.text import Truncator
from django.utils.timesince import TIME_STRINGS, timesince
from django.utils.translation import get_language, gettext, to_locale

from .columns import labels_for
from .constants import amount_due
from .constants import OrderType
from .models import SubscriptionRenewal
from .workflow import get_workflow

MoneyFormatter = Callable[[Decimal], str]


def person_name(user: Any) -> str:
    """How the workspace names a user (operators, authors of notes and timeline entries):
    their full name, else their username; "" for nobody."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


#: Babel options the fast formatter reproduces, with the only values it handles.
_FAST_DEFAULTS: dict[str, Any] = {"format_type": "standard", "currency_digits": True,
                                  "decimal_quantization": True, "numbering_system": "latn"}
#: Values every fast formatter is checked against Babel with before it is used.
_SAMPLES = [Decimal(text) for text in ("0", "-0", "0.5", "1", "-1", "19.99", "999.995",
                                       "1234.5", "-1234567.891", "12345678901.23", "0.004")]


def currency_options(currency: str) -> dict[str, Any]:
    """Babel's ``format_currency`` arguments exactly as Oscar's ``currency`` filter builds them
    (``OSCAR_CURRENCY_FORMAT`` as one format or per currency, the active language's locale)."""
    options: dict[str, Any] = {
        "currency": currency,
        "locale": to_locale(get_language() or settings.LANGUAGE_CODE),
    }
    currency_format = getattr(settings, "OSCAR_CURRENCY_FORMAT", None)
    if isinstance(currency_format, dict):
        options.update(currency_format.get(currency, {}))
    else:
        options["format"] = currency_format
    return options


def money_formatter(currency: str | None = None) -> MoneyFormatter:
    """A function formatting amounts of ``currency`` (default: Oscar's default currency) as
    Oscar's ``currency`` filter does, in the active language; built once per currency/locale."""
    options = currency_options(currency or settings.OSCAR_DEFAULT_CURRENCY)
    try:
        return _cached_formatter(tuple(sorted(options.items())))
    except TypeError:  # an unhashable option in OSCAR_CURRENCY_FORMAT: no caching
        return partial(format_currency, **options)


def format_money(value: Any, currency: str | None = None) -> str:
    """One amount as Oscar's ``currency`` filter prints it ("" when it is not a number)."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(value)
    except (TypeError, InvalidOperation):
        return ""
    return money_formatter(currency)(amount)


@lru_cache(maxsize=128)
def _cached_formatter(options: tuple[tuple[str, Any], ...]) -> MoneyFormatter:
    kwargs = dict(options)

    def babel(amount: Decimal) -> str:
        return format_currency(amount, **kwargs)

    fast = _fast_formatter(kwargs)
    if fast is None or any(fast(sample) != babel(sample) for sample in _SAMPLES):
        return babel  # a pattern the fast path does not reproduce exactly
    return fast


def _fast_formatter(kwargs: dict[str, Any]) -> MoneyFormatter | None:
    """Babel's ``NumberPattern.apply`` for plain currency patterns, with everything that does not
    depend on the amount (locale, pattern, symbols, precision) looked up once; None when the
    pattern or options need Babel's general path."""
    kwargs = dict(kwargs)
    currency, format_string = kwargs.pop("currency"), kwargs.pop("format", None)
    group_separator = kwargs.pop("group_separator", True)
    locale = Locale.parse(kwargs.pop("locale"))
    format_type = kwargs.get("format_type", "standard")
    if format_type not in ("standard", "accounting") or any(
            kwargs.get(name, default) != default for name, default in _FAST_DEFAULTS.items()
            if name != "format_type") or set(kwargs) - set(_FAST_DEFAULTS):
        return None
    pattern = (parse_pattern(format_string) if format_string
               else locale.currency_formats.get(format_type))
    if (pattern is None or pattern.scale or pattern.exp_prec or "@" in pattern.pattern
            or not pattern.number_pattern):
        return None
    symbol = get_currency_symbol(currency, locale)
    affixes = pattern.prefix + pattern.suffix
    group, decimal_point = get_group_symbol(locale), get_decimal_symbol(locale)
    if any("'" in text for text in (*affixes, symbol, group, decimal_point)) or any(
            "¤¤¤" in text for text in affixes):
        return None  # quoting or plural currency names: leave them to Babel

    def affix(text: str) -> str:
        return text.replace("¤¤", currency.upper()).replace("¤", symbol)

    prefixes = (affix(pattern.prefix[0]), affix(pattern.prefix[1]))
    suffixes = (affix(pattern.suffix[0]), affix(pattern.suffix[1]))
    quantum = Decimal(10) ** -get_currency_precision(currency)
    min_int = pattern.int_prec[0]
    first_group, other_groups = pattern.grouping

    def fast(value: Decimal) -> str:
        if not isinstance(value, Decimal):
            value = Decimal(str(value))
        if not value.is_finite():
            return format_currency(value, currency=currency, locale=locale,
                                   format=format_string, format_type=format_type,
                                   group_separator=group_separator)
        negative = int(value.is_signed())
        integer, _point, fraction = f"{abs(value).normalize().quantize(quantum):f}".partition(".")
        integer = integer.rjust(min_int, "0")
        if group_separator and len(integer) > first_group:
            groups = [integer[-first_group:]]
            integer = integer[:-first_group]
            while len(integer) > other_groups:
                groups.append(integer[-other_groups:])
                integer = integer[:-other_groups]
            integer = group.join([integer, *reversed(groups)])
        number = f"{integer}{decimal_point}{fraction}" if fraction else integer
        return f"{prefixes[negative]}{number}{suffixes[negative]}"

    return fast


# --- Rows and cards ---------------------------------------------------------------------------

class _DateFormatter:
    """Django's ``date`` filter for one named format (``DateFormat.format``, piece by piece),
    with the pieces that depend only on the day (month names, day numbers, …) worked out once
    per local date: rows of a page mostly share a few days, and month names are translated."""

    #: Format characters that depend on the date alone.
    BY_DAY = frozenset("bdDEFjlLmMnNoStwWyYz")

    def __init__(self, format_name: str) -> None:
        self.pieces = [(bool(i % 2), piece if i % 2 else re_escaped.sub(r"\1", piece))
                       for i, piece in enumerate(re_formatchars.split(str(get_format(format_name))))
                       if piece]
        self.days: dict[date, dict[str, str]] = {}
        # ``timezone.localtime`` looks the current zone up on every call: once per page here.
        self.zone = timezone.get_current_timezone()

    def __call__(self, value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(self.zone) if timezone.is_aware(value) else value
        day = self.days.get(local.date())
        if day is None:
            day_format = DateFormat(local)
            day = self.days[local.date()] = {piece: str(getattr(day_format, piece)())
                                             for is_code, piece in self.pieces
                                             if is_code and piece in self.BY_DAY}
        texts: list[str] = []
        formatter: DateFormat | None = None
        for is_code, piece in self.pieces:
            if not is_code:
                texts.append(piece)
            elif piece in day:
                texts.append(day[piece])
            else:
                formatter = formatter or DateFormat(local)
                texts.append(str(getattr(formatter, piece)()))
        return "".join(texts)


class _TimeChunk:
    """One unit of ``timesince`` ("3 days") translated once per number on a page, not once
    per card (Django formats a lazy plural each time)."""

    def __init__(self, text: Any) -> None:
        self.text = text
        self.done: dict[int, str] = {}

    def __mod__(self, params: dict[str, int]) -> str:
        number = params["num"]
        done = self.done.get(number)
        if done is None:
            done = self.done[number] = str(self.text % params)
        return done


class _Formatters:
    """The formatters one page needs, built once for all its rows or cards."""

    def __init__(self) -> None:
        self.now = timezone.now()
        # (typed loosely: Django's stubs want strings, and only ``%`` is ever applied to them)
        self.time_strings: dict[str, Any] = {unit: _TimeChunk(text)
                                             for unit, text in TIME_STRINGS.items()}
        self.short_date = _DateFormatter("SHORT_DATE_FORMAT")
        self.date_time = _DateFormatter("DATETIME_FORMAT")
        self.money: dict[str, MoneyFormatter] = {}

    def amount(self, process: Any, value: Any) -> str:
        """``value`` in the process's currency, as Oscar's ``currency`` filter prints it."""
        currency = process.currency or settings.OSCAR_DEFAULT_CURRENCY
        formatter = self.money.get(currency)
        if formatter is None:
            formatter = self.money[currency] = money_formatter(currency)
        return formatter(value)

    def total(self, process: Any) -> str:
        currency = process.currency or settings.OSCAR_DEFAULT_CURRENCY
        formatter = self.money.get(currency)
        if formatter is None:
            formatter = self.money[currency] = money_formatter(currency)
        return formatter(process.total) if process.total is not None else ""


def prepare_cards(cards: Iterable[Any]) -> None:
    """Give each Kanban card its display strings: ``total_display`` (Oscar's ``currency``
    filter), ``placed_display`` (``date:"SHORT_DATE_FORMAT"``), ``time_in_stage``
    (``timesince`` of ``state_changed_at``), ``is_stale`` (over its stage's time limit) and
    ``type_badge`` ("Renewal of subscription #12 (period 3)" on renewal orders, "Subscription"
    on the orders that started one; one query, none without subscription orders)."""
    formatters = _Formatters()
    now = formatters.now
    cards = list(cards)
    subscription_ids = [card.order_id for card in cards
                        if getattr(card, "order_type", "") == OrderType.SUBSCRIPTION]
    renewals = renewal_labels(subscription_ids)
    subscription = str(OrderType.SUBSCRIPTION.label) if subscription_ids else ""
    for card in cards:
        if card.order_id in renewals:
            card.type_badge = renewals[card.order_id]
        elif getattr(card, "order_type", "") == OrderType.SUBSCRIPTION:
            card.type_badge = subscription
        else:
            card.type_badge = ""
        card.total_display = formatters.total(card)
        card.placed_display = formatters.short_date(card.placed_at)
        card.time_in_stage = timesince(card.state_changed_at, now,
                                       time_strings=formatters.time_strings)
        limit = card.stage.time_limit if card.stage_id else None
        card.is_stale = bool(limit) and now - card.state_changed_at > limit


def renewal_labels(order_ids: list[int]) -> dict[int, str]:
    """"Renewal of #12 (period 3)" for the renewal orders among ``order_ids`` (one query,
    none without subscription orders)."""
    if not order_ids:
        return {}
    text = gettext("Renewal of subscription #%(subscription)s (period %(period)s)")
    return {order_id: text % {"subscription": subscription, "period": period + 1}
            for order_id, subscription, period in SubscriptionRenewal.objects.filter(
                order_id__in=order_ids).values_list("order_id", "subscription_id", "period")}


def prepare_rows(rows: Iterable[Any], columns: Iterable[str]) -> None:
    """Give each table row the display strings of the ``columns`` (keys) shown, so the cells
    print them instead of running filters and translating labels row by row:

    ``select_label`` (the check box's "Select order …"), ``state_final``,
    ``cancel_transition`` (the name of the workflow's cancel move out of the row's state, ""
    when it has none) and ``cancellable`` (there is one),
    ``placed_display`` and ``placed_title`` (``date`` in SHORT_DATE_FORMAT and DATETIME_FORMAT),
    ``type_label``, ``state_label``, ``state_colour`` and ``stage_note`` (the stage's name when
    it differs from the state's), ``payment_label``, each line's ``short_title``
    (``truncatechars:40``) and ``quantity_display`` (as ``{{ line.quantity }}`` prints it),
    ``total_display`` (Oscar's ``currency`` filter),
    ``amount_due_display`` (what the customer still owes),
    ``last_activity_display`` ("3 days ago") and ``last_activity_title``.
    """
    formatters = _Formatters()
    shown = set(columns)
    workflow = get_workflow()
    states = {state.code: state for state in workflow.get_states()}
    state_labels = labels_for("state") if "state" in shown else {}
    payment_labels = labels_for("payment_status") if "payment_status" in shown else {}
    type_labels = labels_for("order_type") if "order_type" in shown else {}
    rows = list(rows)
    renewals = renewal_labels([row.order_id for row in rows
                               if row.order_type == OrderType.SUBSCRIPTION]) if type_labels else {}
    ago, select = gettext("%(since)s ago"), gettext("Select order %(number)s")
    titles: dict[str, str] = {}  # products recur from row to row
    stage_names: dict[int | None, str] = {}  # so do stages (a name is a translated label)
    quantities: dict[int, str] = {}  # and quantities (each printed as the template localises)
    cancel_moves: dict[str, str] = {}  # per state: a row's Cancel button only where it works
    for row in rows:
        row.select_label = select % {"number": row.number}
        state = states.get(row.state)
        row.state_final = state is not None and state.final
        if row.state not in cancel_moves:
            cancel_moves[row.state] = workflow.cancel_transition_from(row.state) or ""
        row.cancel_transition = cancel_moves[row.state]
        row.cancellable = bool(row.cancel_transition)
        if "placed" in shown:
            row.placed_display = formatters.short_date(row.placed_at)
            row.placed_title = formatters.date_time(row.placed_at)
        if type_labels:
            row.type_label = renewals.get(row.order_id) or type_labels.get(row.order_type,
                                                                            row.order_type)
        if state_labels:
            row.state_label = state_labels.get(row.state, row.state)
            row.state_colour = state.colour if state is not None else ""
            stage_name = stage_names.get(row.stage_id)
            if stage_name is None:
                stage_name = stage_names[row.stage_id] = (row.stage.display_name
                                                          if row.stage_id else "")
            row.stage_note = stage_name if stage_name != row.state_label else ""
        if payment_labels:
            row.payment_label = payment_labels.get(row.payment_status, row.payment_status)
        if "products" in shown:
            for line in getattr(row, "lines_summary", ()):
                title = titles.get(line.title)
                if title is None:
                    title = titles[line.title] = Truncator(line.title).chars(40)
                line.short_title = title
                quantity = quantities.get(line.quantity)
                if quantity is None:
                    quantity = quantities[line.quantity] = formats.localize(line.quantity)
                line.quantity_display = quantity
        if "total" in shown:
            row.total_display = formatters.total(row)
        if "amount_due" in shown:
            row.amount_due_display = formatters.amount(
                row, amount_due(row.total, row.amount_paid, row.amount_refunded,
                                row.payment_status))
        if "last_activity" in shown:
            row.last_activity_display = ago % {
                "since": timesince(row.last_activity_at, formatters.now,
                                   time_strings=formatters.time_strings)}
            row.last_activity_title = formatters.date_time(row.last_activity_at)

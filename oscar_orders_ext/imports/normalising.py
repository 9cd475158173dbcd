"""Normalising imported values into what Oscar's columns hold: countries, addresses, phone
numbers, and the checks that every value fits its column (row errors in the dry run).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import phonenumbers
from babel import Locale
from oscar.core.loading import get_model

from oscar_orders_ext.models import OrderProcess, Tag
from oscar_orders_ext.services.bounds import (amount_fits, amount_problem, date_problem,
                                              max_order_quantity, order_number_problem,
                                              quantity_problem, text_problem)

from .formats import ImportedAddress, ImportedOrder, RowError

Country = get_model("address", "Country")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
OrderDiscount = get_model("order", "OrderDiscount")
ShippingAddress = get_model("order", "ShippingAddress")


def _length(model: Any, name: str) -> int:
    return int(model._meta.get_field(name).max_length)


ORDER_NUMBER_LENGTH = _length(Order, "number")
#: (column named in the row error, attribute of ImportedOrder, the column's length)
ORDER_TEXTS = (("currency", "currency", _length(Order, "currency")),
               ("shipping method", "shipping_method", _length(Order, "shipping_method")),
               ("payment method", "payment_method", _length(OrderProcess, "payment_method")),
               ("discount code", "discount_code", _length(OrderDiscount, "voucher_code")))
#: ImportedAddress attribute → the order address column it lands in.
ADDRESS_TEXTS = {"first_name": "first_name", "last_name": "last_name", "line1": "line1",
                 "line2": "line2", "company": "line3", "city": "line4", "state": "state",
                 "postcode": "postcode"}
LINE_TEXTS = (("title", "title", _length(Line, "title")),
              ("sku", "sku", _length(Line, "partner_sku")))
TAG_LENGTH = _length(Tag, "name")


class CountryResolver:
    """Country rows for codes or English names, created when missing (one query up front)."""

    def __init__(self) -> None:
        self.by_code: dict[str, Any] = {country.iso_3166_1_a2: country
                                        for country in Country.objects.all()}
        self.by_name: dict[str, str] = {}
        for country in self.by_code.values():
            for name in (country.printable_name, country.name):
                if name:
                    self.by_name[name.casefold()] = country.iso_3166_1_a2
        self._territories = _territory_names()
        for code, name in self._territories.items():
            self.by_name.setdefault(name.casefold(), code)
        self.by_name.update({"united states of america": "US", "usa": "US", "uk": "GB",
                             "great britain": "GB", "england": "GB"})

    def __call__(self, value: str) -> Any | None:
        """The Country for a code ("CA") or a name ("United States"), None when unknown."""
        text = value.strip()
        if not text:
            return None
        code = text.upper() if len(text) == 2 and text.isalpha() else \
            self.by_name.get(text.casefold())
        if code is None:
            return None
        if code not in self.by_code:
            name = self._territories.get(code, code)
            country = Country(iso_3166_1_a2=code, printable_name=name, name=name,
                              is_shipping_country=False)
            country.save()
            self.by_code[code] = country
        return self.by_code[code]


def _territory_names() -> dict[str, str]:
    return {code: name for code, name in Locale("en").territories.items()
            if len(code) == 2 and code.isalpha()}


def _phone(raw: str, country: Any | None) -> str:
    """A valid phone number in E.164, or "" (Oscar's field refuses what it cannot parse)."""
    if not raw:
        return ""
    return _phone_in_region(raw, country.iso_3166_1_a2 if country is not None else None)


@lru_cache(maxsize=4096)
def _phone_in_region(raw: str, region: str | None) -> str:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def address_values(address: ImportedAddress, countries: CountryResolver, *,
                   with_phone: bool) -> dict[str, Any] | None:
    """The field values of an order address, or None when the file gives no usable address."""
    country = countries(address.country)
    if country is None or not (address.line1 or address.city or address.name):
        return None
    values = {
        "first_name": address.first_name[:255], "last_name": address.last_name[:255],
        "line1": address.line1[:255], "line2": address.line2[:255],
        "line3": address.company[:255], "line4": address.city[:255],
        "state": address.state[:255], "postcode": address.postcode[:64], "country": country}
    if with_phone:
        values["phone_number"] = _phone(address.phone, country)
    return values


def order_address_values(imported: ImportedOrder, countries: CountryResolver
                         ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(shipping, billing) address values; the order's phone when the shipping one has none."""
    shipping = address_values(imported.shipping_address, countries, with_phone=True)
    billing = address_values(imported.billing, countries, with_phone=False)
    if shipping is not None and not shipping["phone_number"] and imported.phone:
        shipping["phone_number"] = _phone(imported.phone, shipping["country"])
    return shipping, billing


# --- what the columns hold: checked in the dry run, so the commit never meets a database error --

#: The longest e-mail address Django's user and Oscar's guest e-mail columns hold.
EMAIL_LENGTH = 254


def number_limit(reader_name: str) -> int:
    """The longest platform number whose prefixed form ("shopify-…") still fits the column."""
    return ORDER_NUMBER_LENGTH - len(reader_name) - 1


#: (row error column, ImportedAddress attribute, the column's length) of both addresses:
#: computed once, as the dry run checks every address of a file of millions of orders.
ADDRESS_CHECKS = tuple(
    (f"{kind} {attribute.replace('_', ' ')}", source, attribute,
     _length(ShippingAddress, field_name))
    for kind, source in (("billing", "billing"), ("shipping", "shipping_address"))
    for attribute, field_name in ADDRESS_TEXTS.items())


def order_problems(order: ImportedOrder, reader_name: str) -> list[RowError]:
    """Every value of the order that the database, the pages or the URLs cannot hold, as row
    errors: amounts beyond 12 digits (or not finite), quantities beyond Oscar's basket bounds,
    dates out of range, order numbers too long or unfit for a URL, texts longer than their
    column (nothing is cut short on the way in)."""
    # Run for every order of the file: the bounds' functions (which word the errors) are
    # called only for a value that fails its cheap comparison here.
    first_row = order.rows[0] if order.rows else 0
    problems: list[RowError] = []
    add = problems.append

    def check(row: int, column: str, problem: str) -> None:
        if problem:
            add(RowError(row, column, problem))

    check(first_row, "number", order_number_problem(order.number, number_limit(reader_name)))
    check(first_row, "date", date_problem(order.placed_at))
    if len(order.email) > EMAIL_LENGTH:
        check(first_row, "email", text_problem(order.email, EMAIL_LENGTH))
    for column, amount in (("total", order.total), ("subtotal", order.subtotal),
                           ("shipping", order.shipping), ("discount", order.discount),
                           ("tax", order.tax), ("total", order.total - order.tax)):
        if not amount_fits(amount):
            check(first_row, column, amount_problem(amount))
    for column, attribute, limit in ORDER_TEXTS:
        value = getattr(order, attribute)
        if len(value) > limit:
            check(first_row, column, text_problem(value, limit))
    for column, source, attribute, limit in ADDRESS_CHECKS:
        value = getattr(getattr(order, source), attribute)
        if len(value) > limit:
            check(first_row, column, text_problem(value, limit))
    for tag in order.tags:
        if len(tag) > TAG_LENGTH:
            check(first_row, "tags", text_problem(tag, TAG_LENGTH))
    quantity_limit = max_order_quantity()
    for line in order.lines:
        row = line.row or first_row
        for column, attribute, limit in LINE_TEXTS:
            value = getattr(line, attribute)
            if len(value) > limit:
                check(row, column, text_problem(value, limit))
        if line.quantity > quantity_limit:
            check(row, "quantity", quantity_problem(line.quantity))
        if not amount_fits(line.unit_price):
            check(row, "price", amount_problem(line.unit_price))
        elif not amount_fits(line.total):
            check(row, "price", amount_problem(line.total))
    if (not any(error.column == "quantity" for error in problems)
            and sum(line.quantity for line in order.lines) > quantity_limit):
        check(first_row, "quantity", quantity_problem(
            0, order_items=sum(line.quantity for line in order.lines)))
    # One message per cell: "total" is checked twice (with and without tax).
    return list(dict.fromkeys(problems))


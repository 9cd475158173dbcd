"""Display strings made in Python print exactly what the template filters they replace print."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import timesince_filter, truncatechars
from django.test import override_settings
from django.utils import timezone, translation
from oscar.templatetags.currency_filters import currency

from oscar_orders_ext import display
from oscar_orders_ext.columns import DEFAULT_KEYS, Column
from oscar_orders_ext.models import Funnel, OrderProcess
from oscar_orders_ext.selectors import attach_lines, cards_of, with_related

from .factories import bulk_orders

AMOUNTS = [Decimal(text) for text in ("0", "-0", "0.005", "1", "-1", "19.99", "999.995",
                                      "1234.5", "-1234567.89", "98765432109.87")]


@pytest.mark.parametrize("language", ["en", "en-gb", "de", "fr", "hi", "ar", "ja", "de-ch"])
@pytest.mark.parametrize("code", ["EUR", "USD", "GBP", "JPY", "CHF", "INR", "BHD"])
def test_money_is_oscars_currency_filter(language, code):
    with translation.override(language):
        formatter = display.money_formatter(code)
        for amount in AMOUNTS:
            assert formatter(amount) == currency(amount, code), (language, code, amount)


@pytest.mark.parametrize("setting", [
    "¤ #,##0.00",
    "#,##0.00 ¤¤",
    {"EUR": {"format": "#,##0.00 ¤", "group_separator": False},
     "USD": {"format_type": "accounting"}},
    {"EUR": {"currency_digits": False, "format": "#,##0.000 ¤"}},
    {"EUR": {"format_type": "name"}},  # Babel's own path: plural currency names
])
def test_money_follows_oscar_currency_format(setting):
    with override_settings(OSCAR_CURRENCY_FORMAT=setting), translation.override("en"):
        for code in ("EUR", "USD"):
            for amount in AMOUNTS:
                assert display.format_money(amount, code) == currency(amount, code)


def test_money_of_nothing_is_empty_like_the_filter():
    assert display.format_money(None, "EUR") == currency(None, "EUR") == ""
    assert display.format_money("abc", "EUR") == currency("abc", "EUR") == ""
    assert display.format_money("12.5") == currency("12.5")  # the default currency


@pytest.mark.django_db
def test_rows_and_cards_carry_what_the_filters_would_print(settings):
    settings.USE_TZ, settings.TIME_ZONE = True, "Europe/Paris"
    long_ago = timezone.now() - timedelta(days=3, hours=5)
    bulk_orders(3, total=Decimal("1234.50"), currency="USD", state_changed_at=long_ago)
    stage = Funnel.objects.get_default().stages.get(state="new")
    stage.time_limit = timedelta(days=1)
    stage.save()
    rows = list(with_related(OrderProcess.objects.order_by("-placed_at")))
    display.prepare_rows(rows, DEFAULT_KEYS)
    cards = cards_of(OrderProcess.objects.order_by("-placed_at"), [stage])
    display.prepare_cards(cards)
    with timezone.override("America/New_York"):  # the current zone, not the default one
        display.prepare_rows(rows[:1], DEFAULT_KEYS)
        assert rows[0].placed_title == date_filter(
            timezone.localtime(rows[0].placed_at), "DATETIME_FORMAT")
    for row, card in zip(rows[1:], cards[1:]):
        local = timezone.localtime(row.placed_at)
        assert row.placed_display == card.placed_display == date_filter(local,
                                                                        "SHORT_DATE_FORMAT")
        assert row.placed_title == date_filter(local, "DATETIME_FORMAT")
        assert row.total_display == card.total_display == currency(row.total, "USD")
        assert row.last_activity_display == f"{timesince_filter(row.last_activity_at)} ago"
        assert card.time_in_stage == timesince_filter(card.state_changed_at)
        assert card.is_stale
        assert row.state_label == "New" and row.payment_label == "Unpaid"
        assert row.select_label == f"Select order {row.number}" and not row.state_final


@pytest.mark.django_db
def test_product_titles_are_cut_like_truncatechars(product, place_order):
    product.title = "A rather long product title that goes on and on and on"
    product.save()
    place_order()
    rows = list(with_related(OrderProcess.objects.all()))
    attach_lines(rows)
    display.prepare_rows(rows, ["products"])
    line = rows[0].lines_summary[0]
    assert line.short_title == truncatechars(line.title, 40) != line.title


@pytest.mark.parametrize("language", ["en", "en-gb", "de", "fr", "ja", "ru"])
@pytest.mark.parametrize("name", ["DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATE_FORMAT",
                                  "SHORT_DATETIME_FORMAT"])
def test_dates_are_djangos_date_filter(language, name):
    start = timezone.make_aware(datetime(2024, 3, 30, 23, 0))
    moments = [start + timedelta(minutes=37 * i) for i in range(0, 200, 7)]
    moments += [timezone.make_aware(datetime(2024, 5, 1, hour)) for hour in (0, 12)]
    with translation.override(language):
        formatter = display._DateFormatter(name)
        for moment in moments + moments:  # the second time from what it remembers
            assert formatter(moment) == date_filter(timezone.localtime(moment), name)


def render(source: str, **context: object) -> str:
    return Template("{% load orders_workspace %}" + source).render(Context(context))


def test_cells_draw_a_cell_per_column_with_the_case_of_its_key():
    columns = [Column("b", "B"), Column("z", "Z"), Column("a", "A")]
    source = ('{% cells columns %}{% case "a" %}A of {{ row }}{% case "b" "c" %}{{ column.label }}'
              '{% endcells %}')
    assert render(source, columns=columns, row="<r>") == (
        '<td class="ooe-cell-b">B</td><td class="ooe-cell-z"></td>'
        '<td class="ooe-cell-a">A of &lt;r&gt;</td>')
    assert render(source, columns=[]) == render(source) == ""


@pytest.mark.parametrize("source", [
    "{% cells %}{% endcells %}",
    '{% cells columns %}text{% case "a" %}A{% endcells %}',
    "{% cells columns %}{% case a %}A{% endcells %}",
])
def test_a_malformed_cells_tag_is_a_template_error(source):
    with pytest.raises(TemplateSyntaxError):
        render(source, columns=[])

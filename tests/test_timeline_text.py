"""What timeline entries say, in the reader's language."""

from __future__ import annotations

from django.utils import translation

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.timeline import describe


def test_payment_amounts_are_written_as_the_reader_writes_numbers() -> None:
    data = {"event": "link", "amount": "1234.50", "currency": "EUR"}
    with translation.override("it"):
        assert "1.234,50 EUR" in describe(TimelineKind.PAYMENT, data)
    with translation.override("en"):
        assert "1,234.50 EUR" in describe(TimelineKind.PAYMENT, data)


def test_an_amount_that_is_not_a_number_is_shown_as_stored() -> None:
    with translation.override("fr"):
        assert "n/a EUR" in describe(TimelineKind.PAYMENT, {"event": "refund", "amount": "n/a",
                                                             "currency": "EUR"})


def test_a_plan_says_how_often_it_bills() -> None:
    from oscar_orders_ext.models import Plan

    with translation.override("it"):
        assert Plan(interval_unit="month", interval_count=1).frequency == "ogni mese"
        assert Plan(interval_unit="week", interval_count=3).frequency == "ogni 3 settimane"
    with translation.override("fr"):
        assert Plan(interval_unit="year", interval_count=2).frequency == "tous les 2 ans"

"""Order sources as merchants read them: the app's own sources translated, imports named by
format, a shop's own sources as written."""

from __future__ import annotations

from django.utils import translation

from oscar_orders_ext.constants import source_label


def test_the_apps_own_sources_are_translated() -> None:
    with translation.override("it"):
        assert source_label("subscription") == "Rinnovo di abbonamento"
        assert source_label("manual") == "Ordine manuale"
    with translation.override("en"):
        assert source_label("import:woocommerce") == "Import (WooCommerce)"


def test_a_shops_own_source_shows_as_written() -> None:
    assert source_label("phone") == "phone"
    assert source_label("") == ""
    assert source_label("import:") == "import:"

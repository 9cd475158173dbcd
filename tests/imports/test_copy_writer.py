"""The PostgreSQL COPY writer stores exactly the rows the ORM writer stores."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Sum
from oscar.core.loading import get_model
from oscar.test import factories

from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.imports import service, writing
from oscar_orders_ext.imports.pgcopy import CopyOrderWriter
from oscar_orders_ext.imports.service import commit_import, plan_import
from oscar_orders_ext.models import OrderProcess, ProcessTally, TimelineEntry

from ..factories import product_recount, product_tallied
from .test_real_files import export_bytes
from .shopify_file import generated_shopify_export

BillingAddress = get_model("order", "BillingAddress")
Line = get_model("order", "Line")
Order = get_model("order", "Order")
OrderDiscount = get_model("order", "OrderDiscount")
OrderNote = get_model("order", "OrderNote")
ShippingAddress = get_model("order", "ShippingAddress")

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

#: Set when the writer runs, not read from the file.
CLOCK_FIELDS = {"date_created", "date_updated", "date_joined", "last_login", "password"}
TALLY_KEY = ("funnel_id", "stage_id", "state", "currency", "payment_status", "order_type")


class Rolledback(Exception):
    pass


def _clean(row: dict[str, Any], *drop: str) -> dict[str, Any]:
    return {key: value for key, value in row.items()
            if key not in {"id", *drop} and key not in CLOCK_FIELDS}


def snapshot() -> dict[str, Any]:
    """Every row an import writes, keyed by order number, without primary keys or clocks."""
    numbers = dict(Order.objects.values_list("pk", "number"))
    users = {user.pk: {**_clean(vars(user), "_state"), "usable": user.has_usable_password()}
             for user in get_user_model().objects.all()}
    shipping = {row["id"]: _clean(row) for row in ShippingAddress.objects.values()}
    billing = {row["id"]: _clean(row) for row in BillingAddress.objects.values()}
    orders = {}
    for row in Order.objects.values():
        row = _clean(row)
        row["user"] = users.get(row.pop("user_id"))
        row["shipping"] = shipping.get(row.pop("shipping_address_id"))
        row["billing"] = billing.get(row.pop("billing_address_id"))
        orders[row["number"]] = row

    def by_order(model: Any) -> dict[str, list[dict[str, Any]]]:
        grouped = defaultdict(list)
        for row in model.objects.values():
            row = _clean(row)
            if row.get("kind") == TimelineKind.IMPORT:
                row.pop("created_at")  # the writer's clock
            grouped[numbers[row.pop("order_id")]].append(row)
        return {number: sorted(rows, key=repr) for number, rows in grouped.items()}

    tags = defaultdict(list)
    for number, tag in OrderProcess.objects.filter(tags__isnull=False).values_list(
            "number", "tags__name"):
        tags[number].append(tag)
    return {
        "orders": orders, "users": sorted(users.values(), key=repr),
        "lines": by_order(Line), "discounts": by_order(OrderDiscount),
        "notes": by_order(OrderNote), "processes": by_order(OrderProcess),
        "timeline": by_order(TimelineEntry),
        "tags": {number: sorted(names) for number, names in tags.items()},
        "tally": sorted(ProcessTally.objects.filter(count__gt=0).values_list(
            *TALLY_KEY, "count", "total")),
    }


def assert_tally_counts_the_processes() -> None:
    counted = OrderProcess.objects.values(*TALLY_KEY).annotate(n=Count("pk"), amount=Sum("total"))
    expected = sorted((*(row[name] or 0 if name == "stage_id" else row[name]
                         for name in TALLY_KEY), row["n"], row["amount"]) for row in counted)
    tallied = sorted(ProcessTally.objects.filter(count__gt=0).values_list(
        *TALLY_KEY, "count", "total"))
    assert tallied == expected


def import_with(writer: type, data: bytes, filename: str, user: Any) -> tuple[Any, dict]:
    """Import through ``writer``, take the snapshot, roll the import back."""
    plan = plan_import(data, filename)
    assert plan.errors == []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(service, "writer_class", lambda: writer)
        try:
            with transaction.atomic():
                result = commit_import(plan, user=user)
                assert_tally_counts_the_processes()
                assert product_tallied() == product_recount()  # the lines' triggers
                taken = snapshot()
                raise Rolledback
        except Rolledback:
            pass
    return result, taken


def compare_writers(data: bytes, filename: str, user: Any) -> dict[str, Any]:
    before = snapshot()
    orm_result, orm = import_with(writing.OrderWriter, data, filename, user)
    assert snapshot() == before  # rolled back
    copy_result, copy = import_with(CopyOrderWriter, data, filename, user)
    assert copy_result.orders_created == orm_result.orders_created > 0
    assert copy_result.lines_created == orm_result.lines_created
    assert copy_result.customers_created == orm_result.customers_created
    assert len(copy_result.order_ids) == len(set(copy_result.order_ids)) == \
        copy_result.orders_created
    for name in orm:
        assert copy[name] == orm[name], name
    return copy


def test_generated_file_gives_the_same_rows_through_both_writers(make_staff: Any) -> None:
    for line in (1, 2):
        factories.create_product(partner_sku=f"SKU-{line}")
    # An existing customer without names (filled in), and a number taken by another order.
    get_user_model().objects.create_user("existing", "customer1@example.com", "x")
    factories.create_order(number="100004")
    data = generated_shopify_export(300, customers=100)

    rows = compare_writers(data, "orders_export.csv", make_staff("importer"))

    assert len(rows["orders"]) == 301
    assert "shopify-100004" in rows["orders"]
    assert rows["orders"]["100001"]["shipping"]["phone_number"] == "+33478000000"
    assert rows["orders"]["100001"]["shipping"]["search_text"] == \
        "Customer1 Example 1 Example Street Lyon 69001 France"
    assert sum(len(lines) for lines in rows["lines"].values()) >= 600
    assert rows["tags"]["100000"] == ["VIP"]
    assert any(user["email"] == "customer1@example.com" and user["first_name"] == "Customer1"
               for user in rows["users"])


@pytest.mark.parametrize("filename", [
    "shopify_devstore_forezia_orders_export.csv",
    "shopify_jihyangt_orders_export.redacted.csv",
    "shopify_antiqua_orders_export.redacted.csv",
    "woocommerce_style_synthetic_farazrawala_orders.csv",
    "etsy_soldorders2023_epicrae.redacted.csv",
])
def test_real_files_give_the_same_rows_through_both_writers(filename: str,
                                                            make_staff: Any) -> None:
    compare_writers(export_bytes(filename), filename, make_staff("importer"))


def test_copy_import_keeps_the_tally_right_across_imports() -> None:
    commit_import(plan_import(generated_shopify_export(50, customers=10), "a.csv"))
    factories.create_order(number="X-1")
    commit_import(plan_import(generated_shopify_export(80, customers=10), "b.csv"))
    assert OrderProcess.objects.filter(source="import:shopify").count() == 80
    assert_tally_counts_the_processes()


def test_the_setting_turns_the_copy_writer_off(settings: Any) -> None:
    assert service.writer_class() is CopyOrderWriter
    settings.OSCAR_ORDERS_EXT_IMPORT_USE_COPY = False
    assert service.writer_class() is writing.OrderWriter
    result = commit_import(plan_import(generated_shopify_export(5, customers=2), "a.csv"))
    assert result.orders_created == 5
    assert_tally_counts_the_processes()


@pytest.mark.parametrize("model", [OrderProcess, TimelineEntry])
def test_bulk_tables_carry_no_index_another_one_already_gives(model: Any) -> None:
    """Every import row maintains every index: no LIKE twins, no index leading another."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT index.relname, indisunique, pg_get_indexdef(pg_index.indexrelid),
                   ARRAY(SELECT attname FROM unnest(indkey::int2[]) WITH ORDINALITY AS key(num, position)
                         JOIN pg_attribute ON attrelid = indrelid AND attnum = key.num
                         ORDER BY position)
            FROM pg_index JOIN pg_class index ON index.oid = pg_index.indexrelid
            WHERE indrelid = %s::regclass""", [model._meta.db_table])
        indexes = cursor.fetchall()
    like = sorted(name for name, __, definition, __ in indexes if "pattern_ops" in definition)
    # The number's start and its end (reversed, migration 0029): two lookups, not twins.
    expected = ["ooe_process_email_placed", "ooe_process_number", "ooe_process_number_tail"]
    assert like == (expected if model is OrderProcess else [])
    # Trigram (GIN) indexes answer infix searches, which no btree on the same column can.
    btrees = [index for index in indexes if "USING btree" in index[2]]
    # A partial index (WHERE …, as the inbox's) covers only its rows, and a pattern_ops one
    # answers LIKE prefixes, not ORDER BY: neither replaces another index, nor is replaced.
    plain = [index for index in btrees
             if " WHERE " not in index[2] and "pattern_ops" not in index[2]]
    redundant = [(name, other) for name, unique, __, columns in plain if not unique
                 for other, __, __, longer in plain
                 if other != name and longer[:len(columns)] == columns]
    assert redundant == []

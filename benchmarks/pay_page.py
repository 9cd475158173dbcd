"""The customer's pay page against Oscar's checkout payment-details page on the same data.

    .venv/bin/python benchmarks/pay_page.py [--repeat 30] [--lines 3]

Creates a scratch PostgreSQL database (``ooe_bench_pay``), migrates it, then, with the same
products and quantities:

- Oscar's checkout as a guest up to ``checkout:payment-details`` (basket, gateway, shipping
  address; the one shipping method is chosen by Oscar), timing GETs of that page;
- an order of the same basket with a payment link, timing GETs of its pay page
  (``/pay/<token>/``, Oscar's ``layout.html``, order summary, amount, methods) as a guest.

Prints median and min ms and SQL queries of each, alternated round by round so load on the
machine hits both, and their ratio. Target (shown, never asserted): the pay page at most as
slow as Oscar's payment-details page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATABASE = "ooe_bench_pay"
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def setup_django() -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    os.environ["DATABASE_URL"] = f"{SERVER}/{DATABASE}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    import django
    from django.conf import settings

    django.setup()
    settings.OSCAR_ALLOW_ANON_CHECKOUT = True
    settings.DEBUG = False
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def checkout_client(products: list[Any], quantity: int) -> tuple[Any, str]:
    """A guest's client standing on Oscar's payment-details page, and its URL."""
    from django.test import Client
    from django.urls import reverse

    client = Client()
    for product in products:
        response = client.post(reverse("basket:add", kwargs={"pk": product.pk}),
                               {"quantity": quantity})
        assert response.status_code == 302, response.status_code
    response = client.post(reverse("checkout:index"),
                           {"username": "guest@example.com", "options": "anonymous"})
    assert response.status_code == 302, response.content[:300]
    response = client.post(reverse("checkout:shipping-address"), {
        "first_name": "Claire", "last_name": "Dubois", "line1": "1 Rue de la Paix",
        "line4": "Paris", "postcode": "75002", "country": "FR",
        "phone_number": "+33140200000"})
    assert response.status_code == 302, response.content[:500]
    url = reverse("checkout:payment-details")
    client.get(url, follow=True)  # Oscar picks the only shipping and payment methods
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return client, url


def pay_link_url(products: list[Any], quantity: int) -> str:
    """The pay page of an order of the same basket."""
    from oscar.test import factories

    from oscar_orders_ext.payments import service

    basket = factories.create_basket(empty=True)
    for product in products:
        basket.add_product(product, quantity)
    order = factories.create_order(basket=basket, guest_email="guest@example.com")
    return service.send_payment_link(order, notify=False).get_absolute_url()


def measure(client: Any, url: str) -> tuple[float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    return elapsed * 1000, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--quantity", type=int, default=2)
    args = parser.parse_args()
    setup_django()
    from django.test import Client
    from oscar.core.loading import get_model
    from oscar.test import factories

    Country = get_model("address", "Country")
    Country.objects.update_or_create(iso_3166_1_a2="FR", defaults={
        "name": "France", "printable_name": "France", "is_shipping_country": True})
    products = [factories.create_product(title=f"Espresso cup {n}", price=Decimal("10.00"),
                                         num_in_stock=1000, partner_sku=f"CUP-{n}")
                for n in range(args.lines)]
    oscar_client, oscar_url = checkout_client(products, args.quantity)
    pay_client, pay_url = Client(), pay_link_url(products, args.quantity)
    results: dict[str, list[tuple[float, int]]] = {"pay": [], "oscar": []}
    for _ in range(3):  # warm both (templates, caches)
        measure(pay_client, pay_url)
        measure(oscar_client, oscar_url)
    for _ in range(args.repeat):
        results["pay"].append(measure(pay_client, pay_url))
        results["oscar"].append(measure(oscar_client, oscar_url))
    print(f"{args.lines} lines × {args.quantity}, {args.repeat} rounds, PostgreSQL")
    medians = {}
    for name, label in (("pay", "pay page /pay/<token>/"),
                        ("oscar", "Oscar checkout:payment-details")):
        times = [ms for ms, _ in results[name]]
        queries = sorted({n for _, n in results[name]})
        medians[name] = statistics.median(times)
        print(f"  {label:34} median {medians[name]:6.1f} ms  min {min(times):6.1f} ms  "
              f"queries {queries}")
    print(f"  ratio pay/oscar {medians['pay'] / medians['oscar']:.2f} (target ≤ 1.00)")


if __name__ == "__main__":
    main()

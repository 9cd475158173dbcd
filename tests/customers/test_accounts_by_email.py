"""Accounts are found by email whatever its case, through one lookup that PostgreSQL answers
from migration 0026's ``LOWER(email)`` index (issue 24: without it, each lookup of a
million-order import's customer recount read the whole user table)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models.functions import Lower

from oscar_orders_ext.models import Customer
from oscar_orders_ext.services.customer_summaries import refresh_customers
from oscar_orders_ext.services.customers import accounts_by_email, customer_by_email

from ..factories import index_plan

User = get_user_model()
INDEX = "ooe_user_email_lower"


@pytest.mark.django_db
def test_accounts_are_found_by_email_in_any_case_the_active_one_first() -> None:
    User.objects.create_user("old", "Anna.Rossi@Example.com", is_active=False)
    active = User.objects.create_user("new", "anna.rossi@example.COM")
    other = User.objects.create_user("other", "LUCA@example.com")

    found = accounts_by_email(["anna.rossi@example.com", "luca@example.com", "nobody@x.it"])

    assert found == {"anna.rossi@example.com": active, "luca@example.com": other}
    assert customer_by_email("ANNA.rossi@EXAMPLE.com") == active
    assert customer_by_email("") is None
    assert accounts_by_email([]) == {}


@pytest.mark.django_db
def test_the_directory_links_a_customer_to_the_account_whose_email_differs_in_case() -> None:
    account = User.objects.create_user("giulia", "Giulia.Bianchi@Example.it",
                                       first_name="Giulia", last_name="Bianchi")

    refresh_customers(["giulia.bianchi@example.it"])

    customer = Customer.objects.get(email="giulia.bianchi@example.it")
    assert customer.user == account
    assert (customer.first_name, customer.last_name) == ("Giulia", "Bianchi")


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_reads_the_lookup_from_the_lower_email_index() -> None:
    User.objects.create_user("a", "A@example.com")
    query = User.objects.annotate(email_key=Lower("email")).filter(
        email_key__in=["a@example.com"])
    sql, params = query.query.sql_with_params()

    assert INDEX in index_plan(sql, params)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_index_is_dropped_when_the_migration_is_reversed_and_built_again() -> None:
    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = %s", [INDEX])
            return {row[0] for row in cursor.fetchall()}

    assert indexes() == {INDEX}
    executor = MigrationExecutor(connection)
    executor.migrate([("oscar_orders_ext", "0025_merge")])
    try:
        assert indexes() == set()
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes("oscar_orders_ext"))
    assert indexes() == {INDEX}

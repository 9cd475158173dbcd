"""Manual orders through the service: Oscar prices them, places them and allocates stock."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from oscar.core.loading import get_model

from oscar_orders_ext.exceptions import ManualOrderError, TransitionPermissionDenied
from oscar_orders_ext.models import OrderProcess, TimelineEntry
from oscar_orders_ext.services import manual_orders as service
from oscar_orders_ext.services.manual_orders import ManualOrder, ShippingChoice
from oscar_orders_ext.services.order_numbers import ALPHABET

from ..conftest import stock_of
from .conftest import billing

Basket = get_model("basket", "Basket")
Order = get_model("order", "Order")

pytestmark = pytest.mark.django_db
MANUAL_4 = ShippingChoice("manual", Decimal("4.00"), Decimal("4.00"))


def test_a_phone_order_for_an_existing_customer_is_priced_and_placed_by_oscar(
        product, mug, mug_offer, voucher, customer, country, clerk, operator):
    basket = service.start_draft(customer)
    service.add_product(basket, product.pk, 2)
    service.add_product(basket, mug.pk, 1)
    service.add_voucher(basket, "save5", customer)
    quote = service.quote(basket, customer, MANUAL_4)
    # 2 × 10.00 + 25.00 − 10% (site offer) − 5.00 (voucher) + 4.00 shipping
    assert quote.totals()["discount"] == "7.50"
    assert quote.totals()["total_incl_tax"] == "41.50"

    order = service.place_manual_order(ManualOrder(
        basket_id=basket.pk, customer=customer, billing_address=billing(country),
        shipping=MANUAL_4, payment_method="bank-transfer", operator=operator,
        initial_state="processing", note="Called at 10:14"), user=clerk)

    assert order.user == customer and order.email == "ada@example.com"
    assert order.total_incl_tax == Decimal("41.50") and order.shipping_incl_tax == Decimal("4.00")
    assert order.basket_total_incl_tax == Decimal("37.50")
    assert {d.offer_name for d in order.discounts.all()} == {"Mug week", "Offer of SAVE5"}
    assert order.voucherapplication_set.get().voucher == voucher
    assert order.billing_address.line1 == "12 St James's Square"
    assert order.shipping_address.postcode == "SW1Y 4JH"
    assert order.shipping_method == str(service.ManualShipping.name)
    process = OrderProcess.objects.get(order=order)
    assert process.source == "manual" and process.state == "processing"
    assert process.operator == operator and process.payment_method == "Bank transfer"
    assert process.total == Decimal("41.50")
    assert order.notes.get().message == "Called at 10:14"
    # Stock is allocated as Oscar's checkout does; the draft is submitted to its customer.
    assert stock_of(product) == (10, 2) and stock_of(mug) == (5, 1)
    basket.refresh_from_db()
    assert basket.status == Basket.SUBMITTED and basket.owner == customer
    created = TimelineEntry.objects.get(order=order, kind="created")
    assert created.summary == "Order created as “New” (entered by hand)"
    assert TimelineEntry.objects.filter(order=order, kind="state", actor=clerk).exists()


def test_the_quote_equals_what_oscars_checkout_would_charge(product, mug, mug_offer, voucher,
                                                            customer):
    """The same cart built the way Oscar's basket and checkout views build it."""
    from oscar.apps.checkout.calculators import OrderTotalCalculator
    from oscar.apps.offer.applicator import Applicator
    from oscar.apps.partner.strategy import Selector
    from oscar.apps.shipping.repository import Repository

    checkout = Basket.objects.create(owner=customer)
    checkout.strategy = Selector().strategy(user=customer)
    checkout.add_product(product, 3)
    checkout.add_product(mug, 2)
    checkout.vouchers.add(voucher)
    Applicator().apply(checkout, customer)
    method = Repository().get_default_shipping_method(checkout)
    expected = OrderTotalCalculator().calculate(checkout, method.calculate(checkout))

    draft = service.start_draft(customer)
    service.add_product(draft, product.pk, 3)
    service.add_product(draft, mug.pk, 2)
    service.add_voucher(draft, "SAVE5", customer)
    quote = service.quote(draft, customer, ShippingChoice(method.code))
    assert (quote.total.excl_tax, quote.total.incl_tax) == (expected.excl_tax,
                                                            expected.incl_tax)
    assert quote.total.incl_tax == Decimal("70.00")  # 30 + 50 − 5 − 5


def test_a_new_customer_is_created_from_the_billing_details(manual_order, country):
    order = manual_order(customer=None, email="Grace@Example.COM",
                         billing_address=billing(country, first_name="Grace",
                                                 last_name="Hopper"))
    user = order.user
    assert user.email == "Grace@example.com" and user.get_full_name() == "Grace Hopper"
    assert not user.has_usable_password()
    assert OrderProcess.objects.get(order=order).customer_email == "grace@example.com"


def test_an_existing_email_updates_the_customer_instead_of_duplicating_it(
        manual_order, customer, country):
    order = manual_order(customer=None, email="ADA@example.com",
                         billing_address=billing(country, first_name="Augusta Ada",
                                                 last_name="King"))
    assert order.user == customer
    assert get_user_model().objects.filter(email__iexact="ada@example.com").count() == 1
    customer.refresh_from_db()
    assert customer.get_full_name() == "Augusta Ada King"


def test_a_voucher_that_does_not_apply_is_refused_and_not_kept(product, bulk_voucher,
                                                               customer):
    basket = service.start_draft(customer)
    service.add_product(basket, product.pk, 2)
    with pytest.raises(ManualOrderError, match="gives this cart no discount"):
        service.add_voucher(basket, "BULK10", customer)
    assert not basket.vouchers.exists()
    with pytest.raises(ManualOrderError, match="No voucher has the code “NOPE”"):
        service.add_voucher(basket, "nope", customer)


def test_a_voucher_already_used_by_the_customer_is_refused(product, voucher, customer,
                                                           manual_order):
    voucher.usage = voucher.ONCE_PER_CUSTOMER
    voucher.save()
    first = service.start_draft(customer)
    service.add_product(first, product.pk, 1)
    service.add_voucher(first, "SAVE5", customer)
    manual_order(basket_id=first.pk)
    second = service.start_draft(customer)
    service.add_product(second, product.pk, 1)
    with pytest.raises(ManualOrderError, match="already used this"):
        service.add_voucher(second, "SAVE5", customer)


@pytest.mark.parametrize("quantity", [-1, 0, "two"])
def test_bad_quantities_are_refused_and_nothing_is_added(product, quantity):
    basket = service.start_draft()
    with pytest.raises(ManualOrderError):
        service.add_product(basket, product.pk, quantity)
    assert basket.lines.count() == 0


def test_unknown_products_and_stock_beyond_what_is_left_are_refused(product):
    basket = service.start_draft()
    with pytest.raises(ManualOrderError, match="no such product"):
        service.add_product(basket, 999999, 1)
    service.add_product(basket, product.pk, 8)
    with pytest.raises(ManualOrderError, match="Espresso cup"):
        service.add_product(basket, product.pk, 3)  # 11 of 10
    line = basket.lines.get()
    with pytest.raises(ManualOrderError):
        service.set_quantities(basket, {line.pk: -2})
    with pytest.raises(ManualOrderError, match="no longer in the cart"):
        service.set_quantities(basket, {line.pk + 1000: 1})
    assert basket.lines.get().quantity == 8


def test_quantities_change_and_lines_go(product, mug):
    basket = service.start_draft()
    cups = service.add_product(basket, product.pk, 1)
    mugs = service.add_product(basket, mug.pk, 1)
    service.set_quantities(basket, {cups.pk: 4, mugs.pk: 2})
    assert service.quote(basket, None, ShippingChoice()).totals()["total_incl_tax"] == "90.00"
    service.remove_line(basket, mugs.pk)
    assert service.quote(basket, None, ShippingChoice()).totals()["total_incl_tax"] == "40.00"


def test_bad_choices_are_refused_before_anything_is_written(manual_order, product):
    with pytest.raises(ManualOrderError, match="cannot start as “Refunded”"):
        manual_order(initial_state="refunded")
    with pytest.raises(ManualOrderError, match="Choose a payment method"):
        manual_order(payment_method="bitcoin")
    with pytest.raises(ManualOrderError, match="Enter the shipping charge"):
        manual_order(shipping=ShippingChoice("manual"))
    with pytest.raises(ManualOrderError, match="not a shipping method"):
        manual_order(shipping=ShippingChoice("teleport"))
    assert Order.objects.count() == 0 and stock_of(product) == (10, 0)


def test_rollback_when_a_later_step_is_refused(manual_order, product, make_staff, customer,
                                               country):
    """A clerk who may create orders but not move them cannot start one as "shipped"."""
    limited = make_staff("limited", ["view_orderprocess", "create_manual_order"])
    basket = service.start_draft(customer)
    service.add_product(basket, product.pk, 2)
    users = get_user_model().objects.count()
    with pytest.raises(TransitionPermissionDenied):
        service.place_manual_order(ManualOrder(
            basket_id=basket.pk, email="someone.new@example.com",
            billing_address=billing(country), payment_method="cash", initial_state="shipped",
            shipping=MANUAL_4), user=limited)
    assert Order.objects.count() == 0 and get_user_model().objects.count() == users
    assert stock_of(product) == (10, 0)
    basket.refresh_from_db()
    assert basket.status == service.DRAFT_STATUS and basket.lines.count() == 1


def test_placing_needs_the_permission_and_a_draft_is_placed_once(product, customer, country,
                                                                 viewer, clerk):
    basket = service.start_draft(customer)
    service.add_product(basket, product.pk, 1)
    data = ManualOrder(basket_id=basket.pk, customer=customer,
                       billing_address=billing(country), payment_method="cash")
    with pytest.raises(TransitionPermissionDenied):
        service.place_manual_order(data, user=viewer)
    service.place_manual_order(data, user=clerk)
    with pytest.raises(ManualOrderError, match="already turned into an order"):
        service.place_manual_order(data, user=clerk)
    assert Order.objects.count() == 1


def test_the_order_confirmation_is_emailed_only_when_asked_and_after_the_commit(
        manual_order, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        manual_order()
    # Other after-commit work runs (the customer directory's recount); no email is sent.
    assert mailoutbox == []

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        order = manual_order(send_confirmation=True)
    assert mailoutbox == []  # nothing leaves before the order is committed
    for callback in callbacks:
        callback()
    [message] = mailoutbox
    assert message.to == ["ada@example.com"] and order.number in message.subject
    sent = TimelineEntry.objects.get(order=order, kind="email")
    assert sent.data["to"] == "ada@example.com"


def test_a_refused_order_sends_no_confirmation(manual_order, django_capture_on_commit_callbacks,
                                               mailoutbox):
    with django_capture_on_commit_callbacks(execute=True), \
            pytest.raises(ManualOrderError):
        manual_order(send_confirmation=True, payment_method="bitcoin")
    assert mailoutbox == [] and Order.objects.count() == 0


def test_an_in_store_sale_starts_completed_and_consumes_stock(manual_order, product):
    order = manual_order(quantity=3, initial_state="completed", paid=True)
    process = OrderProcess.objects.get(order=order)
    assert process.state == "completed" and process.payment_status == "paid"
    assert stock_of(product) == (7, 0)
    assert order.status == "Complete"


def test_initial_states_offer_no_state_that_releases_or_restocks_goods():
    codes = [state.code for state in service.initial_states()]
    assert codes[0] == "new"
    assert {"processing", "shipped", "completed"} <= set(codes)
    assert not {"cancelled", "rejected", "returned", "refunded"} & set(codes)


def test_initial_states_setting(settings):
    settings.OSCAR_ORDERS_EXT_MANUAL_ORDER_STATES = ["new", "completed", "nonsense"]
    assert [state.code for state in service.initial_states()] == ["new", "completed"]


def test_random_order_numbers(manual_order, settings):
    settings.OSCAR_ORDERS_EXT_ORDER_NUMBERS = "random"
    first, second = manual_order(quantity=1), manual_order(quantity=1)
    for order in (first, second):
        assert len(order.number) == 10 and set(order.number) <= set(ALPHABET)
    assert first.number != second.number


def test_oscar_order_numbers_by_default(manual_order):
    order = manual_order(quantity=1)
    assert order.number == str(100000 + order.basket_id)

"""Idempotent set-up of the demo shop: catalogue, stock, people, tags and funnels.

Running it again finds what exists and creates only what is missing; it never resets stock
levels, passwords or anything a person may have changed in the dashboard since.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.sites.models import Site
from django.db import transaction
from django.utils import timezone
from oscar.core.loading import get_model

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.models import (Carrier, Customer, CustomerGroup, Funnel, Plan, PlanPrice,
                                     PriceList, PriceListItem, ProductPlan, ShopIdentity, Tag)
from oscar_orders_ext.services.customer_summaries import refresh_customers

from . import data
from .data import PersonSpec

Country = get_model("address", "Country")
UserAddress = get_model("address", "UserAddress")
Category = get_model("catalogue", "Category")
Product = get_model("catalogue", "Product")
ProductCategory = get_model("catalogue", "ProductCategory")
ProductClass = get_model("catalogue", "ProductClass")
Partner = get_model("partner", "Partner")
Benefit = get_model("offer", "Benefit")
Condition = get_model("offer", "Condition")
ConditionalOffer = get_model("offer", "ConditionalOffer")
Range = get_model("offer", "Range")
Voucher = get_model("voucher", "Voucher")
StockRecord = get_model("partner", "StockRecord")
SourceType = get_model("payment", "SourceType")
User = get_user_model()


@dataclass
class DemoWorld:
    """Everything the order generators pick from, loaded once per run."""

    site: Any
    admin: Any
    operators: list[Any]
    customers: list[tuple[Any, PersonSpec]]
    guests: list[PersonSpec]
    countries: dict[str, Any]
    products: list[Any]
    tracked_product_ids: set[int]
    #: Products that need delivery (gift cards don't).
    shipped_product_ids: set[int]
    #: (product pk, currency) -> stock record selling the product in that currency.
    stockrecords: dict[tuple[int, str], Any]
    tags: dict[str, Tag]
    default_funnel: Funnel
    wholesale_funnel: Funnel
    created: dict[str, int] = field(default_factory=dict)
    #: Payment method code -> Oscar SourceType (the methods manual orders offer too).
    payment_types: dict[str, Any] = field(default_factory=dict)


def local_price(price_eur: Decimal, currency: str) -> Decimal:
    """A shelf price in ``currency``: converted, then rounded up to the next x.49 or x.99."""
    if currency == "EUR":
        return price_eur
    converted = price_eur * data.EXCHANGE_RATES[currency]
    halves = (converted * 2).to_integral_value(rounding=ROUND_CEILING)
    return (halves / 2 - Decimal("0.01")).quantize(Decimal("0.01"))


def initial_stock(partner: data.PartnerSpec, index: int, currency: str) -> int:
    """A deterministic, varied starting stock level for one stock record."""
    level = partner.base_stock + (index * 37) % 80
    return level // 2 if currency == "USD" else level


def ensure_countries() -> dict[str, Any]:
    """The ``address.Country`` rows the demo addresses need."""
    countries = {}
    for position, spec in enumerate(data.COUNTRIES):
        country, _ = Country.objects.get_or_create(
            iso_3166_1_a2=spec.code,
            defaults={"iso_3166_1_a3": spec.code3, "iso_3166_1_numeric": spec.numeric,
                      "printable_name": spec.printable_name, "name": spec.name,
                      "display_order": len(data.COUNTRIES) - position,
                      "is_shipping_country": True})
        countries[spec.code] = country
    return countries


def _category(name: str) -> Any:
    existing = Category.objects.filter(name=name, depth=1).first()
    return existing or Category.add_root(name=name, is_public=True)


def ensure_catalogue(created: dict[str, int]
                     ) -> tuple[list[Any], dict[tuple[int, str], Any]]:
    """Product classes, categories, products, partners and their stock records."""
    classes = {
        data.TRACKED_CLASS: ProductClass.objects.get_or_create(
            name=data.TRACKED_CLASS, defaults={"track_stock": True,
                                               "requires_shipping": True})[0],
        data.GIFT_CARD_CLASS: ProductClass.objects.get_or_create(
            name=data.GIFT_CARD_CLASS, defaults={"track_stock": False,
                                                 "requires_shipping": False})[0],
    }
    categories = {name: _category(name) for name in data.CATEGORIES}
    partners = {spec.name: Partner.objects.get_or_create(name=spec.name)[0]
                for spec in data.PARTNERS}

    products = []
    stockrecords: dict[tuple[int, str], Any] = {}
    for index, spec in enumerate(data.PRODUCTS):
        product_class = classes[spec.product_class]
        product, was_created = Product.objects.get_or_create(
            upc=spec.upc, defaults={
                "title": spec.title, "product_class": product_class, "is_public": True,
                "description": f"<p>{spec.title}: part of the demo catalogue.</p>"})
        created["products"] = created.get("products", 0) + int(was_created)
        for name in spec.categories:
            ProductCategory.objects.get_or_create(product=product, category=categories[name])
        for partner_spec in data.PARTNERS:
            for currency in partner_spec.currencies:
                tracked = product_class.track_stock
                record, _ = StockRecord.objects.get_or_create(
                    partner=partners[partner_spec.name],
                    partner_sku=f"{partner_spec.sku_prefix}-{spec.upc[5:]}-{currency}",
                    defaults={
                        "product": product, "price_currency": currency,
                        "price": local_price(spec.price_eur, currency),
                        "num_in_stock": (initial_stock(partner_spec, index, currency)
                                         if tracked else None)})
                stockrecords[(product.pk, currency)] = record
        products.append(product)
    # Reload with what order lines copy, so generating orders costs no further queries.
    loaded = StockRecord.objects.select_related("partner", "product__product_class").in_bulk(
        [record.pk for record in stockrecords.values()])
    stockrecords = {key: loaded[record.pk] for key, record in stockrecords.items()}
    products = list(Product.objects.select_related("product_class").filter(
        pk__in=[p.pk for p in products]).order_by("upc"))
    return products, stockrecords


def _user(spec: PersonSpec, created: dict[str, int], *, staff: bool = False,
          password: str = data.PEOPLE_PASSWORD) -> Any:
    user, was_created = User.objects.get_or_create(
        username=spec.username, defaults={"email": spec.email, "first_name": spec.first_name,
                                          "last_name": spec.last_name, "is_staff": staff})
    if was_created:
        user.set_password(password)
        user.save(update_fields=["password"])
        created["users"] = created.get("users", 0) + 1
    return user


def ensure_people(countries: dict[str, Any], created: dict[str, int]
                  ) -> tuple[Any, list[Any], list[tuple[Any, PersonSpec]]]:
    """The ``demo`` superuser, the operators (with their group) and the customers."""
    admin, was_created = User.objects.get_or_create(
        username=data.ADMIN_USERNAME,
        defaults={"email": data.ADMIN_EMAIL, "first_name": "Demo", "last_name": "Admin"})
    if was_created or not (admin.is_superuser and admin.is_staff):
        admin.is_staff = admin.is_superuser = True
        if was_created:
            admin.set_password(data.ADMIN_PASSWORD)
        admin.save()
        created["users"] = created.get("users", 0) + int(was_created)

    group, _ = Group.objects.get_or_create(name=data.OPERATOR_GROUP)
    for dotted in data.OPERATOR_PERMISSIONS:
        app_label, codename = dotted.split(".")
        permission = Permission.objects.filter(content_type__app_label=app_label,
                                               codename=codename).first()
        if permission is not None:
            group.permissions.add(permission)
    operators = []
    for spec in data.OPERATORS:
        operator = _user(spec, created, staff=True)
        operator.groups.add(group)
        operators.append(operator)

    customers = []
    for spec in data.CUSTOMERS:
        customer = _user(spec, created)
        if not UserAddress.objects.filter(user=customer).exists():
            UserAddress.objects.create(
                user=customer, first_name=spec.first_name, last_name=spec.last_name,
                line1=spec.line1, line4=spec.city, state=spec.state, postcode=spec.postcode,
                country=countries[spec.country], phone_number=spec.phone,
                is_default_for_shipping=True, is_default_for_billing=True)
        customers.append((customer, spec))
    return admin, operators, customers


def ensure_tags(created: dict[str, int]) -> dict[str, Tag]:
    """The demo tags, by name."""
    tags = {}
    for name, colour in data.TAGS.items():
        tag, was_created = Tag.objects.get_or_create(name=name, defaults={"colour": colour})
        created["tags"] = created.get("tags", 0) + int(was_created)
        tags[name] = tag
    return tags


def ensure_funnels() -> tuple[Funnel, Funnel]:
    """The shop's default funnel and the extra "Wholesale" one."""
    default = Funnel.objects.get_default()
    wholesale = Funnel.objects.filter(name=data.WHOLESALE_FUNNEL).first()
    if wholesale is None:
        wholesale = Funnel.create_from_workflow(data.WHOLESALE_FUNNEL, is_default=False)
    return default, wholesale


def ensure_shop_setup(created: dict[str, int]) -> None:
    """What a merchant sets up first: the shop identity on documents (invoices need it), the
    carriers, a voucher, and the site's address for links in emails."""
    if not ShopIdentity.objects.exists():
        ShopIdentity.objects.create(**data.SHOP_IDENTITY)
        created["shop identity"] = 1
    for name, template in data.CARRIERS:
        __, was_created = Carrier.objects.get_or_create(
            name=name, defaults={"tracking_url_template": template})
        created["carriers"] = created.get("carriers", 0) + int(was_created)
    if not Voucher.objects.filter(code=data.VOUCHER_CODE).exists():
        everything, __ = Range.objects.get_or_create(
            name="Everything", defaults={"includes_all_products": True})
        offer = ConditionalOffer.objects.create(
            name=data.VOUCHER_OFFER_NAME, offer_type=ConditionalOffer.VOUCHER,
            benefit=Benefit.objects.create(range=everything, type=Benefit.PERCENTAGE,
                                           value=data.VOUCHER_PERCENT),
            condition=Condition.objects.create(range=everything, type=Condition.COUNT, value=1))
        voucher = Voucher.objects.create(
            name=data.VOUCHER_OFFER_NAME, code=data.VOUCHER_CODE, usage=Voucher.MULTI_USE,
            start_datetime=timezone.now() - timedelta(days=1),
            end_datetime=timezone.now() + timedelta(days=3650))
        voucher.offers.add(offer)
        created["vouchers"] = 1
    site = Site.objects.get_current()
    if site.domain == "example.com":  # Django's placeholder: links in emails would not work
        site.domain, site.name = data.SITE_DOMAIN, "Oscar Orders Ext sandbox"
        site.save()


def serve_links_at(address: str) -> bool:
    """Point the demo's Site at ``address`` ("127.0.0.1:8031"), the address the sandbox is
    served on: Oscar's emails, the app's links and django-payments' return addresses are built
    from it. Only a demo address (Django's placeholder, 127.0.0.1 or localhost) is replaced:
    a domain set by hand stays. True when it changed."""
    site = Site.objects.get_current()
    host = site.domain.rsplit(":", 1)[0]
    if site.domain == address or (site.domain != "example.com"
                                  and host not in ("127.0.0.1", "localhost")):
        return False
    site.domain = address
    site.save(update_fields=["domain"])
    return True


def ensure_payment_methods(created: dict[str, int]) -> dict[str, Any]:
    """Oscar payment source types for the app's payment methods (``PAYMENT_METHODS``: cash,
    bank transfer, card, cash on delivery), which demo orders are paid with."""
    types = {}
    for code, label in app_settings.PAYMENT_METHODS:
        types[code], was_created = SourceType.objects.get_or_create(
            code=code, defaults={"name": str(label)})
        created["payment methods"] = created.get("payment methods", 0) + int(was_created)
    return types


def ensure_customer_groups(customers: list[tuple[Any, PersonSpec]],
                           created: dict[str, int]) -> None:
    """The "Wholesale" customer group, its price list (a percentage off every category, more
    from a quantity) and the wholesale customers in it. Runs after the accounts' transaction
    committed, when their directory rows exist."""
    if CustomerGroup.objects.filter(name=data.WHOLESALE_GROUP).exists():
        return
    with transaction.atomic():
        price_list = PriceList.objects.create(name=data.WHOLESALE_PRICE_LIST, currency="EUR")
        base, more = data.WHOLESALE_PERCENT_OFF
        for name in data.CATEGORIES:
            category = _category(name)
            PriceListItem.objects.create(price_list=price_list, category=category,
                                         percent_off=base)
            PriceListItem.objects.create(price_list=price_list, category=category,
                                         percent_off=more,
                                         min_quantity=data.WHOLESALE_BREAK_QUANTITY)
        group = CustomerGroup.objects.create(name=data.WHOLESALE_GROUP)
        group.price_lists.add(price_list)
        emails = [spec.email for _user, spec in customers if spec.wholesale]
        refresh_customers(emails)
        Customer.objects.filter(email__in=emails).update(group=group)
        created["customer groups"] = 1


#: The demo's subscription product (not among the products the order generator picks).
PLAN_PRODUCT_UPC = "DEMO-SUB-1"


def ensure_plans(created: dict[str, int]) -> Any:
    """A monthly plan sold on "Coffee of the month" with a setup fee (docs/subscriptions.md):
    buy it, confirm the order, and the tick bills it every month."""
    product_class = ProductClass.objects.get(name=data.GIFT_CARD_CLASS)  # no stock, no shipping
    product, was_created = Product.objects.get_or_create(
        upc=PLAN_PRODUCT_UPC, defaults={
            "title": "Coffee of the month", "product_class": product_class, "is_public": True,
            "description": "<p>A bag of freshly roasted coffee every month.</p>"})
    created["plan products"] = created.get("plan products", 0) + int(was_created)
    plan, _ = Plan.objects.get_or_create(name="Monthly coffee club",
                                         defaults={"interval_unit": "month"})
    price_eur = Decimal("15.00")
    for partner_spec in data.PARTNERS:
        partner = Partner.objects.get(name=partner_spec.name)
        for currency in partner_spec.currencies:
            StockRecord.objects.get_or_create(
                partner=partner, partner_sku=f"{partner_spec.sku_prefix}-SUB-1-{currency}",
                defaults={"product": product, "price_currency": currency,
                          "price": local_price(price_eur, currency), "num_in_stock": None})
            PlanPrice.objects.get_or_create(
                plan=plan, currency=currency,
                defaults={"amount": local_price(price_eur, currency),
                          # Charged once, on the first order (Oscar's surcharge).
                          "setup_fee": local_price(Decimal("5.00"), currency)})
    ProductPlan.objects.get_or_create(product=product, defaults={"plan": plan})
    return plan


def ensure_demo_world() -> DemoWorld:
    """Create whatever of the demo shop is missing and return all of it."""
    created: dict[str, int] = {}
    with transaction.atomic():
        countries = ensure_countries()
        products, stockrecords = ensure_catalogue(created)
        admin, operators, customers = ensure_people(countries, created)
        tags = ensure_tags(created)
        default_funnel, wholesale_funnel = ensure_funnels()
        ensure_shop_setup(created)
        payment_types = ensure_payment_methods(created)
        ensure_plans(created)
    ensure_customer_groups(customers, created)
    guests = list(data.GUESTS)
    return DemoWorld(
        site=Site.objects.get_current(), admin=admin, operators=operators,
        customers=customers, guests=guests, countries=countries, products=products,
        tracked_product_ids={p.pk for p in products if p.product_class.track_stock},
        shipped_product_ids={p.pk for p in products if p.product_class.requires_shipping},
        stockrecords=stockrecords, tags=tags,
        default_funnel=default_funnel, wholesale_funnel=wholesale_funnel, created=created,
        payment_types=payment_types)

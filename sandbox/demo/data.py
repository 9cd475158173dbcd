"""The fixed content of the demo shop: countries, catalogue, people and tags.

Plain data only; :mod:`sandbox.demo.setup` writes it to the database idempotently.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

D = Decimal


@dataclass(frozen=True)
class CountrySpec:
    """One ``address.Country`` row."""

    code: str
    code3: str
    numeric: str
    printable_name: str
    name: str


COUNTRIES: tuple[CountrySpec, ...] = (
    CountrySpec("GB", "GBR", "826", "United Kingdom",
                "United Kingdom of Great Britain and Northern Ireland"),
    CountrySpec("FR", "FRA", "250", "France", "French Republic"),
    CountrySpec("IT", "ITA", "380", "Italy", "Italian Republic"),
    CountrySpec("DE", "DEU", "276", "Germany", "Federal Republic of Germany"),
    CountrySpec("US", "USA", "840", "United States", "United States of America"),
)

#: Shop currencies, and the one customers of each country usually pay in.
CURRENCIES: tuple[str, ...] = ("EUR", "GBP", "USD")
CURRENCY_BY_COUNTRY: dict[str, str] = {"GB": "GBP", "US": "USD", "FR": "EUR", "IT": "EUR",
                                       "DE": "EUR"}
#: Price of one euro in each currency (prices are set in euros and converted).
EXCHANGE_RATES: dict[str, Decimal] = {"EUR": D("1"), "GBP": D("0.86"), "USD": D("1.09")}

TRACKED_CLASS = "Homeware"
GIFT_CARD_CLASS = "Gift card"

CATEGORIES: tuple[str, ...] = ("Kitchen", "Living room", "Gifts")


@dataclass(frozen=True)
class ProductSpec:
    """A product of the demo catalogue; ``upc`` identifies it across runs."""

    upc: str
    title: str
    price_eur: Decimal
    categories: tuple[str, ...]
    product_class: str = TRACKED_CLASS


PRODUCTS: tuple[ProductSpec, ...] = (
    ProductSpec("DEMO-0001", "Enamel coffee pot", D("34.00"), ("Kitchen",)),
    ProductSpec("DEMO-0002", "Cast iron skillet", D("49.00"), ("Kitchen",)),
    ProductSpec("DEMO-0003", "Olive wood chopping board", D("29.50"), ("Kitchen", "Gifts")),
    ProductSpec("DEMO-0004", "Copper measuring cups", D("24.00"), ("Kitchen",)),
    ProductSpec("DEMO-0005", "Linen tea towel set", D("18.00"), ("Kitchen",)),
    ProductSpec("DEMO-0006", "Stoneware mixing bowl", D("32.00"), ("Kitchen",)),
    ProductSpec("DEMO-0007", "Glass water carafe", D("21.00"), ("Kitchen",)),
    ProductSpec("DEMO-0008", "Espresso cup pair", D("19.90"), ("Kitchen", "Gifts")),
    ProductSpec("DEMO-0009", "Bread tin", D("27.00"), ("Kitchen",)),
    ProductSpec("DEMO-0010", "Wool throw blanket", D("89.00"), ("Living room",)),
    ProductSpec("DEMO-0011", "Ceramic table lamp", D("120.00"), ("Living room",)),
    ProductSpec("DEMO-0012", "Rattan storage basket", D("39.00"), ("Living room",)),
    ProductSpec("DEMO-0013", "Scented soy candle", D("16.50"), ("Living room", "Gifts")),
    ProductSpec("DEMO-0014", "Linen cushion cover", D("22.00"), ("Living room",)),
    ProductSpec("DEMO-0015", "Oak picture frame", D("27.00"), ("Living room",)),
    ProductSpec("DEMO-0016", "Hand-blown vase", D("58.00"), ("Living room", "Gifts")),
    ProductSpec("DEMO-0017", "Jute floor rug", D("145.00"), ("Living room",)),
    ProductSpec("DEMO-0018", "Brass wall hook set", D("26.00"), ("Living room",)),
    ProductSpec("DEMO-0019", "Gift card 25", D("25.00"), ("Gifts",), GIFT_CARD_CLASS),
    ProductSpec("DEMO-0020", "Gift card 50", D("50.00"), ("Gifts",), GIFT_CARD_CLASS),
)


@dataclass(frozen=True)
class PartnerSpec:
    """A fulfilment partner and the currencies it sells in."""

    name: str
    sku_prefix: str
    currencies: tuple[str, ...]
    base_stock: int


PARTNERS: tuple[PartnerSpec, ...] = (
    PartnerSpec("Atelier Lumière", "AL", ("EUR", "USD"), 240),
    PartnerSpec("Harbour & Co", "HC", ("GBP",), 160),
)


@dataclass(frozen=True)
class PersonSpec:
    """A customer (or an operator) with the address orders are shipped to."""

    username: str
    first_name: str
    last_name: str
    country: str = "GB"
    line1: str = ""
    city: str = ""
    postcode: str = ""
    state: str = ""
    phone: str = ""
    vip: bool = False
    wholesale: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"

    @property
    def language(self) -> str:
        """The language they shop in: their country's, where the sandbox speaks it."""
        return SHOP_LANGUAGES.get(self.country, "en-gb")


CUSTOMERS: tuple[PersonSpec, ...] = (
    PersonSpec("alice.johnson", "Alice", "Johnson", "GB", "12 Baker Street", "London",
               "NW1 6XE", phone="+442079460123", vip=True),
    PersonSpec("tom.hughes", "Tom", "Hughes", "GB", "4 Deansgate", "Manchester", "M3 2BW"),
    PersonSpec("claire.dubois", "Claire", "Dubois", "FR", "8 rue de Rivoli", "Paris", "75001",
               phone="+33140200000"),
    PersonSpec("luc.martin", "Luc", "Martin", "FR", "21 rue de la République", "Lyon", "69002",
               wholesale=True),
    PersonSpec("giulia.bianchi", "Giulia", "Bianchi", "IT", "Via Dante 15", "Milano", "20121",
               vip=True),
    PersonSpec("jonas.weber", "Jonas", "Weber", "DE", "Friedrichstraße 43", "Berlin", "10117"),
    PersonSpec("anna.fischer", "Anna", "Fischer", "DE", "Marienplatz 8", "München", "80331",
               wholesale=True),
    PersonSpec("emily.carter", "Emily", "Carter", "US", "350 Fifth Avenue", "New York",
               "10118", state="NY", phone="+12125550100"),
    PersonSpec("daniel.brooks", "Daniel", "Brooks", "US", "700 Congress Avenue", "Austin",
               "78701", state="TX"),
)

#: Buyers without an account (guest checkout).
GUESTS: tuple[PersonSpec, ...] = (
    PersonSpec("guest.sophie", "Sophie", "Laurent", "FR", "3 place Bellecour", "Lyon", "69002"),
    PersonSpec("guest.marco", "Marco", "Ricci", "IT", "Via Roma 2", "Torino", "10121"),
    PersonSpec("guest.james", "James", "Wright", "GB", "9 Queen Street", "Edinburgh",
               "EH2 1JQ"),
)

OPERATORS: tuple[PersonSpec, ...] = (
    PersonSpec("olivia", "Olivia", "Martin"),
    PersonSpec("marco", "Marco", "Rossi"),
    PersonSpec("lena", "Lena", "Schmidt"),
)
OPERATOR_GROUP = "Order operators"
#: ``app_label.codename`` of the permissions operators need to work orders.
OPERATOR_PERMISSIONS: tuple[str, ...] = (
    "oscar_orders_ext.view_orderprocess",
    "oscar_orders_ext.change_orderprocess",
    "oscar_orders_ext.change_order_state",
    "oscar_orders_ext.cancel_order",
    "oscar_orders_ext.refund_order",
    "oscar_orders_ext.reopen_order",
    "oscar_orders_ext.bulk_edit_orders",
    "oscar_orders_ext.view_subscription",
    "oscar_orders_ext.manage_subscriptions",
    "order.view_order",
    "order.change_order",
)

ADMIN_USERNAME = "demo"
ADMIN_PASSWORD = "demo"
ADMIN_EMAIL = "demo@example.com"
#: Password of every demo customer and operator.
PEOPLE_PASSWORD = "demo"

#: Tag name -> colour.
TAGS: dict[str, str] = {
    "VIP": "#6f42c1",
    "Gift": "#d63384",
    "Fragile": "#fd7e14",
    "Express": "#0dcaf0",
    "Wholesale": "#198754",
    "Follow-up": "#dc3545",
}

WHOLESALE_FUNNEL = "Wholesale"
#: The customer group of the wholesale customers and its price list (euros): a percentage off
#: every category, more from a quantity (docs/customers.md).
WHOLESALE_GROUP = "Wholesale"
WHOLESALE_PRICE_LIST = "Wholesale prices"
WHOLESALE_PERCENT_OFF = (Decimal("15"), Decimal("25"))
WHOLESALE_BREAK_QUANTITY = 10
SOURCES: tuple[str, ...] = ("web", "web", "web", "web", "phone", "email", "marketplace")


#: The shop identity printed on documents (a legal invoice needs name, address, VAT number).
SHOP_IDENTITY = {
    "name": "Bottega Demo srl", "address": "Via Roma 1\n20121 Milano MI\nItaly",
    "vat_number": "IT01234567890", "tax_code": "01234567890",
    "email": "shop@example.com", "phone": "+39 02 1234 5678", "website": "shop.example.com",
    "bank_details": "IBAN IT60 X054 2811 1010 0000 0123 456",
    "footer": "Bottega Demo srl · capitale sociale 10.000 € i.v. · REA MI-1234567",
}
#: Carriers offered when recording a shipment: (name, tracking URL template).
CARRIERS = (
    ("DHL", "https://www.dhl.com/en/express/tracking.html?AWB={code}"),
    ("UPS", "https://www.ups.com/track?tracknum={code}"),
    ("Poste Italiane", "https://www.poste.it/cerca/index.html#/risultati-spedizioni/{code}"),
)
VOUCHER_CODE = "WELCOME10"
VOUCHER_OFFER_NAME = "Welcome: 10% off"
VOUCHER_PERCENT = 10
#: Countries whose customers shop in a language of the sandbox's other than English
#: (``settings.LANGUAGES``): their orders, emails and documents speak it.
SHOP_LANGUAGES = {"IT": "it", "FR": "fr"}
#: The runserver address of ``make run``: links in the demo's emails point there.
SITE_DOMAIN = "127.0.0.1:8000"

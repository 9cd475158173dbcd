"""The app's settings, each read lazily from Django settings with a documented default.

Every setting is prefixed ``OSCAR_ORDERS_EXT_``; ``docs/settings.md`` describes them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.utils.translation import gettext_lazy as _

DEFAULTS: dict[str, Any] = {
    # Dotted path of the workflow class (a subclass of oscar_orders_ext.workflow.Workflow).
    "WORKFLOW": "oscar_orders_ext.workflow.DefaultWorkflow",
    # Target state -> stock effect ("consume", "release", "restock"); None uses the workflow's.
    "STOCK_EFFECTS": None,
    # Extra Oscar status -> workflow state code, for backfill and for changes made in Oscar's UI.
    "STATUS_MAP": {},
    # Write every state change into Oscar's Order.status.
    "MIRROR_OSCAR_STATUS": True,
    # Follow status changes made outside the app (Oscar's own dashboard, scripts).
    "FOLLOW_OSCAR_STATUS": True,
    # Scheme and host of links in customer emails ("https://shop.example.com"); "" builds them
    # from OSCAR_URL_SCHEMA and the current Site's domain (Sites framework).
    "SITE_URL": "",
    # Master switch for customer emails on state changes.
    "NOTIFY_CUSTOMERS": True,
    # CommunicationEventType code of the state-change email.
    "STATE_EMAIL_EVENT_CODE": "ORDER_STATE_CHANGED",
    # Put the workspace into Oscar's dashboard menu (Fulfilment) at start-up.
    "ADD_TO_NAVIGATION": True,
    # Make Fulfilment › Orders open the workspace; Oscar's list stays as "Orders (classic)".
    "REPLACE_ORDER_LIST": False,
    # Exports up to this many orders download at once; larger ones run in the background.
    "EXPORT_SYNC_LIMIT": 5000,
    # Hours a background export's file stays downloadable.
    "EXPORT_EXPIRY_HOURS": 48,
    # Bulk actions on at most this many ticked rows run in the request (a page of the table);
    # larger selections and "every matching order" run on the worker with a progress page.
    "BULK_SYNC_LIMIT": 100,
    # Orders per batch (one transaction each) of a bulk action on the worker.
    "BULK_BATCH_SIZE": 1000,
    # Orders per batch of a set-based bulk action (tags, operator, paid/unpaid): a few
    # statements each, whatever the size, so larger batches than the per-order ones.
    "BULK_SET_BATCH_SIZE": 10000,
    # Batches of a set-based bulk action that run at once on PostgreSQL, each on its own
    # database connection (the worker opens this many more while the job runs).
    "BULK_SET_CONNECTIONS": 2,
    # Refusals a bulk action stores order by order (the report counts them all).
    "BULK_REFUSALS_STORED": 5000,
    # Seconds between the heartbeats of a job running in a worker.
    "JOB_HEARTBEAT_SECONDS": 30,
    # A running job without a heartbeat for this many seconds is failed by the tick's sweep
    # (its worker died); keep it several heartbeats long.
    "JOB_STALE_SECONDS": 300,
    # Name of the funnel created after migrate when a shop has none: stored as written here,
    # shown translated (Funnel.display_name) while the shop keeps that name.
    "DEFAULT_FUNNEL_NAME": _("Orders"),
    # Refuse the "ship" transition until a shipment with a tracking code is recorded.
    "REQUIRE_TRACKING_TO_SHIP": False,
    # Largest order file (CSV or XLSX) the importer accepts, in bytes.
    "IMPORT_MAX_BYTES": 20 * 1024 * 1024,
    # Uploads larger than this are read (the dry run) in the background, with progress.
    "IMPORT_SYNC_BYTES": 2 * 1024 * 1024,
    # An XLSX file is a ZIP archive: refuse one whose members would expand to more than this
    # (declared sizes, checked before anything is inflated), or any member compressed more than
    # IMPORT_MAX_COMPRESSION_RATIO times (a "zip bomb").
    "IMPORT_MAX_UNCOMPRESSED_BYTES": 256 * 1024 * 1024,
    "IMPORT_MAX_COMPRESSION_RATIO": 100,
    # Most a web request inflates of an XLSX upload; larger ones are read in the background.
    "IMPORT_REQUEST_UNCOMPRESSED_BYTES": 32 * 1024 * 1024,
    # Most rows (and columns) an order file may have.
    "IMPORT_MAX_ROWS": 1_000_000,
    "IMPORT_MAX_COLUMNS": 512,
    # Imports of more orders than this are committed in the background, with progress.
    "IMPORT_SYNC_LIMIT": 2000,
    # On PostgreSQL, write imported orders with COPY (same rows, about 20 times faster than the
    # ORM's bulk inserts); False falls back to the ORM writer that other databases use.
    "IMPORT_USE_COPY": True,
    # Hours an uploaded file and its dry run are kept; an expired dry run cannot be committed.
    "IMPORT_EXPIRY_HOURS": 48,
    # Row errors kept with an import job (and shown); the rest are counted.
    "IMPORT_ERRORS_STORED": 500,
    # Numbers of manual orders: "oscar" (Oscar's OrderNumberGenerator) or "random" (a unique,
    # non-guessable code such as "K7QX2M9PRT").
    "ORDER_NUMBERS": "oscar",
    # Payment methods offered for manual orders and for marking an order paid by hand on its
    # page, as (code, label); stored as Oscar SourceTypes.
    "PAYMENT_METHODS": (
        ("cash", _("Cash")),
        ("bank-transfer", _("Bank transfer")),
        ("card", _("Card")),
        ("cash-on-delivery", _("Cash on delivery")),
        ("pay-in-store", _("Pay in store")),
    ),
    # States a manual order may start in; None: the initial state and the states a path of
    # transitions leads to, except those that release or restock goods.
    "MANUAL_ORDER_STATES": None,
    # The shop's identity on documents when no ShopIdentity row was saved in the dashboard:
    # keys name, address, vat_number, tax_code, email, phone, website, bank_details, footer,
    # logo (a path in static files).
    "SHOP_IDENTITY": {},
    # Numbering series per legal document kind; "" is the default series ("2026/00001"),
    # any other value prefixes the number ("CN-2026/00001").
    "DOCUMENT_SERIES": {"invoice": "", "credit_note": "CN"},
    # Digits of the sequence number in a document number (5: 2026/00001).
    "DOCUMENT_NUMBER_DIGITS": 5,
    # Bulk prints up to this many orders download at once; larger ones run in the background.
    "PRINT_SYNC_LIMIT": 50,
    # Worker processes laying out a background bulk print (0: one per core, so one on a
    # one-core machine; 1: off); chunks of the print are laid out side by side and merged.
    "PRINT_PROCESSES": 0,
    # CommunicationEventType code of the email that sends an invoice to the customer.
    "INVOICE_EMAIL_EVENT_CODE": "INVOICE",
    # Payments (docs/payments.md). Hours a payment link stays payable; the tick expires it.
    "PAYMENT_LINK_EXPIRY_HOURS": 72,
    # Online payment methods customers choose from on the pay page: django-payments variant
    # (a key of PAYMENT_VARIANTS) -> label; None offers every variant under its own name.
    "ONLINE_PAYMENT_METHODS": None,
    # Refunds above this amount (in the order's currency) need the "refund large amounts"
    # permission; None: no limit.
    "LARGE_REFUND_LIMIT": None,
    # A transition to make when an order becomes fully paid, by state: {"awaiting_payment":
    # "prepare"}; the move is skipped when the workflow does not allow it then.
    "PAID_TRANSITIONS": {},
    # CommunicationEventType codes of the payment emails.
    "PAYMENT_LINK_EMAIL_EVENT_CODE": "ORDER_PAYMENT_LINK",
    "PAYMENT_RECEIVED_EMAIL_EVENT_CODE": "ORDER_PAYMENT_RECEIVED",
    "REFUND_EMAIL_EVENT_CODE": "ORDER_REFUNDED",
    # States whose orders the customer directory leaves out of a customer's orders and value.
    "CUSTOMER_EXCLUDED_STATES": ("cancelled", "rejected", "refunded"),
    # When customer tag rules apply to an order: "placed" or "paid".
    "CUSTOMER_TAG_RULES_ON": "placed",
    # Customers per page of the customer directory.
    "CUSTOMERS_PER_PAGE": 50,
    # The state the first staff message moves an order in the workflow's initial state to
    # (through the transition service and its rules); None leaves the state alone.
    "CHAT_FIRST_MESSAGE_STATE": "processing",
    # CommunicationEventType code of the email that tells the customer of a new message.
    "MESSAGE_EMAIL_EVENT_CODE": "ORDER_MESSAGE",
    # Where customer messages are emailed when the order has no operator ("" emails nobody).
    "STAFF_MESSAGE_EMAIL": "",
    # Days a conversation link in an email opens the conversation without logging in.
    "CHAT_LINK_MAX_AGE_DAYS": 90,
    # Longest message accepted, in characters.
    "MESSAGE_MAX_LENGTH": 5000,
    # Largest attachment of a message (an image or a PDF), in bytes; 0 turns attachments off.
    "MESSAGE_ATTACHMENT_MAX_BYTES": 5 * 1024 * 1024,
    # The state a price proposal moves the order to (None: the state is left alone), and the
    # states an accepted and a rejected proposal move it on to (None: left alone): the
    # customer has answered, the shop confirms, re-quotes or rejects the order.
    "QUOTE_STATE": "awaiting_customer",
    "QUOTE_ACCEPTED_STATE": "processing",
    "QUOTE_REJECTED_STATE": "processing",
    # Days a new price proposal stays valid unless the operator picks another date.
    "QUOTE_VALID_DAYS": 14,
    # An accepted proposal with an online payment method sends the customer a payment link for
    # the amount due (False: never). Payment methods (Oscar SourceType codes) paid outside the
    # gateways: with only these, no link is sent and the order gets a note for the shop.
    "QUOTE_PAYMENT_LINK": True,
    "QUOTE_OFFLINE_PAYMENT_METHODS": ("cash", "bank-transfer", "cash-on-delivery"),
    # Subscriptions (docs/subscriptions.md): the state whose entry creates an order's
    # subscriptions (the default workflow's "Confirm" leads there).
    "SUBSCRIPTION_CONFIRMED_STATE": "processing",
    # Dotted path of fn(renewal) -> bool charging a renewal without the customer (a stored
    # card); None or False: a payment link is emailed.
    "SUBSCRIPTION_CHARGER": None,
    # Days after a renewal's due date when it is chased while unpaid: the first makes the
    # subscription past due, each sends a reminder with a new link, the last ends it.
    "SUBSCRIPTION_DUNNING_DAYS": (1, 3, 7, 14),
    # A change of plan: "none" (new plan from the next renewal), "next_renewal" (now, with
    # the prorated difference on the next renewal) or "now" (charged or refunded at once).
    "SUBSCRIPTION_PRORATION": "next_renewal",
    # Seconds Django's cache remembers which products are sold on a plan, so that checkout
    # decides from the basket's products, without a query, whether an order is a
    # subscription; every save or deletion of a product's plan forgets it at once (in every
    # process with a shared cache such as Redis; with a per-process cache, other processes
    # notice within this time). 0: ask every time.
    "PLAN_PRODUCTS_CACHE_SECONDS": 60,
    # Days between reminders (a fresh payment link) of an unpaid installment.
    "INSTALLMENT_REMINDER_DAYS": 3,
    # Webhooks (docs/webhooks.md): allow endpoints on loopback, link-local and private
    # addresses (a local receiver in tests or the sandbox); refused by default.
    "WEBHOOKS_ALLOW_PRIVATE_URLS": False,
    # Seconds a webhook request may take before it counts as failed.
    "WEBHOOK_TIMEOUT_SECONDS": 10,
    # Seconds Django's cache remembers whether any webhook endpoint is active, so that orders
    # placed and moved without endpoints cost no query for it; every save or deletion of an
    # endpoint forgets it at once (in every process with a shared cache such as Redis; with
    # a per-process cache, other processes notice within this time). 0: ask every time.
    "WEBHOOK_ACTIVE_CACHE_SECONDS": 60,
    # Hours the previous secret keeps signing after a rotation (two signatures meanwhile).
    "WEBHOOK_SECRET_OVERLAP_HOURS": 24,
    # Orders per page of the API's staff list (a client may ask for fewer, up to this).
    "API_PAGE_SIZE": 50,
}


class AppSettings:
    """Attribute access to the app's settings: ``app_settings.WORKFLOW``."""

    prefix = "OSCAR_ORDERS_EXT_"

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(name)
        return getattr(django_settings, self.prefix + name, DEFAULTS[name])


app_settings = AppSettings()

"""The app's own state, kept beside Oscar's ``Order`` rather than inside a fork of it.

One module per concern; every model is importable from here, as Django expects.
"""

from .customers import Customer, CustomerGroup, CustomerTagRule, PriceList, PriceListItem
from .conversations import MessageSide, OrderMessage, Quote, QuoteStatus
from .documents import (DocumentSequence, ImmutableDocumentError, IssuedDocument, ShopIdentity,
                        issued_document_upload_to)
from .funnels import Funnel, FunnelQuerySet, Stage
from .integrations import ApiToken, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .jobs import (BulkJob, ExportJob, ImportJob, TickRun, WorkerRun, export_upload_to,
                   import_upload_to)
from .logistics import TRACKING_CODE_PLACEHOLDER, Carrier, Shipment
from .payments import GATEWAY_MAX_AMOUNT, OrderPayment, PaymentLink, PaymentLinkStatus
from .preferences import BoardPreference, ColumnPreference, SavedView
from .process import (ORDER_MODEL, TALLY_FACETS, CustomerTally, DayTally, FacetTally,
                      OrderProcess, OrderProcessQuerySet, ProcessTally, ProductTally, Tag,
                      TagTally, TotalTally, next_total_bucket, total_bucket)
from .subscriptions import (EndReason, Installment, InstallmentStatus, IntervalUnit, Plan,
                            PlanPrice, ProductPlan, RenewalStatus, Subscription,
                            SubscriptionEvent, SubscriptionRenewal)
from .timeline import TimelineEntry

__all__ = [
    "ORDER_MODEL", "TRACKING_CODE_PLACEHOLDER", "ApiToken", "BoardPreference", "BulkJob",
    "Carrier",
    "ColumnPreference", "Customer", "CustomerGroup", "CustomerTagRule", "DocumentSequence",
    "ExportJob", "Funnel", "FunnelQuerySet", "GATEWAY_MAX_AMOUNT", "ImmutableDocumentError",
    "ImportJob", "IssuedDocument", "MessageSide", "OrderMessage", "OrderPayment", "OrderProcess",
    "OrderProcessQuerySet", "PaymentLink", "PaymentLinkStatus", "PriceList", "PriceListItem",
    "ProcessTally", "TagTally", "DayTally", "FacetTally", "CustomerTally", "ProductTally",
    "TotalTally",
    "TALLY_FACETS",
    "Quote", "QuoteStatus", "SavedView", "Shipment", "ShopIdentity", "Stage",
    "Tag", "TickRun", "TimelineEntry", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
    "WorkerRun", "EndReason", "Installment", "InstallmentStatus", "IntervalUnit", "Plan",
    "PlanPrice", "ProductPlan", "RenewalStatus", "Subscription", "SubscriptionEvent",
    "SubscriptionRenewal",
    "export_upload_to", "import_upload_to", "issued_document_upload_to", "next_total_bucket",
    "total_bucket",
]

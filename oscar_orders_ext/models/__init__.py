"""The app's own state, kept beside Oscar's ``Order`` rather than inside a fork of it.

One module per concern; every model is importable from here, as Django expects.
"""

from .customers import Customer, CustomerGroup, CustomerTagRule, PriceList, PriceListItem
from .conversations import MessageSide, OrderMessage, Quote, QuoteStatus
from .documents import (DocumentSequence, ImmutableDocumentError, IssuedDocument, ShopIdentity,
                        issued_document_upload_to)
from .funnels import Funnel, FunnelQuerySet, Stage
from .jobs import ExportJob, ImportJob, TickRun, WorkerRun, export_upload_to, import_upload_to
from .logistics import TRACKING_CODE_PLACEHOLDER, Carrier, Shipment
from .payments import GATEWAY_MAX_AMOUNT, OrderPayment, PaymentLink, PaymentLinkStatus
from .preferences import BoardPreference, ColumnPreference, SavedView
from .process import ORDER_MODEL, OrderProcess, OrderProcessQuerySet, ProcessTally, Tag
from .timeline import TimelineEntry

__all__ = [
    "ORDER_MODEL", "TRACKING_CODE_PLACEHOLDER", "BoardPreference", "Carrier", "ColumnPreference",
    "Customer", "CustomerGroup", "CustomerTagRule",
    "PriceList", "PriceListItem",
    "DocumentSequence", "ExportJob", "Funnel", "FunnelQuerySet", "ImmutableDocumentError",
    "GATEWAY_MAX_AMOUNT", "ImportJob", "IssuedDocument", "MessageSide", "OrderMessage",
    "OrderPayment", "OrderProcess", "OrderProcessQuerySet", "PaymentLink", "PaymentLinkStatus",
    "ProcessTally", "Quote", "QuoteStatus", "SavedView", "Shipment", "ShopIdentity", "Stage",
    "Tag", "TickRun", "TimelineEntry", "WorkerRun",
    "export_upload_to", "import_upload_to", "issued_document_upload_to",
]

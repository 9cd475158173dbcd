"""The app's own state, kept beside Oscar's ``Order`` rather than inside a fork of it.

One module per concern; every model is importable from here, as Django expects.
"""

from .documents import (DocumentSequence, ImmutableDocumentError, IssuedDocument, ShopIdentity,
                        issued_document_upload_to)
from .funnels import Funnel, FunnelQuerySet, Stage
from .integrations import ApiToken, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .jobs import ExportJob, ImportJob, TickRun, WorkerRun, export_upload_to, import_upload_to
from .logistics import TRACKING_CODE_PLACEHOLDER, Carrier, Shipment
from .preferences import ColumnPreference, SavedView
from .process import ORDER_MODEL, OrderProcess, OrderProcessQuerySet, ProcessTally, Tag
from .timeline import TimelineEntry

__all__ = [
    "ORDER_MODEL", "TRACKING_CODE_PLACEHOLDER", "ApiToken", "Carrier", "ColumnPreference",
    "DocumentSequence", "ExportJob", "Funnel", "FunnelQuerySet", "ImmutableDocumentError",
    "ImportJob", "IssuedDocument", "OrderProcess", "OrderProcessQuerySet", "ProcessTally",
    "SavedView", "Shipment", "ShopIdentity", "Stage", "Tag", "TickRun", "TimelineEntry",
    "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint", "WorkerRun",
    "export_upload_to", "import_upload_to", "issued_document_upload_to",
]

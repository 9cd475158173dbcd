"""The app's own state, kept beside Oscar's ``Order`` rather than inside a fork of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, Transition

from .constants import LEGAL_DOCUMENTS, OrderType, PaymentStatus, StockStatus, TimelineKind
from .workflow import State, get_workflow

if TYPE_CHECKING:
    from .workflow import Workflow

ORDER_MODEL = "order.Order"


class Tag(models.Model):
    """A coloured label operators put on orders ("VIP", "gift", "fragile")."""

    name = models.CharField(_("name"), max_length=64, unique=True)
    colour = models.CharField(_("colour"), max_length=7, default="#6c757d",
                              help_text=_("A CSS colour such as #ff8800."))

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class FunnelQuerySet(models.QuerySet["Funnel"]):
    def get_default(self) -> Funnel:
        """The shop's default funnel, created from the workflow's states if there is none."""
        funnel = self.order_by("-is_default", "position", "pk").first()
        return funnel or Funnel.create_from_workflow()


class Funnel(models.Model):
    """A pipeline of stages; every order belongs to exactly one funnel."""

    name = models.CharField(_("name"), max_length=128)
    slug = models.SlugField(_("slug"), max_length=128, unique=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    is_default = models.BooleanField(
        _("default"), default=False,
        help_text=_("New orders land in the default funnel."))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = FunnelQuerySet.as_manager()

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("funnel")
        verbose_name_plural = _("funnels")
        constraints = [
            models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True),
                                    name="oscar_orders_ext_one_default_funnel"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def create_from_workflow(cls, name: str | None = None, *, is_default: bool = True) -> Funnel:
        """A funnel with one stage per workflow state, in workflow order."""
        from .conf import app_settings

        name = name or str(app_settings.DEFAULT_FUNNEL_NAME)
        slug = base = slugify(name) or "funnel"
        suffix = 1
        while cls.objects.filter(slug=slug).exists():
            suffix += 1
            slug = f"{base}-{suffix}"
        funnel = cls.objects.create(name=name, slug=slug, is_default=is_default)
        Stage.objects.bulk_create(
            Stage(funnel=funnel, name=str(state.label), state=state.code, colour=state.colour,
                  position=position)
            for position, state in enumerate(get_workflow().get_states())
        )
        return funnel

    def stage_for_state(self, state: str) -> Stage | None:
        """The first stage of this funnel that holds orders in ``state``."""
        return self.stages.filter(state=state).order_by("position", "pk").first()


class Stage(models.Model):
    """A column of a funnel's board, mapped to one workflow state."""

    funnel = models.ForeignKey(Funnel, on_delete=models.CASCADE, related_name="stages",
                               verbose_name=_("funnel"))
    name = models.CharField(_("name"), max_length=128)
    state = models.CharField(_("workflow state"), max_length=50)
    colour = models.CharField(_("colour"), max_length=7, default="#6c757d")
    position = models.PositiveIntegerField(_("position"), default=0)
    time_limit = models.DurationField(
        _("time limit"), null=True, blank=True,
        help_text=_("Cards staying longer than this are highlighted as stale."))
    wip_limit = models.PositiveIntegerField(
        _("work-in-progress limit"), null=True, blank=True,
        help_text=_("The column is marked when it holds more orders than this."))

    class Meta:
        ordering = ["funnel", "position", "pk"]
        verbose_name = _("stage")
        verbose_name_plural = _("stages")

    def __str__(self) -> str:
        return f"{self.funnel} / {self.name}"

    def clean(self) -> None:
        if not get_workflow().has_state(self.state):
            raise ValidationError({"state": _("“%(state)s” is not a state of the workflow.")
                                   % {"state": self.state}})

    @property
    def workflow_state(self) -> State:
        return get_workflow().get_state(self.state)


class OrderProcessQuerySet(models.QuerySet["OrderProcess"]):
    def for_orders(self, orders: models.QuerySet[Any]) -> OrderProcessQuerySet:
        """The processes of the given orders."""
        return self.filter(order__in=orders)


# The workflow class named by OSCAR_ORDERS_EXT_WORKFLOW is mixed in here, so its django-fsm
# transitions become methods of this model. The migration lists plain models.Model as the base:
# Django does not track bases, and the workflow is code, not schema.
class OrderProcess(FSMModelMixin, get_workflow(), models.Model):  # type: ignore[misc]
    """How an Oscar order is being worked: state, funnel, payment, people and tags."""

    order = models.OneToOneField(ORDER_MODEL, on_delete=models.CASCADE, related_name="process",
                                 verbose_name=_("order"))
    # No index of its own: ooe_process_state_recent starts with the state.
    state = FSMField(_("state"), max_length=50, protected=True)
    # No index of its own either: ooe_process_stage_recent starts with the funnel.
    funnel = models.ForeignKey(Funnel, on_delete=models.PROTECT, related_name="processes",
                               verbose_name=_("funnel"), db_index=False)
    stage = models.ForeignKey(Stage, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="processes", verbose_name=_("stage"))
    order_type = models.CharField(_("order type"), max_length=20, choices=OrderType.choices,
                                  default=OrderType.STANDARD)
    payment_status = models.CharField(_("payment status"), max_length=20,
                                      choices=PaymentStatus.choices,
                                      default=PaymentStatus.UNPAID)
    operator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="+", verbose_name=_("operator"))
    source = models.CharField(_("source"), max_length=64, blank=True,
                              help_text=_("Where the order came from: web, phone, shopify…"))
    tags = models.ManyToManyField(Tag, blank=True, related_name="processes",
                                  verbose_name=_("tags"))
    stock_status = models.CharField(_("stock"), max_length=20, choices=StockStatus.choices,
                                    default=StockStatus.ALLOCATED)
    # A snapshot of the Oscar order's list fields, so the workspace filters, sorts, searches and
    # totals on one narrow indexed table instead of joining orders, users and addresses.
    # services.processes.order_snapshot() writes it; receivers keep it current.
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    number = models.CharField(_("order number"), max_length=128, blank=True)
    currency = models.CharField(_("currency"), max_length=12, blank=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2, default=0)
    customer_name = models.CharField(_("customer"), max_length=255, blank=True)
    customer_email = models.CharField(_("customer email"), max_length=254, blank=True)
    customer_phone = models.CharField(_("customer phone"), max_length=64, blank=True)
    payment_method = models.CharField(_("payment method"), max_length=128, blank=True)
    shipping_method = models.CharField(_("shipping method"), max_length=128, blank=True)
    state_changed_at = models.DateTimeField(_("in state since"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now)
    # Optimistic concurrency: every change increments it; a form or a card that shows an older
    # version is refused instead of silently overwriting someone else's change.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = OrderProcessQuerySet.as_manager()

    class Meta:
        verbose_name = _("order process")
        verbose_name_plural = _("order processes")
        permissions = [
            ("change_order_state", _("Can move orders through the workflow")),
            ("cancel_order", _("Can cancel and reject orders")),
            ("refund_order", _("Can refund orders")),
            ("reopen_order", _("Can reopen cancelled orders")),
            ("bulk_edit_orders", _("Can edit orders in bulk")),
            ("manage_funnels", _("Can manage funnels and stages")),
            ("import_orders", _("Can import orders from files")),
            ("create_manual_order", _("Can create orders by hand (phone, in-store)")),
            ("edit_order_lines", _("Can edit the lines of placed orders")),
            ("edit_shipped_order_lines", _("Can edit the lines of shipped orders")),
            ("edit_order_details", _("Can edit buyer details and addresses of orders")),
            ("manage_carriers", _("Can manage carriers")),
        ]
        indexes = [
            models.Index(fields=["-placed_at"], name="ooe_process_placed"),
            # varchar_pattern_ops lets PostgreSQL use the index for number-prefix searches.
            models.Index(fields=["number"], name="ooe_process_number",
                         opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["customer_email"], name="ooe_process_email",
                         opclasses=["varchar_pattern_ops"]),
            # The id closes the newest-first order (placed_at, then id): the first rows of a
            # state or stage are read straight off the index, so PostgreSQL never prefers
            # walking ooe_process_placed past thousands of newer orders of other states.
            models.Index(fields=["state", "-placed_at", "-id"], name="ooe_process_state_recent"),
            models.Index(fields=["funnel", "stage", "-placed_at", "-id"],
                         name="ooe_process_stage_recent"),
            # Plain btrees for the filters on exact values. Not db_index=True: on PostgreSQL
            # Django adds a varchar_pattern_ops twin to each, which no query uses (no LIKE on
            # these columns) and every insert maintains (imports write 100,000s of rows).
            models.Index(fields=["order_type"], name="ooe_process_order_type"),
            models.Index(fields=["payment_status"], name="ooe_process_payment_status"),
            models.Index(fields=["source"], name="ooe_process_source"),
            models.Index(fields=["payment_method"], name="ooe_process_payment_method"),
            models.Index(fields=["shipping_method"], name="ooe_process_shipping_method"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.state}"

    @property
    def workflow(self) -> type[Workflow]:
        return get_workflow()

    @property
    def state_info(self) -> State:
        """The current state's label, colour and behaviour."""
        return get_workflow().get_state(self.state)

    def get_transition(self, name: str) -> Transition | None:
        """The declared transition called ``name`` leaving the current state, if any."""
        for transition in self.get_all_state_transitions():  # type: ignore[attr-defined]
            if transition.name == name and transition.source in {self.state, "*", "+"}:
                return transition
        return None

    def transition_names(self) -> set[str]:
        """Names of every transition the workflow declares."""
        return {t.name for t in self.get_all_state_transitions()}  # type: ignore[attr-defined]


class TimelineEntry(models.Model):
    """One thing that happened to an order, who did it and when."""

    # No index of its own: ooe_timeline_order starts with the order.
    order = models.ForeignKey(ORDER_MODEL, on_delete=models.CASCADE, db_index=False,
                              related_name="timeline_entries", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=TimelineKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    #: What changed, for rendering and reports, e.g. {"from": "new", "to": "shipped"}.
    data = models.JSONField(_("details"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        indexes = [models.Index(fields=["order", "-created_at"], name="ooe_timeline_order")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        """A one-line, translated description of the entry."""
        from .timeline import describe

        return describe(self)


#: The placeholder a carrier's tracking URL template replaces with the tracking code.
TRACKING_CODE_PLACEHOLDER = "{code}"


class Carrier(models.Model):
    """A shipping company the shop uses, with the address of its tracking page."""

    name = models.CharField(_("name"), max_length=128, unique=True)
    tracking_url_template = models.CharField(
        _("tracking URL template"), max_length=500, blank=True,
        help_text=_("The carrier's tracking page, with {code} where the tracking code goes, "
                    "e.g. https://www.carrier.example/track?number={code}"))
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active carriers are offered for new "
                                               "shipments."))
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        template = self.tracking_url_template.strip()
        if template and not template.startswith(("https://", "http://")):
            raise ValidationError({"tracking_url_template": _(
                "The tracking URL must start with https:// or http://.")})
        if template and TRACKING_CODE_PLACEHOLDER not in template:
            raise ValidationError({"tracking_url_template": _(
                "Put {code} where the tracking code belongs in the URL.")})

    def tracking_url(self, code: str) -> str:
        """The carrier's tracking page for ``code``, or "" without a template or code."""
        from urllib.parse import quote

        if not self.tracking_url_template or not code:
            return ""
        return self.tracking_url_template.replace(TRACKING_CODE_PLACEHOLDER,
                                                  quote(code.strip(), safe=""))


class Shipment(models.Model):
    """Carrier and tracking code of one Oscar ``ShippingEvent`` (a parcel sent)."""

    shipping_event = models.OneToOneField(
        "order.ShippingEvent", on_delete=models.CASCADE, related_name="shipment",
        verbose_name=_("shipping event"))
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="shipments", verbose_name=_("carrier"))
    #: The carrier's name when the shipment was recorded, or a free-text carrier.
    carrier_name = models.CharField(_("carrier name"), max_length=128, blank=True)
    tracking_code = models.CharField(_("tracking code"), max_length=128, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+",
                                   verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")

    def __str__(self) -> str:
        return f"{self.carrier_name} {self.tracking_code}".strip()

    @property
    def tracking_url(self) -> str:
        """Where the buyer follows the parcel, when the carrier has a tracking page."""
        return self.carrier.tracking_url(self.tracking_code) if self.carrier else ""


class ColumnPreference(models.Model):
    """The table columns a user chose, in their order."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("user"))
    columns = models.JSONField(_("columns"), default=list)

    class Meta:
        verbose_name = _("column preference")
        verbose_name_plural = _("column preferences")


class SavedView(models.Model):
    """A named filter and column set, private to its owner or shared with the team."""

    name = models.CharField(_("name"), max_length=128)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="+", verbose_name=_("owner"))
    shared = models.BooleanField(_("shared with the team"), default=False)
    #: The filter as a query string, e.g. "state=new&tags=3".
    query = models.TextField(_("filter"), blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")

    def __str__(self) -> str:
        return self.name


def export_upload_to(job: ExportJob, filename: str) -> str:
    return f"oscar_orders_ext/exports/{job.pk}/{filename}"


class ExportJob(models.Model):
    """A large export written in the background; its file expires."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                             verbose_name=_("user"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    #: What to export: filter query string, columns, format and options.
    params = models.JSONField(_("parameters"), default=dict)
    total = models.PositiveIntegerField(_("orders to export"), default=0)
    done = models.PositiveIntegerField(_("orders exported"), default=0)
    file = models.FileField(_("file"), upload_to=export_upload_to, blank=True, max_length=255)
    error = models.TextField(_("error"), blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"{self.params.get('format', '?')} export {self.pk} ({self.status})"

    @property
    def progress(self) -> int:
        """Percentage done, 0–100."""
        return 100 if self.status == self.Status.DONE else int(
            100 * self.done / self.total) if self.total else 0

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


def import_upload_to(job: ImportJob, filename: str) -> str:
    return f"oscar_orders_ext/imports/{job.uploaded_by_id}/{filename}"


class ImportJob(models.Model):
    """An uploaded order file: its dry run, then its commit, each possibly in the background.

    The file itself stays in Django storage so the commit reads exactly what was previewed;
    the job and its file expire like background exports.
    """

    class Status(models.TextChoices):
        PLANNING = "planning", _("Reading the file")
        PLANNED = "planned", _("Ready to import")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                    related_name="+", verbose_name=_("uploaded by"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PLANNING)
    file = models.FileField(_("file"), upload_to=import_upload_to, max_length=255)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    #: The reader that recognised the file ("shopify", "native", …), once read.
    format = models.CharField(_("format"), max_length=32, blank=True)
    #: The dry run: counts, warnings, detected encoding and delimiter, per-order changes.
    plan = models.JSONField(_("dry run"), default=dict, blank=True)
    #: Row errors of the dry run (the first IMPORT_ERRORS_STORED); ``error_count`` has them all.
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("row errors"), default=0)
    total = models.PositiveIntegerField(_("orders"), default=0)
    done = models.PositiveIntegerField(_("orders done"), default=0)
    #: What the commit did: counts and the orders it refused.
    result = models.JSONField(_("result"), default=dict, blank=True)
    #: Why the job failed (a file that cannot be read, an unexpected error).
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def progress(self) -> int:
        """Percentage done, 0–100."""
        if self.status == self.Status.DONE:
            return 100
        return min(100, int(100 * self.done / self.total)) if self.total else 0

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def can_commit(self) -> bool:
        """Planned, without row errors, something to do, not expired."""
        return (self.status == self.Status.PLANNED and not self.error_count
                and not self.expired and bool(self.plan.get("actionable")))


class ProcessTally(models.Model):
    """Running counts and totals per (funnel, stage, state, currency, payment status, order
    type), kept by PostgreSQL triggers on ``OrderProcess``, so summaries of the whole workspace
    or of those filters cost the same at any size.

    Only PostgreSQL maintains it (see migration 0004); elsewhere summaries are computed live.
    """

    funnel_id = models.BigIntegerField()
    stage_id = models.BigIntegerField(help_text="0 when the order has no stage")
    state = models.CharField(max_length=50)
    currency = models.CharField(max_length=12)
    payment_status = models.CharField(max_length=20)
    order_type = models.CharField(max_length=20)
    count = models.BigIntegerField(default=0)
    total = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("tally")
        verbose_name_plural = _("tallies")
        constraints = [models.UniqueConstraint(
            fields=["funnel_id", "stage_id", "state", "currency", "payment_status", "order_type"],
            name="ooe_tally_key")]

    def __str__(self) -> str:
        return (f"{self.funnel_id}/{self.stage_id}/{self.state}/{self.currency}/"
                f"{self.payment_status}/{self.order_type}: {self.count}")


# --- Documents ------------------------------------------------------------------------------

class ShopIdentity(models.Model):
    """Who the shop is on its documents: one row, edited in the dashboard.

    While no row exists, ``OSCAR_ORDERS_EXT_SHOP_IDENTITY`` supplies the same fields.
    """

    name = models.CharField(_("name"), max_length=255)
    address = models.TextField(_("address"), blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=64, blank=True)
    tax_code = models.CharField(_("tax code"), max_length=64, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    website = models.CharField(_("website"), max_length=255, blank=True)
    logo = models.ImageField(_("logo"), upload_to="oscar_orders_ext/identity/", blank=True,
                             max_length=255)
    bank_details = models.TextField(_("bank details"), blank=True,
                                    help_text=_("Bank name, IBAN, BIC: printed on invoices."))
    footer = models.TextField(_("footer"), blank=True,
                              help_text=_("Printed at the bottom of every document."))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("shop identity")
        verbose_name_plural = _("shop identity")

    def __str__(self) -> str:
        return self.name


class DocumentSequence(models.Model):
    """The last number used in a series of a legal document kind, per year.

    Issuing locks this row (``SELECT … FOR UPDATE``) inside the issuing transaction, so two
    operators issuing at the same moment get consecutive numbers and a rollback uses none.
    """

    kind = models.CharField(_("kind"), max_length=20)
    series = models.CharField(_("series"), max_length=20, blank=True)
    year = models.PositiveIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document sequence")
        verbose_name_plural = _("document sequences")
        constraints = [models.UniqueConstraint(fields=["kind", "series", "year"],
                                               name="ooe_document_sequence_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.series or '-'} {self.year}: {self.last_number}"


def issued_document_upload_to(document: IssuedDocument, filename: str) -> str:
    return f"oscar_orders_ext/documents/{document.year}/{document.kind}/{filename}"


class ImmutableDocumentError(Exception):
    """An issued document was about to be changed or deleted."""


class IssuedDocument(models.Model):
    """An invoice or credit note as issued: its number and its PDF, frozen for good."""

    order = models.ForeignKey(ORDER_MODEL, on_delete=models.PROTECT,
                              related_name="issued_documents", verbose_name=_("order"))
    kind = models.CharField(_("kind"), max_length=20, choices=[
        (kind.value, kind.label) for kind in LEGAL_DOCUMENTS])
    series = models.CharField(_("series"), max_length=20, blank=True)
    year = models.PositiveIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence number"))
    number = models.CharField(_("number"), max_length=64)
    file = models.FileField(_("PDF"), upload_to=issued_document_upload_to, max_length=255)
    #: SHA-256 of the PDF, so anyone can check the stored file is the one issued.
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    #: Negative for credit notes.
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=12)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+",
                                  verbose_name=_("issued by"))
    issued_at = models.DateTimeField(_("issued"), default=timezone.now)
    credited = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="credit_notes", verbose_name=_("credits"))
    reason = models.TextField(_("reason"), blank=True)
    #: Lines and totals as issued (amounts as strings), so credit notes reverse exactly what
    #: the invoice said, whatever happened to the order since.
    data = models.JSONField(_("content as issued"), default=dict, blank=True)
    #: The document's HTML as issued, so bulk printing re-lays out the same content.
    snapshot_html = models.TextField(_("HTML as issued"), blank=True)

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("issued document")
        verbose_name_plural = _("issued documents")
        constraints = [models.UniqueConstraint(fields=["kind", "series", "year", "sequence"],
                                               name="ooe_issued_document_number")]
        permissions = [
            ("issue_invoice", _("Can issue invoices")),
            ("issue_credit_note", _("Can issue credit notes")),
            ("send_invoice", _("Can email invoices to customers")),
            ("manage_shop_identity", _("Can edit the shop identity on documents")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableDocumentError(f"{self} is issued and cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableDocumentError(f"{self} is issued and cannot be deleted.")

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.number.replace('/', '-')}.pdf"

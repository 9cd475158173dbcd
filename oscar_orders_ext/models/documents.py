"""Legal documents: the shop identity, gapless numbering and issued invoices and credit notes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..constants import LEGAL_DOCUMENTS
from .process import ORDER_MODEL


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

    #: What is left to credit on an invoice, worked out by ``documents.service`` (not stored).
    credit_left: Decimal | None = None

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

"""The customer directory's rows: one per customer email, registered or guest, with the
aggregates of their orders kept up to date (``services.customer_summaries``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .process import Tag


class Customer(models.Model):
    """A customer of the shop: an account, or the guest orders placed with one email.

    The order aggregates (count, value per currency, first and last order) are written by
    ``services.customer_summaries.refresh_customers`` whenever one of the customer's orders
    changes, so the directory reads them instead of aggregating orders on every page.
    """

    #: Lower-case, as the workspace stores order emails: guest orders group by it.
    email = models.CharField(_("email"), max_length=254, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+", verbose_name=_("account"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    company = models.CharField(_("company"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=64, blank=True)
    #: The account's creation, else the first order's date.
    registered_at = models.DateTimeField(_("registered on"), null=True, blank=True)
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    #: ``{"EUR": {"count": 3, "total": "120.00"}}``: value and orders per currency.
    totals = models.JSONField(_("lifetime value"), default=dict, blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers",
                                  verbose_name=_("tags"))
    notes = models.TextField(_("internal notes"), blank=True)
    group = models.ForeignKey("CustomerGroup", on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="customers", verbose_name=_("group"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["last_name", "first_name", "id"]
        permissions = [("manage_customers", _("Can add and edit customers"))]
        indexes = [
            # The directory's default order, and its other sorts.
            models.Index(fields=["last_name", "first_name", "id"], name="ooe_customer_name"),
            models.Index(fields=["-last_order_at", "id"], name="ooe_customer_last_order"),
            models.Index(fields=["-order_count", "id"], name="ooe_customer_orders"),
            models.Index(fields=["-registered_at", "id"], name="ooe_customer_registered"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def full_name(self) -> str:
        """First and last name, or "" when neither is known."""
        return f"{self.first_name} {self.last_name}".strip()

    def currency_totals(self) -> list[dict[str, Any]]:
        """The value per currency: ``currency``, ``count``, ``total`` and ``average``."""
        rows = []
        for currency, values in sorted(self.totals.items()):
            count, total = int(values["count"]), Decimal(values["total"])
            rows.append({"currency": currency, "count": count, "total": total,
                         "average": (total / count).quantize(Decimal("0.01")) if count
                         else Decimal("0.00")})
        return rows


class PriceList(models.Model):
    """Prices for the customers of a group: fixed prices or percentages off, per product or
    category, optionally from a minimum quantity. Oscar's pricing strategy applies them
    (``oscar_orders_ext.pricing``)."""

    name = models.CharField(_("name"), max_length=128)
    currency = models.CharField(_("currency"), max_length=12,
                                help_text=_("Prices in other currencies are left alone."))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    priority = models.IntegerField(
        _("priority"), default=0,
        help_text=_("Of a group's lists valid today, the one with the highest priority "
                    "applies."))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-priority", "name"]
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class PriceListItem(models.Model):
    """One price of a list: for a product or a category (and its subcategories), from a
    minimum quantity, a fixed unit price (excluding tax) or a percentage off."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="items",
                                   verbose_name=_("price list"))
    product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="+", verbose_name=_("product"))
    category = models.ForeignKey("catalogue.Category", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+", verbose_name=_("category"))
    min_quantity = models.PositiveIntegerField(_("from quantity"), default=1)
    fixed_price = models.DecimalField(_("fixed price"), max_digits=12, decimal_places=2,
                                      null=True, blank=True)
    percent_off = models.DecimalField(_("percentage off"), max_digits=5, decimal_places=2,
                                      null=True, blank=True)

    class Meta:
        ordering = ["price_list", "product", "category", "min_quantity"]
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(product__isnull=False, category__isnull=True)
                           | models.Q(product__isnull=True, category__isnull=False)),
                name="ooe_price_item_product_or_category"),
            models.CheckConstraint(
                condition=(models.Q(fixed_price__isnull=False, percent_off__isnull=True)
                           | models.Q(fixed_price__isnull=True, percent_off__isnull=False)),
                name="ooe_price_item_price_or_percent"),
            models.CheckConstraint(condition=models.Q(min_quantity__gte=1),
                                   name="ooe_price_item_min_quantity"),
        ]

    def __str__(self) -> str:
        target = self.product_id and f"product {self.product_id}" or f"category {self.category_id}"
        amount = f"{self.fixed_price}" if self.fixed_price is not None else f"-{self.percent_off}%"
        return f"{target} ≥{self.min_quantity}: {amount}"


class CustomerGroup(models.Model):
    """Customers who share price lists ("Wholesale", "Resellers")."""

    name = models.CharField(_("name"), max_length=128, unique=True)
    price_lists = models.ManyToManyField(PriceList, blank=True, related_name="groups",
                                         verbose_name=_("price lists"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")

    def __str__(self) -> str:
        return self.name


class CustomerTagRule(models.Model):
    """"Buying this product (or a product of this category) tags the customer with …",
    applied by ``services.customer_tags`` when an order is placed or paid
    (``OSCAR_ORDERS_EXT_CUSTOMER_TAG_RULES_ON``), whatever created it."""

    product = models.ForeignKey("catalogue.Product", on_delete=models.CASCADE, null=True,
                                blank=True, related_name="+", verbose_name=_("product"))
    category = models.ForeignKey("catalogue.Category", on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="+", verbose_name=_("category"),
                                 help_text=_("Its subcategories count too."))
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="customer_rules",
                            verbose_name=_("tag"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["tag", "id"]
        verbose_name = _("customer tag rule")
        verbose_name_plural = _("customer tag rules")
        constraints = [models.CheckConstraint(
            condition=(models.Q(product__isnull=False, category__isnull=True)
                       | models.Q(product__isnull=True, category__isnull=False)),
            name="ooe_tag_rule_product_or_category")]

    def __str__(self) -> str:
        target = self.product_id and f"product {self.product_id}" or f"category {self.category_id}"
        return f"{target} → {self.tag_id}"

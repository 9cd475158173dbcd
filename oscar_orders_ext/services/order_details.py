"""Edits made on the order page beyond state moves: the buyer's email and the order's billing
and shipping addresses (Oscar's ``BillingAddress`` / ``ShippingAddress``), and the workflow
fields (payment status, order type, operator, funnel, tags) saved together from one form.

Every edit locks the order's process, checks the version the operator saw, writes everything
or nothing, records a timeline entry and keeps the workspace's snapshot columns in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from oscar.core.loading import get_model

from oscar_orders_ext import permissions
from oscar_orders_ext.constants import TimelineKind
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import Funnel, OrderProcess, Tag

from . import edits
from .locking import OrderLike, locked_process
from .processes import order_snapshot

BillingAddress = get_model("order", "BillingAddress")
ShippingAddress = get_model("order", "ShippingAddress")

EDIT_DETAILS_PERMISSION = permissions.OPERATIONS["edit-details"]
#: The address fields the order page edits; billing and shipping share them.
ADDRESS_FIELDS = ("first_name", "last_name", "line1", "line2", "line3", "line4", "state",
                  "postcode", "country")
#: Fields only a shipping address has.
SHIPPING_ONLY_FIELDS = ("phone_number", "notes")


def _apply(address: Any, values: Mapping[str, Any], fields: Iterable[str]) -> list[str]:
    """Set ``fields`` of ``address`` from ``values``; the names of the fields that changed."""
    changed = []
    for name in fields:
        if name not in values:
            continue
        value = values[name]
        if name == "country":
            current = address.country_id
            new = getattr(value, "pk", value) or None
            if current != new:
                address.country_id = new
                changed.append(name)
            continue
        value = "" if value is None else value
        if str(getattr(address, name) or "") != str(value):
            setattr(address, name, value)
            changed.append(name)
    return changed


def _save_address(address: Any) -> None:
    # Oscar's NullCharField reads a NULL ``code`` back as "", and ``full_clean()`` would then
    # look for another address with ``code=""`` - a lookup that means ``code IS NULL``, which
    # matches every other address without a code ("Billing address with this Code already
    # exists."). The order page never edits the code: store it as NULL and skip the check.
    if not address.code:
        address.code = None
    try:
        address.full_clean(exclude=["search_text", "code"])  # Oscar fills search_text in save()
    except ValidationError as error:
        raise OrderWorkflowError(" ".join(error.messages)) from None
    address.save()


def update_customer_details(order: OrderLike, *, email: str | None = None,
                            billing: Mapping[str, Any] | None = None,
                            shipping: Mapping[str, Any] | None = None,
                            shipping_same_as_billing: bool = False, user: Any = None,
                            expected_version: int | None = None) -> OrderProcess:
    """Change the buyer's email (guest orders) and the billing and shipping addresses.

    ``billing`` / ``shipping`` map address fields to values (``None`` leaves that address
    alone); ``shipping_same_as_billing`` copies the billing address into the shipping one.
    A registered customer's email is their account's and is not changed from an order.
    """
    edits.check_permission(user, EDIT_DETAILS_PERMISSION)

    def change(process: OrderProcess) -> dict[str, Any] | None:
        order_obj = process.order
        changed: list[str] = []
        order_fields: list[str] = []
        if email is not None:
            new_email = email.strip()
            if order_obj.user_id:
                if new_email and new_email.lower() != (order_obj.user.email or "").lower():
                    raise OrderWorkflowError(_(
                        "This order belongs to a registered customer: their email address is "
                        "the one of their account."))
            elif new_email != (order_obj.guest_email or ""):
                if not new_email:
                    raise OrderWorkflowError(_("A guest order needs an email address."))
                order_obj.guest_email = new_email
                order_fields.append("guest_email")
                changed.append("email")
        billing_values = dict(billing) if billing is not None else None
        if billing_values is not None:
            address = order_obj.billing_address or BillingAddress()
            fields = _apply(address, billing_values, ADDRESS_FIELDS)
            if fields:
                _save_address(address)
                if order_obj.billing_address_id != address.pk:
                    order_obj.billing_address = address
                    order_fields.append("billing_address")
                changed.extend(f"billing_address.{name}" for name in fields)
        shipping_values = dict(shipping or {})
        if shipping_same_as_billing:
            source = order_obj.billing_address
            if source is None:
                raise OrderWorkflowError(_("The order has no billing address to copy."))
            shipping_values.update({name: getattr(source, name if name != "country"
                                                  else "country_id") for name in ADDRESS_FIELDS})
        if shipping is not None or shipping_same_as_billing:
            address = order_obj.shipping_address or ShippingAddress()
            fields = _apply(address, shipping_values, ADDRESS_FIELDS + SHIPPING_ONLY_FIELDS)
            if fields:
                _save_address(address)
                if order_obj.shipping_address_id != address.pk:
                    order_obj.shipping_address = address
                    order_fields.append("shipping_address")
                changed.extend(f"shipping_address.{name}" for name in fields)
        if not changed:
            return None
        if order_fields:
            order_obj.save(update_fields=order_fields)
        # The workspace's name, email and phone columns: set on the locked process, which
        # edit_process saves (a separate sync_snapshot() UPDATE would be overwritten by it).
        for name, value in order_snapshot(order_obj).items():
            setattr(process, name, value)
        return {"section": "customer", "changed": changed}

    return edits.edit_process(order, TimelineKind.EDIT, change, user=user,
                              expected_version=expected_version,
                              permission=EDIT_DETAILS_PERMISSION)


_UNSET: Any = object()


def update_workflow_fields(order: OrderLike, *, user: Any = None,
                           expected_version: int | None = None,
                           payment_status: str = _UNSET, order_type: str = _UNSET,
                           operator: Any = _UNSET, funnel: Funnel = _UNSET,
                           tags: Iterable[Tag] = _UNSET,
                           shown_tags: set[int] | None = None) -> OrderProcess:
    """Save payment status, order type, operator, funnel and tags from one form, all or nothing.

    Each changed field gets its own timeline entry, as when it is changed alone; fields not
    passed are left as they are. ``shown_tags`` (the tag ids the form showed) makes the tags
    a difference: only those ticked or unticked change.
    """
    edits.check_permission(user)
    with transaction.atomic():
        # Check the version once, then hold the lock while each edit runs.
        with locked_process(order, expected_version=expected_version) as process:
            pass
        if payment_status is not _UNSET:
            process = edits.set_payment_status(process, payment_status, user=user)
        if order_type is not _UNSET:
            process = edits.set_order_type(process, order_type, user=user)
        if operator is not _UNSET:
            process = edits.assign_operator(process, operator, user=user)
        if funnel is not _UNSET:
            process = edits.move_to_funnel(process, funnel, user=user)
        if tags is not _UNSET:
            process = edits.set_tags(process, tags, user=user, shown=shown_tags)
    return process

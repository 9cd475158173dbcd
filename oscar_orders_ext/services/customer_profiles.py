"""Adding customers by hand and editing their directory details (company, phone, notes, tags).

Names and email of a customer with an account live on the account (Oscar's user); the
directory row follows it (``customer_summaries``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from oscar.apps.customer.forms import PasswordResetForm
from oscar.apps.customer.utils import normalise_email

from .. import permissions
from ..exceptions import CustomerExists, TransitionPermissionDenied
from ..models import Customer, CustomerGroup, Tag
from .customer_summaries import email_key, refresh_customers
from .customers import assign_usernames, customer_by_email, unsaved_customer


def _check(user: Any) -> None:
    if not permissions.operation_allowed(user, "manage-customers"):
        raise TransitionPermissionDenied()


def send_invitation(account: Any) -> None:
    """Email the customer Oscar's "set your password" link (its password reset email)."""
    PasswordResetForm().send_password_reset_email(get_current_site(None), account)


def create_customer(email: str, *, first_name: str = "", last_name: str = "",
                    password: str = "", invite: bool = False, company: str = "",
                    phone: str = "", user: Any = None) -> Customer:
    """A new customer account (with ``password``, or none and an invitation email when
    ``invite``) and its directory row. Guest orders placed with the email join it.

    Raises ``CustomerExists`` (carrying the existing customer) when an account has the email.
    """
    _check(user)
    email = normalise_email(email)
    existing = customer_by_email(email)
    if existing is not None:
        refresh_customers([email])
        raise CustomerExists(customer=Customer.objects.filter(email=email_key(email)).first())
    with transaction.atomic():
        account = unsaved_customer(email, first_name, last_name)
        if password:
            account.set_password(password)
        assign_usernames([account])
        account.save()
        refresh_customers([email])
        customer = Customer.objects.get(email=email_key(email))
        if company or phone:
            customer.company, customer.phone = company or customer.company, phone or customer.phone
            customer.save(update_fields=["company", "phone", "updated_at"])
        if invite:
            transaction.on_commit(lambda: send_invitation(account))
    return customer


def update_customer(customer: Customer, *, first_name: str, last_name: str, company: str,
                    phone: str, notes: str, tags: Iterable[Tag],
                    group: CustomerGroup | None = None, user: Any = None) -> Customer:
    """Save the customer's details; names go to their account too, where they have one."""
    _check(user)
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        customer.first_name, customer.last_name = first_name[:150], last_name[:150]
        customer.company, customer.phone, customer.notes = company, phone, notes
        customer.group = group
        customer.save()
        customer.tags.set(list(tags))
        if customer.user is not None:
            account = customer.user
            account.first_name, account.last_name = customer.first_name, customer.last_name
            account.save(update_fields=["first_name", "last_name"])
    return customer


def move_group_customers(source: CustomerGroup, target: CustomerGroup | None, *,
                         user: Any = None) -> int:
    """Move every customer of ``source`` to ``target`` (None: out of any group); returns how
    many moved."""
    _check(user)
    if target is not None and target.pk == source.pk:
        return 0
    with transaction.atomic():
        return Customer.objects.filter(group=source).update(group=target)

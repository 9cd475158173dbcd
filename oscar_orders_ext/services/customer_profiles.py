"""Adding customers by hand and editing their directory details (company, phone, notes, tags).

Names and email of a customer with an account live on the account (Oscar's user); the
directory row follows it (``customer_summaries``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.utils.translation import gettext as _
from oscar.apps.customer.forms import PasswordResetForm
from oscar.apps.customer.utils import normalise_email

from .. import permissions
from ..exceptions import CustomerExists, OrderWorkflowError, TransitionPermissionDenied
from ..models import Customer, CustomerGroup, CustomerTagRule, PriceList, PriceListItem, Tag
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


# --- Groups, price lists and automatic tag rules (their settings pages) ----------------------

def save_group(group: CustomerGroup, price_lists: Iterable[PriceList], *,
               user: Any = None) -> CustomerGroup:
    """Save a customer group (new or edited) with its price lists."""
    _check(user)
    with transaction.atomic():
        group.save()
        group.price_lists.set(list(price_lists))
    return group


def delete_group(group: CustomerGroup, *, user: Any = None) -> int:
    """Delete a group; its customers stay, in no group. Returns how many customers it had."""
    _check(user)
    with transaction.atomic():
        members = Customer.objects.filter(group=group).update(group=None)
        group.delete()
    return members


def save_price_list(price_list: PriceList, items: Iterable[PriceListItem] = (),
                    deleted: Iterable[PriceListItem] = (), *, user: Any = None) -> PriceList:
    """Save a price list and, in the same transaction, its new or changed ``items`` and the
    removal of ``deleted`` ones (all or nothing)."""
    _check(user)
    with transaction.atomic():
        price_list.save()
        for item in deleted:
            if item.pk is not None:
                item.delete()
        for item in items:
            item.price_list = price_list
            item.save()
    return price_list


def delete_price_list(price_list: PriceList, *, user: Any = None) -> None:
    """Delete a price list and its prices; its groups keep their other lists."""
    _check(user)
    with transaction.atomic():
        price_list.delete()


def save_tag_rule(rule: CustomerTagRule, tag_name: str, *, user: Any = None) -> CustomerTagRule:
    """Save an automatic tag rule, tagging with the tag named ``tag_name`` (made if new)."""
    _check(user)
    name = tag_name.strip()[:64]
    if not name:
        raise OrderWorkflowError(_("Name the tag the rule gives."))
    with transaction.atomic():
        tag = Tag.objects.filter(name__iexact=name).first() or Tag.objects.create(name=name)
        rule.tag = tag
        rule.save()
    return rule


def delete_tag_rule(rule: CustomerTagRule, *, user: Any = None) -> None:
    """Delete a rule; the tags it already gave stay on their customers."""
    _check(user)
    rule.delete()

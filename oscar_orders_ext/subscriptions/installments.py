"""Installment plans: an order's amount due split into N payments with due dates, each with its
own status and payment link. The tick sends each installment's link when it falls due, marks
unpaid ones overdue and reminds the customer; installments are settled, oldest first, from what
Oscar's payment sources say was paid, so the order's payment status and its installments agree.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oscar_orders_ext import permissions
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.constants import OrderType, TimelineKind
from oscar_orders_ext.exceptions import OrderWorkflowError, TransitionPermissionDenied
from oscar_orders_ext.models import Installment, InstallmentStatus, OrderProcess
from oscar_orders_ext.payments import service as payments
from oscar_orders_ext.services.locking import OrderLike, locked_process
from oscar_orders_ext.services.timeline import record

CENT = Decimal("0.01")
OPEN = (InstallmentStatus.DUE, InstallmentStatus.OVERDUE)


class InstallmentProblem(OrderWorkflowError):
    """An installment plan was refused; nothing was written."""


def split_amount(total: Decimal, count: int) -> list[Decimal]:
    """``total`` in ``count`` parts of whole cents, the first carrying the odd cents."""
    part = (total / count).quantize(CENT, rounding=ROUND_DOWN)
    return [total - part * (count - 1)] + [part] * (count - 1)


#: The intervals installments can be spaced by (a plan's, but years).
UNITS = ("day", "week", "month")


def due_dates(first_due: date, count: int, every: int = 1, unit: str = "month") -> list[date]:
    """The due dates of ``count`` installments every ``every`` ``unit`` from ``first_due``,
    always counted from the first (31 January, 28 February, 31 March)."""
    steps = {"day": relativedelta(days=every), "week": relativedelta(weeks=every),
             "month": relativedelta(months=every)}
    return [first_due + steps[unit] * index for index in range(count)]


def split_order(order: OrderLike, count: int, *, first_due: date | None = None,
                every: int = 1, unit: str = "month", user: Any = None) -> list[Installment]:
    """Split what is left to pay on the order into ``count`` installments, due every
    ``every`` ``unit`` (days, weeks or months) from ``first_due`` (today); the order becomes
    of type installment. Refused if the order is already split or has nothing left to pay."""
    if user is not None and not user.has_perm(permissions.SEND_PAYMENT_LINK):
        raise TransitionPermissionDenied(_("You may not send payment links."))
    if not 2 <= count <= 48:
        raise InstallmentProblem(_("Choose between 2 and 48 installments."))
    if unit not in UNITS or not 1 <= every <= 366:
        raise InstallmentProblem(_("Space the installments by 1 to 366 days, weeks or "
                                   "months."))
    start = first_due or timezone.localdate()
    if start < timezone.localdate():
        raise InstallmentProblem(_("The first installment cannot be due in the past."))
    with locked_process(order) as process:
        if Installment.objects.filter(order_id=process.order_id).exists():
            raise InstallmentProblem(_("Order %(number)s is already paid in installments.")
                                     % {"number": process.number})
        due = payments.balance(process.order).due
        if due <= 0:
            raise InstallmentProblem(_("Order %(number)s has nothing left to pay.")
                                     % {"number": process.number})
        rows = Installment.objects.bulk_create(
            Installment(order_id=process.order_id, number=index + 1, amount=amount,
                        due_on=due_on)
            for index, (amount, due_on) in enumerate(zip(
                split_amount(due, count), due_dates(start, count, every, unit), strict=True)))
        previous = process.order_type
        process.order_type = OrderType.INSTALLMENT
        process.version += 1
        process.save(update_fields=["order_type", "version"])
        record(process.order_id, TimelineKind.PAYMENT, actor=user, data={
            "event": "installments", "count": count, "amount": str(due),
            "currency": process.currency, "first_due": start.isoformat()})
        if previous != OrderType.INSTALLMENT:
            record(process.order_id, TimelineKind.ORDER_TYPE, actor=user,
                   data={"from": previous, "to": OrderType.INSTALLMENT})
    send_due_links(order_id=process.order_id)
    return rows


def settle(order_id: int) -> int:
    """Mark installments paid, oldest first, as far as the order's payments cover them (a
    payment ahead of time pays the next ones early); returns how many became paid."""
    with locked_process(order_id) as process:
        paid = payments.balance(process.order).paid
        covered = Decimal("0.00")
        changed = 0
        for installment in Installment.objects.filter(order_id=order_id).order_by("number"):
            covered += installment.amount
            if installment.status in OPEN and covered <= paid:
                installment.status = InstallmentStatus.PAID
                installment.paid_at = timezone.now()
                installment.save(update_fields=["status", "paid_at"])
                changed += 1
        return changed


def _link_open(installment: Installment) -> bool:
    return bool(installment.link_id and installment.link and installment.link.is_open)


def send_due_links(*, today: date | None = None, order_id: int | None = None) -> int:
    """The tick's work: each unpaid installment due by today gets its payment link (emailed),
    again every ``INSTALLMENT_REMINDER_DAYS`` while unpaid; those past their date are marked
    overdue. Returns how many links were sent."""
    day = today or timezone.localdate()
    now = timezone.now()
    again = now - timedelta(days=app_settings.INSTALLMENT_REMINDER_DAYS)
    Installment.objects.filter(status=InstallmentStatus.DUE, due_on__lt=day).update(
        status=InstallmentStatus.OVERDUE)
    due = Installment.objects.filter(status__in=OPEN, due_on__lte=day).select_related("link")
    if order_id is not None:
        due = due.filter(order_id=order_id)
    # Per order, the latest installment due: its link asks for it and any earlier unpaid one
    # (one link per order: a newer link replaces the older ones).
    latest: dict[int, Installment] = {}
    for installment in due.order_by("order_id", "number"):
        latest[installment.order_id] = installment
    sent = 0
    for installment in latest.values():
        if _link_open(installment) and (installment.reminded_at or now) > again:
            continue
        settle(installment.order_id)
        installment.refresh_from_db()
        if installment.status == InstallmentStatus.PAID:
            continue
        with transaction.atomic():
            try:
                link = payments.send_payment_link(installment.order_id,
                                                  amount=_owed_up_to(installment), notify=True)
            except OrderWorkflowError:
                continue  # nothing left to pay (settled by the next payment's receiver)
            Installment.objects.filter(pk=installment.pk).update(link=link, reminded_at=now)
        sent += 1
    return sent


def _owed_up_to(installment: Installment) -> Decimal:
    """What is still unpaid of this installment and the earlier ones (a late customer pays
    them together)."""
    earlier = Installment.objects.filter(order_id=installment.order_id,
                                         number__lte=installment.number, status__in=OPEN)
    return sum((row.amount for row in earlier), Decimal("0.00"))


def due_summary(order_id: int) -> dict[str, Any]:
    """What an order's page shows: the installments, what is due now and what is overdue."""
    rows = list(Installment.objects.filter(order_id=order_id).order_by("number"))
    today = timezone.localdate()
    return {"installments": rows,
            "due_now": sum((r.amount for r in rows if r.status in OPEN and r.due_on <= today),
                           Decimal("0.00")),
            "overdue": [r for r in rows if r.status == InstallmentStatus.OVERDUE]}


def is_installment_order(process: OrderProcess) -> bool:
    """Whether the order is paid in installments."""
    return process.order_type == OrderType.INSTALLMENT


__all__ = ["InstallmentProblem", "due_dates", "due_summary", "send_due_links", "settle",
           "split_amount", "split_order"]

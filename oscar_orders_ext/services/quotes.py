"""Price proposals ("quotes"): the shop proposes new unit prices and shipping for an order, the
customer accepts or rejects them online.

Sending a proposal supersedes the open one (every version is kept), writes a message in the
order's conversation (which emails the customer with their link) and moves the order to
``OSCAR_ORDERS_EXT_QUOTE_STATE`` through the transition service. Accepting re-prices the order
through the line-edit service (totals, tax, timeline), answers in the conversation (so the
order comes back to the inbox, unread) and moves it to ``QUOTE_ACCEPTED_STATE`` (a rejection
to ``QUOTE_REJECTED_STATE``, prices unchanged; a withdrawal too when nothing else waits). Only the
latest, open, unexpired version can be decided, once: anything else is refused and changes
nothing. The tick expires proposals past their date.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.display import format_money
from oscar_orders_ext.exceptions import LineEditError, OrderWorkflowError, QuoteError
from oscar_orders_ext.i18n import in_order_language
from oscar_orders_ext.models import MessageSide, OrderProcess, Quote, QuoteStatus
from oscar_orders_ext.permissions import OPERATIONS
from oscar_orders_ext.signals import quote_accepted, quote_rejected, quote_sent, quote_withdrawn
from oscar_orders_ext.workflow import get_workflow

from .conversations import add_message, announce_message, check_attachment
from .edits import check_permission
from .line_edits import apply_line_edit, plan_line_edit
from .locking import OrderLike, locked_process, order_pk
from .transitions import transition_to_state


def default_valid_until() -> date:
    """Today plus ``OSCAR_ORDERS_EXT_QUOTE_VALID_DAYS``."""
    return timezone.localdate() + timedelta(days=int(app_settings.QUOTE_VALID_DAYS))


def open_quote(order: OrderLike) -> Quote | None:
    """The order's proposal awaiting the customer, if any."""
    return Quote.objects.filter(order_id=order_pk(order), status=QuoteStatus.SENT).first()


def _summary(quote: Quote, order: Any) -> str:
    """The proposal as the conversation tells it, in the customer's language."""
    with in_order_language(order):
        text = _("Price proposal %(version)d: new total %(total)s (was %(old)s), valid until "
                 "%(date)s.") % {
            "version": quote.version, "total": format_money(quote.total, quote.currency),
            "old": format_money(quote.old_total, quote.currency),
            "date": date_format(quote.valid_until, "SHORT_DATE_FORMAT")}
    return f"{quote.message}\n\n{text}" if quote.message else text


#: Renders a proposal's document: ``quote`` -> (file name, PDF bytes).
QuoteDocument = Callable[[Quote], tuple[str, bytes]]


def _attachment(quote: Quote, document: QuoteDocument | None) -> ContentFile[bytes] | None:
    """The proposal's PDF as the message's attachment, unless the shop takes none (or one
    that large): the proposal is sent without it then."""
    if document is None:
        return None
    name, content = document(quote)
    upload = ContentFile(content, name=name)
    try:
        check_attachment(upload)
    except OrderWorkflowError:
        return None
    return upload


CENT = Decimal("0.01")


def spread_total(lines: list[tuple[Any, int, Decimal]], goods: Decimal) -> dict[Any, Decimal]:
    """Unit prices ({line id: price}) that make the goods of ``lines`` ((line id, quantity,
    unit price)) come to ``goods``, each price scaled alike (shared by quantity when they are
    all zero); the rounding cents go to a line they divide evenly, if any."""
    if goods < 0:
        raise QuoteError(_("The new total cannot be less than the shipping charge."))
    if not lines:
        return {}
    base = sum((quantity * price for __, quantity, price in lines), Decimal("0"))
    count = sum(line[1] for line in lines)
    if base > 0:
        prices = {pk: (price * goods / base).quantize(CENT) for pk, __, price in lines}
    else:
        prices = {pk: (goods / count).quantize(CENT) if count else Decimal("0.00")
                  for pk, *__ in lines}
    left = goods - sum((quantity * prices[pk] for pk, quantity, _price in lines),
                       Decimal("0"))
    for pk, quantity, _price in sorted(lines, key=lambda line: line[1]):
        if left and quantity and (left / quantity) == (left / quantity).quantize(CENT) \
                and prices[pk] + left / quantity >= 0:
            prices[pk] += left / quantity
            break
    return prices


def send_quote(order: OrderLike, *, unit_prices: dict[Any, Any],
               shipping: Decimal | None = None, message: str = "",
               valid_until: date | None = None, user: Any = None,
               document: QuoteDocument | None = None, total: Decimal | None = None) -> Quote:
    """Propose new unit prices incl. tax ({line id: price}) and shipping for ``order``, or a
    new ``total`` spread over the lines in proportion to those prices (shipping as given);
    ``document`` renders the proposal's PDF, attached to its message (and so to the email)."""
    check_permission(user, OPERATIONS["edit-lines"])
    valid_until = valid_until or default_valid_until()
    if valid_until < timezone.localdate():
        raise QuoteError(_("A proposal must be valid at least until today."))
    with locked_process(order) as process:
        locked = process.order
        if total is not None:
            unit_prices = _spread_over(locked, unit_prices, shipping, total)
        try:
            plan = plan_line_edit(locked, unit_prices=unit_prices, shipping_incl_tax=shipping)
        except LineEditError as error:
            raise QuoteError(error.message) from None
        now = timezone.now()
        Quote.objects.filter(order_id=locked.pk, status=QuoteStatus.SENT).update(
            status=QuoteStatus.SUPERSEDED, decided_at=now)
        last = Quote.objects.filter(order_id=locked.pk).order_by("-version").first()
        quote = Quote.objects.create(
            order=locked, version=(last.version + 1) if last else 1, message=message.strip(),
            valid_until=valid_until, currency=locked.currency, created_by=user,
            lines=[{"line": edited.line.pk, "title": edited.title, "quantity": edited.quantity,
                    "old": str(round(edited.old_unit_incl_tax
                                     if edited.old_unit_incl_tax is not None
                                     else edited.net_unit_incl_tax, 2)),
                    "new": str(round(edited.net_unit_incl_tax, 2))}
                   for edited in plan.lines if edited.line is not None],
            old_shipping=locked.shipping_incl_tax, shipping=plan.shipping[1],
            old_total=locked.total_incl_tax, total=plan.total_incl_tax)
        summary = add_message(process, MessageSide.STAFF, _summary(quote, locked), user,
                              _attachment(quote, document), announce=False)
        target = app_settings.QUOTE_STATE
        # A shop's workflow without that state keeps the order where it is.
        if target and process.state != target and get_workflow().has_state(target):
            transition_to_state(locked, target, user=user)  # a refusal undoes the proposal
        announce_message(summary)  # after the move, as the order then is
        quote_sent.send_on_commit(sender=Quote, quote=quote, order=locked, user=user)
        return quote


def _spread_over(order: Any, unit_prices: dict[Any, Any], shipping: Decimal | None,
                 total: Decimal) -> dict[Any, Decimal]:
    """The unit prices that make ``order`` come to ``total`` with this shipping and its
    surcharges."""
    shipping = order.shipping_incl_tax if shipping is None else shipping
    typed = {str(pk): price for pk, price in (unit_prices or {}).items()}
    lines = []
    for line in order.lines.order_by("pk"):
        current = (line.line_price_incl_tax / line.quantity if line.quantity
                   else line.unit_price_incl_tax) or Decimal("0")
        price = typed.get(str(line.pk), current)
        try:
            price = Decimal(str(price))
        except ArithmeticError:
            raise QuoteError(_("“%(value)s” is not a price.") % {"value": price}) from None
        lines.append((line.pk, line.quantity, price))
    # Surcharges (a plan's setup fee) stay on the order as they are: the goods get the rest.
    surcharges = sum((s.incl_tax for s in order.surcharges.all()), Decimal("0"))
    return spread_total(lines, Decimal(str(total)) - Decimal(str(shipping)) - surcharges)


def withdraw_quote(quote: Quote, *, user: Any = None) -> Quote:
    """Take back the open proposal ``quote``: its link refuses from now on."""
    check_permission(user, OPERATIONS["edit-lines"])
    with locked_process(quote.order_id) as process:
        fresh = Quote.objects.get(pk=quote.pk)
        if not fresh.is_open:
            raise QuoteError()
        fresh.status, fresh.decided_at = QuoteStatus.WITHDRAWN, timezone.now()
        fresh.save(update_fields=["status", "decided_at"])
        with in_order_language(process.order):
            text = _("Price proposal %(version)d was withdrawn.") % {"version": fresh.version}
        add_message(process, MessageSide.STAFF, text, user)
        order = process.order
        if process.state == app_settings.QUOTE_STATE:  # nothing waits for the customer now
            _leave_quote_state(process, app_settings.QUOTE_REJECTED_STATE, user=user)
        quote_withdrawn.send_on_commit(sender=Quote, quote=fresh, order=order, user=user)
        return fresh


def _leave_quote_state(process: OrderProcess, target: str | None, *, user: Any) -> None:
    """Move the order on to ``target`` once no proposal waits for the customer; a refused
    move (a savepoint) leaves the decision or withdrawal recorded and the state as it was."""
    if target and process.state != target and get_workflow().has_state(target):
        try:
            with transaction.atomic():
                transition_to_state(process.order, target, user=user)
        except OrderWorkflowError:
            pass


def decide_quote(quote_id: int, *, accept: bool, user: Any = None) -> Quote:
    """The customer accepts or rejects proposal ``quote_id`` (the caller has checked that
    they are the order's customer). Refused, changing nothing, unless it is the latest
    version, still open and not expired."""
    order_id = Quote.objects.filter(pk=quote_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise QuoteError()
    with locked_process(order_id) as process:
        quote = Quote.objects.select_related("order").get(pk=quote_id)
        latest = Quote.objects.filter(order_id=order_id).order_by("-version").first()
        if quote.is_open and quote.valid_until < timezone.localdate():
            raise QuoteError(_("This price proposal has expired: ask the shop for a new one."))
        if not quote.is_open or latest is None or latest.pk != quote.pk:
            raise QuoteError()
        if accept:
            apply_line_edit(quote.order, user=None, note=_("Price proposal %(version)d accepted")
                            % {"version": quote.version},
                            unit_prices={entry["line"]: entry["new"] for entry in quote.lines},
                            shipping_incl_tax=quote.shipping)
        quote.status = QuoteStatus.ACCEPTED if accept else QuoteStatus.REJECTED
        quote.decided_at = timezone.now()
        quote.save(update_fields=["status", "decided_at"])
        with in_order_language(quote.order):
            text = (_("I accept price proposal %(version)d (total %(total)s).") if accept
                    else _("I reject price proposal %(version)d (total %(total)s).")) % {
                "version": quote.version, "total": format_money(quote.total, quote.currency)}
        message = add_message(process, MessageSide.CUSTOMER, text,
                              user if getattr(user, "is_authenticated", False) else None,
                              announce=False)
        # The customer has answered either way: "awaiting customer response" no longer holds.
        _leave_quote_state(process, app_settings.QUOTE_ACCEPTED_STATE if accept
                           else app_settings.QUOTE_REJECTED_STATE, user=None)
        announce_message(message)  # after the move, as the order then is
        signal = quote_accepted if accept else quote_rejected
        signal.send_on_commit(sender=Quote, quote=quote, order=quote.order, user=user)
        return quote


def expire_quotes() -> int:
    """Mark proposals past their validity date expired (the tick runs it); how many."""
    return Quote.objects.filter(status=QuoteStatus.SENT,
                                valid_until__lt=timezone.localdate()).update(
        status=QuoteStatus.EXPIRED, decided_at=timezone.now())

"""Round trip: the fields a merchant may edit in an export of this shop and import again.

Each editable field is one :class:`RoundTripField` in :data:`ROUND_TRIP_FIELDS`: the file
column that holds it, how to read the order's current value, how to read a cell, how to show a
value, and how to apply a change through the services (so the state machine, permissions,
timeline and emails apply as they do in the dashboard). Adding a field is adding an entry::

    ROUND_TRIP_FIELDS.append(RoundTripField(
        name="reference", label=_("Reference"), headers=("reference",),
        current=lambda process, context: ..., parse=lambda raw, context: raw,
        apply=lambda process, value, user, note: ...))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import prefetch_related_objects
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from oscar_orders_ext import selectors
from oscar_orders_ext.columns import BY_KEY
from oscar_orders_ext.display import person_name
from oscar_orders_ext.exports.writers import FORMULA_PREFIXES
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.i18n import in_every_language, shop_languages
from oscar_orders_ext.models import OrderProcess, Shipment, Tag
from oscar_orders_ext.services import edits, logistics, transitions
from oscar_orders_ext.services.bounds import text_problem
from oscar_orders_ext.workflow import get_workflow

from .cells import RowProblem, split_tags
from .sources import normalise_header

def _text_length(model: type[models.Model], name: str) -> int:
    """How many characters a text column of ``model`` holds."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.CharField) and field.max_length is not None
    return field.max_length


TAG_LENGTH = _text_length(Tag, "name")
CARRIER_LENGTH = _text_length(Shipment, "carrier_name")
TRACKING_LENGTH = _text_length(Shipment, "tracking_code")


class RoundTripContext:
    """Lookups the fields share while reading one file: states, staff, tags (loaded once)."""

    def __init__(self) -> None:
        self._states: dict[str, str] | None = None
        self._staff: dict[str, Any] | None = None
        self._tags: dict[str, Tag] | None = None

    @property
    def states(self) -> dict[str, str]:
        """Case-folded state code or label (in any shop language, the current one first) →
        state code."""
        if self._states is None:
            states: dict[str, str] = {}
            workflow_states = get_workflow().get_states()
            for language in (translation.get_language(), *shop_languages()):
                with translation.override(language):
                    for state in workflow_states:
                        states.setdefault(str(state.label).casefold(), state.code)
            for state in workflow_states:
                states[state.code.casefold()] = state.code
            self._states = states
        return self._states

    @property
    def staff(self) -> dict[str, Any]:
        """Staff users by case-folded username, email and full name (what exports write)."""
        if self._staff is None:
            staff: dict[str, Any] = {}
            for user in selectors.operators().order_by("pk"):
                for key in (user.get_full_name(), user.email, user.get_username()):
                    if key:
                        staff[key.strip().casefold()] = user  # later keys win: username last
            self._staff = staff
        return self._staff

    @property
    def tags(self) -> dict[str, Tag]:
        """Existing tags by name."""
        if self._tags is None:
            self._tags = {tag.name: tag for tag in Tag.objects.all()}
        return self._tags


@dataclass(frozen=True)
class RoundTripField:
    """One editable field of the round trip (see the module docstring)."""

    name: str
    label: str | Promise
    #: Reads the order's current value (comparable with what ``parse`` returns).
    current: Callable[[OrderProcess, RoundTripContext], Any]
    #: Reads a cell; raises RowProblem (its column is filled in) for values it cannot use.
    parse: Callable[[str, RoundTripContext], Any]
    #: Applies a change through the services; raises OrderWorkflowError to refuse it.
    apply: Callable[[OrderProcess, Any, Any, str], None]
    #: Key of the workspace column (columns.COLUMNS) whose export label names the file column.
    column: str | None = None
    #: Further accepted (normalised) headers.
    headers: tuple[str, ...] = ()
    #: A value as the preview shows it.
    show: Callable[[Any, RoundTripContext], str] = lambda value, context: str(value or "")
    #: Why applying would be refused, when that can be known without trying (the preview).
    predict_refusal: Callable[[OrderProcess, Any], str] | None = None
    #: Loads what ``current`` needs for a chunk of processes in a few queries.
    prefetch: Callable[[Sequence[OrderProcess]], None] | None = None
    #: For fields whose change can email the customer (the state): whether it would, given
    #: the operator's choice (None: the workflow's default). ``apply`` then takes ``notify``.
    emails: Callable[[OrderProcess, Any, bool | None], bool] | None = None

    def header_names(self) -> set[str]:
        """The normalised headers this field is read from, in every shop language (exports
        write the exporting user's labels)."""
        names = {normalise_header(header) for header in self.headers}
        if self.column and self.column in BY_KEY:
            names |= {normalise_header(label)
                      for label in in_every_language([BY_KEY[self.column].label])}
        return names


def unneutralise(value: str) -> str:
    """A cell as the exporter meant it: the apostrophe it put before formula-like text removed."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


# --- the default fields --------------------------------------------------------------------------

def _parse_state(raw: str, context: RoundTripContext) -> str:
    if not raw:
        raise RowProblem("", _("The state is empty."))
    code = context.states.get(raw.strip().casefold())
    if code is None:
        raise RowProblem("", _("“%(value)s” is not a state of the workflow.") % {"value": raw})
    return code


def _show_state(code: Any, context: RoundTripContext) -> str:
    return str(get_workflow().get_state(code).label) if code else ""


def _predict_state_refusal(process: OrderProcess, target: Any) -> str:
    if transitions.transitions_to_state(process, target):
        return ""
    return _("No transition leads from “%(source)s” to “%(target)s”.") % {
        "source": process.state_info.label, "target": get_workflow().get_state(target).label}


def _apply_state(process: OrderProcess, target: Any, user: Any, note: str,
                 notify: bool | None = None) -> None:
    transitions.transition_to_state(process.order_id, target, user=user, note=note,
                                    notify_customer=notify)


def _state_emails(process: OrderProcess, target: Any, notify: bool | None = None) -> bool:
    return transitions.will_notify(process, target, notify)


def _current_tags(process: OrderProcess, context: RoundTripContext) -> frozenset[str]:
    return frozenset(tag.name for tag in process.tags.all())


def _parse_tags(raw: str, context: RoundTripContext) -> frozenset[str]:
    tags = frozenset(split_tags(raw))
    for tag in tags:
        if text_problem(tag, TAG_LENGTH):
            raise RowProblem("", text_problem(tag, TAG_LENGTH))
    return tags


def _show_tags(names: Any, context: RoundTripContext) -> str:
    return ", ".join(sorted(names or ()))


def _apply_tags(process: OrderProcess, names: Any, user: Any, note: str) -> None:
    tags = []
    for name in sorted(names):
        tag, __ = Tag.objects.get_or_create(name=name)  # a new name in the file is a new tag
        tags.append(tag)
    edits.set_tags(process.order_id, tags, user=user)


def _current_operator(process: OrderProcess, context: RoundTripContext) -> int | None:
    return process.operator_id


def _parse_operator(raw: str, context: RoundTripContext) -> int | None:
    if not raw.strip():
        return None
    user = context.staff.get(raw.strip().casefold())
    if user is None:
        raise RowProblem("", _("No active staff member is called “%(value)s”.") % {"value": raw})
    return user.pk


def _show_operator(pk: Any, context: RoundTripContext) -> str:
    if pk is None:
        return ""
    user = next((user for user in context.staff.values() if user.pk == pk), None)
    if user is None:
        user = get_user_model().objects.filter(pk=pk).first()
    return person_name(user) if user else str(pk)


def _apply_operator(process: OrderProcess, pk: Any, user: Any, note: str) -> None:
    operator = get_user_model().objects.get(pk=pk) if pk is not None else None
    edits.assign_operator(process.order_id, operator, user=user)


def _prefetch_tags(processes: Sequence[OrderProcess]) -> None:
    prefetch_related_objects(list(processes), "tags")


@dataclass(frozen=True)
class Parcel:
    """A parcel in a tracking cell; carriers compare without regard to case."""

    carrier_key: str
    code: str
    carrier: str = field(compare=False)

    @classmethod
    def of(cls, carrier: str, code: str) -> Parcel:
        return cls(carrier_key=carrier.casefold(), code=code, carrier=carrier)


def _current_tracking(process: OrderProcess, context: RoundTripContext) -> frozenset[Parcel]:
    links = getattr(process, "tracking_links", None)
    if links is None:
        links = logistics.tracking_links(process.order_id)
    return frozenset(Parcel.of(link.carrier, link.code) for link in links)


def _parse_tracking(raw: str, context: RoundTripContext) -> frozenset[Parcel]:
    parcels = logistics.parse_tracking(raw)
    if any(not carrier for carrier, _code in parcels):
        raise RowProblem("", _("Write the carrier before each tracking code: “Carrier: CODE”."))
    for carrier, code in parcels:  # what the shipment's columns hold
        problem = text_problem(carrier, CARRIER_LENGTH) or text_problem(code, TRACKING_LENGTH)
        if problem:
            raise RowProblem("", problem)
    return frozenset(Parcel.of(carrier, code) for carrier, code in parcels)


def _show_tracking(parcels: Any, context: RoundTripContext) -> str:
    return "; ".join(f"{p.carrier}: {p.code}" for p in sorted(
        parcels or (), key=lambda p: (p.carrier_key, p.code)))


def _new_parcels(process: OrderProcess, pairs: Any) -> tuple[set[Parcel], frozenset[Parcel]]:
    current = _current_tracking(process, RoundTripContext())
    return set(pairs) - current, current - set(pairs)


def _predict_tracking_refusal(process: OrderProcess, pairs: Any) -> str:
    added, removed = _new_parcels(process, pairs)
    if removed:
        return _("Recorded parcels cannot be removed by an import.")
    if len(added) > 1:
        return _("Add one parcel per order and import; record partial shipments on the order "
                 "page.")
    return ""


def _apply_tracking(process: OrderProcess, pairs: Any, user: Any, note: str) -> None:
    refusal = _predict_tracking_refusal(process, pairs)
    if refusal:
        raise OrderWorkflowError(refusal)
    for parcel in _new_parcels(process, pairs)[0]:
        # Everything not shipped yet goes in the parcel, as when the operator ships it.
        logistics.record_shipment(process.order_id, carrier=logistics.carrier_named(parcel.carrier),
                                  carrier_name=parcel.carrier, tracking_code=parcel.code,
                                  user=user, note=note)


def _prefetch_tracking(processes: Sequence[OrderProcess]) -> None:
    links = logistics.tracking_links_by_order(process.order_id for process in processes)
    for process in processes:
        process.tracking_links = links.get(process.order_id, [])


#: The round-trip fields, in the order their changes are applied. Extend by appending.
ROUND_TRIP_FIELDS: list[RoundTripField] = [
    RoundTripField(name="tags", label=gettext_lazy("Tags"), column="tags", current=_current_tags,
                   parse=_parse_tags, show=_show_tags, apply=_apply_tags,
                   prefetch=_prefetch_tags),
    RoundTripField(name="operator", label=gettext_lazy("Operator"), column="operator",
                   current=_current_operator, parse=_parse_operator, show=_show_operator,
                   apply=_apply_operator),
    # Before the state: a shop may require a tracking code to ship.
    RoundTripField(name="tracking", label=gettext_lazy("Tracking"), column="tracking",
                   headers=("tracking code", "tracking codes"), current=_current_tracking,
                   parse=_parse_tracking, show=_show_tracking, apply=_apply_tracking,
                   predict_refusal=_predict_tracking_refusal, prefetch=_prefetch_tracking),
    RoundTripField(name="state", label=gettext_lazy("State"), column="state",
                   current=lambda p, c: p.state,
                   parse=_parse_state, show=_show_state, apply=_apply_state,
                   predict_refusal=_predict_state_refusal, emails=_state_emails),
]


def field_named(name: str) -> RoundTripField:
    """The registered field called ``name``."""
    return next(entry for entry in ROUND_TRIP_FIELDS if entry.name == name)


def fields_in(headers: Iterable[str]) -> dict[str, str]:
    """Registered field name → the (normalised) header of the file that holds it."""
    present = set(headers)
    found: dict[str, str] = {}
    for entry in ROUND_TRIP_FIELDS:
        header = next((name for name in sorted(entry.header_names()) if name in present), None)
        if header is not None:
            found[entry.name] = header
    return found


@dataclass
class FieldChange:
    """One field of one order: its value now and in the file, as the preview shows them."""

    field: str
    label: str
    old: Any
    new: Any
    old_text: str
    new_text: str
    #: Why applying it would be refused, when the preview can tell.
    refusal: str = ""
    #: Whether applying it emails the customer by default (a state change that notifies).
    emails: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "label": self.label, "old": self.old_text,
                "new": self.new_text, "refusal": self.refusal, "emails": self.emails}


@dataclass
class OrderUpdate:
    """The changes the file makes to one existing order."""

    number: str
    order_id: int
    row: int
    changes: list[FieldChange] = field(default_factory=list)
    #: The order's process as read for the plan (not serialised).
    process: OrderProcess | None = field(default=None, repr=False, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "order_id": self.order_id, "row": self.row,
                "changes": [change.as_json() for change in self.changes]}

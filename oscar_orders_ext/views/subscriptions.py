"""The subscriptions list and a subscription's page, and the merchant's changes (plan,
cancel now or at period end, resume): shared by both skins, which set ``url_namespace``,
templates and ``extra_page_context``. Page bodies: ``shared/subscriptions/``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from oscar.core.loading import get_model

from oscar_orders_ext import permissions
from oscar_orders_ext.conf import app_settings
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import IntervalUnit, Plan, Subscription
from oscar_orders_ext.subscriptions import reads, service

from .common import SkinMixin

Product = get_model("catalogue", "Product")

PER_PAGE = 50

PRORATION_CHOICES = [
    ("none", gettext_lazy("No proration: the new plan from the next renewal")),
    ("next_renewal", gettext_lazy("Now, with the difference on the next renewal")),
    ("now", gettext_lazy("Now, charging or refunding the difference at once")),
]


class ChangePlanForm(forms.Form):
    """Another plan for the subscription, and how the difference is settled."""

    plan = forms.ModelChoiceField(label=gettext_lazy("New plan"), queryset=Plan.objects.none())
    proration = forms.ChoiceField(label=gettext_lazy("Proration"), choices=PRORATION_CHOICES)

    def __init__(self, *args: Any, subscription: Subscription, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"proration": app_settings.SUBSCRIPTION_PRORATION})
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["plan"]).queryset = (
            reads.plans_for_change(subscription))


class SubscriptionPageView(SkinMixin, View):
    """A page drawn with the skin's template around a shared partial."""

    template_name = ""
    permission_check = staticmethod(permissions.dashboard_allows)

    def extra_page_context(self) -> dict[str, Any]:
        """Front-end specific context (page title, breadcrumbs …)."""
        return {}

    def page(self, request: HttpRequest, context: dict[str, Any], status: int = 200
             ) -> HttpResponse:
        flags = {"can_manage_subscriptions": self.permission_check(
            request.user, "orders-subscription-action")}
        return render(request, self.template_name,
                      {**context, **flags, "order_namespace": self.url_namespace,
                       **self.extra_page_context()}, status=status)


class SubscriptionListView(SubscriptionPageView):
    """Every subscription: a tab per state with its count, search, pages."""

    def get(self, request: HttpRequest) -> HttpResponse:
        state = request.GET.get("state", "")
        if state not in {s.code for s in Subscription.states}:
            state = ""
        search = request.GET.get("q", "")
        page = Paginator(reads.subscription_list(state, search), PER_PAGE).get_page(
            request.GET.get("page"))
        return self.page(request, {"tabs": reads.state_tabs(search), "state": state,
                                   "search": search, "page_obj": page,
                                   "subscriptions": page.object_list})


class SubscriptionDetailView(SubscriptionPageView):
    """One subscription: customer, plan, next renewal, renewals and payments, timeline, and
    the merchant's changes."""

    subscription: Subscription

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.subscription = get_object_or_404(
            Subscription.objects.select_related("plan", "next_plan", "order", "user"),
            pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, pk: int, form: ChangePlanForm | None = None,
            status: int = 200) -> HttpResponse:
        sub = self.subscription
        return self.page(request, {
            "subscription": sub, "renewals": reads.renewal_rows(sub),
            "events": [(event, reads.describe_event(event)) for event in reads.timeline(sub)],
            "period": sub.current_period,
            "price": service.describe_amount(sub),
            "plan_form": form or ChangePlanForm(subscription=sub)}, status=status)


class SubscriptionActionView(SubscriptionDetailView):
    """The merchant's change (POST ``action``: change_plan, cancel, cancel_at_period_end,
    resume); a refusal is shown as a message and changes nothing."""

    def get(self, request: HttpRequest, pk: int, form: ChangePlanForm | None = None,
            status: int = 200) -> HttpResponse:
        return redirect(self.url("orders-subscription-detail", pk=pk))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        sub, user = self.subscription, request.user
        action = request.POST.get("action", "")
        version = request.POST.get("version")
        expected = int(version) if version and version.isdigit() else None
        try:
            if action == "change_plan":
                form = ChangePlanForm(request.POST, subscription=sub)
                if not form.is_valid():
                    return super().get(request, pk, form=form, status=400)
                change = service.change_plan(sub, form.cleaned_data["plan"], user=user,
                                             policy=form.cleaned_data["proration"],
                                             expected_version=expected)
                messages.success(request, _("Plan changed to “%(plan)s”.") % {
                    "plan": form.cleaned_data["plan"].name})
                if change.order is not None:
                    messages.info(request, _("Order %(number)s charges the difference: a "
                                             "payment link was sent.") % {
                        "number": change.order.number})
            elif action in {"cancel", "cancel_at_period_end"}:
                service.cancel(sub, at_period_end=action == "cancel_at_period_end",
                               user=user, expected_version=expected)
                messages.success(request, _("Subscription cancelled.") if action == "cancel"
                                 else _("The subscription ends with its current period."))
            elif action == "resume":
                service.resume(sub, user=user, expected_version=expected)
                messages.success(request, _("Subscription resumed."))
            else:
                messages.error(request, _("Unknown action."))
        except OrderWorkflowError as error:
            messages.error(request, error.message)
        return redirect(self.url("orders-subscription-detail", pk=pk))


class PlanForm(forms.Form):
    """A new plan, its price in one currency and the products sold on it."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=128)
    interval_count = forms.IntegerField(label=gettext_lazy("Every"), min_value=1, initial=1)
    interval_unit = forms.ChoiceField(label=gettext_lazy("Interval"),
                                      choices=IntervalUnit.choices, initial=IntervalUnit.MONTH)
    periods = forms.IntegerField(label=gettext_lazy("Number of periods"), min_value=1,
                                 required=False,
                                 help_text=gettext_lazy("Empty: renewed until cancelled."))
    trial_days = forms.IntegerField(label=gettext_lazy("Trial days"), min_value=0, initial=0)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=12, initial="EUR")
    amount = forms.DecimalField(label=gettext_lazy("Price per period"), min_value=0,
                                max_digits=12, decimal_places=2)
    setup_fee = forms.DecimalField(label=gettext_lazy("Setup fee"), min_value=0,
                                   max_digits=12, decimal_places=2, initial=0)
    products = forms.CharField(
        label=gettext_lazy("Products"), required=False,
        help_text=gettext_lazy("UPCs of the products sold on this plan, separated by commas."))

    def clean_products(self) -> list[Any]:
        """The products named by UPC; an unknown one is a clear error."""
        return products_by_upc(cast(str, self.cleaned_data["products"]))


def products_by_upc(text: str) -> list[Any]:
    """The products named by comma-separated UPCs; an unknown one is a clear error."""
    codes = [code.strip() for code in text.split(",") if code.strip()]
    found = {product.upc: product for product in Product.objects.filter(upc__in=codes)}
    missing = [code for code in codes if code not in found]
    if missing:
        raise forms.ValidationError(_("No product with the UPC %(codes)s.")
                                    % {"codes": ", ".join(missing)})
    return [found[code] for code in codes]


class PlanEditForm(forms.Form):
    """An existing plan: its terms, a price and setup fee per currency (one may be removed,
    one added) and the products sold on it."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=128)
    interval_count = forms.IntegerField(label=gettext_lazy("Every"), min_value=1)
    interval_unit = forms.ChoiceField(label=gettext_lazy("Interval"),
                                      choices=IntervalUnit.choices)
    periods = forms.IntegerField(label=gettext_lazy("Number of periods"), min_value=1,
                                 required=False,
                                 help_text=gettext_lazy("Empty: renewed until cancelled."))
    trial_days = forms.IntegerField(label=gettext_lazy("Trial days"), min_value=0)
    is_active = forms.BooleanField(label=gettext_lazy("On sale"), required=False)
    products = forms.CharField(
        label=gettext_lazy("Products"), required=False,
        help_text=gettext_lazy("UPCs of the products sold on this plan, separated by commas: "
                               "a product left out is no longer sold on a plan."))
    new_currency = forms.CharField(label=gettext_lazy("Add a currency"), max_length=12,
                                   required=False)
    new_amount = forms.DecimalField(label=gettext_lazy("Price per period"), min_value=0,
                                    max_digits=12, decimal_places=2, required=False)
    new_setup_fee = forms.DecimalField(label=gettext_lazy("Setup fee"), min_value=0,
                                       max_digits=12, decimal_places=2, required=False)

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        self.plan = plan
        self.currencies = [price.currency for price in plan.prices.all()]
        initial = {"name": plan.name, "interval_count": plan.interval_count,
                   "interval_unit": plan.interval_unit, "periods": plan.periods,
                   "trial_days": plan.trial_days, "is_active": plan.is_active,
                   "products": ", ".join(link.product.upc for link in
                                         plan.products.select_related("product")
                                         if link.product.upc)}
        for price in plan.prices.all():
            initial[f"amount_{price.currency}"] = price.amount
            initial[f"setup_fee_{price.currency}"] = price.setup_fee
        kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for currency in self.currencies:
            self.fields[f"amount_{currency}"] = forms.DecimalField(
                label=_("Price per period (%(currency)s)") % {"currency": currency},
                min_value=0, max_digits=12, decimal_places=2)
            self.fields[f"setup_fee_{currency}"] = forms.DecimalField(
                label=_("Setup fee (%(currency)s)") % {"currency": currency},
                min_value=0, max_digits=12, decimal_places=2)
            self.fields[f"remove_{currency}"] = forms.BooleanField(
                label=_("Remove the %(currency)s price") % {"currency": currency},
                required=False)

    def price_rows(self) -> list[tuple[str, Any, Any, Any]]:
        """Per currency: its bound amount, setup fee and remove fields."""
        return [(currency, self[f"amount_{currency}"], self[f"setup_fee_{currency}"],
                 self[f"remove_{currency}"]) for currency in self.currencies]

    def plain_fields(self) -> list[Any]:
        """The plan's own fields, without the prices'."""
        return [self[name] for name in ("name", "interval_count", "interval_unit", "periods",
                                        "trial_days", "is_active", "products")]

    def new_price_fields(self) -> list[Any]:
        """The fields adding a price in another currency."""
        return [self[name] for name in ("new_currency", "new_amount", "new_setup_fee")]

    def clean_products(self) -> list[Any]:
        """The products named by UPC, and those on the plan without one (a UPC-less product
        cannot be named here, so it is never dropped by accident)."""
        named = products_by_upc(cast(str, self.cleaned_data["products"]))
        return named + [link.product for link in self.plan.products.select_related("product")
                        if not link.product.upc]

    def clean(self) -> dict[str, Any]:
        """The prices to keep, with the one added; a new currency needs its price."""
        data = super().clean() or {}
        prices: dict[str, tuple[Decimal, Decimal]] = {}
        for currency in self.currencies:
            amount = data.get(f"amount_{currency}")
            if not data.get(f"remove_{currency}") and amount is not None:
                prices[currency] = (amount, data.get(f"setup_fee_{currency}") or Decimal("0"))
        currency = (data.get("new_currency") or "").strip().upper()
        if currency:
            if data.get("new_amount") is None:
                self.add_error("new_amount", _("Give the price in %(currency)s.")
                               % {"currency": currency})
            elif currency in prices:
                self.add_error("new_currency", _("The plan already has a price in "
                                                 "%(currency)s.") % {"currency": currency})
            else:
                prices[currency] = (cast(Decimal, data["new_amount"]),
                                    data.get("new_setup_fee") or Decimal("0"))
        elif data.get("new_amount") is not None:
            self.add_error("new_currency", _("Name the currency of the new price."))
        data["prices"] = prices
        return data


class PlanListView(SubscriptionPageView):
    """The plans with their prices and products, and the form for a new one."""

    def get(self, request: HttpRequest, form: PlanForm | None = None,
            status: int = 200) -> HttpResponse:
        return self.page(request, {"plans": reads.plans(), "form": form or PlanForm()},
                         status=status)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PlanForm(request.POST)
        if not form.is_valid():
            return self.get(request, form=form, status=400)
        data = form.cleaned_data
        try:
            plan = service.save_plan(
                name=data["name"], interval_unit=data["interval_unit"],
                interval_count=data["interval_count"], periods=data["periods"],
                trial_days=data["trial_days"], currency=data["currency"],
                amount=data["amount"], setup_fee=data["setup_fee"],
                products=data["products"], user=request.user)
        except OrderWorkflowError as error:
            form.add_error(None, error.message)
            return self.get(request, form=form, status=400)
        messages.success(request, _("Plan “%(plan)s” saved.") % {"plan": plan.name})
        return redirect(self.url("orders-plan-list"))


class PlanUpdateView(SubscriptionPageView):
    """Edit a plan: terms, prices per currency and products (the shop's own form, in both
    skins)."""

    plan: Plan

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.plan = get_object_or_404(Plan.objects.prefetch_related("prices"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: HttpRequest, pk: int, form: PlanEditForm | None = None,
            status: int = 200) -> HttpResponse:
        return self.page(request, {"plan": self.plan,
                                   "form": form or PlanEditForm(plan=self.plan)},
                         status=status)

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        form = PlanEditForm(request.POST, plan=self.plan)
        if not form.is_valid():
            return self.get(request, pk, form=form, status=400)
        data = form.cleaned_data
        try:
            plan = service.update_plan(
                self.plan, name=data["name"], interval_unit=data["interval_unit"],
                interval_count=data["interval_count"], periods=data["periods"],
                trial_days=data["trial_days"], is_active=data["is_active"],
                prices=data["prices"], products=data["products"], user=request.user)
        except OrderWorkflowError as error:
            form.add_error(None, error.message)
            return self.get(request, pk, form=form, status=400)
        messages.success(request, _("Plan “%(plan)s” saved.") % {"plan": plan.name})
        return redirect(self.url("orders-plan-list"))

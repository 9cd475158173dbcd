from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .exceptions import OrderWorkflowError
from .models import (ApiToken, CustomerGroup, CustomerTagRule, Funnel, OrderProcess, PriceList,
                     PriceListItem, Stage, Tag, TimelineEntry, WebhookAttempt, WebhookDelivery,
                     WebhookEndpoint)
from .models import Plan, PlanPrice, ProductPlan, Subscription, SubscriptionRenewal
from .services import api_tokens
from .webhooks import service as webhooks


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "colour"]
    search_fields = ["name"]


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0
    fields = ["position", "name", "state", "colour", "time_limit", "wip_limit"]


@admin.register(Funnel)
class FunnelAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position", "is_default"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [StageInline]


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fk_name = "order"
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "kind", "summary", "actor", "note")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OrderProcess)
class OrderProcessAdmin(admin.ModelAdmin):
    """Read-mostly: state changes go through the workspace so the workflow is enforced."""

    list_display = ["order", "state_label", "funnel", "stage", "payment_status", "order_type",
                    "operator", "placed_at"]
    list_filter = ["state", "funnel", "payment_status", "order_type", "tags"]
    search_fields = ["order__number", "order__guest_email", "order__user__email"]
    list_select_related = ["order", "funnel", "stage", "operator"]
    readonly_fields = ["order", "state", "stock_status", "version", "placed_at",
                       "state_changed_at", "last_activity_at"]
    autocomplete_fields = ["tags"]
    date_hierarchy = "placed_at"

    @admin.display(description=_("state"), ordering="state")
    def state_label(self, obj: OrderProcess) -> str:
        return str(obj.state_info.label)


@admin.register(TimelineEntry)
class TimelineEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "order", "kind", "summary", "actor"]
    list_filter = ["kind"]
    search_fields = ["order__number", "note"]
    list_select_related = ["order", "actor"]
    readonly_fields = ["order", "kind", "actor", "created_at", "data", "note"]

    @admin.display(description=_("what happened"))
    def summary(self, obj: TimelineEntry) -> str:
        return obj.summary


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    extra = 1
    raw_id_fields = ["product", "category"]
    fields = ["product", "category", "min_quantity", "fixed_price", "percent_off"]


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["name", "currency", "valid_from", "valid_until", "priority"]
    inlines = [PriceListItemInline]


@admin.register(CustomerGroup)
class CustomerGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    filter_horizontal = ["price_lists"]


@admin.register(CustomerTagRule)
class CustomerTagRuleAdmin(admin.ModelAdmin):
    list_display = ["tag", "product", "category", "is_active", "created_at"]
    list_filter = ["is_active", "tag"]
    raw_id_fields = ["product", "category"]


# --- The API's tokens and the webhooks (docs/api.md, docs/webhooks.md) ------------------------

@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by the service (the key is shown once, only its hash is kept)."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__email"]
    fields = ["user", "name"]
    raw_id_fields = ["user"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"] if obj \
            else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_readonly_fields(request, obj) or self.fields

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        token, key = api_tokens.create_token(obj.user, obj.name)
        obj.pk = token.pk
        messages.warning(request, _("The token's key, shown this once: %(key)s")
                         % {"key": key})

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            api_tokens.revoke_token(token)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = readonly_fields = ("at", "status_code", "latency_ms", "response_excerpt", "error")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class WebhookEndpointForm(forms.ModelForm):
    """The service's checks (no private addresses, known events) as form errors."""

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "events", "is_active"]
        field_classes = {"url": forms.CharField}  # check_url below says what is accepted

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        try:
            webhooks.check_url(url)
        except OrderWorkflowError as error:
            raise forms.ValidationError(error.message) from error
        return str(url)

    def clean_events(self) -> list[str]:
        try:
            return webhooks.check_events(list(self.cleaned_data.get("events") or []))
        except OrderWorkflowError as error:
            raise forms.ValidationError(error.message) from error


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Endpoints are checked and given their secret by the webhook service."""

    form = WebhookEndpointForm

    list_display = ["url", "description", "is_active", "disabled_reason", "created_at"]
    list_filter = ["is_active"]
    fields = ["url", "description", "events", "is_active", "disabled_reason"]
    readonly_fields = ["disabled_reason"]
    actions = ["rotate_secret"]

    def save_model(self, request: HttpRequest, obj: WebhookEndpoint, form: Any,
                   change: bool) -> None:
        if change:
            webhooks.update_endpoint(obj, url=obj.url, events=list(obj.events or []),
                                     description=obj.description, is_active=obj.is_active)
            return
        endpoint, secret = webhooks.create_endpoint(obj.url, events=list(obj.events or []),
                                                    description=obj.description)
        obj.pk = endpoint.pk
        messages.warning(request, _("The endpoint's signing secret, shown this once: "
                                    "%(secret)s") % {"secret": secret})

    @admin.action(description=_("Rotate the signing secret"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            secret = webhooks.rotate_secret(endpoint)
            messages.warning(request, _("New secret of %(url)s, shown this once: %(secret)s")
                             % {"url": endpoint.url, "secret": secret})


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log; "redeliver" sends one again with the same id."""

    list_display = ["created_at", "event", "endpoint", "status", "attempts",
                    "last_status_code", "next_attempt_at"]
    list_filter = ["status", "event"]
    list_select_related = ["endpoint"]
    search_fields = ["message_id"]
    readonly_fields = ["endpoint", "message_id", "event", "payload", "status", "created_at",
                       "next_attempt_at", "attempts", "last_status_code", "last_error"]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Redeliver (same id)"))
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        for delivery in queryset:
            webhooks.redeliver(delivery)


# --- Subscriptions (docs/subscriptions.md): plans are edited here; subscriptions are read-only
# (their changes go through the workspace's subscription page and its service). -------------

class PlanPriceInline(admin.TabularInline):
    model = PlanPrice
    extra = 1


class ProductPlanInline(admin.TabularInline):
    model = ProductPlan
    extra = 1
    raw_id_fields = ["product"]


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ["name", "interval_count", "interval_unit", "periods", "trial_days",
                    "is_active"]
    list_filter = ["interval_unit", "is_active"]
    search_fields = ["name"]
    inlines = [PlanPriceInline, ProductPlanInline]


class RenewalInline(admin.TabularInline):
    model = SubscriptionRenewal
    extra = 0
    can_delete = False
    readonly_fields = fields = ("period", "due_on", "order", "amount", "currency", "status",
                                "reminders", "next_attempt_at", "paid_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["pk", "email", "product_title", "plan", "state", "next_renewal_on"]
    list_filter = ["state", "plan"]
    search_fields = ["email", "customer_name", "product_title", "order__number"]
    inlines = [RenewalInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in Subscription._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

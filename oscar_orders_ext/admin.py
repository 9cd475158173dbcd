from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import (CustomerGroup, CustomerTagRule, Funnel, OrderProcess, PriceList,
                     PriceListItem, Stage, Tag, TimelineEntry)


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

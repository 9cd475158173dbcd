"""The settings pages of the customer directory: customer groups, price lists (with their
prices) and automatic tag rules, each listed, created, edited and deleted after a confirmation.
Shared by both skins, which set ``url_namespace``, templates and chrome; every write goes
through ``services.customer_profiles``."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.contrib import messages
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from oscar_orders_ext import selectors
from oscar_orders_ext.exceptions import OrderWorkflowError
from oscar_orders_ext.models import (CustomerGroup, CustomerTagRule, PriceList, PriceListItem,
                                     Tag)
from oscar_orders_ext.services import customer_profiles

from .customer_forms import (GroupForm, MoveGroupForm, PriceListForm, PriceListItemFormSet,
                             TagRuleForm)
from .customers import CustomerPageMixin


class SettingsKind(CustomerPageMixin):
    """What one kind of settings object is: its model, form, routes and words."""

    model: ClassVar[Any]
    form_class: ClassVar[type[forms.ModelForm]]
    #: Route name prefix: ``<prefix>-list``, ``-create``, ``-update``, ``-delete``.
    route: ClassVar[str]
    #: The shared partials' folder name and the object's word on pages.
    kind: ClassVar[str]
    plural: ClassVar[Any]
    new_label: ClassVar[Any]

    def list_url(self) -> str:
        """The list page of this kind, in the current skin."""
        return self.url(f"{self.route}-list")

    def success_url(self, saved: Any, created: bool) -> str:
        """Where a saved object's form leads: its kind's list."""
        return self.list_url()

    def get_queryset(self) -> QuerySet[Any]:
        """The objects of this kind as the list shows them."""
        return self.model.objects.all()

    def settings_context(self) -> dict[str, Any]:
        """The flags, the namespace and which kind of page this is."""
        obj = getattr(self, "object", None)
        if isinstance(self, SettingsListView):
            heading = str(self.plural)
        elif isinstance(self, SettingsDeleteView):
            heading = _("Delete “%(name)s”?") % {"name": obj}
        elif obj is None:
            heading = str(self.new_label)
        else:
            heading = str(obj)
        return {**self.customer_context(), "kind": self.kind, "route": self.route,
                "new_label": self.new_label, "list_title": self.plural, "heading": heading,
                "list_url": self.list_url()}


class GroupKind(SettingsKind):
    model = CustomerGroup
    form_class = GroupForm
    route = "orders-customer-group"
    kind = "groups"
    plural = gettext_lazy("Customer groups")
    new_label = gettext_lazy("New customer group")

    def get_queryset(self) -> QuerySet[Any]:
        return (CustomerGroup.objects.annotate(customer_count=Count("customers", distinct=True))
                .prefetch_related("price_lists").order_by("name"))

    def save(self, form: Any, formset: Any) -> Any:
        return customer_profiles.save_group(form.save(commit=False),
                                            form.cleaned_data["price_lists"],
                                            user=self.request.user)

    def delete(self, obj: Any) -> None:
        customer_profiles.delete_group(obj, user=self.request.user)

    def success_url(self, saved: Any, created: bool) -> str:
        # A new group opens on its own page (its customers, moving them), as merchants expect.
        return self.url(f"{self.route}-update", pk=saved.pk) if created else self.list_url()


class PriceListKind(SettingsKind):
    model = PriceList
    form_class = PriceListForm
    route = "orders-price-list"
    kind = "price_lists"
    plural = gettext_lazy("Price lists")
    new_label = gettext_lazy("New price list")
    with_items = True

    def get_queryset(self) -> QuerySet[Any]:
        return (PriceList.objects.annotate(item_count=Count("items", distinct=True))
                .prefetch_related("groups").order_by("-priority", "name"))

    def save(self, form: Any, formset: Any) -> Any:
        price_list = form.save(commit=False)
        items = formset.save(commit=False)
        return customer_profiles.save_price_list(price_list, items, formset.deleted_objects,
                                                 user=self.request.user)

    def delete(self, obj: Any) -> None:
        customer_profiles.delete_price_list(obj, user=self.request.user)


class TagRuleKind(SettingsKind):
    model = CustomerTagRule
    form_class = TagRuleForm
    route = "orders-customer-tag-rule"
    kind = "tag_rules"
    plural = gettext_lazy("Automatic customer tags")
    new_label = gettext_lazy("New automatic tag rule")

    def get_queryset(self) -> QuerySet[Any]:
        return CustomerTagRule.objects.select_related("product", "category", "tag").order_by(
            "tag__name", "pk")

    def save(self, form: Any, formset: Any) -> Any:
        return customer_profiles.save_tag_rule(form.save(commit=False),
                                               form.cleaned_data["tag_name"],
                                               user=self.request.user)

    def delete(self, obj: Any) -> None:
        customer_profiles.delete_tag_rule(obj, user=self.request.user)


class SettingsListView(TemplateView):
    """Every object of the kind, with links to edit and delete it."""

    template_name: str | None = ""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.settings_context(),  # type: ignore[attr-defined]
                       objects=self.get_queryset())  # type: ignore[attr-defined]
        return context


class SettingsFormView(TemplateView):
    """Create (no ``pk``) or edit an object; price lists edit their prices on the same page.
    Invalid input is shown again with its errors and nothing is saved."""

    template_name: str | None = ""
    object: Any = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if "pk" in kwargs:
            self.object = get_object_or_404(self.model, pk=kwargs["pk"])  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)

    def forms(self, data: Any = None) -> tuple[Any, Any]:
        """The object's form and, for price lists, the formset of its prices."""
        instance = self.object or self.model()  # type: ignore[attr-defined]
        form = self.form_class(data, instance=instance)  # type: ignore[attr-defined]

        def lookup_url(kind: str) -> str:
            return self.url("orders-customer-catalogue-lookup",  # type: ignore[attr-defined]
                            kind=kind)

        formset = None
        if getattr(self, "with_items", False):
            items = instance.items.select_related("product", "product__parent", "category") \
                if instance.pk else PriceListItem.objects.none()
            formset = PriceListItemFormSet(data, instance=instance, prefix="items",
                                           queryset=items)
            for item_form in formset.forms + [formset.empty_form]:
                item_form.set_lookup_urls(lookup_url)
                for field in item_form.fields.values():
                    if not isinstance(field.widget, forms.CheckboxInput):
                        field.widget.attrs["class"] = "form-control form-control-sm"
        elif hasattr(form, "set_lookup_urls"):
            form.set_lookup_urls(lookup_url)
        return form, formset

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if "form" not in kwargs:
            context["form"], context["formset"] = self.forms()
        context.update(self.settings_context(), object=self.object,  # type: ignore[attr-defined]
                       tag_names=list(Tag.objects.values_list("name", flat=True)))
        if isinstance(self.object, CustomerGroup):
            # A group's page also shows its customers and moves them to another group.
            context.update(member_count=self.object.customers.count(),
                           move_form=MoveGroupForm(initial={"source": self.object}))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form, formset = self.forms(request.POST)
        valid = form.is_valid() and (formset is None or formset.is_valid())
        if valid:
            created = self.object is None
            try:
                saved = self.save(form, formset)  # type: ignore[attr-defined]
            except OrderWorkflowError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": saved})
                return redirect(self.success_url(saved, created))  # type: ignore[attr-defined]
        return self.render_to_response(self.get_context_data(form=form, formset=formset),
                                       status=400)


class SettingsDeleteView(TemplateView):
    """Confirm (GET), then delete (POST)."""

    template_name: str | None = ""
    object: Any = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.object = get_object_or_404(self.model, pk=kwargs["pk"])  # type: ignore[attr-defined]
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(self.settings_context(), object=self.object)  # type: ignore[attr-defined]
        if isinstance(self.object, CustomerGroup):
            context["member_count"] = self.object.customers.count()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name = str(self.object)
        try:
            self.delete(self.object)  # type: ignore[attr-defined]
        except OrderWorkflowError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("“%(name)s” deleted.") % {"name": name})
        return redirect(self.list_url())  # type: ignore[attr-defined]


class CatalogueLookupView(CustomerPageMixin, View):
    """Products (by title, UPC or SKU) or categories (by name) matching ``?q=``, as JSON
    ``{"results": [{"id", "text"}]}``: the price and tag rule forms' pickers."""

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        text = request.GET.get("q", "")
        if kind == "products":
            found = selectors.search_products(text)
        elif kind == "categories":
            found = selectors.search_categories(text)
        else:
            raise Http404
        return JsonResponse({"results": [{"id": obj.pk, "text": str(obj)} for obj in found]})


# The views each skin subclasses (adding its mixin, templates and chrome).
class GroupCreateView(GroupKind, SettingsFormView):
    """A new customer group."""


class GroupUpdateView(GroupKind, SettingsFormView):
    """A group's name and price lists."""


class GroupDeleteView(GroupKind, SettingsDeleteView):
    """Delete a group (its customers stay, in no group)."""


class PriceListListView(PriceListKind, SettingsListView):
    """The price lists: currency, validity, priority, groups, number of prices."""


class PriceListCreateView(PriceListKind, SettingsFormView):
    """A new price list with its prices."""


class PriceListUpdateView(PriceListKind, SettingsFormView):
    """A price list and its prices."""


class PriceListDeleteView(PriceListKind, SettingsDeleteView):
    """Delete a price list and its prices."""


class TagRuleListView(TagRuleKind, SettingsListView):
    """The automatic tag rules."""


class TagRuleCreateView(TagRuleKind, SettingsFormView):
    """A new automatic tag rule."""


class TagRuleUpdateView(TagRuleKind, SettingsFormView):
    """An automatic tag rule."""


class TagRuleDeleteView(TagRuleKind, SettingsDeleteView):
    """Delete an automatic tag rule."""

"""The customer's own API tokens in Oscar's account pages: create one (its key is shown
once), revoke one. A shop mounts the page with
``path("", include("oscar_orders_ext.storefront.token_urls"))``; staff have the same page in
each skin."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.utils.translation import gettext as _

from oscar_orders_ext.views import integrations

#: The URL namespace of the page (``reverse("oscar_orders_ext_tokens:orders-api-tokens")``).
NAMESPACE = "oscar_orders_ext_tokens"


class AccountApiTokensView(LoginRequiredMixin, integrations.ApiTokensView):
    """The signed-in customer's API tokens, in the account area's layout."""

    url_namespace = NAMESPACE
    template_name = "oscar_orders_ext/storefront/api_tokens.html"

    def extra_page_context(self) -> dict[str, Any]:
        """Oscar's account page title and the tab to highlight."""
        return {"page_title": _("API tokens"), "active_tab": "api_tokens"}

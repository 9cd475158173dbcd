"""The API object: its routers, authentication and problem-detail errors."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from . import customer, errors, manage, staff, staff_actions, subscriptions
from .auth import AUTH

#: The URL namespace (``reverse("oscar_orders_ext_api:staff-order-list")``).
NAMESPACE = "oscar_orders_ext_api"

class OrdersApi(NinjaAPI):
    """The API, whose schema says that errors are ``application/problem+json``."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        """Ninja's schema, with every 4xx answer documented in the problem media type."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    content = answer.get("content", {})
                    if str(status).startswith("4") and "application/json" in content:
                        content["application/problem+json"] = content.pop("application/json")
        return schema


api = OrdersApi(title="Order workspace API", version="1", urls_namespace=NAMESPACE, auth=AUTH,
               description="Orders for headless shops and automations: the customer's own "
                           "orders, the staff workspace, API tokens and webhooks.")
errors.install(api)
api.add_router("/staff", staff.router)
api.add_router("/staff", staff_actions.router)
api.add_router("/me", customer.router)
api.add_router("/me", subscriptions.router)
api.add_router("/guest", customer.guest_router)
api.add_router("/", manage.router)

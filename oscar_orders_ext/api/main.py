"""The API object: its routers, authentication and problem-detail errors."""

from __future__ import annotations

from ninja import NinjaAPI

from . import customer, errors, manage, staff
from .auth import AUTH

#: The URL namespace (``reverse("oscar_orders_ext_api:staff-order-list")``).
NAMESPACE = "oscar_orders_ext_api"

api = NinjaAPI(title="Order workspace API", version="1", urls_namespace=NAMESPACE, auth=AUTH,
               description="Orders for headless shops and automations: the customer's own "
                           "orders, the staff workspace, API tokens and webhooks.")
errors.install(api)
api.add_router("/staff", staff.router)
api.add_router("/me", customer.router)
api.add_router("/", manage.router)

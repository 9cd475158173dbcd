"""The JSON API (django-ninja) on the same selectors and services as the pages.

Mount it with ``path("api/orders/", include("oscar_orders_ext.api.urls"))``; the schema is at
``openapi.json`` under it. ``docs/api.md`` describes it.
"""

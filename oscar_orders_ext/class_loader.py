"""Oscar's class loader with the customer groups' pricing: name it in
``OSCAR_DYNAMIC_CLASS_LOADER = "oscar_orders_ext.class_loader.load_classes"`` and every
``get_class("partner.strategy", "Selector")`` (basket middleware, manual orders, alerts)
returns :class:`oscar_orders_ext.pricing.Selector`, and ``get_class("checkout.applicator",
"SurchargeApplicator")`` the one adding plans' setup fees
(:class:`oscar_orders_ext.subscriptions.surcharges.SurchargeApplicator`).

It imports nothing of the app at import time: Oscar calls the loader while apps load.
"""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string
from oscar.core.loading import default_class_loader

#: (module label, class name) → the class this loader returns instead of Oscar's.
REPLACED = {("partner.strategy", "Selector"): "oscar_orders_ext.pricing.Selector",
            # A plan's setup fee is a surcharge on the order that starts the subscription.
            ("checkout.applicator", "SurchargeApplicator"):
                "oscar_orders_ext.subscriptions.surcharges.SurchargeApplicator"}


def load_classes(module_label: str, classnames: list[str], module_prefix: str) -> list[Any]:
    """Oscar's ``default_class_loader``, with the classes of ``REPLACED`` swapped in (a shop
    that forked ``partner`` keeps its own strategy module for every other class)."""
    classes = default_class_loader(module_label, classnames, module_prefix)
    return [import_string(REPLACED[(module_label, name)])
            if (module_label, name) in REPLACED else found
            for name, found in zip(classnames, classes, strict=True)]

"""Workflows: the states an order goes through and the moves between them.

``get_workflow()`` returns the class named by ``OSCAR_ORDERS_EXT_WORKFLOW``; see
``docs/workflow.md`` for writing your own.
"""

from __future__ import annotations

from functools import cache

from django.utils.module_loading import import_string

from oscar_orders_ext.conf import app_settings

from .base import State, Workflow, condition, transition
from .default import DefaultWorkflow


@cache
def get_workflow() -> type[Workflow]:
    """The workflow class configured for this shop."""
    workflow = import_string(app_settings.WORKFLOW)
    if not (isinstance(workflow, type) and issubclass(workflow, Workflow)):
        raise TypeError(f"{app_settings.WORKFLOW} is not a subclass of {Workflow.__qualname__}")
    return workflow


__all__ = ["DefaultWorkflow", "State", "Workflow", "condition", "get_workflow", "transition"]

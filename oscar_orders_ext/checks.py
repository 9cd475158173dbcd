"""System checks that catch a broken workflow at start-up rather than on an operator's click."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django_tasks import task_backends
from django_tasks.backends.immediate import ImmediateBackend
from django_tasks.exceptions import InvalidTaskBackendError
from django.core import checks
from django.utils.translation import gettext as _

from .models import OrderProcess
from .workflow import get_workflow


@checks.register()
def check_workflow(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every transition must start and end in declared states; the initial state must exist."""
    workflow = get_workflow()
    errors: list[checks.CheckMessage] = []
    if not workflow.has_state(workflow.initial_state):
        errors.append(checks.Error(
            f"{workflow.__qualname__}.initial_state {workflow.initial_state!r} is not a state.",
            id="oscar_orders_ext.E001"))
    codes = [state.code for state in workflow.get_states()]
    if len(codes) != len(set(codes)):
        errors.append(checks.Error(f"{workflow.__qualname__} declares a state twice.",
                                   id="oscar_orders_ext.E002"))
    for transition in OrderProcess().get_all_state_transitions():
        for state in (transition.source, transition.target):
            if state not in {"*", "+"} and not workflow.has_state(state):
                errors.append(checks.Error(
                    f"Transition {transition.name!r} uses undeclared state {state!r}.",
                    id="oscar_orders_ext.E003"))
    if workflow.cancel_transition and workflow.cancel_transition not in {
            transition.name for transition in OrderProcess().get_all_state_transitions()}:
        errors.append(checks.Error(
            f"{workflow.__qualname__}.cancel_transition {workflow.cancel_transition!r} is not a "
            "transition of the workflow.", id="oscar_orders_ext.E005"))
    for state, effect in workflow.get_stock_effects().items():
        if not workflow.has_state(state):
            errors.append(checks.Error(f"Stock effect {effect!r} names undeclared state "
                                       f"{state!r}.", id="oscar_orders_ext.E004"))
    return errors


@checks.register()
def check_background_tasks(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when a production setting (DEBUG off) runs long jobs inline in web requests."""
    if settings.DEBUG:
        return []
    try:
        backend = task_backends["default"]
    except InvalidTaskBackendError:
        return []  # django-tasks reports a broken TASKS setting itself
    if not isinstance(backend, ImmediateBackend):
        return []
    # The one check a shop (not a workflow's developer) meets: in the shop's language.
    return [checks.Warning(
        _("Background exports, imports and bulk prints run inline in the web request: TASKS "
          "uses ImmediateBackend while DEBUG is off."),
        hint=_("Use django-tasks' database backend (django_tasks_db.DatabaseBackend) and run "
               "'manage.py db_worker' (docs/deployment.md); silence oscar_orders_ext.W001 if "
               "inline jobs are what you want."),
        id="oscar_orders_ext.W001")]

"""A customised shop: its own workflow, a forked Oscar order app, a custom user model
(inherited from the test settings)."""

from tests.settings import *  # noqa: F401,F403
from tests.settings import INSTALLED_APPS

OSCAR_ORDERS_EXT_WORKFLOW = "tests.custom_workflow.workflow.PrintShopWorkflow"

INSTALLED_APPS = [
    "tests.custom_workflow.order.apps.OrderConfig" if app == "oscar.apps.order.apps.OrderConfig"
    else app for app in INSTALLED_APPS
]

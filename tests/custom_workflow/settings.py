"""The test settings with a shop's own workflow in place of the default one."""

from tests.settings import *  # noqa: F401,F403

OSCAR_ORDERS_EXT_WORKFLOW = "tests.custom_workflow.workflow.PrintShopWorkflow"

"""The test settings of a shop without Wagtail: no ``wagtail*`` apps, nor Wagtail's
``modelcluster`` and ``taggit``, nor our Wagtail admin (``oscar_orders_ext.contrib.wagtail``).

Wagtail stays installed in the test virtualenv, so it is made unimportable here: a run under
these settings fails on the first ``import wagtail``, which proves that the core and the Oscar
dashboard never import it. The Wagtail tests are not collected (see ``tests/conftest.py``).
"""

import sys

from tests.settings import *  # noqa: F401,F403
from tests.settings import INSTALLED_APPS

# None in sys.modules makes `import wagtail` (and of any wagtail.* module) raise ImportError.
sys.modules["wagtail"] = None  # type: ignore[assignment]

INSTALLED_APPS = [app for app in INSTALLED_APPS
                  if app.split(".")[0] not in {"wagtail", "modelcluster", "taggit"}
                  and app != "oscar_orders_ext.contrib.wagtail"]

#!/usr/bin/env python
"""Run Django management commands for the sandbox shop: ``python sandbox/manage.py ...``."""

import os
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    """Put the repository root on ``sys.path`` and hand over to Django."""
    # Lets ``import sandbox`` and ``import oscar_orders_ext`` work without installing the app.
    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

"""Every management command of the app and of the sandbox answers ``--help`` (``seed_demo``'s
lazy help text once made argparse raise a TypeError instead)."""

from __future__ import annotations

import pytest
from django.core.management import get_commands, load_command_class

APPS = ("oscar_orders_ext", "sandbox.demo")
COMMANDS = sorted((name, app) for name, app in get_commands().items() if app in APPS)


def test_the_app_and_the_sandbox_have_commands() -> None:
    assert {"orders_backfill", "orders_import", "orders_tick", "seed_demo"} <= {
        name for name, _app in COMMANDS}


@pytest.mark.parametrize(("name", "app"), COMMANDS)
def test_help_is_printed(name: str, app: str) -> None:
    parser = load_command_class(app, name).create_parser("manage.py", name)

    text = parser.format_help()

    assert text.startswith(f"usage: manage.py {name}")
    assert "--help" in text

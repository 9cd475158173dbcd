#!/usr/bin/env python
"""Keep the app's catalogues complete: extract, compile and check them.

    python scripts/translations.py update [-l de]   # make messages: extract into the .po files
    python scripts/translations.py compile          # make compilemessages: write the .mo files
    python scripts/translations.py check            # the gate (part of make test)

``update`` runs ``makemessages`` for every language under ``oscar_orders_ext/locale/`` (plus
any ``-l``) and both domains (``django``: Python and templates; ``djangojs``: the static
JavaScript), then fills what Oscar already translates (``fill_translations.py``). ``check``
extracts the messages again into a scratch copy of the app and fails when a msgid is missing,
fuzzy or untranslated in a language, when ``msgfmt --check`` refuses a catalogue, or when a
shipped ``.mo`` file is not the compiled ``.po`` file next to it. It never writes to the tree.
"""

from __future__ import annotations

import argparse
import gettext
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "oscar_orders_ext"
DOMAINS = ("django", "djangojs")
#: What makemessages must not read: the vendored SortableJS and anything built or installed.
IGNORE = ("static/oscar_orders_ext/vendor/*", "tests/*", ".venv/*", "build/*")
FIX = """To fix it:
    make messages          # extract the new strings into every .po file
    (translate them: edit oscar_orders_ext/locale/<lang>/LC_MESSAGES/*.po, clear "fuzzy")
    make compilemessages   # write the .mo files, then commit .po and .mo"""


def languages(app_dir: Path) -> list[str]:
    """The languages the app ships a catalogue for."""
    return sorted(path.name for path in (app_dir / "locale").iterdir()
                  if (path / "LC_MESSAGES").is_dir())


def makemessages(app_dir: Path, langs: list[str]) -> None:
    """Extract the messages of ``app_dir`` into its catalogues, both domains."""
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    for domain in DOMAINS:
        # -P: the app directory must not shadow the standard library (our selectors.py).
        command = [sys.executable, "-P", "-m", "django", "makemessages", "--no-obsolete",
                   "-d", domain, *(f"--locale={lang}" for lang in langs),
                   *(f"--ignore={pattern}" for pattern in IGNORE)]
        subprocess.run(command, cwd=app_dir, env=env, check=True, stdout=subprocess.DEVNULL)


def catalogues(app_dir: Path, langs: list[str]) -> list[Path]:
    """Every ``.po`` file of ``langs``."""
    return [po for lang in langs for domain in DOMAINS
            if (po := app_dir / "locale" / lang / "LC_MESSAGES" / f"{domain}.po").exists()]


def msgfmt(po: Path, output: Path | str) -> subprocess.CompletedProcess[str]:
    """``msgfmt --check`` of ``po`` into ``output``."""
    return subprocess.run(["msgfmt", "--check", "-o", str(output), str(po)],
                          capture_output=True, text=True)


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)

    def add(self, title: str, items: list[str]) -> None:
        if items:
            self.problems.append(f"{title}:\n" + "\n".join(f"    {item}" for item in items))


def _msgids(po: Path) -> dict[str, tuple[bool, bool]]:
    """msgid (with its context) → (translated, fuzzy) for each live entry of ``po``."""
    import polib

    return {(f"{entry.msgctxt}\x04" if entry.msgctxt else "") + entry.msgid:
            (entry.translated(), "fuzzy" in entry.flags)
            for entry in polib.pofile(str(po)) if not entry.obsolete}


def _shown(key: str) -> str:
    context, _, msgid = key.rpartition("\x04")
    return f"{msgid!r} (context {context!r})" if context else repr(msgid)


def _mo_catalogue(path: Path) -> dict[object, str]:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def check() -> int:
    """The gate; 0 when every catalogue is complete, valid and compiled."""
    if shutil.which("msgfmt") is None:
        print("GNU gettext is not installed (msgfmt, xgettext, msgmerge): "
              "apt-get install -y gettext", file=sys.stderr)
        return 1
    app_dir = ROOT / APP
    langs = languages(app_dir)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="translations-") as scratch:
        copy = Path(scratch) / APP
        shutil.copytree(app_dir, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
        makemessages(copy, langs)
        for extracted in catalogues(copy, langs):
            relative = extracted.relative_to(copy)
            shipped = app_dir / relative
            found = _msgids(extracted)
            have = _msgids(shipped)
            report.add(f"{relative}: not in the catalogue",
                       [_shown(msgid) for msgid in found if msgid and msgid not in have])
            report.add(f"{relative}: fuzzy", [_shown(msgid) for msgid in found
                                               if msgid and have.get(msgid, (1, 0))[1]])
            report.add(f"{relative}: untranslated", [
                _shown(msgid) for msgid in found
                if msgid and msgid in have and not have[msgid][0] and not have[msgid][1]])
            compiled = extracted.with_suffix(".mo")
            result = msgfmt(shipped, compiled)
            if result.returncode:
                report.add(f"{relative}: msgfmt --check", result.stderr.strip().splitlines())
                continue
            shipped_mo = shipped.with_suffix(".mo")
            if not shipped_mo.exists() or _mo_catalogue(shipped_mo) != _mo_catalogue(compiled):
                report.add(f"{relative.with_suffix('.mo')}",
                           ["missing or older than its .po file"])
    if report.problems:
        print("Translations are incomplete.\n\n" + "\n\n".join(report.problems)
              + "\n\n" + FIX, file=sys.stderr)
        return 1
    print(f"Translations complete: {', '.join(langs)} ({', '.join(DOMAINS)}).")
    return 0


def update(extra: list[str]) -> int:
    """``make messages``: extract into the .po files and fill Oscar's translations."""
    app_dir = ROOT / APP
    for lang in extra:
        (app_dir / "locale" / lang / "LC_MESSAGES").mkdir(parents=True, exist_ok=True)
    makemessages(app_dir, languages(app_dir))
    subprocess.run([sys.executable, str(ROOT / "scripts" / "fill_translations.py"),
                    "--from-oscar", "--js-from-py"], check=True)
    return 0


def compile_all() -> int:
    """``make compilemessages``: every .po file to its .mo file."""
    failed = 0
    app_dir = ROOT / APP
    for po in catalogues(app_dir, languages(app_dir)):
        result = msgfmt(po, po.with_suffix(".mo"))
        if result.returncode:
            print(result.stderr, file=sys.stderr)
            failed = 1
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("check", help="fail on missing, fuzzy or untranslated msgids")
    commands.add_parser("update", help="extract messages into the .po files").add_argument(
        "-l", "--locale", action="append", default=[], help="also start this language")
    commands.add_parser("compile", help="compile the .po files")
    args = parser.parse_args()
    if args.command == "check":
        return check()
    if args.command == "update":
        return update(args.locale)
    return compile_all()


if __name__ == "__main__":
    sys.exit(main())

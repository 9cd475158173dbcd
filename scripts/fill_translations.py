#!/usr/bin/env python
"""Fill empty msgstr entries of our catalogues, never overwriting a translation.

    python scripts/fill_translations.py --from-oscar   # Oscar's words for Oscar's msgids
    python scripts/fill_translations.py --js-from-py   # djangojs msgids already in django.po

Everything else is translated in the .po files themselves. Run ``make messages`` first and
``make compilemessages`` after.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import polib

LOCALE_DIR = Path(__file__).resolve().parent.parent / "oscar_orders_ext" / "locale"
LANGUAGES = sorted(path.name for path in LOCALE_DIR.iterdir() if (path / "LC_MESSAGES").is_dir())


def catalogue(language: str, domain: str = "django") -> Path:
    """Path of our ``.po`` file for ``language`` and ``domain``."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def oscar_catalogue_path(language: str) -> Path:
    """Where Oscar keeps its catalogue for ``language``."""
    import oscar

    return Path(oscar.__file__).parent / "locale" / language / "LC_MESSAGES" / "django.po"


def oscar_catalogue(language: str) -> polib.POFile:
    """Oscar's shipped catalogue for ``language``."""
    return polib.pofile(str(oscar_catalogue_path(language)))


def _key(entry: polib.POEntry) -> tuple[str | None, str, str]:
    return entry.msgctxt, entry.msgid, entry.msgid_plural


def _plural_forms(forms: list[str], nplurals: int) -> dict[int, str]:
    """Map Oscar's forms (it/fr: one, many, other) onto ours (one, other)."""
    if len(forms) == nplurals:
        return dict(enumerate(forms))
    return {0: forms[0], nplurals - 1: forms[-1]}


def fill(po: polib.POFile, translations: dict[tuple[str | None, str, str], object]) -> int:
    """Fill the untranslated entries of ``po`` found in ``translations``; how many were filled."""
    nplurals = int(po.metadata.get("Plural-Forms", "nplurals=2").split("nplurals=")[1][0])
    filled = 0
    for entry in po:
        if entry.obsolete or entry.translated():
            continue
        found = translations.get(_key(entry))
        if not found:
            continue
        if entry.msgid_plural:
            forms = found if isinstance(found, list) else [found]
            entry.msgstr_plural = _plural_forms(list(forms), nplurals)
        elif isinstance(found, str):
            entry.msgstr = found
        else:
            continue
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        filled += 1
    return filled


def from_oscar(language: str) -> dict[tuple[str | None, str, str], object]:
    """Oscar's translated, non-fuzzy entries keyed like ours."""
    found: dict[tuple[str | None, str, str], object] = {}
    for entry in oscar_catalogue(language):
        if entry.obsolete or "fuzzy" in entry.flags or not entry.translated():
            continue
        if entry.msgid_plural:
            found[_key(entry)] = [entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
        else:
            found[_key(entry)] = entry.msgstr
    return found


def from_catalogue(po: polib.POFile) -> dict[tuple[str | None, str, str], object]:
    """The translated, non-fuzzy entries of one of our catalogues."""
    return {_key(entry): ([entry.msgstr_plural[i] for i in sorted(entry.msgstr_plural)]
                          if entry.msgid_plural else entry.msgstr)
            for entry in po if entry.translated() and "fuzzy" not in entry.flags}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from-oscar", action="store_true",
                        help="fill django.po from Oscar's catalogue")
    parser.add_argument("--js-from-py", action="store_true",
                        help="fill djangojs.po from our django.po")
    args = parser.parse_args()
    for language in LANGUAGES:
        if args.from_oscar and oscar_catalogue_path(language).exists():
            po = polib.pofile(str(catalogue(language)))
            print(f"{language}/django: {fill(po, from_oscar(language))} from Oscar")
            po.save()
        if args.js_from_py and catalogue(language, "djangojs").exists():
            po = polib.pofile(str(catalogue(language, "djangojs")))
            found = from_catalogue(polib.pofile(str(catalogue(language))))
            print(f"{language}/djangojs: {fill(po, found)} from django.po")
            po.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())

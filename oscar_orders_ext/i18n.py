"""Languages: the customer's for what an order sends them, the starter's for what a background
job writes, every shop language for what we read.

Documents and customer emails are written in the order's language (``OrderProcess.language``,
recorded when the customer placed the order), not in the language of the operator who clicks;
an order without one (entered by staff, imported, placed before it was recorded) uses
``settings.LANGUAGE_CODE``. A background job (export, print, import, bulk action) records the
language of the request that started it, and its worker writes in it. Files we read back (our
own exports) may come from a user of any language, so their headers and labels are recognised
in all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise

from .models import OrderProcess

LOCALE_DIR = Path(__file__).resolve().parent / "locale"


def supported_language(code: str | None) -> str:
    """``code`` as a language of ``settings.LANGUAGES`` (``fr-ch`` → ``fr``), else ""."""
    if not code:
        return ""
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return ""


def placement_language(source: str = "") -> str:
    """The language to record on a new order: the active one, when the customer placed it;
    "" when staff or a file created it (``source`` set), as their language is not the
    customer's."""
    return "" if source else supported_language(translation.get_language())


def order_language(order: Any) -> str:
    """The language of what the order's customer receives (emails, documents)."""
    try:
        language = order.process.language
    except (AttributeError, OrderProcess.DoesNotExist):
        language = ""
    return supported_language(language) or settings.LANGUAGE_CODE


def in_order_language(order: Any) -> AbstractContextManager[None]:
    """Translate and format (amounts, dates) in the order's customer's language."""
    return translation.override(order_language(order))


def starting_language() -> str:
    """The active language, to record on a background job started now ("" when none is)."""
    return supported_language(translation.get_language())


def job_language(code: str) -> str:
    """The language a background job recorded with ``code`` writes in: its starter's, else
    the shop's (``settings.LANGUAGE_CODE``, for "" or a language the shop dropped)."""
    return supported_language(code) or settings.LANGUAGE_CODE


def in_job_language(job: Any) -> AbstractContextManager[None]:
    """Translate what a worker writes for a job (warnings, reports, errors) in the language
    of the person who started it, whatever language the worker runs in."""
    return translation.override(job_language(job.language))


@lru_cache(maxsize=1)
def _shipped_languages() -> tuple[str, ...]:
    return tuple(sorted(path.name for path in LOCALE_DIR.iterdir()
                        if (path / "LC_MESSAGES").is_dir())) if LOCALE_DIR.is_dir() else ()


def shop_languages() -> list[str]:
    """English, the shop's ``LANGUAGES`` and the languages this app ships, once each."""
    codes = ["en", *(code for code, _name in settings.LANGUAGES), *_shipped_languages()]
    return list(dict.fromkeys(codes))


def in_every_language(texts: Iterable[str | Promise]) -> set[str]:
    """Each of ``texts`` (lazy translations) as every shop language writes it."""
    texts = list(texts)
    found: set[str] = set()
    for language in shop_languages():
        with translation.override(language):
            found.update(str(text) for text in texts)
    return found

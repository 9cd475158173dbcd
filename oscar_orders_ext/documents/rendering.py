"""Templates to PDF with WeasyPrint, fetching nothing but the shop's own static and media files.

Documents are rendered from a string whose base URL is a placeholder origin that cannot resolve
(``.invalid``): ``{% static %}`` and media URLs become ``<origin>/static/…`` and are read from
Django's static finders and storages. Every other URL (another host, ``file://``, ``ftp:``) is
refused and logged, and WeasyPrint renders without it.

What WeasyPrint can keep between renders is kept, per thread (Pango's font map is not
thread-safe): the loaded fonts (one ``FontConfiguration``) and the parsed stylesheet
(``document.css``, rendered apart from the HTML and parsed once for each distinct text).
Loading fonts into a fresh font map and parsing the stylesheet were a fifth to a quarter of the
time of a one-page document.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger("oscar_orders_ext.documents")

#: Base URL of every rendered document; ``.invalid`` never resolves (RFC 2606).
LOCAL_ORIGIN = "https://documents.oscar-orders-ext.invalid"
#: The page a fitted document is laid out on before it is cut (PDF allows up to 5,080 mm).
TALL_PAGE_MM = 5000
PX_PER_MM = 96 / 25.4


def static_url(path: str) -> str:
    """The URL a document uses for a static file (read from the static finders)."""
    return f"{LOCAL_ORIGIN}/{_prefix(settings.STATIC_URL)}{path.lstrip('/')}"


def media_url(name: str) -> str:
    """The URL a document uses for a file in the default storage (media)."""
    return f"{LOCAL_ORIGIN}/{_prefix(settings.MEDIA_URL)}{name.lstrip('/')}"


def _prefix(url: str | None) -> str:
    """The path part of STATIC_URL / MEDIA_URL without its leading slash ("static/")."""
    path = urlsplit(url or "/").path.strip("/")
    return f"{path}/" if path else ""


class LocalFilesFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves static and media files and refuses the rest.

    ``refused`` lists what a render asked for and did not get, for logs and tests.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data", "http", "https"))
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith("data:"):  # inline: nothing leaves the process
            return super().fetch(url, headers)
        body = self.read_local(url)
        if body is None:
            self.refused.append(url)
            logger.warning("Document rendering refused to fetch %s", url)
            raise ValueError(f"Documents may only use the shop's static and media files: {url}")
        self.served.append(url)
        content_type = mimetypes.guess_type(urlsplit(url).path)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})

    def read_local(self, url: str) -> bytes | None:
        """The bytes of a static or media file ``url`` names, None for anything else."""
        path = self.local_path(url)
        if path is None:
            return None
        for prefix, read in ((_prefix(settings.STATIC_URL), _read_static),
                             (_prefix(settings.MEDIA_URL), _read_media)):
            if prefix and path.startswith(prefix):
                name = path[len(prefix):]
                if not name or name.startswith("../") or name == "..":
                    return None
                try:
                    return read(name)
                except Exception as error:  # missing file, SuspiciousFileOperation, storage
                    logger.warning("Document file %s could not be read: %s", url, error)
                    return None
        return None

    @staticmethod
    def local_path(url: str) -> str | None:
        """The path under our origin (or under an absolute STATIC_URL/MEDIA_URL) of ``url``."""
        if url.startswith(LOCAL_ORIGIN + "/"):
            path = url[len(LOCAL_ORIGIN) + 1:]
        else:
            path = ""
            for base in (settings.STATIC_URL or "", settings.MEDIA_URL or ""):
                if "://" in base and url.startswith(base):
                    path = _prefix(base) + url[len(base):]
                    break
            if not path:
                return None
        path = unquote(path.split("?", 1)[0].split("#", 1)[0])
        normal = posixpath.normpath("/" + path).lstrip("/")
        return normal if normal == path.rstrip("/") else None


def _read_static(name: str) -> bytes:
    found = finders.find(name)
    if found:
        with open(found if isinstance(found, str) else found[0], "rb") as handle:
            return handle.read()
    with staticfiles_storage.open(name) as handle:
        return handle.read()


def _read_media(name: str) -> bytes:
    with default_storage.open(name) as handle:
        return handle.read()


@dataclass
class Rendered:
    """A rendered PDF and what its renderer refused to fetch."""

    pdf: bytes
    pages: int
    refused: list[str] = field(default_factory=list)
    page_heights_mm: list[float] = field(default_factory=list)


def document_stylesheet(kind: str, *, fitted: bool = False, several: bool = False) -> str:
    """The text of a document's stylesheet (``document.css``: the ``@page`` rules, then
    ``styles.css``); ``several`` when one print holds many documents."""
    return render_to_string("oscar_orders_ext/documents/document.css", {
        "kind": kind, "fitted": fitted, "several": several, "tall_page_mm": TALL_PAGE_MM})


def document_html(kind: str, fragments: Sequence[str], *, title: str = "",
                  labels: Sequence[str] = (), stylesheet: str = "") -> str:
    """The whole HTML of a document: ``base.html`` around one fragment per order.

    With several fragments, each page's footer names its own document (``labels``): page
    numbers would count across all of them. ``stylesheet`` is inlined, for a standalone file;
    ``render_pdf`` takes it apart instead.
    """
    labels = list(labels) or [""] * len(fragments)
    return render_to_string("oscar_orders_ext/documents/base.html", {
        "kind": kind, "title": title, "stylesheet": mark_safe(stylesheet),
        "documents": [{"html": mark_safe(fragment), "label": label}
                      for fragment, label in zip(fragments, labels, strict=True)]})


class _ThreadResources(threading.local):
    """What WeasyPrint keeps between the renders of one thread: fonts and parsed stylesheets."""

    max_stylesheets = 16

    def __init__(self) -> None:
        self.font_config = FontConfiguration()
        self.counter_style = CounterStyle()
        self.stylesheets: dict[str, tuple[CSS, list[str]]] = {}

    def stylesheet(self, text: str) -> tuple[CSS, list[str]]:
        """``text`` parsed (fonts of its ``@font-face`` rules loaded), with the URLs its parsing
        was refused; parsed on first use in this thread."""
        if text not in self.stylesheets:
            if len(self.stylesheets) >= self.max_stylesheets:
                self.stylesheets.clear()  # templates changed on a long-running worker
            fetcher = LocalFilesFetcher()
            sheet = CSS(string=text, base_url=LOCAL_ORIGIN + "/", url_fetcher=fetcher,
                        font_config=self.font_config, counter_style=self.counter_style)
            self.stylesheets[text] = (sheet, fetcher.refused)
        return self.stylesheets[text]


_resources = _ThreadResources()


def render_pdf(html: str, *, stylesheet: str = "", fitted: bool = False) -> Rendered:
    """Lay out ``html`` with ``stylesheet`` once and write the PDF; a fitted document's pages
    are first cut to the height of what was laid out on them (``Page.height`` is what the PDF
    writer uses)."""
    fetcher = LocalFilesFetcher()
    stylesheets: list[CSS] = []
    refused_by_stylesheet: list[str] = []
    if stylesheet:
        sheet, refused_by_stylesheet = _resources.stylesheet(stylesheet)
        stylesheets.append(sheet)
    document = HTML(string=html, base_url=LOCAL_ORIGIN + "/", url_fetcher=fetcher).render(
        font_config=_resources.font_config, counter_style=_resources.counter_style,
        stylesheets=stylesheets)
    heights: list[float] = []
    if fitted:
        for page in document.pages:
            heights.append(content_height_mm(page))
            page.height = heights[-1] * PX_PER_MM
    pdf = document.write_pdf()
    return Rendered(pdf=pdf, pages=len(document.pages),
                    refused=[*refused_by_stylesheet, *fetcher.refused], page_heights_mm=heights)


def content_height_mm(page: Any) -> float:
    """How tall a page must be to hold what was laid out on it: the bottom of the document
    sections on it plus the page's bottom margin, rounded up to the next half millimetre.

    Sections, not the root box: a root box split across pages stretches to the page's bottom.
    """
    box = page._page_box
    bottom = 0.0
    for root in box.children:
        if getattr(root, "element_tag", "") != "html":
            continue  # page-margin boxes
        bottom = max(bottom, _bottom_of_sections(root) or root.position_y + root.margin_height())
    bottom += box.margin_bottom + box.border_bottom_width + box.padding_bottom
    millimetres = bottom / PX_PER_MM
    return float(int(millimetres * 2) + 2) / 2  # round up, with half a millimetre to spare


def _bottom_of_sections(root: Any) -> float:
    bottom = 0.0
    for body in getattr(root, "children", []):
        for child in getattr(body, "children", []):
            if getattr(child, "element_tag", "") == "section":
                bottom = max(bottom, child.position_y + child.margin_height())
    return bottom

"""Bulk prints on every core: chunks of documents laid out by worker processes, merged with pypdf.

WeasyPrint's layout (about 100 ms of CPU per one-page document) is the whole cost of a bulk
print and holds the interpreter lock, so threads do not help; processes do. The parent reads
the database and builds each document's HTML; the workers only lay out HTML into PDF.

Starting the workers is cheap: on Linux they are forked from the process running the print (a
task worker that has Django, the templates and WeasyPrint's fonts loaded already), so a worker
lays out its first chunk within milliseconds instead of setting Django up for seconds (the
``spawn`` start measured 0.45× the pages/s of one process). A forked worker never uses the
database: it keeps the connections it inherited open and untouched (closing them would end the
parent's sessions on the shared sockets) and refuses any query; it leaves with ``os._exit``, so
nothing of the parent's is finalised. Elsewhere workers are spawned and set Django up.
The parent's objects are frozen out of the garbage collector while it forks (``gc.freeze``,
as Python's documentation advises): a worker's collections would otherwise walk every object
it inherited, writing to their pages, so the kernel copied them; that cost the workers about
a quarter more CPU than one process laying out the same pages (measured on 500 delivery notes).

The parent builds the HTML chunk by chunk while the workers lay out the chunks before, hands a
chunk to whichever worker is free (chunks shrink towards the end so that the workers finish
together), and appends each chunk's PDF to the merged one as soon as the chunks before it are
in, so that little is left to do once the last chunk is laid out.

A print of several documents names each document in its pages' footers (no running page
count), so chunks laid out apart and merged give the same pages as one layout.

A worker that raises, dies or stops answering fails the whole print (``PrintWorkerError``):
the other workers are stopped and no partial document is returned.
"""

from __future__ import annotations

import gc
import io
import logging
import multiprocessing
import os
import signal
import sys
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, cast

import django
from django.db import connections
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pypdf import PdfReader, PdfWriter

from oscar_orders_ext.exceptions import OrderWorkflowError

from .rendering import Rendered, document_html, render_pdf

logger = logging.getLogger("oscar_orders_ext.documents")

#: Fewest documents per chunk: each chunk pays WeasyPrint's fixed cost (font subsetting, the
#: PDF writer) and a merge once.
MIN_CHUNK = 5
#: Most documents per chunk: the job's progress moves at least this often.
MAX_CHUNK = 40
#: Fewest documents a background print shares among processes: below, one layout is as fast.
PARALLEL_MIN = 20
#: A print fails when no worker has finished a chunk for this long plus
#: ``STALL_SECONDS_PER_DOCUMENT`` per document of the largest chunk (a hung worker).
STALL_SECONDS = 60.0
STALL_SECONDS_PER_DOCUMENT = 10.0

#: A chunk to lay out: (kind, fragments, labels, title, stylesheet, fitted, language).
Chunk = tuple[str, list[str], list[str], str, str, bool, str]


class PrintWorkerError(OrderWorkflowError):
    """A process laying out part of a bulk print failed; nothing was printed."""

    default_message = gettext_lazy("A process laying out the documents failed; nothing was "
                                    "printed. Try again.")


def cpu_count() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13
    if counter is not None:
        return max(1, counter() or 1)
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def print_processes(configured: int | None) -> int:
    """How many processes a bulk print uses: the setting, or one per core when it is 0; one
    inside a daemonic process (which may not start processes)."""
    if multiprocessing.current_process().daemon:
        return 1
    if configured:
        return max(1, int(configured))
    return cpu_count()


def start_method() -> str:
    """``fork`` on Linux (workers inherit the set-up process), ``spawn`` elsewhere (macOS's
    system libraries are not safe to fork; Windows cannot)."""
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return "fork"
    return "spawn"


def chunk_sizes(count: int, processes: int) -> list[int]:
    """Sizes of the chunks of ``count`` documents shared among ``processes``: each a share of
    what is left (at most ``MAX_CHUNK``, at least ``MIN_CHUNK``), so the last chunks are small
    and the workers finish together."""
    sizes = []
    left = count
    while left > 0:
        size = min(left, max(MIN_CHUNK, min(MAX_CHUNK, -(-left // (2 * processes)))))
        sizes.append(size)
        left -= size
    return sizes


def chunk_bounds(count: int, processes: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk of ``count`` documents shared among ``processes``."""
    bounds, start = [], 0
    for size in chunk_sizes(count, processes):
        bounds.append((start, start + size))
        start += size
    return bounds


def render_chunk(kind: str, fragments: Sequence[str], labels: Sequence[str], title: str,
                 stylesheet: str, fitted: bool, language: str = "") -> Rendered:
    """Lay out one chunk of a bulk print (in a worker process)."""
    with translation.override(language or None):
        return render_pdf(document_html(kind, fragments, title=title, labels=labels),
                          stylesheet=stylesheet, fitted=fitted)


class PdfMerger:
    """Pages of PDFs appended in order into one PDF, the first as soon as it is in."""

    def __init__(self) -> None:
        self.writer = PdfWriter()

    def append(self, pdf: bytes) -> None:
        """Append every page of ``pdf``."""
        self.writer.append(PdfReader(io.BytesIO(pdf)))

    def output(self, *, title: str = "") -> bytes:
        """The merged PDF, titled ``title``."""
        if title:
            self.writer.add_metadata({"/Title": title})
        output = io.BytesIO()
        self.writer.write(output)
        return output.getvalue()


def merge_pdfs(parts: Sequence[bytes], *, title: str = "") -> bytes:
    """One PDF holding the pages of ``parts`` in order."""
    merger = PdfMerger()
    for part in parts:
        merger.append(part)
    return merger.output(title=title)


# --- The worker process -------------------------------------------------------------------------

#: The database connections a forked worker inherited: kept referenced, so that they are
#: never finalised (which would end the parent's sessions), and never used.
_inherited_connections: list[Any] = []


def _refuse_queries(*args: Any) -> Any:
    raise RuntimeError("A bulk print worker process does not use the database.")


def _set_up_worker(method: str, settings_module: str, parent_ends: Sequence[Connection]) -> None:
    """Make a new worker ready: Django set up when spawned. When forked: the parent's ends of
    the workers' pipes closed (so that a worker sees the parent go away), the signal handlers
    of the parent's own process (a task worker's graceful stop) reset, the inherited database
    connections left alone and closed to queries."""
    if method != "fork":
        if settings_module:
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
        django.setup()
        return
    for end in parent_ends:
        end.close()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops its workers itself
    for connection in connections.all(initialized_only=True):
        _inherited_connections.append(connection.connection)
        connection.execute_wrappers.append(_refuse_queries)


def _worker_main(channel: Connection, method: str, settings_module: str,
                 parent_ends: Sequence[Connection]) -> None:
    """Lay out the chunks the parent sends until it sends None (or goes away)."""
    _set_up_worker(method, settings_module, parent_ends)
    try:
        while True:
            chunk: Chunk | None = channel.recv()
            if chunk is None:
                return
            try:
                rendered = render_chunk(*chunk)
            except Exception:  # the parent reports it and stops this worker
                channel.send(("error", traceback.format_exc()))
                return
            channel.send(("done", rendered))
    except (EOFError, OSError):  # the parent went away
        return


@dataclass
class _Worker:
    process: Any
    channel: Connection
    #: (index, size) of the chunk it lays out, None while idle.
    chunk: tuple[int, int] | None = None


def _start_worker(context: Any, method: str, settings_module: str,
                  started: Sequence[_Worker]) -> _Worker:
    parent_end, child_end = multiprocessing.Pipe()
    # A forked worker gets (and closes) the parent's ends it would otherwise inherit.
    parent_ends = [parent_end, *(worker.channel for worker in started)] if method == "fork" \
        else []
    process = context.Process(target=_worker_main, daemon=True, name="oscar-orders-ext-print",
                              args=(child_end, method, settings_module, parent_ends))
    process.start()
    child_end.close()  # the worker's end lives in the worker only: its death closes it
    return _Worker(process, parent_end)


@contextmanager
def _inherited_objects_frozen(method: str) -> Iterator[None]:
    """While workers are forked: the parent's objects moved out of the garbage collector's
    reach, so the workers never collect (and copy) them; collectable again in the parent after
    (left alone when something else, a pre-forking server say, froze them already)."""
    if method != "fork" or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _stop_workers(workers: Sequence[_Worker], *, failed: bool) -> None:
    """Let idle workers leave (or kill them all when the print failed), and reap them."""
    for worker in workers:
        if failed or worker.chunk is not None:
            worker.process.kill()
        else:
            try:
                worker.channel.send(None)
            except OSError:
                worker.process.kill()
    for worker in workers:
        worker.process.join(timeout=5)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join()
        worker.channel.close()


# --- The parent -----------------------------------------------------------------------------

def render_in_processes(kind: str, documents: Iterable[tuple[str, str]], count: int, *,
                        title: str, stylesheet: str, fitted: bool, processes: int,
                        progress: Callable[[int], None] | None = None) -> Rendered:
    """The bulk print of ``count`` documents, (HTML fragment, footer label) pairs built as
    they are needed, laid out by ``processes`` worker processes in chunks and merged;
    ``progress`` gets the number of documents laid out so far. Raises ``PrintWorkerError``
    when a worker fails."""
    sizes = chunk_sizes(count, processes)
    language = translation.get_language() or ""
    source: Iterator[tuple[str, str]] = iter(documents)
    built: deque[Chunk] = deque()
    next_built = 0  # index of the next chunk to build

    def build() -> None:
        nonlocal next_built
        pairs = [next(source) for _ in range(sizes[next_built])]
        built.append((kind, [fragment for fragment, _label in pairs],
                      [label for _fragment, label in pairs], title, stylesheet, fitted,
                      language))
        next_built += 1

    method = start_method()
    context = multiprocessing.get_context(method)
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    stall = int(STALL_SECONDS + STALL_SECONDS_PER_DOCUMENT * max(sizes))
    workers: list[_Worker] = []
    results: dict[int, Rendered] = {}
    merger, merged, done, failed = PdfMerger(), 0, 0, True
    try:
        build()  # before starting workers: a print that cannot be built starts none
        with _inherited_objects_frozen(method):
            while len(workers) < min(processes, len(sizes)):
                workers.append(_start_worker(context, method, settings_module, workers))
        handed = 0
        while merged < len(sizes):
            for worker in workers:  # every idle worker gets the next chunk
                if worker.chunk is None and handed < len(sizes):
                    if not built:
                        build()
                    worker.channel.send(built.popleft())
                    worker.chunk, handed = (handed, sizes[handed]), handed + 1
            if next_built < len(sizes) and not built:
                build()  # the next chunk is ready when a worker comes back
            busy = {worker.channel: worker for worker in workers if worker.chunk is not None}
            sentinels = {worker.process.sentinel: worker for worker in busy.values()}
            ready = wait([*busy, *sentinels], timeout=stall)  # a result, or a worker's end
            if not ready:
                logger.error("Bulk print: no worker finished a chunk for %d s", stall)
                raise PrintWorkerError(
                    _("A process laying out the documents stopped answering for %(seconds)d "
                      "seconds; nothing was printed. Try again.") % {"seconds": stall})
            for item in ready:
                worker = (busy[item] if isinstance(item, Connection)
                          else sentinels[cast(int, item)])
                if worker.chunk is None:
                    continue  # its message and its exit in the same round
                index, size = worker.chunk
                results[index] = _receive(worker, index, size)
                worker.chunk = None
                done += size
                if progress is not None:
                    progress(done)
            while merged in results:  # in order, as soon as the chunks before are in
                merger.append(results[merged].pdf)
                merged += 1
        failed = False
    finally:
        _stop_workers(workers, failed=failed)
    chunks = [results[index] for index in range(len(sizes))]
    return Rendered(pdf=merger.output(title=title), pages=sum(chunk.pages for chunk in chunks),
                    refused=[url for chunk in chunks for url in chunk.refused],
                    page_heights_mm=[height for chunk in chunks
                                     for height in chunk.page_heights_mm])


def _receive(worker: _Worker, index: int, size: int) -> Rendered:
    """The chunk a worker laid out, or ``PrintWorkerError`` saying what became of it."""
    try:
        status, payload = worker.channel.recv()
    except (EOFError, OSError):
        worker.process.join(timeout=5)
        logger.error("Bulk print worker %s stopped (exit code %s) laying out chunk %d",
                     worker.process.pid, worker.process.exitcode, index)
        raise PrintWorkerError(
            _("A process laying out the documents stopped unexpectedly (exit code "
              "%(code)s); nothing was printed. Try again.")
            % {"code": worker.process.exitcode}) from None
    if status != "done":
        logger.error("Bulk print worker %s failed laying out chunk %d (%d documents):\n%s",
                     worker.process.pid, index, size, payload)
        last_line = payload.strip().splitlines()[-1] if payload.strip() else ""
        raise PrintWorkerError(
            _("A process laying out the documents failed; nothing was printed: %(error)s")
            % {"error": last_line})
    rendered: Rendered = payload
    return rendered

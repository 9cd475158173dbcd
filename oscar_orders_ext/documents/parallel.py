"""Bulk prints on every core: chunks of documents laid out by worker processes, merged with pypdf.

WeasyPrint's layout (about 100 ms of CPU per one-page document) is the whole cost of a bulk
print and holds the interpreter lock, so threads do not help; processes do. The parent reads
the database and builds each document's HTML (cheap); the workers only lay out HTML into PDF,
so no database connection ever crosses into a worker. Workers are started with the ``spawn``
context (a fresh interpreter: nothing of the parent's connections, locks or threads is
inherited) and set Django up from ``DJANGO_SETTINGS_MODULE``.

A print of several documents names each document in its pages' footers (no running page
count), so chunks laid out apart and merged give the same pages as one layout.
"""

from __future__ import annotations

import io
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed

import django
from pypdf import PdfReader, PdfWriter

from .rendering import Rendered, document_html, render_pdf

#: Fewest documents per chunk: each chunk pays WeasyPrint's fixed cost (font subsetting, the
#: PDF writer) once.
MIN_CHUNK = 10
#: Chunks per process: enough for progress to move and for the processes to finish together.
CHUNKS_PER_PROCESS = 4
#: Fewest documents a background print shares among processes: each spawned worker first
#: pays a few seconds (Django set up, fonts loaded), which 60 documents did not repay
#: (measured: 0.45× the pages/s of one process).
PARALLEL_MIN = 100


def print_processes(configured: int | None) -> int:
    """How many processes a bulk print uses: the setting, or one per core when it is 0."""
    if configured:
        return max(1, int(configured))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def chunk_bounds(count: int, processes: int) -> list[tuple[int, int]]:
    """(start, end) of each chunk of ``count`` documents shared among ``processes``."""
    size = max(MIN_CHUNK, -(-count // (processes * CHUNKS_PER_PROCESS)))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _start_worker(settings_module: str) -> None:
    """Set Django up in a freshly spawned worker (templates, static files, storages)."""
    if settings_module:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings_module)
    django.setup()


def render_chunk(kind: str, fragments: Sequence[str], labels: Sequence[str], title: str,
                 stylesheet: str, fitted: bool) -> Rendered:
    """Lay out one chunk of a bulk print (in a worker process)."""
    return render_pdf(document_html(kind, fragments, title=title, labels=labels),
                      stylesheet=stylesheet, fitted=fitted)


def merge_pdfs(parts: Sequence[bytes], *, title: str = "") -> bytes:
    """One PDF holding the pages of ``parts`` in order."""
    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    if title:
        writer.add_metadata({"/Title": title})
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def render_in_processes(kind: str, fragments: Sequence[str], labels: Sequence[str], *,
                        title: str, stylesheet: str, fitted: bool, processes: int,
                        progress: Callable[[int], None] | None = None) -> Rendered:
    """The bulk print of ``fragments`` laid out by ``processes`` worker processes, merged;
    ``progress`` gets the number of documents laid out so far."""
    bounds = chunk_bounds(len(fragments), processes)
    context = multiprocessing.get_context("spawn")
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "")
    with ProcessPoolExecutor(max_workers=min(processes, len(bounds)), mp_context=context,
                             initializer=_start_worker, initargs=(settings_module,)) as pool:
        futures: list[Future[Rendered]] = [
            pool.submit(render_chunk, kind, list(fragments[start:end]), list(labels[start:end]),
                        title, stylesheet, fitted)
            for start, end in bounds]
        sizes = {id(future): end - start for future, (start, end) in zip(futures, bounds,
                                                                           strict=True)}
        done = 0
        for future in as_completed(futures):
            future.result()  # a worker's exception is raised here
            done += sizes[id(future)]
            if progress is not None:
                progress(done)
        chunks = [future.result() for future in futures]
    return Rendered(pdf=merge_pdfs([chunk.pdf for chunk in chunks], title=title),
                    pages=sum(chunk.pages for chunk in chunks),
                    refused=[url for chunk in chunks for url in chunk.refused],
                    page_heights_mm=[height for chunk in chunks
                                     for height in chunk.page_heights_mm])


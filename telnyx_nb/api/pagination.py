"""Fetching every page of a list endpoint: the first page alone, the rest concurrently, order preserved.

The first page tells us ``meta.total_pages``; pages 2..N are then requested on a bounded thread pool that shares the
client's pooled session (one keep-alive connection per worker), at most two per worker ahead of the pages that
came back, and reassembled in page order; the first empty page ends the walk (a ``total_pages`` that promised more
than the list holds). The official SDK
walks pages one after another; on a server that answers in tens of milliseconds, overlapping the waits is most of
the win. A ``tqdm.auto`` bar shows progress when there is more than one page (``progress=False`` turns it off).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from telnyx_nb.core.records import Page

__all__ = ["fetch_all", "iterate", "MAX_WORKERS"]

T = TypeVar("T")
MAX_WORKERS = 8

FetchPage = Callable[[int], Page[T]]


def iterate(fetch_page: FetchPage[T], start: int = 1) -> Iterator[T]:
    """Yield every item, one page after another (lazy: stops fetching when the caller stops)."""
    number = start
    while True:
        page = fetch_page(number)
        yield from page.items
        # the page asked for, not the one the meta names: a meta without page_number reads as page 1 every time
        if not page.items or number >= page.total_pages:
            return
        number += 1


def fetch_all(
    fetch_page: FetchPage[T],
    *,
    max_workers: int = MAX_WORKERS,
    progress: bool | None = None,
    description: str = "pages",
) -> list[T]:
    """Every item of every page, in server order. ``progress=None`` means "show a bar if there is >1 page"."""
    first = fetch_page(1)
    items: list[T] = list(first.items)
    total = first.total_pages
    if total <= 1 or not first.items:
        return items
    bar = _bar(total, progress, description)
    if bar is not None:
        bar.update(1)
    pages = _fetch_rest(fetch_page, total, max(1, min(max_workers, total - 1)), bar)
    for number in sorted(pages):  # reassemble in server order
        items.extend(pages[number].items)
    if total in pages and pages[total].total_pages > total:  # the account grew while we read it: walk on
        items.extend(iterate(fetch_page, start=total + 1))
    return items


def _fetch_rest(fetch_page: FetchPage[T], total: int, workers: int, bar: Any) -> dict[int, Page[T]]:
    """Pages 2..``total`` on ``workers`` threads, a few pages ahead at most: a ``total_pages`` that promised more
    than the server holds (a lying or shrinking list) ends at its first empty page, and never queues a task per
    promised page in memory."""
    numbers = iter(range(2, total + 1))
    pages: dict[int, Page[T]] = {}
    in_flight: dict[Future[Page[T]], int] = {}
    ended = False  # a page came back empty: ask for no more
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="telnyx-nb-page")

    def submit_next() -> None:
        number = next(numbers, None)
        if number is not None and not ended:
            in_flight[pool.submit(fetch_page, number)] = number

    try:
        for _ in range(2 * workers):
            submit_next()
        while in_flight:
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:  # the bar moves as pages land, whatever their order
                number = in_flight.pop(future)
                pages[number] = future.result()
                ended = ended or not pages[number].items
                if bar is not None:
                    bar.update(1)
                submit_next()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on an error, pages not yet started are dropped
        if bar is not None:
            bar.close()
    empty = [number for number, page in pages.items() if not page.items]
    return {number: page for number, page in pages.items() if not empty or number < min(empty)}


def _bar(total: int, progress: bool | None, description: str) -> Any:
    if progress is False:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="page", leave=False)

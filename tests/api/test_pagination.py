"""``fetch_all`` / ``iterate`` without a server: pages come from a plain function, so order, concurrency bounds,
growth while reading and failures can be arranged exactly (the HTTP side is in the sandbox pagination tests)."""

from __future__ import annotations

import threading

import pytest

from telnyx_nb.api.pagination import fetch_all, iterate
from telnyx_nb.core.records import Page

TIMEOUT = 10


def pages_of(items: list, size: int):
    """A fetch_page over ``items``; records which page numbers were asked for."""
    asked: list[int] = []
    total = max(1, -(-len(items) // size))

    def fetch(number: int) -> Page:
        asked.append(number)
        chunk = tuple(items[(number - 1) * size: number * size])
        return Page(items=chunk, page_number=number, page_size=size, total_pages=total, total_results=len(items))

    return fetch, asked


def test_a_single_page_is_fetched_once():
    fetch, asked = pages_of(list(range(5)), 10)
    assert fetch_all(fetch, progress=False) == [0, 1, 2, 3, 4]
    assert asked == [1]


def test_an_empty_first_page_ends_the_walk_even_if_meta_claims_more():
    def fetch(number):
        return Page(items=(), page_number=number, page_size=20, total_pages=5, total_results=0)

    assert fetch_all(fetch, progress=False) == []


def test_items_come_back_in_server_order_when_later_pages_land_first():
    page_three_done = threading.Event()
    fetch_plain, _ = pages_of(list(range(9)), 3)

    def fetch(number):
        if number == 2:  # page 2 answers only after page 3 has answered
            assert page_three_done.wait(TIMEOUT)
        page = fetch_plain(number)
        if number == 3:
            page_three_done.set()
        return page

    assert fetch_all(fetch, max_workers=2, progress=False) == list(range(9))


def test_no_more_pages_are_in_flight_than_max_workers():
    lock, in_flight, peak = threading.Lock(), [0], [0]
    fetch_plain, asked = pages_of(list(range(40)), 2)

    def fetch(number):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        try:
            return fetch_plain(number)
        finally:
            with lock:
                in_flight[0] -= 1

    assert fetch_all(fetch, max_workers=3, progress=False) == list(range(40))
    assert peak[0] <= 3
    assert sorted(asked) == list(range(1, 21))


def test_pages_that_appear_while_reading_are_walked_too():
    items = list(range(6))

    def fetch(number):
        # the account grows by two pages once page 3 (the last one announced) is read
        total = 3 if number < 3 else 5
        data = items + [100, 101, 102, 103] if number >= 3 else items
        chunk = tuple(data[(number - 1) * 2: number * 2])
        return Page(items=chunk, page_number=number, page_size=2, total_pages=total, total_results=len(data))

    assert fetch_all(fetch, max_workers=2, progress=False) == [0, 1, 2, 3, 4, 5, 100, 101, 102, 103]


def test_a_failing_page_raises_and_nothing_half_done_is_returned():
    fetch_plain, _ = pages_of(list(range(10)), 2)

    def fetch(number):
        if number == 4:
            raise RuntimeError("page 4 broke")
        return fetch_plain(number)

    with pytest.raises(RuntimeError, match="page 4 broke"):
        fetch_all(fetch, max_workers=2, progress=False)


def test_iterate_stops_fetching_when_the_caller_stops():
    fetch, asked = pages_of(list(range(100)), 10)
    walked = iterate(fetch)
    first_eleven = [next(walked) for _ in range(11)]
    assert first_eleven == list(range(11))
    assert asked == [1, 2]


def test_iterate_walks_every_page_then_stops():
    fetch, asked = pages_of(list(range(25)), 10)
    assert list(iterate(fetch)) == list(range(25))
    assert asked == [1, 2, 3]


def test_iterate_can_start_from_a_later_page():
    fetch, asked = pages_of(list(range(25)), 10)
    assert list(iterate(fetch, start=3)) == list(range(20, 25))
    assert asked == [3]

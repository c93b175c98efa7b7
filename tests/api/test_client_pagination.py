"""Real-API readiness of the page walk: a ``meta`` without ``total_pages`` still reaches every page, and clients
missing optional fields (or a ``meta`` of nulls) keep the frame's fixed columns and dtypes.
"""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pandas as pd
from canned_server import as_json, client_json, serve

from telnyx_nb import TelnyxOAuth
from telnyx_nb.api.pagination import MAX_WORKERS
from telnyx_nb.frames import CLIENT_COLUMNS


def test_a_meta_without_total_pages_still_fetches_every_page(canned):
    """total_pages is derived from total_results / page_size instead of stopping after page 1."""

    # the canned server answers by path only, so every page returns the same one client: count the requests
    canned.answers["/v2/oauth_clients"] = (
        200, "application/json",
        as_json({"data": [client_json(1)], "meta": {"page_number": 1, "page_size": 1, "total_results": 3}}),
    )
    df = canned.client.clients_df(page_size=1, progress=False)
    assert len(df) == 3
    assert sum("/v2/oauth_clients" in path for path in canned.seen) == 3


def test_a_meta_without_page_number_ends_the_lazy_walk(canned):
    """A meta with total_pages but no page_number reads as page 1 whichever page was asked for: the lazy walk
    must still move on from the page it asked for, not ask for page 2 forever."""
    canned.answers["/v2/oauth_clients"] = (
        200, "application/json", as_json({"data": [client_json(1)], "meta": {"page_size": 1, "total_pages": 3}}),
    )
    walked = list(itertools.islice(canned.client.iter_clients(page_size=1), 10))
    assert len(walked) == 3
    assert [parse_qs(urlsplit(path).query)["page[number]"] for path in canned.seen] == [["1"], ["2"], ["3"]]


def test_clients_missing_optional_fields_keep_the_fixed_columns_and_dtypes(canned, sandbox):
    """Real clients may lack ``verified`` and carry ``redirect_uris: null``; meta may be absent or hold nulls."""
    canned.answers["/v2/oauth_clients"] = (
        200, "application/json",
        as_json({"data": [client_json(1, redirect_uris=None, logo_uri=None)],
               "meta": {"page_number": 1, "total_pages": None}}),
    )
    df = canned.client.clients_df(progress=False)
    with TelnyxOAuth.from_sandbox(sandbox, max_retries=0) as tx:
        reference = tx.clients_df(progress=False)
    assert list(df.columns) == list(CLIENT_COLUMNS)
    assert df.dtypes.to_dict() == reference.dtypes.to_dict()
    assert df.loc[0, "verified"] is pd.NA and df.loc[0, "redirect_uris"] == []


def _pages_server(promised_pages: int, real_pages: int, seen: list):
    """A list that promises ``promised_pages`` pages of one client each but holds ``real_pages``."""
    def respond(method, path, headers):
        number = int(parse_qs(urlsplit(path).query)["page[number]"][0])
        seen.append(number)
        data = [client_json(number)] if number <= real_pages else []
        meta = {"page_number": number, "page_size": 1, "total_pages": promised_pages,
                "total_results": promised_pages}
        return 200, {}, as_json({"data": data, "meta": meta})
    return serve(respond)


def test_a_total_pages_that_lies_ends_at_the_first_empty_page_without_queueing_every_page():
    """A meta promising 10**12 pages: the walk asks a few pages ahead of what came back, stops at the first empty
    page, and never holds a task per promised page (that was memory without bound)."""
    seen: list = []
    with _pages_server(10**12, 3, seen) as base, TelnyxOAuth(api_key="KEY" + "x" * 55, base_url=base) as oauth:
        clients = oauth.all_clients(page_size=1, progress=False)
    assert [c.name for c in clients] == [client_json(n)["name"] for n in (1, 2, 3)]
    assert len(seen) <= 3 + 2 * MAX_WORKERS + 1  # page 1, then at most 2 per worker ahead of the empty page
    assert sorted(seen)[:4] == [1, 2, 3, 4]


def test_a_list_that_shrank_while_read_keeps_the_pages_before_the_first_empty_one():
    seen: list = []
    with _pages_server(6, 4, seen) as base, TelnyxOAuth(api_key="KEY" + "x" * 55, base_url=base) as oauth:
        clients = oauth.all_clients(page_size=1, progress=False)
    assert len(clients) == 4 and sorted(seen) == [1, 2, 3, 4, 5, 6]

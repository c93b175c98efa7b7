"""Real-API readiness of the page walk: a ``meta`` without ``total_pages`` still reaches every page, and clients
missing optional fields (or a ``meta`` of nulls) keep the frame's fixed columns and dtypes.
"""

from __future__ import annotations

import itertools
from urllib.parse import parse_qs, urlsplit

import pandas as pd
from canned_server import as_json, client_json

from telnyx_nb import TelnyxOAuth
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

"""The vectorised audit gives the same findings however the frames hold their scopes: lists shared between grants
(as grants_df() builds them), a list per grant, tuples, space-separated strings, or arrays read back from Parquet."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def frames_of_demo():
    from telnyx_nb import frames
    from telnyx_nb.core.records import OAuthClient
    from telnyx_nb.sandbox.store.demo import demo_dataset

    clients, grants = demo_dataset(NOW)
    records = [OAuthClient.from_json({**c, "created_at": c["created_at"].isoformat(),
                                      "updated_at": c["updated_at"].isoformat()}) for c in clients]
    as_json = [{**g, "created_at": g["created_at"].isoformat(),
                "last_used_at": g["last_used_at"].isoformat() if g["last_used_at"] else None} for g in grants]
    return frames.clients_frame(records), frames.grants_frame_from_columns([frames.GrantColumns(as_json)])


@pytest.mark.parametrize("spelling", ["own list", "tuple", "string", "array"])
def test_findings_do_not_depend_on_how_scopes_are_held(frames_of_demo, spelling):
    from telnyx_nb.audit import find_issues
    from telnyx_nb.sandbox.store.demo import PLANTED

    clients, grants = frames_of_demo
    shared = find_issues(clients, grants, now=NOW)
    convert = {"own list": list, "tuple": tuple, "string": " ".join, "array": np.array}[spelling]
    respelled = grants.assign(scopes=pd.Series([convert(list(s)) for s in grants["scopes"]], dtype=object))
    pd.testing.assert_frame_equal(find_issues(clients, respelled, now=NOW), shared)
    for name in ("stale_grant", "never_used_grant", "orphan_grant"):
        assert set(shared.loc[shared["rule"] == name, "object_id"]) == PLANTED[name]["ids"]


def test_grants_sharing_one_scope_list_are_judged_by_their_own_client(frames_of_demo):
    """One list object held by grants of two clients: over-scoped for the one that no longer allows it only."""
    from telnyx_nb.audit import find_issues

    clients, grants = frames_of_demo
    acme = clients.loc[clients["name"] == "Acme Dispatch", "client_id"].iloc[0]
    ops = clients.loc[clients["name"] == "Ops Console", "client_id"].iloc[0]
    # a custom vocabulary (the demo is admin-only, as Telnyx publishes): Ops Console allows numbers, Acme does not
    clients = clients.assign(allowed_scopes=pd.Series([["admin", "numbers"] if c == ops else ["admin"]
                                                       for c in clients["client_id"]], dtype=object).values)
    one = ["numbers"]
    pair = grants.iloc[:2].assign(client_id=pd.array([acme, ops], dtype="string"),
                                  scopes=pd.Series([one, one], dtype=object).values)
    found = find_issues(clients, pair, now=NOW, rules=["grant_scope_exceeds_client"])
    assert list(found["object_id"]) == [pair["id"].iloc[0]]

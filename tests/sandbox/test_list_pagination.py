"""Page-number pagination of a large account: every live grant exactly once, in list order, however the pages
are read; what a revocation between two pages does (docs/ARCHITECTURE.md "Pagination at scale")."""

from __future__ import annotations

import pytest
from oauth_helpers import TIMEOUT, api, url

SIZE = 100
N_GRANTS = 5000


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A sandbox seeded with 5,000 synthetic grants, plus 250 sharing one created_at (ties broken by id)."""
    from telnyx_nb.sandbox.web.server import Sandbox

    sb = Sandbox(seed=f"grants={N_GRANTS}", db=str(tmp_path_factory.mktemp("large") / "sandbox.db")).start()
    client_id = sb.store.list_clients({}, 1, 1)[0][0]["client_id"]
    sb.store.insert_grants([{"id": f"tie-{i:04d}", "client_id": client_id, "user_id": "u", "scopes": ["admin"],
                             "created_at": "2026-03-01T12:00:00.000Z", "last_used_at": None} for i in range(250)])
    yield sb
    sb.stop()


def page(sb, number, size=SIZE):
    response = api(sb).get(url(sb, "/oauth_grants"), params={"page[number]": number, "page[size]": size},
                           timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def in_list_order(items, id_field="id"):
    """Newest first, then id ascending (created_at is fixed-width ISO 8601 in UTC, so it sorts as text)."""
    by_id = sorted(items, key=lambda item: item[id_field])
    return sorted(by_id, key=lambda item: item["created_at"], reverse=True)  # stable: ids stay ascending


def test_every_grant_comes_exactly_once_in_list_order(large):
    first = page(large, 1)
    total, pages = first["meta"]["total_results"], first["meta"]["total_pages"]
    assert total == N_GRANTS + 250 and pages == -(-total // SIZE)
    grants = first["data"] + [g for n in range(2, pages + 1) for g in page(large, n)["data"]]
    ids = [g["id"] for g in grants]
    assert len(ids) == total and len(set(ids)) == total
    assert grants == in_list_order(grants)
    ties = [g["id"] for g in grants if g["id"].startswith("tie-")]
    assert ties == sorted(ties) and len(ties) == 250


def test_pages_read_backwards_or_skipping_match_pages_read_in_order(large):
    pages = page(large, 1)["meta"]["total_pages"]
    forward = {n: page(large, n)["data"] for n in range(1, pages + 1)}
    backward = {n: page(large, n)["data"] for n in range(pages, 0, -1)}
    assert forward == backward
    for n in (pages, 7, pages // 2, 2):  # jumps land on the same rows, with or without remembered boundaries
        assert page(large, n)["data"] == forward[n]
    assert page(large, pages + 1)["data"] == []


def test_a_revocation_ahead_only_removes_that_grant(make_sandbox):
    sb = make_sandbox(seed="grants=1000")
    before = [g["id"] for n in range(1, 11) for g in page(sb, n)["data"]]
    seen = page(sb, 1)["data"] + page(sb, 2)["data"]
    ahead = before[750]  # on page 8, not read yet
    assert api(sb).delete(url(sb, f"/oauth_grants/{ahead}"), timeout=TIMEOUT).status_code == 200
    seen += [g for n in range(3, 11) for g in page(sb, n)["data"]]
    assert [g["id"] for g in seen] == [i for i in before if i != ahead]


def test_a_revocation_behind_shifts_later_pages_up_by_one(make_sandbox):
    """Page N means rows (N-1)·size … of the list as it is now: revoking a grant already read moves every later
    grant up one place, so the first grant of the next page slips onto the page already read (never repeated)."""
    sb = make_sandbox(seed="grants=1000")
    before = [g["id"] for n in range(1, 11) for g in page(sb, n)["data"]]
    seen = [g["id"] for n in (1, 2) for g in page(sb, n)["data"]]
    behind = before[50]
    assert api(sb).delete(url(sb, f"/oauth_grants/{behind}"), timeout=TIMEOUT).status_code == 200
    seen += [g["id"] for n in range(3, 11) for g in page(sb, n)["data"]]
    assert seen == [i for i in before if i != before[200]]  # the old first of page 3 was skipped
    assert page(sb, 1)["meta"]["total_results"] == 999
    assert len(set(seen)) == len(seen)


def test_the_client_reads_every_grant_once_in_order(large):
    from telnyx_nb import TelnyxOAuth

    with TelnyxOAuth.from_sandbox(large) as tx:
        frame = tx.grants_df(with_clients=False, progress=False)
        listed = [g["id"] for n in range(1, 54) for g in page(large, n)["data"]]
    assert list(frame["id"]) == listed and frame["id"].is_unique


def test_filtered_client_lists_count_and_page_consistently(large):
    everyone = []
    number = 1
    while True:
        body = api(large).get(url(large, "/oauth_clients"),
                              params={"page[number]": number, "page[size]": 2, "filter[client_type]": "public"},
                              timeout=TIMEOUT).json()
        everyone += body["data"]
        if number >= body["meta"]["total_pages"]:
            break
        number += 1
    assert len(everyone) == body["meta"]["total_results"] > 2
    assert {c["client_type"] for c in everyone} == {"public"}
    assert len({c["client_id"] for c in everyone}) == len(everyone)
    assert everyone == in_list_order(everyone, "client_id")


def test_totals_follow_every_write_that_adds_or_removes_live_grants(make_sandbox):
    from oauth_helpers import create_client, obtain_code, redeem

    sb = make_sandbox(seed="demo")

    def walked():
        first = page(sb, 1)
        items = first["data"] + [g for n in range(2, first["meta"]["total_pages"] + 1) for g in page(sb, n)["data"]]
        return first["meta"]["total_results"], len(items)

    from datetime import UTC, datetime

    from telnyx_nb.sandbox.store.demo import demo_dataset

    seeded = len(demo_dataset(datetime.now(UTC))[1])
    total, count = walked()
    assert total == count == seeded
    client = create_client(sb)
    code, verifier = obtain_code(sb, client, scope="admin")
    assert redeem(sb, client, code, verifier).status_code == 200
    assert walked() == (seeded + 1, seeded + 1)  # a consent added a grant
    acme = next(c for c in api(sb).get(url(sb, "/oauth_clients"), params={"filter[name]": "Acme Dispatch"},
                                       timeout=TIMEOUT).json()["data"])
    assert api(sb).delete(url(sb, f"/oauth_clients/{acme['client_id']}"), timeout=TIMEOUT).status_code == 204
    assert walked() == (seeded + 1 - 60, seeded + 1 - 60)  # deleting a client revoked its 60 grants
    public = api(sb).get(url(sb, "/oauth_clients"), params={"filter[client_type]": "public"}, timeout=TIMEOUT)
    n_public = public.json()["meta"]["total_results"]
    assert api(sb).delete(url(sb, f"/oauth_clients/{public.json()['data'][0]['client_id']}"),
                          timeout=TIMEOUT).status_code == 204
    again = api(sb).get(url(sb, "/oauth_clients"), params={"filter[client_type]": "public"}, timeout=TIMEOUT)
    assert again.json()["meta"]["total_results"] == len(again.json()["data"]) == n_public - 1  # cached totals move

"""Accounts of a fleet never see or touch each other's OAuth clients and grants, over HTTP.

Account A's key (or a token of A's client) on B's client or grant: 404, exactly as an id that does not exist, and
B's object unchanged; on the managed-accounts endpoints: 403; a disabled or cancelled account's key: 401. The
manager's key sees its own account only. Each account has its own rate-limit budget.
"""

from __future__ import annotations

import pytest
import requests
from caller_helpers import client_token
from oauth_helpers import TIMEOUT, api, authorize, query_of, url

from telnyx_nb.sandbox.store.fleet import is_empty_account, status_of
from telnyx_nb.sandbox.web.server import Sandbox

MISSING = "00000000-0000-4000-8000-000000000000"
OWN_ACCOUNT_ONLY = ("Armed faults change the whole sandbox: only the sandbox's own account (its printed API key, or an "
                    "admin token of one of its clients) arms them, not a managed account.")
MANAGER_ONLY = ("Only the manager account's own API key lists and reads managed accounts: not a managed account's key, "
                "not an OAuth access token.")


def _keys_by_index(sb, n: int) -> dict[int, dict]:
    """Account index → {id, key}; the index is recovered from the email (``admin@…-<index + 1>.example.com``)."""
    listed = api(sb).get(url(sb, "/managed_accounts"), params={"include_cancelled_accounts": "true",
                                                               "page[size]": 100}, timeout=TIMEOUT).json()["data"]
    accounts = {}
    for account in listed:
        index = int(account["email"].split("-")[-1].split(".")[0]) - 1
        key = api(sb).get(url(sb, f"/managed_accounts/{account['id']}"), timeout=TIMEOUT).json()["data"]["api_key"]
        accounts[index] = {"id": account["id"], "key": key}
    assert sorted(accounts) == list(range(n))
    return accounts


@pytest.fixture(scope="module")
def fleet():
    with Sandbox(seed="accounts=12,grants=15", db=":memory:") as sb:
        accounts = _keys_by_index(sb, 12)
        active = [i for i in range(12) if status_of(i) == "active" and not is_empty_account(i)]
        yield sb, accounts[active[0]], accounts[active[1]], accounts


def items(sb, key: str, path: str) -> list[dict]:
    response = api(sb, key).get(url(sb, path), params={"page[size]": 100}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def create_client_as(sb, key: str, **fields) -> dict:
    body = {"name": "account's own app", "client_type": "confidential", "allowed_scopes": ["admin"],
            "allowed_grant_types": ["authorization_code", "refresh_token", "client_credentials"],
            "redirect_uris": ["http://127.0.0.1:9/callback"], **fields}
    response = api(sb, key).post(url(sb, "/oauth_clients"), json=body, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def assert_not_found(response: requests.Response, hidden: dict) -> None:
    """404 in the errors[] shape, and nothing of the hidden object in the answer."""
    assert response.status_code == 404, response.text
    assert response.json()["errors"][0]["code"] == "10005"
    for field in ("name", "user_id", "created_at", "redirect_uris"):
        if hidden.get(field):
            assert str(hidden[field]) not in response.text.replace(hidden.get("client_id", "-"), ""), field


def test_an_accounts_key_lists_its_own_clients_and_grants_only(fleet):
    sb, a, b, _ = fleet
    a_clients, b_clients = items(sb, a["key"], "/oauth_clients"), items(sb, b["key"], "/oauth_clients")
    a_grants, b_grants = items(sb, a["key"], "/oauth_grants"), items(sb, b["key"], "/oauth_grants")
    assert a_clients and b_clients and len(a_grants) == len(b_grants) == 15
    assert not {c["client_id"] for c in a_clients} & {c["client_id"] for c in b_clients}
    assert not {g["id"] for g in a_grants} & {g["id"] for g in b_grants}
    manager_clients = {c["client_id"] for c in items(sb, sb.api_key, "/oauth_clients")}
    manager_grants = {g["id"] for g in items(sb, sb.api_key, "/oauth/grants")}
    assert sb.demo_client_id in manager_clients
    assert not manager_clients & {c["client_id"] for c in a_clients + b_clients}
    assert not manager_grants & {g["id"] for g in a_grants + b_grants}
    assert sb.demo_client_id not in {c["client_id"] for c in a_clients}  # the manager's own demo client


@pytest.mark.parametrize("spelling", ["/oauth_clients", "/oauth/clients"])
def test_a_key_on_another_accounts_client_is_404_and_changes_nothing(fleet, spelling):
    sb, a, b, _ = fleet
    victim = items(sb, b["key"], "/oauth_clients")[0]
    path = url(sb, f"{spelling}/{victim['client_id']}")
    for attacker in (a["key"], sb.api_key):  # another managed account, and the manager itself
        session = api(sb, attacker)
        assert_not_found(session.get(path, timeout=TIMEOUT), victim)
        assert_not_found(session.put(path, json={"name": "taken over"}, timeout=TIMEOUT), victim)
        assert_not_found(session.delete(path, timeout=TIMEOUT), victim)
        assert session.patch(path, json={"name": "taken over"}, timeout=TIMEOUT).status_code in (404, 405)
        verified = sb.root_url + f"/_sandbox/clients/{victim['client_id']}/verified"
        assert session.put(verified, json={"verified": True}, timeout=TIMEOUT).status_code == 404
    after = api(sb, b["key"]).get(path, timeout=TIMEOUT)
    assert after.status_code == 200 and after.json()["data"] == victim


def test_the_managers_clients_are_hidden_from_a_managed_account(fleet):
    sb, a, _, _ = fleet
    path = url(sb, f"/oauth_clients/{sb.demo_client_id}")
    assert api(sb, a["key"]).get(path, timeout=TIMEOUT).status_code == 404
    assert api(sb, a["key"]).delete(path, timeout=TIMEOUT).status_code == 404
    assert api(sb).get(path, timeout=TIMEOUT).status_code == 200


@pytest.mark.parametrize("spelling", ["/oauth_grants", "/oauth/grants"])
def test_a_key_on_another_accounts_grant_is_404_and_the_grant_stays(fleet, spelling):
    sb, a, b, _ = fleet
    victim = items(sb, b["key"], "/oauth_grants")[0]
    path = url(sb, f"{spelling}/{victim['id']}")
    for attacker in (a["key"], sb.api_key):
        assert api(sb, attacker).get(path, timeout=TIMEOUT).status_code == 404
        response = api(sb, attacker).delete(path, timeout=TIMEOUT)
        assert response.status_code == 404 and victim["client_id"] not in response.text
    after = api(sb, b["key"]).get(url(sb, f"/oauth_grants/{victim['id']}"), timeout=TIMEOUT)
    assert after.status_code == 200 and after.json()["data"] == victim


def test_an_account_revokes_its_own_grant(make_sandbox):
    sb = make_sandbox(seed="accounts=2,grants=3")
    key = _keys_by_index(sb, 2)[0]["key"]
    grant = items(sb, key, "/oauth_grants")[0]
    assert api(sb, key).delete(url(sb, f"/oauth_grants/{grant['id']}"), timeout=TIMEOUT).status_code == 200
    assert grant["id"] not in {g["id"] for g in items(sb, key, "/oauth_grants")}
    assert api(sb, key).get(url(sb, "/oauth_grants"), timeout=TIMEOUT).json()["meta"]["total_results"] == 2


def test_a_client_created_with_an_accounts_key_belongs_to_that_account(fleet):
    sb, a, b, _ = fleet
    created = create_client_as(sb, a["key"], name="A's new app")
    assert created["client_id"] in {c["client_id"] for c in items(sb, a["key"], "/oauth_clients")}
    assert created["client_id"] not in {c["client_id"] for c in items(sb, b["key"], "/oauth_clients")}
    assert created["client_id"] not in {c["client_id"] for c in items(sb, sb.api_key, "/oauth_clients")}
    assert api(sb, b["key"]).get(url(sb, f"/oauth_clients/{created['client_id']}"),
                                 timeout=TIMEOUT).status_code == 404


def test_a_token_of_an_accounts_client_acts_for_that_account(fleet):
    sb, a, b, _ = fleet
    mine = create_client_as(sb, a["key"], name="A's service")
    token = client_token(sb, mine)["access_token"]
    assert {c["client_id"] for c in items(sb, token, "/oauth_clients")} == {
        c["client_id"] for c in items(sb, a["key"], "/oauth_clients")}
    assert {g["id"] for g in items(sb, token, "/oauth_grants")} == {g["id"] for g in items(sb, a["key"], "/oauth_grants")}
    theirs_client = items(sb, b["key"], "/oauth_clients")[0]
    theirs_grant = items(sb, b["key"], "/oauth_grants")[0]
    session = api(sb, token)
    assert session.get(url(sb, f"/oauth_clients/{theirs_client['client_id']}"), timeout=TIMEOUT).status_code == 404
    assert session.delete(url(sb, f"/oauth_grants/{theirs_grant['id']}"), timeout=TIMEOUT).status_code == 404
    assert session.get(url(sb, f"/oauth_clients/{sb.demo_client_id}"), timeout=TIMEOUT).status_code == 404
    for path in ("/managed_accounts", f"/managed_accounts/{a['id']}"):
        assert session.get(url(sb, path), timeout=TIMEOUT).status_code == 403
    assert session.get(sb.root_url + "/_sandbox/faults", timeout=TIMEOUT).status_code == 403


def test_introspection_tells_an_account_nothing_of_another_accounts_tokens(fleet):
    sb, a, b, _ = fleet
    theirs = create_client_as(sb, b["key"], name="B's service")
    token = client_token(sb, theirs)["access_token"]

    def introspect(key: str) -> dict:
        response = api(sb, key).post(url(sb, "/oauth/introspect"), data={"token": token}, timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        return response.json()

    assert introspect(a["key"]) == {"active": False}
    assert introspect(sb.api_key) == {"active": False}
    assert introspect(b["key"])["active"] is True and introspect(b["key"])["client_id"] == theirs["client_id"]


def test_a_consent_for_another_accounts_client_can_be_neither_read_nor_decided(fleet):
    sb, a, b, _ = fleet
    theirs = create_client_as(sb, b["key"], name="B's web app")
    response, _ = authorize(sb, theirs, state="s")
    consent_token = query_of(response.headers["Location"])["consent_token"]
    for attacker in (a["key"], sb.api_key):
        read = api(sb, attacker).get(url(sb, f"/oauth/consent/{consent_token}"), timeout=TIMEOUT)
        assert read.status_code == 422 and "B's web app" not in read.text
        decided = api(sb, attacker).post(url(sb, "/oauth/grants"), json={"consent_token": consent_token,
                                                                         "allowed": True}, timeout=TIMEOUT)
        assert decided.status_code == 422 and decided.json()["errors"][0]["source"] == {"pointer": "/consent_token"}
    grants_before = {g["id"] for g in items(sb, b["key"], "/oauth_grants")}
    decided = api(sb, b["key"]).post(url(sb, "/oauth/grants"), json={"consent_token": consent_token,
                                                                     "allowed": True}, timeout=TIMEOUT)
    assert decided.status_code == 200 and "code=" in decided.json()["redirect_uri"]
    new = [g for g in items(sb, b["key"], "/oauth_grants") if g["id"] not in grants_before]
    assert [g["client_id"] for g in new] == [theirs["client_id"]]  # the grant is B's, listed for B only
    assert new[0]["id"] not in {g["id"] for g in items(sb, a["key"], "/oauth_grants")}
    assert new[0]["id"] not in {g["id"] for g in items(sb, sb.api_key, "/oauth_grants")}


def test_a_managed_accounts_key_may_not_read_the_managed_accounts(fleet):
    sb, a, b, _ = fleet
    for path in ("/managed_accounts", f"/managed_accounts/{a['id']}", f"/managed_accounts/{b['id']}"):
        response = api(sb, a["key"]).get(url(sb, path), timeout=TIMEOUT)
        assert response.status_code == 403, response.text
        assert response.json() == {"error": "forbidden", "error_description": MANAGER_ONLY, "errors": [
            {"code": "10010", "title": "Manager account key required", "detail": MANAGER_ONLY}]}
    response = api(sb, a["key"]).get(sb.root_url + "/_sandbox/faults", timeout=TIMEOUT)
    assert response.status_code == 403, response.text
    assert response.json() == {"error": "forbidden", "error_description": OWN_ACCOUNT_ONLY, "errors": [
        {"code": "10010", "title": "Sandbox account required", "detail": OWN_ACCOUNT_ONLY}]}


@pytest.mark.parametrize("status", ["disabled", "cancelled"])
def test_a_disabled_or_cancelled_accounts_key_is_refused(fleet, status):
    sb, _, _, accounts = fleet
    index = next(i for i in range(12) if status_of(i) == status)
    key = accounts[index]["key"]
    detail = (f"This API key belongs to managed account {accounts[index]['id']}, which is {status}: its key is refused "
              "until the manager account enables it again (sandbox behaviour, not a published Telnyx answer).")
    for path in ("/oauth_clients", "/oauth_grants", "/managed_accounts"):
        response = api(sb, key).get(url(sb, path), timeout=TIMEOUT)
        assert response.status_code == 401, response.text
        assert response.json() == {"error": "unauthorized", "error_description": detail, "errors": [
            {"code": "10009", "title": f"Account {status}", "detail": detail}]}
        assert response.headers["WWW-Authenticate"] == (
            f'Bearer realm="telnyx-sandbox", error="invalid_token", '
            f'resource_metadata="{sb.root_url}/.well-known/oauth-protected-resource/v2"')
    listed = {a["id"] for a in api(sb).get(url(sb, "/managed_accounts"), params={"page[size]": 100},
                                           timeout=TIMEOUT).json()["data"]}
    assert (accounts[index]["id"] in listed) is (status == "disabled")


def test_a_made_up_key_of_the_right_shape_is_refused(fleet):
    sb, _, _, _ = fleet
    response = api(sb, "KEY" + "A" * 55).get(url(sb, "/oauth_clients"), timeout=TIMEOUT)
    assert response.status_code == 401


def test_the_manager_and_each_account_have_their_own_rate_limit_budget(make_sandbox):
    sb = make_sandbox(seed="accounts=3,grants=2", rate_limit="5/min")  # a minute: no window rolls over mid-test
    accounts = _keys_by_index(sb, 3)  # the manager's list and 3 reads: 4 of its 5
    first, second = accounts[0]["key"], accounts[1]["key"]

    def spend(key: str) -> list[int]:
        return [api(sb, key).get(url(sb, "/oauth_grants"), timeout=TIMEOUT).status_code for _ in range(6)]

    assert spend(sb.api_key) == [200] + [429] * 5
    assert spend(first) == [200] * 5 + [429]
    assert spend(second) == [200] * 5 + [429]
    response = api(sb, first).get(url(sb, "/oauth_grants"), timeout=TIMEOUT)
    assert response.status_code == 429 and response.headers["x-ratelimit-limit"] == "5"


def test_a_managed_accounts_grants_page_the_same_as_one_page(fleet):
    sb, a, _, _ = fleet
    whole = [g["id"] for g in items(sb, a["key"], "/oauth_grants")]
    paged, number = [], 1
    while True:
        body = api(sb, a["key"]).get(url(sb, "/oauth_grants"), params={"page[size]": 4, "page[number]": number},
                                     timeout=TIMEOUT).json()
        paged += [g["id"] for g in body["data"]]
        if number >= body["meta"]["total_pages"]:
            break
        number += 1
    assert paged == whole and body["meta"]["total_results"] == len(whole) == 15


def test_a_pooled_fleet_restored_for_the_next_test_counts_afresh():
    """The plugin's pool puts the seeded database back between tests; the lists' remembered totals must not
    outlive it (a count kept from before the restore would be wrong for the next test)."""
    from telnyx_nb.testing.plugin import SandboxPool

    pool = SandboxPool()
    try:
        sb = pool.fresh(seed="accounts=2,grants=3")
        accounts = _keys_by_index(sb.serve(), 2)
        first, second = accounts[0]["key"], accounts[1]["key"]
        seeded = len(items(sb, first, "/oauth_clients"))
        create_client_as(sb, first)  # this test's write: first's count is remembered at the new generation
        assert len(items(sb, first, "/oauth_clients")) == seeded + 1
        assert pool.fresh(seed="accounts=2,grants=3") is sb  # the next test: the same sandbox, restored
        create_client_as(sb, second)  # moves the generation to where the remembered count was taken
        response = api(sb, first).get(url(sb, "/oauth_clients"), timeout=TIMEOUT).json()
        assert response["meta"]["total_results"] == len(response["data"]) == seeded
    finally:
        pool.close()


def test_a_database_from_before_accounts_keeps_its_clients_and_grants(make_sandbox, tmp_path):
    """An older file database has no account_id columns: opening it adds them, and its rows stay the own
    account's (the printed key lists them; no managed account exists)."""
    import sqlite3

    from telnyx_nb.sandbox.store.tables import SCHEMA

    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)  # the tables as they were: no account_id, no accounts table
    assert "account_id" not in {row[1] for row in db.execute("PRAGMA table_info(clients)")}
    db.execute("INSERT INTO clients VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
               ("old-client", "Old app", "org", "user", "public", 1, 0, '["authorization_code"]', '["admin"]',
                '["http://127.0.0.1:9/callback"]', None, None, None, None, "2025-01-01T00:00:00.000Z",
                "2025-01-01T00:00:00.000Z"))
    db.execute("INSERT INTO grants VALUES (?,?,?,?,?,?,?)",
               ("old-grant", "old-client", "user", '["admin"]', "2025-01-02T00:00:00.000Z", None, None))
    db.execute("UPDATE list_state SET rows = rows + 1")
    db.commit()
    db.close()
    sb = make_sandbox(seed="empty", db=str(path))
    assert [c["client_id"] for c in items(sb, sb.api_key, "/oauth_clients")] == ["old-client"]
    assert [g["id"] for g in items(sb, sb.api_key, "/oauth_grants")] == ["old-grant"]
    assert api(sb).get(url(sb, "/oauth_grants/old-grant"), timeout=TIMEOUT).status_code == 200
    assert items(sb, sb.api_key, "/managed_accounts") == []

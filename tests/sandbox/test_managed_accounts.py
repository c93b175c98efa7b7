"""The managed-accounts endpoints over HTTP: the list (paging, filters, sort, include_cancelled_accounts) and the
single account with its API key, as Telnyx publishes them, on a fleet seed (``accounts=N,grants=M``); the seed
itself (determinism, statuses, empty accounts) and a demo sandbox, which manages nobody."""

from __future__ import annotations

import re

import pytest
import requests
from oauth_helpers import TIMEOUT, api, url

from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.sandbox.store.fleet import is_empty_account, parse_fleet_seed, status_of
from telnyx_nb.sandbox.web.server import Sandbox

SEED = "accounts=30,grants=12"
N_ACCOUNTS, N_GRANTS = parse_fleet_seed(SEED)
LISTED = {"record_type", "id", "email", "api_user", "manager_account_id", "created_at", "updated_at",
          "organization_name", "rollup_billing", "managed_account_allow_custom_pricing"}
KEY_SHAPE = re.compile(r"^KEY[0-9A-Za-z_-]{55}$")


@pytest.fixture(scope="module")
def sb():
    with Sandbox(seed=SEED, db=":memory:") as sandbox:
        yield sandbox


def listing(sb, key: str | None = None, **params) -> requests.Response:
    return api(sb, key).get(url(sb, "/managed_accounts"), params=params, timeout=TIMEOUT)


def every_account(sb, **params) -> list[dict]:
    accounts, number = [], 1
    while True:
        body = listing(sb, **params, **{"page[number]": number, "page[size]": 7}).json()
        accounts += body["data"]
        if number >= body["meta"]["total_pages"]:
            return accounts
        number += 1


def retrieve(sb, account_id: str, key: str | None = None) -> requests.Response:
    return api(sb, key).get(url(sb, f"/managed_accounts/{account_id}"), timeout=TIMEOUT)


def assert_bad_parameter(response: requests.Response, parameter: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["errors"][0]["source"] == {"parameter": parameter}, body
    assert parameter in body["errors"][0]["detail"] and body["error"] == "invalid_request"


def test_the_list_holds_the_published_fields_and_meta(sb):
    response = listing(sb)
    assert response.status_code == 200, response.text
    body = response.json()
    cancelled = sum(status_of(i) == "cancelled" for i in range(N_ACCOUNTS))
    assert body["meta"] == {"page_number": 1, "page_size": 20, "total_pages": 2,
                            "total_results": N_ACCOUNTS - cancelled}
    manager = body["data"][0]["manager_account_id"]
    for account in body["data"]:
        assert set(account) == LISTED, account  # no api_key in a list
        assert account["record_type"] == "managed_account" and account["manager_account_id"] == manager
        assert account["api_user"] == account["email"] and "@" in account["email"]
        assert isinstance(account["rollup_billing"], bool)
        assert isinstance(account["managed_account_allow_custom_pricing"], bool)
        assert account["created_at"] <= account["updated_at"]


def test_pages_cover_every_account_once_in_created_at_order(sb):
    accounts = every_account(sb, include_cancelled_accounts="true")
    assert len(accounts) == len({a["id"] for a in accounts}) == N_ACCOUNTS
    assert [a["created_at"] for a in accounts] == sorted(a["created_at"] for a in accounts)


@pytest.mark.parametrize("sort, key, reverse", [("created_at", "created_at", False), ("-created_at", "created_at", True),
                                                ("email", "email", False), ("-email", "email", True)])
def test_sort(sb, sort, key, reverse):
    accounts = every_account(sb, sort=sort)
    values = [a[key] for a in accounts]
    assert values == sorted(values, reverse=reverse) and len(set(values)) > 1


def test_filters_are_case_insensitive_substrings(sb):
    accounts = every_account(sb)
    by_email = every_account(sb, **{"filter[email][contains]": "JUNIPER"})
    assert by_email and {a["id"] for a in by_email} == {a["id"] for a in accounts if "juniper" in a["email"]}
    by_org = every_account(sb, **{"filter[organization_name][contains]": "telecom 000"})
    assert by_org and {a["id"] for a in by_org} == {
        a["id"] for a in accounts if "telecom 000" in a["organization_name"].lower()}
    nobody = listing(sb, **{"filter[email][contains]": "no-such-account"}).json()
    assert nobody["data"] == [] and nobody["meta"]["total_results"] == 0


def test_cancelled_accounts_are_left_out_unless_asked_for(sb):
    default = {a["id"] for a in every_account(sb)}
    everyone = {a["id"]: a for a in every_account(sb, include_cancelled_accounts="true")}
    explicit = {a["id"] for a in every_account(sb, include_cancelled_accounts="false")}
    hidden = set(everyone) - default
    assert explicit == default
    assert len(hidden) == sum(status_of(i) == "cancelled" for i in range(N_ACCOUNTS)) > 0
    for account_id in hidden:  # the manager still reads a cancelled account
        assert retrieve(sb, account_id).status_code == 200


@pytest.mark.parametrize("parameter, value", [
    ("include_cancelled_accounts", "yes"), ("include_cancelled_accounts", "1"), ("sort", "name"),
    ("sort", "+email"), ("page[number]", "0"), ("page[size]", "101"), ("page[size]", "x"),
    ("filter[status]", "active")])
def test_a_bad_query_value_is_a_422_naming_the_parameter(sb, parameter, value):
    assert_bad_parameter(listing(sb, **{parameter: value}), parameter)


def test_retrieve_carries_the_accounts_own_key_token_and_balance(sb):
    listed = listing(sb).json()["data"][0]
    response = retrieve(sb, listed["id"])
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"  # the answer holds an API key
    account = response.json()["data"]
    assert {k: v for k, v in account.items() if k in LISTED} == listed
    assert set(account) == LISTED | {"api_key", "api_token", "balance"}
    assert KEY_SHAPE.match(account["api_key"]) and account["api_key"] != sb.api_key
    assert account["api_token"] and re.fullmatch(r"\d+\.\d\d", account["balance"])


def test_every_account_has_a_key_of_its_own(sb):
    keys = [retrieve(sb, a["id"]).json()["data"]["api_key"]
            for a in every_account(sb, include_cancelled_accounts="true")]
    assert len(set(keys)) == N_ACCOUNTS and sb.api_key not in keys


@pytest.mark.parametrize("account_id", ["00000000-0000-4000-8000-000000000000", "not-a-uuid"])
def test_retrieve_of_an_unknown_account_is_a_404_in_the_errors_shape(sb, account_id):
    response = retrieve(sb, account_id)
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "not_found" and body["errors"][0]["code"] == "10005"
    assert body["errors"][0]["source"] == {"parameter": "id"} and account_id in body["errors"][0]["detail"]


def test_no_credential_is_a_401_with_the_challenge(sb):
    for path in ("/managed_accounts", f"/managed_accounts/{listing(sb).json()['data'][0]['id']}"):
        response = requests.get(url(sb, path), timeout=TIMEOUT)
        assert response.status_code == 401 and "resource_metadata=" in response.headers["WWW-Authenticate"]


def test_the_seed_gives_each_account_about_m_grants_and_some_accounts_nothing(sb):
    counts = {}  # account → (grants, clients), read through each account's own key
    for account in every_account(sb):
        key = retrieve(sb, account["id"]).json()["data"]["api_key"]
        response = api(sb, key).get(url(sb, "/oauth_grants"), timeout=TIMEOUT)
        if response.status_code == 401:  # disabled
            continue
        counts[account["id"]] = (response.json()["meta"]["total_results"],
                                 api(sb, key).get(url(sb, "/oauth_clients"), timeout=TIMEOUT).json()["meta"][
                                     "total_results"])
    empty = sum(is_empty_account(i) and status_of(i) == "active" for i in range(N_ACCOUNTS))
    assert sorted(counts.values()).count((0, 0)) == empty > 0
    assert {grants for grants, clients in counts.values() if clients} == {N_GRANTS}


def test_the_seed_is_deterministic_but_its_keys_are_not(sb):
    with Sandbox(seed=SEED, db=":memory:") as again:
        first = every_account(sb, include_cancelled_accounts="true")
        second = every_account(again, include_cancelled_accounts="true")
        assert [(a["id"], a["email"], a["organization_name"]) for a in first] == [
            (a["id"], a["email"], a["organization_name"]) for a in second]
        assert {a["manager_account_id"] for a in first} == {a["manager_account_id"] for a in second}
        account = next(a for a in first if retrieve(sb, a["id"]).status_code == 200)
        mine, theirs = (retrieve(s, account["id"]).json()["data"]["api_key"] for s in (sb, again))
        assert mine != theirs
        grants = [sorted(g["id"] for g in api(s, key).get(url(s, "/oauth_grants"), params={"page[size]": 100},
                                                          timeout=TIMEOUT).json()["data"])
                  for s, key in ((sb, mine), (again, theirs))]
        assert grants[0] == grants[1] and grants[0]


def test_a_smaller_fleet_is_the_first_accounts_of_a_larger_one(sb):
    with Sandbox(seed="accounts=10,grants=12", db=":memory:") as small:
        ids = {a["id"] for a in every_account(small, include_cancelled_accounts="true")}
    assert len(ids) == 10 and ids < {a["id"] for a in every_account(sb, include_cancelled_accounts="true")}


def test_a_demo_sandbox_manages_no_accounts(sandbox):
    response = listing(sandbox, include_cancelled_accounts="true")
    assert response.status_code == 200
    assert response.json() == {"data": [], "meta": {"page_number": 1, "page_size": 20, "total_pages": 0,
                                                    "total_results": 0}}
    assert retrieve(sandbox, "00000000-0000-4000-8000-000000000000").status_code == 404


@pytest.mark.parametrize("seed", ["accounts=", "accounts=1,grants=", "accounts=-1", "accounts=1;grants=2",
                                  "grants=1,accounts=2", "accounts=123456"])
def test_a_malformed_fleet_seed_is_refused_naming_the_form(seed):
    with pytest.raises(ConfigurationError, match="accounts=N,grants=M"):
        Sandbox(seed=seed, db=":memory:")


def test_the_grants_default_and_the_cli_accept_the_fleet_seed():
    from telnyx_nb.sandbox.cli import _seed

    assert parse_fleet_seed("accounts=3") == (3, 20) and parse_fleet_seed("demo") is None
    assert _seed("accounts=50,grants=100") == "accounts=50,grants=100"


def test_the_openapi_document_describes_both_endpoints(sb):
    document = requests.get(url(sb, "/openapi.json"), timeout=TIMEOUT).json()
    listed = document["paths"]["/v2/managed_accounts"]["get"]
    assert {p["name"] for p in listed["parameters"]} == {
        "page[number]", "page[size]", "filter[email][contains]", "filter[organization_name][contains]", "sort",
        "include_cancelled_accounts"}
    assert {"200", "401", "403", "422"} <= set(listed["responses"])
    single = document["paths"]["/v2/managed_accounts/{id}"]["get"]
    assert {"200", "401", "403", "404"} <= set(single["responses"])
    assert "/v2/managed_accounts/{account_id}" not in document["paths"]
    schemas = document["components"]["schemas"]
    assert set(schemas["ManagedAccount"]["properties"]) == LISTED
    assert set(schemas["ManagedAccountWithKey"]["allOf"][1]["required"]) == {"api_key", "api_token", "balance"}


def test_the_stores_own_account_rows_are_the_account_policy_calls_its_own(make_sandbox):
    from telnyx_nb.sandbox.policy.access import OWN_ACCOUNT

    sb = make_sandbox(seed="demo")
    for table in ("clients", "grants"):
        owners = {row[0] for row in sb.store.conn().execute(f"SELECT DISTINCT account_id FROM {table}")}
        assert owners == {OWN_ACCOUNT}, (table, owners)


@pytest.mark.telnyx_sandbox(seed="accounts=4,grants=5")
def test_the_plugin_marker_seeds_a_fleet_served_in_process(telnyx_sandbox):
    session, base = telnyx_sandbox.session(), telnyx_sandbox.in_process_base_url
    manager = {"Authorization": f"Bearer {telnyx_sandbox.api_key}"}
    listed = session.get(f"{base}/managed_accounts", headers=manager, timeout=TIMEOUT).json()
    assert listed["meta"]["total_results"] == 4
    key = session.get(f"{base}/managed_accounts/{listed['data'][0]['id']}", headers=manager,
                      timeout=TIMEOUT).json()["data"]["api_key"]
    grants = session.get(f"{base}/oauth_grants", headers={"Authorization": f"Bearer {key}"}, timeout=TIMEOUT)
    assert grants.status_code == 200 and grants.json()["meta"]["total_results"] == 5

"""The managed-accounts calls of the API module over real HTTP against a scripted manager account (fleet_server):
what is sent, what comes back typed, the errors named with their fix, and a client acting as one managed account
with its own key, pool and pacer — the key never shown in full."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from canned_server import Script, serve
from fleet_server import MANAGER_KEY, Fleet, account_key, fleet_server

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError, NotFoundError, PermissionDeniedError
from telnyx_nb.core.records import ManagedAccount
from telnyx_nb.frames import DTYPES, MANAGED_ACCOUNT_COLUMNS


@pytest.fixture
def fleet():
    return Fleet(accounts=7)


@pytest.fixture
def manager(fleet):
    with fleet_server(fleet) as base_url, TelnyxOAuth(MANAGER_KEY, base_url=base_url, max_retries=0) as client:
        yield client


def test_every_managed_account_is_read_across_pages_in_order(manager, fleet):
    accounts = manager.managed_accounts(page_size=2, progress=False)
    assert [a.id for a in accounts] == fleet.ids
    assert all(isinstance(a, ManagedAccount) and a.api_key is None for a in accounts)  # a list carries no key
    assert [a.id for a in manager.iter_managed_accounts(page_size=3)] == fleet.ids
    page = manager.list_managed_accounts(page_number=2, page_size=3)
    assert [a.id for a in page] == fleet.ids[3:6] and page.total_pages == 3 and page.total_results == 7


def test_filters_sort_and_cancelled_accounts_go_out_as_published():
    script = Script((200, {}), body=b'{"data": [], "meta": {"page_number": 1, "total_pages": 1}}')
    with serve(script) as base_url, TelnyxOAuth(MANAGER_KEY, base_url=base_url) as client:
        client.list_managed_accounts(email_contains="@acme", organization_name_contains="Acme", sort="-email",
                                     include_cancelled=True, page_size=5)
    query = parse_qs(urlsplit(script.seen[0][1]).query)
    assert query == {"filter[email][contains]": ["@acme"], "filter[organization_name][contains]": ["Acme"],
                     "sort": ["-email"], "include_cancelled_accounts": ["true"], "page[number]": ["1"],
                     "page[size]": ["5"]}


@pytest.mark.parametrize("kwargs, named", [
    ({"name_contains": "x"}, "name_contains"),
    ({"sort": "name"}, "sort"),
    ({"email_contains": ""}, "email_contains"),
    ({"page_size": 101}, "page_size"),
])
def test_a_bad_argument_is_refused_before_any_request(kwargs, named):
    script = Script((200, {}))
    with serve(script) as base_url, TelnyxOAuth(MANAGER_KEY, base_url=base_url) as client:
        with pytest.raises(ConfigurationError, match=named):
            client.managed_accounts(**kwargs)
        with pytest.raises(ConfigurationError, match=named):
            client.iter_managed_accounts(**kwargs)
        with pytest.raises(ArgumentTypeError, match="include_cancelled"):
            client.managed_accounts(include_cancelled="yes")
        with pytest.raises(ConfigurationError, match="account_id"):
            client.managed_account("../oauth_grants")
    assert script.seen == []


def test_the_frame_has_the_published_columns_typed_and_no_credential(manager, fleet):
    df = manager.managed_accounts_df(progress=False)
    assert tuple(df.columns) == MANAGED_ACCOUNT_COLUMNS
    assert {c: str(df[c].dtype) for c in df.columns} == {c: str(DTYPES[c]) for c in MANAGED_ACCOUNT_COLUMNS}
    assert list(df["id"]) == fleet.ids and len(df) == 7
    assert df["rollup_billing"].tolist() == [n % 2 == 0 for n in range(7)]
    assert isinstance(df["created_at"].dtype, pd.DatetimeTZDtype)
    assert not {"api_key", "api_token", "balance"} & set(df.columns)


def test_a_managed_account_carries_its_key_masked(manager, caplog):
    caplog.set_level(logging.DEBUG)
    account = manager.managed_account("acct-03")
    key = account_key(3)
    assert account.api_key == key and account.organization_name == "Org 3"
    assert account.balance == {"amount": "10.00", "currency": "USD"}
    for text in (repr(account), str(account), caplog.text):
        assert key not in text and account.api_token not in text


def test_an_unknown_account_is_not_found_naming_it(manager):
    with pytest.raises(NotFoundError, match="no managed account 'acct-nope' under this manager") as caught:
        manager.for_managed_account("acct-nope")
    assert caught.value.status == 404


def test_a_managed_accounts_key_is_refused_with_the_fix(fleet, manager):
    with TelnyxOAuth(account_key(1), base_url=manager.base_url) as member:
        with pytest.raises(PermissionDeniedError, match="manager account's API key") as caught:
            member.managed_accounts_df(progress=False)
    assert caught.value.status == 403
    assert account_key(1) not in str(caught.value)


def test_acting_as_a_managed_account_uses_its_key_its_own_pacer_and_the_same_policy(fleet, manager, caplog):
    caplog.set_level(logging.DEBUG)
    member = manager.for_managed_account("acct-04")
    try:
        grants = member.grants_df(progress=False)
        assert list(grants["id"]) == [f"grant-4-{g}" for g in range(3)]  # that account's grants, nobody else's
        assert member.acting_as.id == "acct-04" and member.api_key == account_key(4)
        assert member.base_url == manager.base_url
        assert member.send_loop.retry is manager.send_loop.retry
        assert member.send_loop.pacer is not None and member.send_loop.pacer is not manager.send_loop.pacer
        assert member.send_loop.session is not manager.send_loop.session
        assert member.client_id is None and member.client_secret is None
        assert "managed account acct-04" in repr(member)
    finally:
        member.close()
    keys = [k for path, k in fleet.seen if path == "/v2/oauth_grants"]
    assert keys and set(keys) == {account_key(4)}
    retrieves = [p for p, _ in fleet.seen if p == "/v2/managed_accounts/acct-04"]
    assert len(retrieves) == 1  # the key is read once
    for text in (repr(member), member.target, caplog.text):
        assert account_key(4) not in text


def test_a_refused_key_is_an_authentication_error_naming_the_manager_key(manager):
    from telnyx_nb.core.errors import AuthenticationError

    stranger = "KEY" + "z" * 55
    with TelnyxOAuth(stranger, base_url=manager.base_url) as client:
        with pytest.raises(AuthenticationError, match="the API key was refused; only a manager account's") as caught:
            client.list_managed_accounts()
    assert caught.value.status == 401 and stranger not in str(caught.value)


def test_a_session_given_for_the_account_is_the_one_it_sends_through(manager):
    import requests

    session = requests.Session()
    with manager.for_managed_account("acct-02", session=session) as member:
        assert member.send_loop.session is session
        assert len(member.grants_df(progress=False)) == 3

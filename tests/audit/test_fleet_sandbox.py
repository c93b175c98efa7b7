"""The managed-accounts client and the fleet audit against the sandbox's fleet seed, over real HTTP: the frame of
the published fields, a client acting as one account seeing that account's grants only, and a 20-account audit in
which the two disabled accounts and the cancelled one fail with their reasons and the other 17 are reported."""

from __future__ import annotations

import logging

import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.audit import audit_fleet
from telnyx_nb.frames import DTYPES, MANAGED_ACCOUNT_COLUMNS


@pytest.fixture
def fleet_sandbox(make_sandbox):
    return make_sandbox(seed="accounts=20,grants=30")


def stored(sb, sql, *params):
    return [tuple(row) for row in sb.store.conn().execute(sql, params).fetchall()]


def account_keys(sb):
    return [key for (key,) in stored(sb, "SELECT api_key FROM accounts")] + [sb.api_key]


def test_the_frame_lists_the_fleet_typed_and_never_a_key(fleet_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    with TelnyxOAuth.from_sandbox(fleet_sandbox) as manager:
        df = manager.managed_accounts_df(progress=False, page_size=7)
        everyone = manager.managed_accounts_df(progress=False, include_cancelled=True)
        one = manager.managed_account(df.loc[0, "id"])
    assert tuple(df.columns) == MANAGED_ACCOUNT_COLUMNS
    assert {c: str(df[c].dtype) for c in df.columns} == {c: str(DTYPES[c]) for c in MANAGED_ACCOUNT_COLUMNS}
    cancelled = {i for (i,) in stored(fleet_sandbox, "SELECT id FROM accounts WHERE status = 'cancelled'")}
    assert len(everyone) == 20 and len(df) == 20 - len(cancelled) == 19
    assert set(everyone["id"]) - set(df["id"]) == cancelled
    assert one.api_key in account_keys(fleet_sandbox)
    for key in account_keys(fleet_sandbox):
        for text in (df.to_string(), everyone.to_csv(), repr(one), caplog.text):
            assert key not in text


def test_acting_as_a_managed_account_sees_its_grants_and_nobody_elses(fleet_sandbox):
    (account_id, key), = stored(fleet_sandbox, "SELECT id, api_key FROM accounts WHERE status = 'active' "
                                               "ORDER BY organization_name LIMIT 1")
    own = {g for (g,) in stored(fleet_sandbox, "SELECT id FROM grants WHERE account_id = ?", account_id)}
    assert own
    with TelnyxOAuth.from_sandbox(fleet_sandbox) as manager, manager.for_managed_account(account_id) as member:
        seen = set(member.grants_df(progress=False)["id"])
        manager_sees = set(manager.grants_df(progress=False)["id"])
        assert member.api_key == key and key not in repr(member) and account_id in repr(member)
    assert seen == own
    assert not seen & manager_sees  # the manager's own grants are its account's, not the managed ones'


def test_a_fleet_of_twenty_reports_seventeen_and_the_three_it_could_not_read(fleet_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    status = dict(stored(fleet_sandbox, "SELECT id, status FROM accounts"))
    refused = {i for i, s in status.items() if s != "active"}
    assert len(status) == 20 and len(refused) == 3
    with TelnyxOAuth.from_sandbox(fleet_sandbox) as manager:
        result = audit_fleet(manager, include_cancelled=True, max_accounts_in_flight=4, progress=False)
    reported = set(status) - refused
    with_grants = {a for (a,) in stored(fleet_sandbox, "SELECT DISTINCT account_id FROM grants")} & reported
    assert set(result.grants["account_id"]) == with_grants  # empty accounts are reported with 0 grants
    assert set(result.findings["account_id"]) <= reported
    stored_grants = stored(fleet_sandbox, f"SELECT count(*) FROM grants WHERE account_id IN "
                                          f"({','.join('?' * len(reported))})", *reported)[0][0]
    assert len(result.grants) == stored_grants
    accounts = result.accounts.set_index("account_id")
    assert set(accounts.index[~accounts["failed"]]) == reported and len(accounts) == 20
    assert set(result.failures["account_id"]) == refused
    assert set(result.failures["stage"]) == {"read"}
    for row in result.failures.itertuples():
        assert "401" in row.reason and status[row.account_id] in row.reason  # "… which is disabled/cancelled"
    for key in account_keys(fleet_sandbox):
        for text in (result.failures.to_string(), result.grants.to_csv(), caplog.text):
            assert key not in text


def test_an_in_process_fleet_is_audited_with_one_in_process_session_per_account():
    from telnyx_nb.sandbox import Sandbox

    sb = Sandbox(seed="accounts=6,grants=5").start(serve=False)  # not served: every request is a WSGI call
    try:
        made = []

        def session():
            made.append(sb.requests_session())
            return made[-1]

        with TelnyxOAuth(sb.api_key, base_url=sb.base_url, is_sandbox=True, session=sb.requests_session()) as manager:
            result = audit_fleet(manager, session_factory=session, progress=False)
            assert len(manager.managed_accounts_df(progress=False)) == 6  # the manager's session still works
        assert len(made) == 6 and result.failures.empty
        assert set(result.accounts["account_id"]) == {i for (i,) in stored(sb, "SELECT id FROM accounts")}
        assert len(result.grants) == stored(sb, "SELECT count(*) FROM grants WHERE account_id != ''")[0][0]
    finally:
        sb.stop()

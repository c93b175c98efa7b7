"""The fleet audit over real HTTP against a scripted manager account (fleet_server): every account audited with its
own key, one findings and one grants frame keyed by account, the per-account roll-up, and the accounts that could
not be read — each in ``failures`` with its stage and reason, while the others finish."""

from __future__ import annotations

import logging

import pandas as pd
import pytest
from fleet_server import MANAGER_KEY, Fleet, account_key, fleet_server

from telnyx_nb import TelnyxOAuth
from telnyx_nb.audit import audit_fleet
from telnyx_nb.audit.fleet import ACCOUNT_COLUMNS, FAILURE_COLUMNS, FLEET_KEYS
from telnyx_nb.audit.rules import FINDING_COLUMNS
from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError, PermissionDeniedError

NOW = pd.Timestamp("2025-06-01", tz="UTC").to_pydatetime()


@pytest.fixture
def fleet():
    # 20 accounts: 17 readable; 3 fail — a refused key (disabled), one gone (404), one answering 503 every time
    return Fleet(accounts=20, grants_per_account=3, refused={4}, gone={9}, broken={15})


@pytest.fixture
def manager(fleet):
    with fleet_server(fleet) as base_url, \
            TelnyxOAuth(MANAGER_KEY, base_url=base_url, max_retries=1, max_retry_time=2.0) as client:
        yield client


def test_seventeen_accounts_are_reported_and_three_failures_say_why(manager, fleet, caplog):
    caplog.set_level(logging.DEBUG)
    result = audit_fleet(manager, max_accounts_in_flight=4, progress=False, now=NOW)
    good = [a for n, a in enumerate(fleet.ids) if n not in (4, 9, 15)]

    assert sorted(result.grants["account_id"].unique()) == good
    assert len(result.grants) == 17 * 3
    assert sorted(result.findings["account_id"].unique()) == good
    assert set(result.grants.groupby("account_id")["organization_name"].first()) == {
        f"Org {n}" for n in range(20) if n not in (4, 9, 15)}

    failures = result.failures.set_index("account_id")
    assert tuple(result.failures.columns) == FAILURE_COLUMNS
    assert list(failures.index) == ["acct-04", "acct-09", "acct-15"]
    assert failures.loc["acct-04", "stage"] == "read" and "401" in failures.loc["acct-04", "reason"]
    assert failures.loc["acct-09", "stage"] == "retrieve" and "404" in failures.loc["acct-09", "reason"]
    assert failures.loc["acct-15", "stage"] == "read" and "503" in failures.loc["acct-15", "reason"]
    assert failures.loc["acct-09", "organization_name"] == "Org 9"
    assert result.partial

    accounts = result.accounts.set_index("account_id")
    assert tuple(result.accounts.columns) == ACCOUNT_COLUMNS and len(accounts) == 20
    assert accounts["failed"].sum() == 3 and list(result.accounts["failed"].tail(3)) == [True] * 3
    assert accounts.loc[good, "grants"].tolist() == [3] * 17
    assert pd.isna(accounts.loc["acct-04", "grants"])
    for key in [account_key(n) for n in range(20)] + [MANAGER_KEY]:
        for text in (result.failures.to_string(), result.accounts.to_string(), caplog.text):
            assert key not in text


def test_each_account_is_read_with_its_own_key_only(manager, fleet):
    audit_fleet(manager, accounts=["acct-02", "acct-07"], progress=False, now=NOW)
    keys = {k for path, k in fleet.seen if path in ("/v2/oauth_clients", "/v2/oauth_grants")}
    assert keys == {account_key(2), account_key(7)}
    assert all(k == MANAGER_KEY for path, k in fleet.seen if path.startswith("/v2/managed_accounts"))


def test_the_risk_and_the_findings_are_each_accounts_own(manager):
    result = audit_fleet(manager, accounts=["acct-01", "acct-03"], progress=False, now=NOW)
    assert tuple(result.findings.columns) == FLEET_KEYS + tuple(FINDING_COLUMNS)
    assert {"risk_score", "risk_level", "risk_reason"} <= set(result.grants.columns)
    # every grant: a public, unverified client without PKCE, never used since January: critical
    assert set(result.grants["risk_level"].astype(str)) == {"critical"}
    assert result.grants["risk_score"].is_monotonic_decreasing
    one = result.findings[result.findings["account_id"] == "acct-03"]
    assert set(one["object_id"]) >= {"grant-3-0", "grant-3-1", "grant-3-2"}
    assert not one["object_id"].str.startswith("grant-1-").any()
    roll = result.accounts.set_index("account_id")
    assert roll.loc["acct-03", "findings"] == len(one)
    assert str(roll.loc["acct-03", "worst_risk_level"]) == "critical"
    assert roll.loc["acct-03", "organization_name"] == "Org 3"  # named by the retrieve when ids are given
    assert not result.partial and result.failures.empty
    assert sorted(zip(result.clients["account_id"], result.clients["client_id"])) == [
        ("acct-01", "client-1"), ("acct-03", "client-3")]


def test_a_fleet_where_every_account_fails_still_has_its_columns(manager):
    result = audit_fleet(manager, accounts=["acct-04", "acct-nope"], progress=False, now=NOW)
    assert result.grants.empty and result.findings.empty
    assert FLEET_KEYS == tuple(result.grants.columns[:2]) == tuple(result.findings.columns[:2])
    assert sorted(result.failures["account_id"]) == ["acct-04", "acct-nope"]


def test_a_non_manager_key_raises_at_once(fleet, manager):
    with TelnyxOAuth(account_key(1), base_url=manager.base_url) as member:
        with pytest.raises(PermissionDeniedError, match="manager"):
            audit_fleet(member, progress=False)


@pytest.mark.parametrize("accounts, error", [("acct-01", ArgumentTypeError), (["acct-01", ""], ConfigurationError),
                                             (["a/b"], ConfigurationError)])
def test_bad_account_lists_are_refused_before_any_request(manager, fleet, accounts, error):
    with pytest.raises(error, match="accounts"):
        audit_fleet(manager, accounts=accounts, progress=False)
    with pytest.raises(ConfigurationError, match="max_accounts_in_flight"):
        audit_fleet(manager, max_accounts_in_flight=0, progress=False)
    assert fleet.seen == []


def test_the_fleet_bar_counts_accounts_and_can_be_turned_off(manager, capsys):
    audit_fleet(manager, accounts=["acct-01", "acct-04"], now=NOW)
    drawn = capsys.readouterr().err
    assert "managed accounts" in drawn and "2/2" in drawn  # a failed account counts as done too
    assert "account acct-01" in drawn and "/3 " in drawn  # each account's own bar: key, clients, grants (3 steps)
    assert "account acct-04" in drawn  # a failing account gets its bar too (it stops at its failed step)
    audit_fleet(manager, accounts=["acct-01"], progress=False, now=NOW)
    drawn = capsys.readouterr().err
    assert "managed accounts" not in drawn and "account acct-01" not in drawn


def test_accounts_already_done_are_taken_not_fetched_and_failed_or_unlisted_ones_are_not(manager, fleet):
    """The resume hooks (``telnyx-nb audit --state``): ``done`` accounts still listed and audited are reused; a
    failed one is retried; one no longer listed is dropped. ``on_account_done`` hears of each account fetched."""
    from telnyx_nb.audit.fleet import AccountAudit

    first = audit_fleet(manager, accounts=["acct-01", "acct-02"], progress=False, now=NOW)
    kept = audit_fleet(manager, accounts=["acct-01"], progress=False, now=NOW)  # an audited account to reuse
    reused = AccountAudit("acct-01", "Org 1", _one_result(kept))
    done = {"acct-01": reused, "acct-02": AccountAudit("acct-02", "Org 2", stage="read", reason="503"),
            "acct-99": AccountAudit("acct-99", "Org 99", _one_result(kept))}
    fleet.seen.clear()
    heard = []
    result = audit_fleet(manager, accounts=["acct-01", "acct-02", "acct-03"], progress=False, now=NOW, done=done,
                         on_account_done=heard.append)
    fetched = {path.rsplit("/", 1)[1] for path, _ in fleet.seen if path.startswith("/v2/managed_accounts/")}
    assert fetched == {"acct-02", "acct-03"}
    assert sorted(a.account_id for a in heard) == ["acct-02", "acct-03"]
    assert sorted(result.accounts["account_id"]) == ["acct-01", "acct-02", "acct-03"]
    assert not result.partial
    one = result.grants[result.grants["account_id"] == "acct-01"].reset_index(drop=True)
    assert one.equals(first.grants[first.grants["account_id"] == "acct-01"].reset_index(drop=True))


def _one_result(fleet_result):
    """The AuditResult of the single account of ``fleet_result`` (its frames without the fleet's key columns)."""
    from telnyx_nb.audit.rules import AuditResult

    def own(frame):
        return frame.drop(columns=list(FLEET_KEYS)).reset_index(drop=True)

    return AuditResult(own(fleet_result.clients), own(fleet_result.grants), own(fleet_result.findings),
                       fleet_result.thresholds)

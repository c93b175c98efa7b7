"""The fleet audit runs the rules once per batch of finished accounts (their pandas cost is per call), over the
sandbox's fleet seed and real HTTP: each account still gets exactly the findings and risk of auditing it alone,
client names are compared within one account only, and a batch whose rules raise is audited account by account so
the failure lands on its own account."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.audit import audit_fleet, fleet, rules
from telnyx_nb.audit.registry import RULES
from telnyx_nb.core import wire

NOW = pd.Timestamp("2026-06-01", tz="UTC").to_pydatetime()


@pytest.fixture
def fleet_sandbox(make_sandbox):
    return make_sandbox(seed="accounts=12,grants=10")


@pytest.fixture
def rule_runs(monkeypatch):
    """The clients count of each batch the fleet ran the rules over (a spy: the real find_issues runs every time);
    an account audited alone goes through rules.audit and is not counted."""
    calls = []

    def counted(*args, **kwargs):
        calls.append(len(args[0]))
        return rules.find_issues(*args, **kwargs)

    monkeypatch.setattr(fleet, "find_issues", counted)
    return calls


def active(sb) -> list[str]:
    rows = sb.store.conn().execute("SELECT id FROM accounts WHERE status = 'active' ORDER BY id").fetchall()
    return [i for (i,) in rows]


def audited(result) -> list[str]:
    return sorted(result.accounts.loc[~result.accounts["failed"].astype(bool), "account_id"])


def same_as_alone(sb) -> list[str]:
    """Audit the fleet, then each audited account alone: its findings, risk and baseline must match exactly."""
    with TelnyxOAuth.from_sandbox(sb) as manager:
        seen = []
        result = audit_fleet(manager, progress=False, now=NOW, on_account_done=seen.append)
        assert sorted(a.account_id for a in seen if not a.failed) == audited(result)
        scopes = rules._published_scopes(manager)
        for account in (a for a in seen if not a.failed):
            with manager.for_managed_account(account.account_id) as member:
                alone = rules.audit(member.clients_df(progress=False),
                                    member.grants_df(with_clients=False, progress=False),
                                    now=NOW, scopes_supported=scopes)
            got = account.result
            pd.testing.assert_frame_equal(got.findings, alone.findings)
            pd.testing.assert_frame_equal(got.grants, alone.grants)
            assert got.baseline == alone.baseline
            assert (result.findings["account_id"] == account.account_id).sum() == len(alone.findings)
    assert any(len(a.result.findings) for a in seen if not a.failed)
    return audited(result)


def test_each_account_of_a_batch_gets_what_auditing_it_alone_gives(fleet_sandbox, rule_runs):
    ids = same_as_alone(fleet_sandbox)
    assert len(ids) >= 8 and rule_runs and len(rule_runs) < len(ids)  # batched: fewer runs than accounts


def test_a_server_publishing_more_than_admin_audits_each_account_alone(make_sandbox, rule_runs):
    from oauth_helpers import CUSTOM_SCOPES

    sb = make_sandbox(seed="accounts=12,grants=10", scopes=CUSTOM_SCOPES)
    # one account's grant narrowed to messaging: admin is no longer every grant's there, still is everywhere else
    db = sb.store.conn()
    (grant,), = db.execute("SELECT g.id FROM grants g JOIN accounts a ON a.id = g.account_id "
                           "WHERE a.status = 'active' ORDER BY g.id LIMIT 1").fetchall()
    with db:
        db.execute("UPDATE grants SET scopes = ? WHERE id = ?", ('["messaging"]', grant))
    same_as_alone(sb)
    assert rule_runs == []  # the admin baseline depends on each account's grants: no batch


def _client(member, name):
    return member.create_client(name, wire.CONFIDENTIAL, [wire.CLIENT_CREDENTIALS], ["admin"])


def test_a_client_name_is_a_duplicate_within_its_account_only(fleet_sandbox):
    with TelnyxOAuth.from_sandbox(fleet_sandbox) as manager:
        ids = active(fleet_sandbox)
        with manager.for_managed_account(ids[0]) as one, manager.for_managed_account(ids[1]) as two:
            across = [_client(one, "Payroll Sync").client_id, _client(two, "Payroll Sync").client_id]
            within = [_client(two, "Ledger Bridge").client_id, _client(two, "ledger bridge ").client_id]
        result = audit_fleet(manager, progress=False, now=NOW)
    dup = result.findings[result.findings["rule"] == "duplicate_client_name"]
    assert not set(across) & set(dup["object_id"])
    assert set(within) <= set(dup[dup["account_id"] == ids[1]]["object_id"])
    # the whole fleet's clients in one frame, keyed by account (what a batch gives the rules), every time
    fleet_grants = result.grants.drop(columns=["risk_score", "risk_level", "risk_reason"])
    flagged = rules.find_issues(result.clients, fleet_grants, now=NOW, rules=["duplicate_client_name"])
    assert not set(across) & set(flagged["object_id"]) and set(within) <= set(flagged["object_id"])


def test_a_batch_whose_rules_raise_is_audited_account_by_account(fleet_sandbox, monkeypatch):
    with TelnyxOAuth.from_sandbox(fleet_sandbox) as manager:
        ids = active(fleet_sandbox)
        with manager.for_managed_account(ids[2]) as member:
            poison = _client(member, "Poisoned App").client_id
        real = RULES["duplicate_client_name"]

        def breaks_on_one_account(clients, grants, t):
            if poison in set(clients["client_id"].astype(str)):
                raise RuntimeError("rule broke on this account's clients")
            return real.check(clients, grants, t)

        monkeypatch.setitem(RULES, real.name, replace(real, check=breaks_on_one_account))
        seen = []
        result = audit_fleet(manager, progress=False, now=NOW, on_account_done=seen.append)
    failures = result.failures.set_index("account_id")
    assert failures.loc[ids[2], "stage"] == "audit" and "rule broke" in failures.loc[ids[2], "reason"]
    assert set(failures.index) - {ids[2]} == {a.account_id for a in seen if a.failed and a.stage != "audit"}
    assert len(audited(result)) >= 7 and ids[2] not in audited(result)
    assert [a.stage for a in seen if a.account_id == ids[2]] == ["audit"]

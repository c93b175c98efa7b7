"""What ``revoke`` decides before it calls anything: which findings name a revocable grant, one row per grant with
every rule that flagged it, and a dry run that lists and touches nothing (it needs no client at all). Real
revocations against a sandbox are in tests/audit/test_live.py."""

from __future__ import annotations

import pandas as pd
import pytest

from telnyx_nb.audit.remediate import OUTCOME_COLUMNS, OUTCOMES, revocable, revoke
from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError


def findings(*rows):
    """rows: (object_type, object_id, rule, client_name)."""
    return pd.DataFrame(rows, columns=["object_type", "object_id", "rule", "client_name"])


FLAGGED = findings(
    ("grant", "g1", "stale_grant", "Alpha"),
    ("client", "c1", "auth_code_without_pkce", "Alpha"),  # a client finding: nothing to revoke
    ("grant", "g2", "orphan_grant", None),
    ("grant", "g1", "admin_scope_grant", "Alpha"),
    ("grant", "g1", "stale_grant", "Alpha"),  # the same rule twice still names it once
)


def test_each_flagged_grant_is_one_row_with_its_rules_in_the_order_found():
    rows = revocable(FLAGGED)
    assert rows["grant_id"].tolist() == ["g1", "g2"]
    assert rows["rules"].tolist() == ["stale_grant, admin_scope_grant", "orphan_grant"]
    assert rows["client_name"].iloc[0] == "Alpha" and pd.isna(rows["client_name"].iloc[1])
    assert all(str(rows[c].dtype) == "string" for c in ("grant_id", "client_name", "rules"))


def test_client_findings_alone_give_an_empty_typed_table():
    rows = revocable(findings(("client", "c1", "duplicate_client_name", "Alpha")))
    assert rows.empty and list(rows.columns) == ["grant_id", "client_name", "rules"]
    assert all(str(rows[c].dtype) == "string" for c in rows.columns)


def test_a_dry_run_lists_every_grant_and_needs_no_client():
    outcome = revoke(FLAGGED, None)  # dry_run is the default: nothing is called, so no client is needed
    assert list(outcome.columns) == OUTCOME_COLUMNS
    assert outcome["grant_id"].tolist() == ["g1", "g2"]
    assert outcome["outcome"].astype(str).tolist() == ["would revoke", "would revoke"]
    assert outcome["detail"].tolist() == ["dry run: nothing changed"] * 2
    assert outcome["rules"].tolist() == ["stale_grant, admin_scope_grant", "orphan_grant"]
    assert list(outcome["outcome"].cat.categories) == OUTCOMES


def test_a_dry_run_of_no_grants_is_an_empty_table_of_outcomes():
    outcome = revoke(findings(), None)
    assert outcome.empty and list(outcome.columns) == OUTCOME_COLUMNS
    assert list(outcome["outcome"].cat.categories) == OUTCOMES


def test_findings_without_the_audit_columns_are_refused_by_name():
    with pytest.raises(ConfigurationError) as info:
        revoke(pd.DataFrame({"object_id": ["g1"], "rule": ["stale_grant"]}), None)
    assert isinstance(info.value, ValueError)
    assert str(info.value) == ("findings: missing column(s) object_type, client_name; "
                               "pass the DataFrame audit() returned")


def test_a_real_run_without_a_client_that_can_revoke_is_refused_before_anything_happens():
    with pytest.raises(ArgumentTypeError) as info:
        revoke(FLAGGED, object(), dry_run=False)
    assert isinstance(info.value, TypeError) and isinstance(info.value, ConfigurationError)
    assert str(info.value) == "client: pass a TelnyxOAuth (e.g. telnyx_nb.connect()) to revoke grants"

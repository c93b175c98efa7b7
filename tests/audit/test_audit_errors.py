"""The audit's bad-argument errors come from the errors.py tree — ``ConfigurationError`` (a ValueError) for a bad
value, ``ArgumentTypeError`` (also a TypeError) for a wrong type — and each message names the argument and the
fix. Callers that caught ValueError or TypeError before the tree existed still catch them."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from frame_helpers import typed_frame

from telnyx_nb.audit import audit, diff, find_issues
from telnyx_nb.audit.registry import Thresholds
from telnyx_nb.audit.report import export
from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError, TelnyxNBError
from telnyx_nb.frames import CLIENT_COLUMNS, GRANT_COLUMNS

NOW = datetime(2026, 6, 1, tzinfo=UTC)
CLIENTS = typed_frame([], CLIENT_COLUMNS)
GRANTS = typed_frame([], GRANT_COLUMNS)


def raised(kind, call):
    with pytest.raises(kind) as info:
        call()
    assert isinstance(info.value, TelnyxNBError) and isinstance(info.value, ValueError)
    if kind is ArgumentTypeError:
        assert isinstance(info.value, TypeError)
    else:
        assert not isinstance(info.value, TypeError)
    return str(info.value)


@pytest.mark.parametrize("name", ["stale_days", "never_used_grace_days"])
def test_threshold_days_of_the_wrong_type_or_below_zero(name):
    fix = "pass a whole number of days >= 0"
    assert raised(ArgumentTypeError, lambda: Thresholds(**{name: "90"})) == f"{name}: {fix} (got '90'), e.g. {name}=90"
    assert raised(ArgumentTypeError, lambda: Thresholds(**{name: True})).startswith(f"{name}: {fix} (got True)")
    assert raised(ConfigurationError, lambda: Thresholds(**{name: -1})) == f"{name}: {fix} (got -1), e.g. {name}=90"


def test_now_must_be_a_timezone_aware_datetime():
    fix = "now: pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)"
    assert raised(ArgumentTypeError, lambda: Thresholds(now="2026-06-01")) == f"{fix} (got str)"
    assert raised(ConfigurationError, lambda: Thresholds(now=datetime(2026, 6, 1))) == fix


def test_find_issues_names_a_frame_of_the_wrong_type_a_missing_column_and_an_unknown_rule():
    assert raised(ArgumentTypeError, lambda: find_issues(CLIENTS, {"id": []}, now=NOW)) == (
        "grants: pass a pandas DataFrame (e.g. api.grants_df()), not dict")
    assert raised(ConfigurationError, lambda: find_issues(CLIENTS.drop(columns=["name"]), GRANTS, now=NOW)) == (
        "clients: missing column(s) name; build the frame with telnyx_nb.frames or api.clients_df()")
    message = raised(ConfigurationError, lambda: find_issues(CLIENTS, GRANTS, now=NOW, rules=["stale", "nope"]))
    assert message.startswith("rules: unknown rule(s) stale, nope; choose from stale_grant, never_used_grant, ")


def test_audit_names_its_source_and_the_missing_grants():
    assert raised(ArgumentTypeError, lambda: audit(42)) == (
        "source: pass a TelnyxOAuth (e.g. telnyx_nb.connect()) or a clients DataFrame with the grants DataFrame")
    assert raised(ArgumentTypeError, lambda: audit()).startswith("source: pass a TelnyxOAuth")
    assert raised(ConfigurationError, lambda: audit(CLIENTS)) == (
        "grants: pass the grants DataFrame too, e.g. audit(clients_df, grants_df)")


def test_an_export_to_an_unknown_suffix_names_out_and_the_choices(tmp_path):
    result = audit(CLIENTS, GRANTS, now=NOW)
    assert raised(ConfigurationError, lambda: export(result, tmp_path / "findings.xlsx")) == (
        "out: 'findings.xlsx' — use a .html, .csv or .parquet file name")
    assert not list(tmp_path.iterdir())  # nothing written


def test_diff_names_the_side_it_cannot_read():
    assert raised(ArgumentTypeError, lambda: diff((CLIENTS, GRANTS), 42)) == (
        "new: pass a snapshot directory, a Snapshot, an AuditResult, a (clients_df, grants_df) pair or a "
        "TelnyxOAuth, not int")
    assert raised(ArgumentTypeError, lambda: diff(pd.DataFrame())).startswith("new: pass both sides, diff(old, new)")


def test_diff_of_a_directory_with_fewer_than_two_snapshots_says_how_to_get_one(tmp_path):
    (tmp_path / "clients").mkdir()
    message = raised(ConfigurationError, lambda: diff(tmp_path))
    assert message.startswith(f"{tmp_path} holds 0 snapshot(s); diff(directory) needs two — take another with "
                              f"telnyx-nb snapshot --out {tmp_path}")

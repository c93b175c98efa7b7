"""The revoke selection a report carries (no sandbox): what a grant must still be for ``telnyx-nb revoke`` to act on
it, that a hostile client name cannot break out of the report's data block, and that a file holding no selection
is refused by name. The command itself runs over HTTP in test_revoke_command.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from telnyx_nb.audit import selection
from telnyx_nb.audit.report import render_html
from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.core.records import OAuthGrant

SEEN = {"grant_id": "g1", "client_id": "c1", "scopes": ["admin"], "created_at": "2025-01-01T00:00:00+00:00",
        "last_used_at": "2025-02-01T00:00:00+00:00"}


def _grant(**changes) -> OAuthGrant:
    fields = {"id": "g1", "client_id": "c1", "scopes": ["admin"], "created_at": "2025-01-01T00:00:00Z",
              "last_used_at": "2025-02-01T00:00:00Z"} | changes
    return OAuthGrant.from_json(fields)


def test_a_grant_as_the_report_saw_it_has_no_differences():
    assert selection.differences(SEEN, _grant()) is None
    assert selection.differences({**SEEN, "last_used_at": None}, _grant(last_used_at=None)) is None


@pytest.mark.parametrize(("field", "now", "said"), [
    ("last_used_at", "2026-12-01T10:00:00Z", "last_used_at 2025-02-01T00:00:00+00:00 → 2026-12-01T10:00:00+00:00"),
    ("last_used_at", None, "last_used_at 2025-02-01T00:00:00+00:00 → none"),
    ("scopes", ["admin", "messaging"], "scopes [admin] → [admin, messaging]"),
    ("client_id", "c2", "client_id c1 → c2"),
    ("created_at", "2025-06-01T00:00:00Z", "created_at 2025-01-01T00:00:00+00:00 → 2025-06-01T00:00:00+00:00"),
])
def test_each_checked_field_that_changed_is_named(field, now, said):
    assert selection.differences(SEEN, _grant(**{field: now})) == said


def _result(name: str):
    from frame_helpers import typed_frame

    from telnyx_nb.audit import audit
    from telnyx_nb.frames import CLIENT_COLUMNS, GRANT_COLUMNS

    now = datetime(2026, 6, 1, tzinfo=UTC)
    clients = [{"client_id": "c1", "name": name, "client_type": "public", "verified": False, "require_pkce": False,
                "allowed_grant_types": ["authorization_code"], "allowed_scopes": ["admin"],
                "redirect_uris": ["http://app.example.com/cb"], "created_at": now - timedelta(days=800)}]
    grants = [{"id": f"g{i}", "client_id": "c1", "scopes": ["admin"], "created_at": now - timedelta(days=500),
               "last_used_at": now - timedelta(days=300 + i)} for i in range(3)]
    return audit(typed_frame(clients, CLIENT_COLUMNS), typed_frame(grants, GRANT_COLUMNS), now=now)


def test_the_report_carries_its_list_and_a_hostile_name_stays_inside_the_data_block(tmp_path):
    hostile = '</script><script>alert(1)</script> & <!--'
    text = render_html(_result(hostile))
    assert "alert(1)</script>" not in text and "<!--" not in text.split('id="telnyx-nb-revoke-selection"')[1]
    (tmp_path / "report.html").write_text(text, encoding="utf-8")
    document = selection.read(tmp_path / "report.html")
    assert [g["grant_id"] for g in document["grants"]] == ["g2", "g1", "g0"]  # riskiest (longest idle) first
    assert {g["client_name"] for g in document["grants"]} == {hostile}
    assert document["grants"][0]["last_used_at"] == "2025-08-03T00:00:00+00:00"  # 302 days before the audit
    assert document["base_url"] is None  # frames, not a server: nothing a revoke could be refused or allowed on


@pytest.mark.parametrize(("content", "said"), [
    ("<html><body>an unrelated page</body></html>", "holds no revoke selection"),
    ('<script type="application/json" id="telnyx-nb-revoke-selection">{oops</script>', "not JSON"),
])
def test_an_html_file_without_a_selection_is_refused_by_name(tmp_path, content, said):
    path = tmp_path / "page.html"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=said) as info:
        selection.read(path)
    assert str(path) in str(info.value) and "telnyx-nb audit" in str(info.value)


@pytest.mark.parametrize(("document", "said"), [
    ({"some": "json"}, "is not a revoke selection"),
    ({"kind": selection.KIND, "version": 99, "grants": []}, "version 99"),
    ({"kind": selection.KIND, "version": 1, "grants": [{"client_name": "x"}]}, "each needs a grant_id"),
])
def test_a_json_file_that_is_not_a_selection_is_refused_by_name(tmp_path, document, said):
    path = tmp_path / "revoke-first.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigurationError, match=said):
        selection.read(path)


def test_a_list_narrowed_to_nothing_revokes_nothing_and_connects_nowhere(tmp_path, monkeypatch, capsys):
    from telnyx_nb.cli import main

    monkeypatch.delenv("TELNYX_NB_SANDBOX", raising=False)  # no server at all: none is needed
    document = {"kind": selection.KIND, "version": 1, "generated_at": "2026-06-01T00:00:00+00:00", "target": "t",
                "base_url": "http://127.0.0.1:9/v2", "grants": [{**SEEN, "client_name": "Alpha", "risk_level": "medium",
                                                                 "risk_score": 25, "reason": "never used"}]}
    (tmp_path / "revoke-first.json").write_text(json.dumps(document))
    assert main(["revoke", "--from", str(tmp_path / "revoke-first.json"), "--risk", "high", "--apply"]) == 0
    out = capsys.readouterr()
    assert out.out == "" and "nothing to revoke" in out.err and "none matching --risk/--grant" in out.err

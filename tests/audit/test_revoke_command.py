"""``telnyx-nb revoke --from report.html`` against a throwaway sandbox over HTTP: the report's "Revoke these first"
list is what a dry run shows and what ``--apply`` revokes, no more; a grant that changed or vanished since the
report is left alone and said so; a failed revocation does not stop the rest; each case has its documented exit
status; and the report itself shows whole ids and the command to run."""

from __future__ import annotations

import json
import shlex
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import requests

from telnyx_nb import TelnyxOAuth
from telnyx_nb.audit.revoke_cli import EXIT_CHANGED, EXIT_FAILED
from telnyx_nb.cli import main


class _RevokeFirst(HTMLParser):
    """What a reader sees in "Revoke these first": the grant column of its table and the commands beside it."""

    def __init__(self, text: str):
        super().__init__()
        self.grants, self.commands, self._column, self._in_table, self._in_command, self._index = [], [], None, \
            False, False, -1
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._in_table = attrs.get("id") == "revoke-first-table"
        elif self._in_table and tag == "tr":
            self._index = -1
        elif self._in_table and tag == "td":
            self._index += 1
            self._column = self._index
            if self._index == 4:  # rank, risk level, risk score, client, grant, reason
                self.grants.append("")
        elif tag == "div" and attrs.get("class") == "command":
            self._in_command = True
            self.commands.append("")

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag == "td":
            self._column = None
        elif tag == "div":
            self._in_command = False

    def handle_data(self, data):
        if self._in_table and self._column == 4:
            self.grants[-1] += data
        elif self._in_command:
            self.commands[-1] += data


def _grant_ids(sb) -> set[str]:
    with TelnyxOAuth.from_sandbox(sb) as api:
        return set(api.grants_df(with_clients=False, progress=False)["id"].astype(str))


def _last_used_now(sb, grant_id: str) -> None:
    """The app used this grant a minute ago: it is no longer what the report saw (idle for a year)."""
    from telnyx_nb.sandbox.store.tables import iso

    with sb.store.write() as db:
        db.execute("UPDATE grants SET last_used_at = ? WHERE id = ?", (iso(sb.clock.now() - timedelta(minutes=1)),
                                                                       grant_id))


@pytest.fixture
def audited(make_sandbox, tmp_path, monkeypatch, capsys):
    """A throwaway demo sandbox (never the session's shared one) audited to report.html; the report's list."""
    sb = make_sandbox()
    monkeypatch.setenv("TELNYX_NB_SANDBOX", sb.json_line())
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "--out", "report.html"]) == 0
    audit_output = capsys.readouterr()
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    shown = _RevokeFirst(text)
    assert len(shown.grants) == 10 and len(set(shown.grants)) == 10
    return sb, text, shown, audit_output


def _revoke(capsys, *args: str):
    status = main(["revoke", "--from", "report.html", *args])
    out = capsys.readouterr()
    return status, out.out, out.err


def test_the_report_shows_whole_ids_and_the_command_that_acts_on_them(audited, capsys):
    sb, text, shown, audit_output = audited
    existing = _grant_ids(sb)
    assert all(len(grant) == 36 and grant in existing for grant in shown.grants)  # whole, real ids
    for grant in shown.grants:
        assert f'data-copy="{grant}"' in text  # each one click from the clipboard
    assert shown.commands == ["telnyx-nb revoke --from report.html", "telnyx-nb revoke --from report.html --apply"]
    assert "Grants panel" in text and "notebook 03" in text
    assert "telnyx-nb revoke --from report.html" in audit_output.err  # the audit says it too
    # the command the report shows runs, as shown, and lists exactly the grants the report lists, in its order
    status = main(shlex.split(shown.commands[0])[1:])
    out = capsys.readouterr().out
    assert status == 0
    assert [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("would revoke: ")] == shown.grants


def test_a_dry_run_changes_nothing_and_says_what_and_why(audited, capsys):
    sb, _, shown, _ = audited
    before = _grant_ids(sb)
    status, out, err = _revoke(capsys)
    assert status == 0 and _grant_ids(sb) == before
    assert out.count("would revoke: ") == 10 and "revoked: " not in out.replace("would revoke: ", "")
    first = out.split("would revoke: ", 2)[1]
    assert "client Legacy Fax Bridge · risk critical (95) · last used " in first and "no PKCE" in first
    assert "still as the report saw it; dry run: nothing changed" in first
    assert err.startswith("Dry run (nothing is changed; --apply revokes): 10 grant(s) listed in report.html")
    assert "10 would revoke" in err and "to revoke them: telnyx-nb revoke --from report.html --apply" in err


def test_apply_revokes_exactly_the_listed_grants_and_a_second_run_finds_nothing_new(audited, capsys):
    sb, text, shown, _ = audited
    before = _grant_ids(sb)
    status, out, err = _revoke(capsys, "--apply")
    assert status == 0
    assert _grant_ids(sb) == before - set(shown.grants)  # those ten, and not one more
    assert [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("revoked: ")] == shown.grants
    assert err.rstrip().endswith("10 revoked")
    again_status, again_out, again_err = _revoke(capsys, "--apply")
    assert again_status == 0 and again_out.count("already revoked: ") == 10
    assert "nothing new to revoke: all 10 grants were already revoked" in again_err
    for secret in (sb.api_key, sb.demo_client_secret):
        assert secret not in out + err + again_out + again_err + text


def test_grant_and_risk_only_narrow_the_list(audited, capsys, tmp_path):
    sb, _, shown, _ = audited
    before = _grant_ids(sb)
    status, out, _ = _revoke(capsys, "--apply", "--grant", shown.grants[2], "--grant", shown.grants[5])
    assert status == 0 and _grant_ids(sb) == before - {shown.grants[2], shown.grants[5]}

    unlisted = sorted(before - set(shown.grants))[0]  # a real grant the report did not list
    status, _, err = _revoke(capsys, "--apply", "--grant", unlisted)
    assert status == 2 and f"telnyx-nb revoke: grant: {unlisted} is not in report.html's list" in err
    assert unlisted in _grant_ids(sb)

    # --risk keeps the listed grants of that level or worse (the demo's ten are all critical: relabel two)
    assert main(["audit", "--out", "revoke-first.json"]) == 0
    document = json.loads((tmp_path / "revoke-first.json").read_text())
    remaining = [g for g in document["grants"] if g["grant_id"] in _grant_ids(sb)]
    remaining[0]["risk_level"], remaining[1]["risk_level"] = "high", "medium"
    document["grants"] = remaining[:4]
    (tmp_path / "revoke-first.json").write_text(json.dumps(document))
    capsys.readouterr()
    assert main(["revoke", "--from", "revoke-first.json", "--risk", "high"]) == 0
    listed = [line.split(": ", 1)[1] for line in capsys.readouterr().out.splitlines() if ": " in line
              and line.startswith("would revoke")]
    assert listed == [remaining[0]["grant_id"], remaining[2]["grant_id"], remaining[3]["grant_id"]]


def test_a_grant_that_changed_or_vanished_since_the_report_is_left_alone_and_said_so(audited, capsys):
    sb, _, shown, _ = audited
    used, gone, *rest = shown.grants
    _last_used_now(sb, used)
    with TelnyxOAuth.from_sandbox(sb) as api:
        api.revoke_grant(gone)
    before = _grant_ids(sb)

    status, out, err = _revoke(capsys)  # the dry run already says so
    assert status == EXIT_CHANGED == 3 and _grant_ids(sb) == before
    assert f"skipped: {used}" in out and f"already revoked: {gone}" in out

    status, out, err = _revoke(capsys, "--apply")
    assert status == EXIT_CHANGED
    assert _grant_ids(sb) == before - set(rest)  # the used one is still there
    block = out.split(f"skipped: {used}", 1)[1]
    assert "changed since the report: last_used_at " in block and "not revoked (audit again)" in block
    assert "the grant no longer exists" in out.split(f"already revoked: {gone}", 1)[1]
    assert "8 revoked, 1 already revoked, 1 skipped" in err


def test_a_failed_revocation_does_not_stop_the_rest_and_exits_1(audited, capsys):
    sb, _, shown, _ = audited
    first, *rest = shown.grants
    armed = requests.post(f"{sb.root_url}/_sandbox/faults", timeout=10, headers={"Authorization": f"Bearer {sb.api_key}"},
                          json={"path": f"/v2/oauth_grants/{first}", "method": "DELETE", "count": 10, "status": 503,
                                "retry_after": 0})
    assert armed.status_code < 300, armed.text
    before = _grant_ids(sb)
    status, out, err = _revoke(capsys, "--apply")
    assert status == EXIT_FAILED == 1
    assert first in _grant_ids(sb) and _grant_ids(sb) == before - set(rest)
    assert f"failed: {first}" in out and "503" in out.split(f"failed: {first}", 1)[1].split("\n", 3)[2]
    assert "9 revoked, 1 failed" in err and sb.api_key not in out + err
    requests.delete(f"{sb.root_url}/_sandbox/faults", timeout=10, headers={"Authorization": f"Bearer {sb.api_key}"})
    status, out, _ = _revoke(capsys, "--apply")  # run it again: the failed one goes, the rest were already gone
    assert status == 0 and f"revoked: {first}" in out and first not in _grant_ids(sb)


def test_another_server_than_the_report_audited_is_refused(audited, make_sandbox, monkeypatch, capsys):
    _, _, shown, _ = audited
    other = make_sandbox()
    monkeypatch.setenv("TELNYX_NB_SANDBOX", other.json_line())
    before = _grant_ids(other)
    status, out, err = _revoke(capsys, "--apply")
    assert status == 2 and out == "" and _grant_ids(other) == before
    assert err.startswith("telnyx-nb revoke: report.html audited http://127.0.0.1:") and len(err.splitlines()) == 1
    monkeypatch.delenv("TELNYX_NB_SANDBOX")
    status, out, err = _revoke(capsys, "--apply")
    assert status == 2 and out == "" and "new throwaway demo sandbox" in err and "TELNYX_NB_SANDBOX" in err


def test_another_account_on_the_same_server_is_refused_not_told_already_revoked(make_sandbox, tmp_path, monkeypatch,
                                                                                capsys):
    """Every account of the real API shares one URL: a report of a managed account run with the manager's key (or
    any other key) would read each listed grant as 404 and call it "already revoked" while all are still live."""
    sb = make_sandbox(seed="accounts=2,grants=30")
    (member_key,) = [key for (key,) in sb.store.conn().execute("SELECT api_key FROM accounts LIMIT 1")]
    as_member = json.dumps(dict(json.loads(sb.json_line()), api_key=member_key))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELNYX_NB_SANDBOX", as_member)
    assert main(["audit", "--out", "report.html"]) == 0
    listed = _RevokeFirst((tmp_path / "report.html").read_text(encoding="utf-8")).grants
    capsys.readouterr()
    monkeypatch.setenv("TELNYX_NB_SANDBOX", sb.json_line())  # the same server, the manager's own key
    status, out, err = _revoke(capsys, "--apply")
    assert status == 2 and out == "" and len(err.splitlines()) == 1
    assert "audited the account of API key KEY" in err and "set the API key the audit ran with" in err
    assert member_key not in err and sb.api_key not in err  # masked, both
    monkeypatch.setenv("TELNYX_NB_SANDBOX", as_member)  # the audit's own key still acts on the list
    status, out, _ = _revoke(capsys)
    assert status == 0 and [line.split(": ", 1)[1] for line in out.splitlines()
                            if line.startswith("would revoke: ")] == listed
    # a list written before lists recorded their key names none: still read (the server check alone applies)
    assert main(["audit", "--out", "revoke-first.json"]) == 0
    document = json.loads((tmp_path / "revoke-first.json").read_text())
    assert document.pop("credential").startswith("API key KEY")
    (tmp_path / "revoke-first.json").write_text(json.dumps(document))
    capsys.readouterr()
    assert main(["revoke", "--from", "revoke-first.json"]) == 0
    assert [line.split(": ", 1)[1] for line in capsys.readouterr().out.splitlines()
            if line.startswith("would revoke: ")] == listed

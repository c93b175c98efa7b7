"""The client and the audit under attack: credentials leaking to another origin, a lost DELETE answer turning
into a false failure, spreadsheet formulas and terminal escapes planted in client names, and a Token panel that
hands out admin without saying so."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time

import pytest
from canned_server import serve

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import NotFoundError


def _recorder():
    seen = []

    def respond(method, path, headers):
        seen.append((method, path, headers.get("Authorization")))
        return 404, {}, b'{"errors": [{"code": "10005", "title": "Not found", "detail": "nothing here"}]}'

    return seen, respond


def test_the_api_key_never_goes_to_a_pasted_authorize_url_on_another_origin(sandbox):
    """A link pasted from an email points at an attacker's server: it must not receive our API key."""
    seen, respond = _recorder()
    with serve(respond) as foreign, TelnyxOAuth.from_sandbox(sandbox) as oauth:
        with pytest.raises(NotFoundError):
            oauth.begin_authorization(f"{foreign}/oauth/authorize?client_id=x&response_type=code")
        assert seen and all(auth is None for _, _, auth in seen), seen
        oauth.list_clients()  # the configured origin still gets the key
    assert oauth.api_key


def test_client_credentials_never_go_to_another_origin(sandbox):
    """Same host, another port is another origin (RFC 6454): no Basic credentials, no auto token."""
    seen, respond = _recorder()
    with serve(respond) as foreign, TelnyxOAuth(client_id=sandbox.demo_client_id,
                                                client_secret=sandbox.demo_client_secret,
                                                base_url=sandbox.base_url) as oauth:
        with pytest.raises(NotFoundError):
            oauth._json("GET", f"{foreign}/oauth_clients")
        assert oauth.token_cache.fetch_count == 0
    assert seen and all(auth is None for _, _, auth in seen), seen


def test_a_delete_whose_answer_was_lost_and_whose_retry_gets_404_succeeds(caplog):
    """The first DELETE did the work but its answer never came; the retry's 404 means "already gone"."""
    calls = []

    def respond(method, path, headers):
        first = path not in [p for _, p in calls]
        calls.append((method, path))
        if first:
            time.sleep(1.5)  # longer than the client's timeout: the answer is lost
            return 204, {}, b""
        return 404, {}, b'{"errors": [{"code": "10005", "title": "Not found", "detail": "gone"}]}'

    with serve(respond) as base, TelnyxOAuth(api_key="KEY" + "x" * 55, base_url=base, timeout=0.5) as oauth, \
            caplog.at_level("INFO", logger="telnyx_nb.api"):
        assert oauth.delete_client("c0ffee00-0000-4000-8000-000000000000") is None
        grant = oauth.revoke_grant("c0ffee00-0000-4000-8000-000000000001")
        assert grant.id == "c0ffee00-0000-4000-8000-000000000001"
    assert [m for m, _ in calls] == ["DELETE"] * 4  # each DELETE sent twice: lost answer, then 404
    assert any("first attempt deleted it" in r.getMessage() for r in caplog.records)


def test_a_delete_that_gets_404_at_once_is_still_not_found():
    def respond(method, path, headers):
        return 404, {}, b'{"errors": [{"code": "10005", "title": "Not found", "detail": "never existed"}]}'

    with serve(respond) as base, TelnyxOAuth(api_key="KEY" + "x" * 55, base_url=base) as oauth, \
            pytest.raises(NotFoundError):
        oauth.delete_client("c0ffee00-0000-4000-8000-000000000000")


FORMULA_NAMES = ["=HYPERLINK(\"https://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)",
                 "\t=1", "\r=1"]


def test_csv_exports_never_run_a_client_name_as_a_formula(make_sandbox, tmp_path):
    """CSV injection: a third party names its app '=HYPERLINK(…)'; the admin opens the audit in a spreadsheet."""
    from telnyx_nb.audit import audit
    from telnyx_nb.audit.report import write_report

    sb = make_sandbox(seed="empty")
    with TelnyxOAuth.from_sandbox(sb) as oauth:
        for name in FORMULA_NAMES:
            oauth.create_client(name, "confidential", ["client_credentials"], ["admin"])
        result = audit(oauth)
    written = write_report(result, tmp_path / "findings.csv")
    cells = [cell for path in written for row in csv.reader(path.read_text().splitlines()) for cell in row]
    assert cells
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    clients = list(csv.DictReader((tmp_path / "findings-clients.csv").read_text().splitlines()))
    assert sorted(c["name"] for c in clients) == sorted("'" + n.strip() for n in FORMULA_NAMES)  # names are trimmed


def test_spreadsheet_cells_starting_with_tab_or_cr_are_neutralised_too():
    """The server trims names, so tab/CR-led cells come from other fields (a URI, a detail): same rule."""
    import pandas as pd

    from telnyx_nb.audit.sanitize import spreadsheet_safe

    frame = pd.DataFrame({"x": pd.Series(["\t=1", "\r=1", "ok", None], dtype="string"), "n": [-1, 2, 3, 4]})
    safe = spreadsheet_safe(frame)
    assert list(safe["x"].fillna("")) == ["'\t=1", "'\\r=1", "ok", ""]  # a CR is also shown as a visible \\r
    assert list(safe["n"]) == [-1, 2, 3, 4]  # numbers stay numbers


def test_audit_terminal_output_strips_escape_sequences_from_client_names(make_sandbox):
    """A client named with ANSI/OSC escapes could clear the screen, retitle it or plant a hyperlink."""
    sb = make_sandbox(seed="empty")
    evil = "\x1b]0;pwned\x07Evil\x1b[2J\x1b[31mApp\x1b]8;;https://evil.example\x07link\x1b]8;;\x07\x07"
    with TelnyxOAuth.from_sandbox(sb) as oauth:
        oauth.create_client(evil, "confidential", ["client_credentials"], ["admin"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env["TELNYX_NB_SANDBOX"] = sb.json_line()
    done = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "audit"], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "EvilApplink" in done.stdout
    assert not any(ch in done.stdout for ch in ("\x1b", "\x07", "\x9b", "\x9d"))


def test_the_token_panel_says_before_the_click_that_an_empty_selection_brings_admin(sandbox):
    """RFC 6749 §3.3: no scope → every allowed scope; the user must not learn it only from the token."""
    from telnyx_nb.widgets import TokenPanel
    from telnyx_nb.widgets.base import visible_text

    with TelnyxOAuth.from_sandbox(sandbox) as oauth:
        allowed = oauth.get_client(sandbox.demo_client_id).allowed_scopes
        panel = TokenPanel(oauth)
        try:
            text = panel.default_scopes_text()
            assert "admin" in allowed and "⚠ admin gives full administrative access" in text
            assert all(s in text for s in allowed)
            assert "⚠ admin gives full administrative access" in visible_text(panel)
            panel.scopes.value = ("admin",)
            assert panel.default_scopes_text() == "Asking for: admin."
            panel.scopes.value = ()
            panel.grant_type.value = "refresh_token"
            assert "originally granted" in panel.default_scopes_text()
            panel.grant_type.value = "client_credentials"
            token = panel.issue()  # what it said is what it gets
            assert set(token.scope.split()) == set(allowed)
        finally:
            panel.close()



def test_a_lost_delete_whose_retry_gets_a_proxys_plain_404_is_still_done(caplog):
    """The retry's 404 after a lost answer means "already gone" whatever its body: a proxy's plain-text page is not
    read as the API's JSON (which would be an APIError)."""
    calls = []

    def respond(method, path, headers):
        calls.append(path)
        if len(calls) == 1:
            time.sleep(1.5)  # the answer is lost
            return 204, {}, b""
        return 404, {"content-type": "text/plain"}, b"Not Found"

    client_id = "c0ffee00-0000-4000-8000-000000000000"
    with serve(respond) as base, TelnyxOAuth(api_key="KEY" + "x" * 55, base_url=base, timeout=0.5) as oauth, \
            caplog.at_level("INFO", logger="telnyx_nb.api"):
        assert oauth.delete_client(client_id) is None
    said = [r.getMessage() for r in caplog.records if "first attempt" in r.getMessage()]
    assert said == [f"DELETE {base}/oauth_clients/{client_id}: 404 on a retry after a lost answer; the first attempt "
                    "deleted it"]

"""The sandbox as a web server under attack: clickjacking and script injection on the consent page, cross-site
decision posts, DNS rebinding, slow clients, secrets on disk and on the command line."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests
from oauth_helpers import TIMEOUT, authorize, consent_page, create_client, url

REDIRECT = "http://127.0.0.1:8888/callback"


@pytest.fixture
def sb(make_sandbox):
    return make_sandbox()


def _page(sb, **client_fields):
    client = create_client(sb, redirect_uris=[REDIRECT], **client_fields)
    response, _ = authorize(sb, client, redirect_uri=REDIRECT)
    return consent_page(response)


def _csp(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in policy.split(";") if d.strip()}


def _assert_hardened_html(response):
    csp = _csp(response)
    assert csp["default-src"] == "'none'"
    assert "script-src" not in csp  # falls back to default-src 'none': no script runs, inline or not
    assert csp["frame-ancestors"] == "'none'"
    assert all(s.startswith("'sha256-") for s in csp["style-src"].split())
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_consent_page_cannot_be_framed_or_run_script(sb):
    """Clickjacking (framing the Allow button) and injected script are both refused by the browser."""
    page = _page(sb, logo_uri="https://example.test/logo.png")
    _assert_hardened_html(page.response)
    assert "<script" not in page.html and " on" + "error=" not in page.html and "style=\"" not in page.html
    # the page's one style block is what its hash allows
    import base64
    import hashlib
    import re

    block = re.search(r"<style>(.*?)</style>", page.html, re.DOTALL).group(1).encode()
    digest = base64.b64encode(hashlib.sha256(block).digest()).decode()
    assert f"'sha256-{digest}'" in _csp(page.response)["style-src"]
    # after the post, the 303 may go to the client's redirect URI only
    assert _csp(page.response)["form-action"] == "'self' http://127.0.0.1:8888"


def test_consent_error_pages_are_hardened_too(sb):
    response = requests.get(url(sb, "/oauth/consent"), params={"consent_token": "nope"}, timeout=TIMEOUT)
    assert response.status_code == 422
    _assert_hardened_html(response)
    bad = requests.get(url(sb, "/oauth/authorize"), params={"client_id": "nope", "response_type": "code"},
                       timeout=TIMEOUT)
    assert bad.status_code == 404 and bad.headers["Content-Type"].startswith("text/html")  # Client not found
    _assert_hardened_html(bad)


def test_json_answers_are_not_sniffed(sb):
    response = requests.get(sb.root_url + "/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("headers", [{"Origin": "https://evil.example"}, {"Origin": "null"},
                                     {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
                                     {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"},
                                     {"Referer": "https://evil.example/page"}])
def test_a_decision_posted_from_another_site_is_refused(sb, headers):
    """Cross-site request forgery: a foreign page auto-submitting Allow in the user's browser."""
    page = _page(sb)
    form = page.forms[0]
    data = {**form["fields"], "decision": "allow"}
    forged = requests.post(page.url, data=data, headers=headers, allow_redirects=False, timeout=TIMEOUT)
    assert forged.status_code == 403 and "Location" not in forged.headers
    # the consent was not used up: the user can still decide on the real page
    own = urlsplit(page.url)
    honest = requests.post(page.url, data=data, headers={"Origin": f"{own.scheme}://{own.netloc}"},
                           allow_redirects=False, timeout=TIMEOUT)
    assert honest.status_code == 303 and "code=" in honest.headers["Location"]


def test_a_null_origin_from_the_consent_page_itself_passes_on_fetch_metadata(sb):
    """Under Referrer-Policy: no-referrer a browser posts the page's own form with Origin: null; only the
    browser-set Sec-Fetch-Site says it is the same origin (a sandboxed attacker frame says cross-site)."""
    page = _page(sb)
    data = {**page.forms[0]["fields"], "decision": "allow"}
    response = requests.post(page.url, data=data, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
                             allow_redirects=False, timeout=TIMEOUT)
    assert response.status_code == 303 and "code=" in response.headers["Location"]


def test_a_decision_posted_from_the_consent_page_itself_passes(sb):
    page = _page(sb)
    response = page.decide(True)  # no Origin (a non-browser client): nothing to compare
    assert response.status_code == 303


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8765", "127.0.0.1.nip.io", "",
                                  "localhost.attacker.example"])
def test_a_foreign_host_header_gets_421_and_nothing_else(sb, host):
    """DNS rebinding: a page whose name now resolves to 127.0.0.1 still says its own name in Host."""
    for method, path in (("GET", "/oauth_clients"), ("GET", "/.well-known/oauth-authorization-server"),
                         ("POST", "/oauth/register")):
        target = url(sb, path) if path.startswith("/oauth") else sb.root_url + path
        response = requests.request(method, target, headers={"Host": host, "Authorization": f"Bearer {sb.api_key}"},
                                    json={"client_name": "x"}, timeout=TIMEOUT)
        assert response.status_code == 421, (host, path, response.text)
        assert sb.api_key not in response.text and "client_id" not in response.text


@pytest.mark.parametrize("host", ["localhost", "localhost:1234", "127.0.0.1", "[::1]:8765"])
def test_loopback_host_names_are_served(sb, host):
    response = requests.get(sb.root_url + "/.well-known/oauth-authorization-server", headers={"Host": host},
                            timeout=TIMEOUT)
    assert response.status_code == 200


def test_a_public_url_host_is_served_behind_a_proxy(make_sandbox):
    """Binder's jupyter-server-proxy forwards the browser's Host: --public-url names it."""
    sb = make_sandbox(public_urls=("https://hub.example.org/user/me/proxy/8765/",))
    served = requests.get(sb.root_url + "/.well-known/oauth-authorization-server",
                          headers={"Host": "hub.example.org"}, timeout=TIMEOUT)
    assert served.status_code == 200
    assert requests.get(sb.root_url + "/", headers={"Host": "other.example.org"},
                        timeout=TIMEOUT).status_code == 421


def test_slow_clients_trickling_headers_do_not_lock_out_a_normal_client(sb):
    """Slowloris: 200 connections each sending a byte of request head now and then; a normal request still gets
    its answer (the request's own timeout is the bound: a few seconds)."""
    port = urlsplit(sb.root_url).port
    slow = []
    try:
        for _ in range(200):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /v2/oauth/jwks HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            slow.append(sock)
        for round_ in range(3):
            for sock in slow:
                sock.sendall(b"X-Trickle-%d: a\r\n" % round_)
            response = requests.get(sb.root_url + "/.well-known/oauth-authorization-server", timeout=5)
            assert response.status_code == 200
            time.sleep(0.5)
    finally:
        for sock in slow:
            sock.close()


def test_the_database_file_is_private(tmp_path, make_sandbox):
    """The file holds the API key and the signing key: no other local user may read it."""
    path = tmp_path / "new-dir" / "sandbox.sqlite3"
    make_sandbox(db=str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for extra in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if extra.exists():
            assert stat.S_IMODE(extra.stat().st_mode) & 0o077 == 0


def test_an_existing_database_file_is_narrowed_to_0600(tmp_path, make_sandbox):
    path = tmp_path / "sandbox.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    make_sandbox(db=str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def _cli(args, env_extra, timeout=60):
    """Start `telnyx-nb sandbox --json`, read its line (and stderr so far), stop it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update(env_extra)
    process = subprocess.Popen([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0",
                                "--db", ":memory:", "--seed", "empty", *args], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=timeout)
    return json.loads(line), stderr


def test_the_api_key_can_come_from_the_environment_instead_of_the_command_line():
    """A key on the command line is readable by every local user (ps); the variable is not."""
    key = "KEY" + "e" * 40
    printed, _ = _cli([], {"TELNYX_NB_SANDBOX_API_KEY": key})
    assert printed["api_key"] == key


def test_binding_beyond_loopback_warns_that_http_and_the_key_are_exposed():
    printed, stderr = _cli(["--host", "0.0.0.0"], {})
    assert printed["base_url"].startswith("http://127.0.0.1:")
    assert "WARNING" in stderr and "plain" in stderr and "API key" in stderr
    _, quiet = _cli([], {})
    assert "WARNING" not in quiet

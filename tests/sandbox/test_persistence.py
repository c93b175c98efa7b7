"""A file database survives restarts, seeding is idempotent, and the ``telnyx-nb sandbox`` command behaves as a
long-running service: one JSON line on stdout with ``--json``, and a clean exit 0 on SIGTERM and SIGINT.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from oauth_helpers import (
    TIMEOUT,
    all_pages,
    api,
    create_client,
    demo_client,
    introspect,
    obtain_code,
    readline_within,
    redeem,
    refresh,
    token,
    url,
    wait_for,
)

CLI = Path(sys.executable).with_name("telnyx-nb")


def _sandbox(**kwargs):
    from telnyx_nb.sandbox.web.server import Sandbox

    return Sandbox(**kwargs)


def everything(sb) -> tuple[list, list]:
    return all_pages(sb, "/oauth_clients"), all_pages(sb, "/oauth_grants")


def test_restart_on_a_file_database_keeps_everything(tmp_path):
    db = str(tmp_path / "sandbox.db")
    with _sandbox(seed="demo", db=db) as first:
        client = create_client(first, name="Survivor")
        code, verifier = obtain_code(first, client, scope="admin")
        issued = redeem(first, client, code, verifier).json()
        machine = token(first, demo_client(first), grant_type="client_credentials").json()["access_token"]
        clients, grants = everything(first)
        credentials = (first.api_key, first.demo_client_id, first.demo_client_secret)
        jwks = requests.get(url(first, "/oauth/jwks"), timeout=TIMEOUT).json()
    assert any(c["name"] == "Survivor" for c in clients)
    assert any(g["client_id"] == client["client_id"] for g in grants)

    with _sandbox(seed="demo", db=db) as second:
        assert (second.api_key, second.demo_client_id, second.demo_client_secret) == credentials
        assert everything(second) == (clients, grants)
        # the old credentials still work, and so do the tokens and the signing key
        assert requests.get(url(second, "/oauth/jwks"), timeout=TIMEOUT).json() == jwks
        assert introspect(second, issued["access_token"])["active"] is True
        assert introspect(second, machine)["active"] is True
        assert token(second, demo_client(second), grant_type="client_credentials").status_code == 200
        assert token(second, client, grant_type="client_credentials").status_code == 200
        assert refresh(second, client, issued["refresh_token"]).status_code == 200


def test_restart_keeps_deletions_and_revocations(tmp_path):
    db = str(tmp_path / "sandbox.db")
    with _sandbox(seed="demo", db=db) as first:
        doomed = create_client(first)
        grant_id = all_pages(first, "/oauth_grants")[0]["id"]
        assert api(first).delete(url(first, f"/oauth_clients/{doomed['client_id']}"), timeout=TIMEOUT).status_code == 204
        assert api(first).delete(url(first, f"/oauth_grants/{grant_id}"), timeout=TIMEOUT).status_code == 200
        after = everything(first)
    with _sandbox(seed="demo", db=db) as second:
        assert everything(second) == after
        assert api(second).get(url(second, f"/oauth_clients/{doomed['client_id']}"), timeout=TIMEOUT).status_code == 404


def test_client_secrets_are_stored_only_as_hashes(tmp_path):
    """Whoever reads the database file (or its WAL) finds no client secret of a created client."""
    db = tmp_path / "sandbox.db"
    with _sandbox(seed="empty", db=str(db)) as sb:
        secret = create_client(sb)["client_secret"]
        registered = requests.post(url(sb, "/oauth/register"), json={"token_endpoint_auth_method": "client_secret_basic"},
                                   timeout=TIMEOUT).json()["client_secret"]
        on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("sandbox.db"))
        assert secret.encode() not in on_disk and registered.encode() not in on_disk
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("sandbox.db"))
    assert secret.encode() not in on_disk and registered.encode() not in on_disk


def test_seeding_twice_adds_nothing(tmp_path):
    db = str(tmp_path / "sandbox.db")
    with _sandbox(seed="demo", db=db) as first:
        once = everything(first)
    with _sandbox(seed="demo", db=db) as second:
        twice = everything(second)
    assert len(twice[0]) == len(once[0]) and len(twice[1]) == len(once[1])
    assert twice == once


def test_an_explicit_api_key_wins(tmp_path):
    key = "KEY" + "a" * 32
    with _sandbox(seed="empty", db=str(tmp_path / "sandbox.db"), api_key=key) as sb:
        assert sb.api_key == key
        assert api(sb).get(url(sb, "/oauth_clients"), timeout=TIMEOUT).status_code == 200
        assert requests.get(url(sb, "/oauth_clients"), headers={"Authorization": "Bearer KEY" + "b" * 32},
                            timeout=TIMEOUT).status_code == 401
    with _sandbox(seed="empty", db=str(tmp_path / "sandbox.db")) as again:
        assert again.api_key == key, "the key given once is the database's key from then on"


def test_synthetic_seed_builds_exactly_n_grants():
    with _sandbox(seed="grants=300") as sb:
        grants = all_pages(sb, "/oauth_grants")
        assert len(grants) == 300
        known = {c["client_id"] for c in all_pages(sb, "/oauth_clients")}
        assert {g["client_id"] for g in grants} <= known


@pytest.mark.parametrize("seed", ["demo2", "grants=", "grants=-1", "everything"])
def test_an_unknown_seed_is_refused_with_the_choices(seed):
    with pytest.raises(ValueError, match="demo"):
        _sandbox(seed=seed).start()


def test_memory_databases_are_independent():
    with _sandbox(seed="empty") as a, _sandbox(seed="empty") as b:
        create_client(a, name="Only In A")
        assert not any(c["name"] == "Only In A" for c in all_pages(b, "/oauth_clients"))


# --- the command ----------------------------------------------------------------------------------------------

def start_cli(tmp_path, *extra) -> tuple[subprocess.Popen, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    process = subprocess.Popen(
        [str(CLI), "sandbox", "--json", "--port", "0", "--db", str(tmp_path / "cli.db"), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = readline_within(process.stdout, 60, what="JSON line from telnyx-nb sandbox --json")
    except AssertionError:
        line = ""
    if not line:
        process.kill()
        raise AssertionError(f"no JSON line; stderr: {process.stderr.read()[-2000:]}")
    return process, json.loads(line)


def stop(process: subprocess.Popen, how: int) -> tuple[int, str, str]:
    process.send_signal(how)
    try:
        out, err = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        raise AssertionError(f"did not exit on {signal.Signals(how).name}; stderr: {err[-2000:]}") from None
    return process.returncode, out, err


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_cli_prints_one_json_line_and_exits_0_on_signal(tmp_path, how):
    process, info = start_cli(tmp_path, "--seed", "demo")
    try:
        assert set(info) >= {"base_url", "api_key", "demo_client_id", "demo_client_secret"}
        assert info["base_url"].startswith("http://127.0.0.1:") and info["base_url"].endswith("/v2")
        assert re.fullmatch(r"KEY[0-9A-Za-z_-]{55}", info["api_key"])  # Telnyx's key shape
        listed = requests.get(info["base_url"] + "/oauth_clients",
                              headers={"Authorization": f"Bearer {info['api_key']}"}, timeout=TIMEOUT)
        assert listed.status_code == 200 and listed.json()["meta"]["total_results"] >= 10
        issued = requests.post(info["base_url"] + "/oauth/token", data={"grant_type": "client_credentials"},
                               auth=(info["demo_client_id"], info["demo_client_secret"]), timeout=TIMEOUT)
        assert issued.status_code == 200
    finally:
        code, rest, err = stop(process, how)
    assert code == 0, err[-2000:]
    assert rest.strip() == "", "--json prints exactly one line on stdout"
    assert info["demo_client_secret"] not in err and info["api_key"] not in err, "secrets stay out of the log"


def test_cli_restart_on_the_same_file_keeps_credentials_and_data(tmp_path):
    process, info = start_cli(tmp_path, "--seed", "demo")
    try:
        created = requests.post(info["base_url"] + "/oauth_clients", headers={"Authorization": f"Bearer {info['api_key']}"},
                                json={"name": "Made Via CLI", "client_type": "public",
                                      "allowed_grant_types": ["authorization_code"], "allowed_scopes": ["admin"],
                                      "redirect_uris": ["http://127.0.0.1:9/cb"]}, timeout=TIMEOUT)
        assert created.status_code in (200, 201)
    finally:
        assert stop(process, signal.SIGTERM)[0] == 0
    process, again = start_cli(tmp_path, "--seed", "demo")
    try:
        assert {k: again[k] for k in ("api_key", "demo_client_id", "demo_client_secret")} == \
            {k: info[k] for k in ("api_key", "demo_client_id", "demo_client_secret")}
        found = requests.get(again["base_url"] + "/oauth_clients", params={"filter[name]": "Made Via CLI"},
                             headers={"Authorization": f"Bearer {again['api_key']}"}, timeout=TIMEOUT).json()
        assert found["meta"]["total_results"] == 1
    finally:
        assert stop(process, signal.SIGTERM)[0] == 0


def test_cli_without_json_says_where_and_with_what(tmp_path):
    """The human form: the URL and the credentials to use (the demo credential is meant to be printed)."""
    import queue
    import threading

    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    process = subprocess.Popen([str(CLI), "sandbox", "--port", "0", "--db", str(tmp_path / "human.db")],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    shown = ""
    try:
        while "KEY" not in shown or "http://127.0.0.1:" not in shown:
            try:
                shown += lines.get(timeout=20)
            except queue.Empty:
                raise AssertionError(f"nothing more printed; so far: {shown!r}") from None
        base_url = next(word for word in shown.split() if word.startswith("http://127.0.0.1:") and
                        word.rstrip("/").endswith("/v2"))
        api_key = next(word.strip("'\",") for word in shown.split() if word.strip("'\",").startswith("KEY"))
        listed = requests.get(base_url.rstrip("/") + "/oauth_clients",
                              headers={"Authorization": f"Bearer {api_key}"}, timeout=TIMEOUT)
        assert listed.status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        try:
            code = process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0


def test_cli_finishes_an_in_flight_request_before_exiting(tmp_path):
    """SIGTERM while a (fault-delayed) request is being served: the request still gets its answer, then exit 0."""
    import threading

    process, info = start_cli(tmp_path, "--seed", "demo")
    headers = {"Authorization": f"Bearer {info['api_key']}"}
    root = info["base_url"].rsplit("/v2", 1)[0]
    try:
        armed = requests.post(root + "/_sandbox/faults", headers=headers, timeout=TIMEOUT,
                              json={"path": "/v2/oauth_clients", "method": "GET", "count": 1, "delay": 1.5})
        assert armed.status_code in (200, 201), armed.text
        answer = {}
        slow = threading.Thread(target=lambda: answer.update(response=requests.get(
            info["base_url"] + "/oauth_clients", headers=headers, timeout=TIMEOUT)))
        slow.start()
        # the fault is consumed when the request arrives, before its delay: an empty fault list means the
        # request is now inside its delay
        wait_for(lambda: requests.get(root + "/_sandbox/faults", headers=headers, timeout=TIMEOUT).json()["data"] == [],
                 what="the slow request to reach the sandbox")
    finally:
        code, _, err = stop(process, signal.SIGTERM)
    slow.join(timeout=TIMEOUT)
    assert code == 0, err[-2000:]
    assert answer["response"].status_code == 200
    assert answer["response"].json()["data"]
    assert answer["response"].elapsed.total_seconds() >= 1.0, "the fault delay applied, so SIGTERM came mid-request"

"""A bounded load run against a served sandbox (loopback only): mixed flows, reuse detection on, nothing lost.

16 worker threads (``--workers``) for 40 s (``--seconds``) against ``telnyx-nb sandbox`` in a subprocess, each
worker with its own keep-alive session, looping over:

- **client**: a client_credentials token, introspected with the API key;
- **user**: the authorization-code flow with PKCE (authorize → consent decision → code exchange), then a chain of
  three refreshes, each rotating the refresh token; the last pair must be active;
- **race**: two threads refresh the same refresh token at once: exactly one may win, the loser gets
  ``invalid_grant``, and, the sandbox's reuse detection being strict by default (RFC 9700 §4.14.2: two parties
  presented one refresh token), the family ends: the winner's new tokens must be inactive too;
- **manage**: create a client, read it back, list a page, delete it (404 afterwards).

Reported: requests, rate, statuses, every 5xx, and *lost* work — anything that should have succeeded and did
not (a refresh of the current token refused, a race that left the family alive, a created client not found, two
race winners). The run passes with 0 5xx and 0 lost.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/load.py [--workers 16] [--seconds 40]
"""

from __future__ import annotations

import argparse
import base64
import collections
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import requests

REDIRECT = "http://127.0.0.1:8888/callback"


def start_sandbox() -> tuple[subprocess.Popen, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    command = [sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db", ":memory:",
               "--seed", "demo", "--host", "127.0.0.1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise SystemExit("the sandbox did not start (no --json line)")
    info = json.loads(line)
    if urlsplit(info["base_url"]).hostname != "127.0.0.1":
        raise SystemExit("refusing to load anything but loopback")
    return process, info


class Run:
    def __init__(self, info: dict, deadline: float):
        self.base = info["base_url"]
        self.key = info["api_key"]
        self.client = (info["demo_client_id"], info["demo_client_secret"])
        self.deadline = deadline
        self.lock = threading.Lock()
        self.statuses: collections.Counter = collections.Counter()
        self.flows: collections.Counter = collections.Counter()
        self.lost: list[str] = []
        self.server_errors: list[str] = []
        self.transport_errors: list[str] = []

    # -- bookkeeping ---------------------------------------------------------------------------------------------
    def send(self, session: requests.Session, method: str, path: str, **kwargs) -> requests.Response | None:
        try:
            response = session.request(method, self.base + path, timeout=30, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            with self.lock:
                self.transport_errors.append(f"{method} {path}: {type(exc).__name__}")
            return None
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.server_errors.append(f"{method} {path}: {response.status_code} {response.text[:120]}")
        return response

    def lose(self, what: str) -> None:
        with self.lock:
            self.lost.append(what)

    def active(self, session, token: str) -> bool:
        response = self.send(session, "POST", "/oauth/introspect", data={"token": token},
                             headers={"Authorization": f"Bearer {self.key}"})
        return response is not None and response.status_code == 200 and response.json().get("active") is True

    def token(self, session, **form) -> requests.Response | None:
        return self.send(session, "POST", "/oauth/token", data=form, auth=self.client)

    # -- flows -----------------------------------------------------------------------------------------------
    def flow_client(self, session) -> None:
        response = self.token(session, grant_type="client_credentials", scope="admin")
        if response is None or response.status_code != 200:
            return self.lose("client_credentials token refused")
        if not self.active(session, response.json()["access_token"]):
            self.lose("fresh client_credentials token inactive")

    def user_pair(self, session) -> dict | None:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        params = {"response_type": "code", "client_id": self.client[0], "redirect_uri": REDIRECT,
                  "scope": "admin", "state": secrets.token_urlsafe(8), "code_challenge": challenge,
                  "code_challenge_method": "S256"}
        response = self.send(session, "GET", "/oauth/authorize", params=params)
        if response is None or response.status_code != 302:
            return self.lose("authorize did not redirect to consent")
        consent = parse_qs(urlsplit(response.headers["Location"]).query)["consent_token"][0]
        decided = self.send(session, "POST", "/oauth/grants", json={"consent_token": consent, "allowed": True},
                            headers={"Authorization": f"Bearer {self.key}"})
        if decided is None or decided.status_code != 200:
            return self.lose("consent decision refused")
        query = parse_qs(urlsplit(decided.json()["redirect_uri"]).query)
        if query.get("iss") is None:
            self.lose("authorization response without iss")
        pair = self.token(session, grant_type="authorization_code", code=query["code"][0], redirect_uri=REDIRECT,
                          code_verifier=verifier)
        if pair is None or pair.status_code != 200:
            return self.lose("code exchange refused")
        return pair.json()

    def flow_user(self, session) -> None:
        pair = self.user_pair(session)
        if pair is None:
            return
        for _ in range(3):
            refreshed = self.token(session, grant_type="refresh_token", refresh_token=pair["refresh_token"])
            if refreshed is None or refreshed.status_code != 200:
                return self.lose("refresh of the current refresh token refused")
            pair = refreshed.json()
        if not (self.active(session, pair["access_token"]) and self.active(session, pair["refresh_token"])):
            self.lose("the last pair of a refresh chain is inactive")

    def flow_race(self, session) -> None:
        pair = self.user_pair(session)
        if pair is None:
            return
        answers: list = []
        barrier = threading.Barrier(2)

        def racer():
            own = requests.Session()
            barrier.wait()
            answers.append(self.send(own, "POST", "/oauth/token", auth=self.client,
                                     data={"grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}))
            own.close()

        threads = [threading.Thread(target=racer) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        winners = [a.json() for a in answers if a is not None and a.status_code == 200]
        losers = [a for a in answers if a is not None and a.status_code == 400]
        if len(winners) != 1 or len(losers) != 1:
            return self.lose(f"race: {len(winners)} winners, {len(losers)} invalid_grant")
        if self.active(session, winners[0]["access_token"]) or self.active(session, winners[0]["refresh_token"]):
            self.lose("race: the family outlived a refresh token presented twice (reuse not detected)")

    def flow_manage(self, session) -> None:
        auth = {"Authorization": f"Bearer {self.key}"}
        body = {"name": f"load {secrets.token_hex(4)}", "client_type": "confidential",
                "allowed_grant_types": ["client_credentials"], "allowed_scopes": ["admin"]}
        created = self.send(session, "POST", "/oauth_clients", json=body, headers=auth)
        if created is None or created.status_code != 201:
            return self.lose("client creation refused")
        client_id = created.json()["data"]["client_id"]
        got = self.send(session, "GET", f"/oauth_clients/{client_id}", headers=auth)
        if got is None or got.status_code != 200:
            self.lose("created client not found")
        self.send(session, "GET", "/oauth_clients", params={"page[size]": 20}, headers=auth)
        deleted = self.send(session, "DELETE", f"/oauth_clients/{client_id}", headers=auth)
        if deleted is None or deleted.status_code != 204:
            self.lose("client deletion refused")
        gone = self.send(session, "GET", f"/oauth_clients/{client_id}", headers=auth)
        if gone is None or gone.status_code != 404:
            self.lose("deleted client still there")

    def worker(self, index: int) -> None:
        flows = [("client", self.flow_client), ("user", self.flow_user), ("race", self.flow_race),
                 ("manage", self.flow_manage)]
        session = requests.Session()
        turn = index
        while time.monotonic() < self.deadline:
            name, flow = flows[turn % len(flows)]
            flow(session)
            with self.lock:
                self.flows[name] += 1
            turn += 1
        session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=40.0)
    args = parser.parse_args()
    if not 1 <= args.workers <= 64 or not 1 <= args.seconds <= 300:
        raise SystemExit("keep it bounded: 1-64 workers, 1-300 seconds")
    process, info = start_sandbox()
    try:
        started = time.monotonic()
        run = Run(info, started + args.seconds)
        threads = [threading.Thread(target=run.worker, args=(i,)) for i in range(args.workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    total = sum(run.statuses.values())
    print(f"{args.workers} workers, {elapsed:.1f} s: {total} requests ({total / elapsed:.0f}/s)")
    print("flows:", dict(run.flows))
    print("statuses:", dict(sorted(run.statuses.items())))
    print(f"5xx: {len(run.server_errors)}  transport errors: {len(run.transport_errors)}  lost: {len(run.lost)}")
    for line in (run.server_errors + run.transport_errors + run.lost)[:20]:
        print("  ", line)
    return 0 if not (run.server_errors or run.transport_errors or run.lost) else 1


if __name__ == "__main__":
    sys.exit(main())

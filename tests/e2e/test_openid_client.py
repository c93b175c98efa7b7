"""panva's openid-client (Node, pinned in tests/e2e/openid_client/package-lock.json) against the sandbox's token
endpoint: it gets a token with the right client secret, and with a wrong one it reads the 401 ``invalid_client``
answer's ``WWW-Authenticate: Basic realm=…`` challenge as a challenge (RFC 6749 §5.2, RFC 7617 §2) — the library
refuses a header it cannot parse. Skipped only where Node is absent; ``npm ci`` installs the pinned packages into
a temporary directory (npm's cache makes later runs quick)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).parent / "openid_client"
pytestmark = pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                                reason="Node.js (node and npm) is not installed")


@pytest.fixture(scope="module")
def openid_client(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("openid-client")
    for name in ("package.json", "package-lock.json", "check.mjs"):
        shutil.copy(HERE / name, where / name)
    installed = subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=where,
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr[-2000:]
    return where


def test_openid_client_gets_a_token_and_reads_the_invalid_client_challenge(openid_client, make_sandbox):
    sb = make_sandbox()
    server = requests.get(sb.root_url + "/.well-known/oauth-authorization-server", timeout=10).json()
    arguments = json.dumps({"server": server, "client_id": sb.demo_client_id,
                            "client_secret": sb.demo_client_secret})
    run = subprocess.run(["node", "check.mjs", arguments], cwd=openid_client, capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr[-2000:]
    answers = json.loads(run.stdout.strip().splitlines()[-1])
    assert answers["right"] == {"ok": True, "token_type": "bearer", "has_access_token": True}, answers
    wrong = answers["wrong"]
    assert wrong["code"] == "OAUTH_WWW_AUTHENTICATE_CHALLENGE" and wrong["status"] == 401, wrong
    [challenge] = wrong["challenges"]
    assert challenge["scheme"] == "basic" and challenge["parameters"]["realm"] == "telnyx-sandbox", challenge

"""The official Telnyx Node SDK (npm ``telnyx`` 7.24.0, pinned in node_sdk/package-lock.json) against the sandbox.

One demo sandbox on 127.0.0.1, one ``node node_sdk/steps.mjs`` process: the script walks every OAuth method the SDK
has (metadata, clients, grants, token with client_credentials and authorization_code + PKCE, introspect, JWKS,
register, consent and the grant decision, the 422 for an unknown consent token) and prints one JSON line of facts
per step; the assertions are here. The SDK's own method list comes first, so a method this suite does not
exercise fails instead of passing unnoticed.

The package is installed with ``npm ci`` into node_sdk/node_modules (git-ignored, npm cache under tests/artifacts)
when missing. Without node or npm the test skips, unless ``TELNYX_NB_REQUIRE_BROWSER=1`` (set by .ci/run): there
a missing toolchain is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from oauth_helpers import REDIRECT_URI

NODE_DIR = Path(__file__).resolve().parent / "node_sdk"
NPM_CACHE = NODE_DIR.parents[1] / "artifacts" / "npm-cache"  # tests/artifacts, git-ignored
SDK_VERSION = "7.24.0"
RUN_LIMIT = 120  # seconds for the whole node run; it takes about three


def _require_node() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return node, npm
    message = ("node and npm not found: install Debian's with `apt-get install nodejs npm` "
               "to run the official Node SDK against the sandbox")
    if os.environ.get("TELNYX_NB_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _installed_version() -> str | None:
    manifest = NODE_DIR / "node_modules" / "telnyx" / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.exists() else None


def _install(npm: str) -> None:
    """``npm ci``: exactly the lock file's telnyx, or a failure that says why (never a silent skip)."""
    if _installed_version() == SDK_VERSION:
        return
    done = subprocess.run([npm, "ci", "--prefix", str(NODE_DIR), "--cache", str(NPM_CACHE), "--no-audit",
                           "--no-fund"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"npm ci failed ({done.returncode}):\n{done.stderr[-3000:]}"
    assert _installed_version() == SDK_VERSION


@pytest.fixture(scope="module")
def steps() -> dict[str, dict]:
    """Every step's record, by step name, from one node run against one fresh demo sandbox."""
    node, npm = _require_node()
    _install(npm)
    from telnyx_nb.sandbox.web.server import Sandbox

    with Sandbox(seed="demo", db=":memory:") as sb:
        env = dict(os.environ, TELNYX_BASE_URL=sb.base_url, TELNYX_API_KEY=sb.api_key)
        done = subprocess.run([node, str(NODE_DIR / "steps.mjs")], cwd=NODE_DIR, env=env, capture_output=True,
                              text=True, timeout=RUN_LIMIT)
        base_url = sb.base_url
    assert done.returncode == 0, f"node exited with {done.returncode}:\n{done.stderr[-3000:]}"
    records = {}
    for line in done.stdout.splitlines():
        record = json.loads(line)
        records[record["step"]] = record
    records["_base_url"] = {"facts": {"base_url": base_url}}
    return records


def facts(steps: dict, name: str) -> dict:
    record = steps.get(name)
    assert record is not None, f"step {name} did not run (node stopped early?)"
    assert "error" not in record, f"step {name} raised in the SDK: {record['error']}"
    return record["facts"]


def test_the_pinned_sdk_ran(steps):
    assert _installed_version() == SDK_VERSION


def test_every_sdk_method_is_exercised(steps):
    methods = facts(steps, "sdk_methods")["methods"]
    assert len(methods) >= 17, methods
    exercised = {record["method"] for record in steps.values() if record.get("method")}
    assert not set(methods) - exercised, f"SDK methods not exercised: {sorted(set(methods) - exercised)}"


def test_well_known_metadata(steps):
    base_url = steps["_base_url"]["facts"]["base_url"]
    server = facts(steps, "well_known.authorization_server")
    assert server["token_endpoint"] == base_url + "/oauth/token"
    assert "S256" in server["code_challenge_methods_supported"]
    assert server["scopes_supported"] == ["admin"]  # Telnyx's one published scope
    resource = facts(steps, "well_known.protected_resource")
    assert resource["resource"] and resource["authorization_servers"]


def test_clients_create_list_retrieve_update_delete(steps):
    created = facts(steps, "clients.create")
    assert created["client_type"] == "confidential" and created["has_secret"] and created["require_pkce"] is True
    assert created["allowed_scopes"] == ["admin"]
    assert created["public_client_type"] == "public" and not created["public_has_secret"]
    listed = facts(steps, "clients.list")
    assert listed["first_page_len"] == 5 and listed["page_number"] == 1
    assert listed["iterated"] == listed["unique"] == listed["total_results"]  # auto-pagination, no repeats
    assert listed["filtered_ids_match"] and listed["second_page_number"] == 2
    assert facts(steps, "clients.retrieve") == {"id_matches": True, "secret_is_null": True}
    assert facts(steps, "clients.update") == {"name": "node sdk renamed", "allowed_scopes": ["admin"]}
    deleted = facts(steps, "clients.delete")
    assert deleted["status"] == 204 and deleted["body_empty"]
    assert deleted["retrieve_after"]["is_not_found"] and deleted["retrieve_after"]["status"] == 404


def test_client_credentials_token_and_introspection(steps):
    issued = facts(steps, "token.client_credentials")
    assert issued == {"token_type": "Bearer", "scope": "admin", "expires_in_is_int": True, "has_access_token": True}
    info = facts(steps, "introspect")
    assert info["active"] is True and info["client_id_matches"] and info["scope"] == "admin"
    assert info["exp_is_int"] and info["iat_is_int"] and info["has_iss"]
    assert info["bogus_active"] is False


def test_jwks(steps):
    jwks = facts(steps, "jwks")
    assert jwks["keys"] >= 1 and jwks["all_signing"]


def test_authorization_code_with_pkce_through_consent(steps):
    page = facts(steps, "authorize.page")
    assert page == {"is_string": True, "names_client": True, "has_form": True}
    consent = facts(steps, "consent.retrieve")
    assert consent["client_id_matches"] and consent["name"] == "node sdk renamed"
    assert consent["redirect_uri"] == REDIRECT_URI and consent["logo_uri"] == "https://example.test/logo.png"
    assert consent["requested_scopes"] == ["admin"] and consent["scope_described"]
    assert facts(steps, "grants.decision") == {"redirect_to_registered": True, "state": "node-state", "has_code": True}
    issued = facts(steps, "token.authorization_code")
    assert issued == {"token_type": "Bearer", "scope": "admin", "has_refresh_token": True, "refresh_rotated": True}


def test_grants_list_retrieve_delete(steps):
    listed = facts(steps, "grants.list")
    assert listed["total_results"] >= 100 and listed["iterated"] == listed["unique"] == listed["total_results"]
    assert listed["found_new_grant"]
    assert facts(steps, "grants.retrieve") == {"id_matches": True, "scopes": ["admin"]}
    assert facts(steps, "grants.delete") == {"id_matches": True, "token_active_after": False}


def test_register(steps):
    registered = facts(steps, "register")
    assert registered == {"has_client_id": True, "has_secret": True, "client_name": "Node Registered",
                          "public_has_secret": False}


def test_unknown_consent_token_is_the_sdks_422(steps):
    errors = facts(steps, "errors.unknown_consent")
    for call in ("retrieve", "decision"):
        assert errors[call]["raised"] == "UnprocessableEntityError", errors[call]
        assert errors[call]["status"] == 422 and errors[call]["is_unprocessable"]

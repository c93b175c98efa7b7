"""A few quick checks that the sandbox serves the basics over real HTTP (the thorough suite lives elsewhere)."""

from __future__ import annotations

import requests


def _auth(sb):
    return {"Authorization": f"Bearer {sb.api_key}"}


def test_lists_demo_clients_with_exact_meta(sandbox):
    r = requests.get(f"{sandbox.base_url}/oauth_clients", params={"page[size]": 5}, headers=_auth(sandbox), timeout=10)
    assert r.status_code == 200
    body = r.json()
    assert body["meta"]["page_size"] == 5
    assert body["meta"]["total_pages"] == -(-body["meta"]["total_results"] // 5)
    assert all(c["record_type"] == "oauth_client" and "client_secret" not in c for c in body["data"])


def test_client_credentials_token_introspects_active_then_revoked(make_sandbox):
    sb = make_sandbox(seed="demo")
    creds = (sb.demo_client_id, sb.demo_client_secret)
    r = requests.post(f"{sb.base_url}/oauth/token", auth=creds, data={"grant_type": "client_credentials"}, timeout=10)
    assert r.status_code == 200, r.text
    token = r.json()
    assert token["token_type"] == "Bearer" and isinstance(token["expires_in"], int)
    info = requests.post(f"{sb.base_url}/oauth/introspect", auth=creds, json={"token": token["access_token"]},
                         timeout=10).json()
    assert info["active"] is True and info["client_id"] == sb.demo_client_id
    assert requests.post(f"{sb.base_url}/oauth/revoke", auth=creds, data={"token": token["access_token"]},
                         timeout=10).status_code == 200
    info = requests.post(f"{sb.base_url}/oauth/introspect", auth=creds, json={"token": token["access_token"]},
                         timeout=10).json()
    assert info == {"active": False}


def test_management_requires_the_api_key(sandbox):
    r = requests.get(f"{sandbox.base_url}/oauth_grants", timeout=10)
    assert r.status_code == 401
    assert r.json()["errors"][0]["detail"]


def test_empty_sandbox_creates_client_and_returns_secret_once(make_sandbox):
    sb = make_sandbox(seed="empty")
    r = requests.post(f"{sb.base_url}/oauth_clients", headers=_auth(sb), timeout=10,
                      json={"name": "Smoke", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
                            "allowed_scopes": ["admin"]})
    assert r.status_code == 201, r.text
    created = r.json()["data"]
    assert created["client_secret"]
    fetched = requests.get(f"{sb.base_url}/oauth/clients/{created['client_id']}", headers=_auth(sb), timeout=10)
    assert fetched.status_code == 200 and "client_secret" not in fetched.json()["data"]


def test_each_database_gets_its_own_demo_secret(make_sandbox):
    """Demo ids are deterministic; secrets are not, or anyone could recompute one and use a reachable sandbox."""
    first, second = make_sandbox(seed="demo"), make_sandbox(seed="demo")
    assert first.demo_client_id == second.demo_client_id
    assert first.demo_client_secret != second.demo_client_secret
    token_url = first.base_url + "/oauth/token"
    refused = requests.post(token_url, data={"grant_type": "client_credentials"},
                            auth=(first.demo_client_id, second.demo_client_secret), timeout=10)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
    accepted = requests.post(token_url, data={"grant_type": "client_credentials"},
                             auth=(first.demo_client_id, first.demo_client_secret), timeout=10)
    assert accepted.status_code == 200, accepted.text

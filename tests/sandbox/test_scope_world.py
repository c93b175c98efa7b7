"""The published world by default, a custom scope catalog only on request, and Telnyx's published protocol
statuses (docs/contract.md) — all over real HTTP.

By default the sandbox publishes exactly Telnyx's one scope, ``admin`` ("Administrative access to Telnyx
resources"), in the metadata, the consent page and JSON, validation and the OpenAPI document. A custom catalog
(``Sandbox(scopes=...)``, ``--scopes``, ``--scopes-file``) works end to end and says it is not Telnyx's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import requests
from caller_helpers import client_token
from oauth_helpers import (
    REDIRECT_URI,
    TIMEOUT,
    api,
    authorize,
    consent_page,
    create_client,
    query_of,
    readline_within,
    token,
    url,
)

ADMIN = {"id": "admin", "name": "Admin", "description": "Administrative access to Telnyx resources"}


def _consent_token(sb, client, scope="admin") -> str:
    response, _ = authorize(sb, client, scope=scope, state="st")
    assert response.status_code == 302, response.text[:300]
    return query_of(response.headers["Location"])["consent_token"]


def _custom_labels(html: str) -> dict[str, bool]:
    """Each scope on the consent page → whether it is labelled as not Telnyx's."""
    items = html.split('<li data-scope="')[1:]
    return {item.split('"', 1)[0]: 'data-custom="true"' in item.split("</li>", 1)[0] for item in items}


def _oauth_error(response, status: int, *, pointer: str | None = None, parameter: str | None = None) -> dict:
    """Telnyx's oauth_Error plus errors[] naming the field."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error"] and body["error_description"]
    (item,) = body["errors"]
    if pointer is not None:
        assert item["source"] == {"pointer": pointer}, body
    if parameter is not None:
        assert item["source"] == {"parameter": parameter}, body
    return body


# ----- the published world, by default ---------------------------------------------------------------------------
def test_the_default_catalog_is_telnyx_published_one_everywhere(make_sandbox):
    sb = make_sandbox(seed="empty")
    metadata = requests.get(sb.root_url + "/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    assert metadata["scopes_supported"] == ["admin"]
    resource = requests.get(sb.root_url + "/.well-known/oauth-protected-resource/v2", timeout=TIMEOUT).json()
    assert resource["scopes_supported"] == ["admin"]
    document = requests.get(url(sb, "/openapi.json"), timeout=TIMEOUT).json()
    flows = document["components"]["securitySchemes"]["clientCredentials"]["flows"]
    assert flows["clientCredentials"]["scopes"] == {"admin": ADMIN["description"]}
    schemas = document["components"]["schemas"]
    for name in ("OAuthClientCreate", "OAuthClientUpdate"):
        assert schemas[name]["properties"]["allowed_scopes"]["items"]["enum"] == ["admin"], name
    assert "custom" not in document["info"]["description"]
    assert "scope_catalog" not in json.loads(sb.json_line())


def test_the_default_consent_shows_admin_with_telnyx_description_and_no_custom_label(make_sandbox):
    sb = make_sandbox(seed="empty")
    client = create_client(sb)
    consent_token = _consent_token(sb, client)
    data = api(sb).get(url(sb, f"/oauth/consent/{consent_token}"), timeout=TIMEOUT).json()["data"]
    assert data["requested_scopes"] == [ADMIN]
    page = consent_page(authorize(sb, client, scope="admin")[0])
    assert ADMIN["description"] in page.text and "Not a Telnyx scope" not in page.text


def test_an_invented_scope_is_refused_everywhere_by_default(make_sandbox):
    sb = make_sandbox(seed="empty")
    created = api(sb).post(url(sb, "/oauth_clients"), timeout=TIMEOUT, json={
        "name": "x", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
        "allowed_scopes": ["admin", "messaging"]})
    body = _oauth_error(created, 422, pointer="/allowed_scopes/1")
    assert "use: admin" in body["error_description"]
    client = create_client(sb)
    refused = token(sb, client, grant_type="client_credentials", scope="messaging")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    response, _ = authorize(sb, client, scope="admin messaging", state="s")
    assert query_of(response.headers["Location"])["error"] == "invalid_scope"
    registered = requests.post(url(sb, "/oauth/register"), json={"scope": "messaging"}, timeout=TIMEOUT)
    assert registered.status_code == 400 and registered.json()["error"] == "invalid_client_metadata"


# ----- a custom catalog, on request ------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["list", "dict", "json-file", "text-file"])
def test_a_custom_catalog_works_end_to_end_and_says_it_is_not_telnyx(make_sandbox, tmp_path, kind):
    described = {"admin": "", "messaging": "Send SMS and MMS.", "numbers:read": "Read phone numbers."}
    if kind == "list":
        catalog = list(described)
    elif kind == "dict":
        catalog = described
    elif kind == "json-file":
        catalog = tmp_path / "scopes.json"
        catalog.write_text(json.dumps(described))
    else:
        catalog = tmp_path / "scopes.txt"
        catalog.write_text("# name description\nadmin\nmessaging Send SMS and MMS.\nnumbers:read Read phone numbers.\n")
    sb = make_sandbox(seed="empty", scopes=catalog)
    assert json.loads(sb.json_line())["scope_catalog"] == "custom"
    assert json.loads(sb.json_line())["scopes"] == ["admin", "messaging", "numbers:read"]
    metadata = requests.get(sb.root_url + "/.well-known/oauth-authorization-server", timeout=TIMEOUT).json()
    assert metadata["scopes_supported"] == ["admin", "messaging", "numbers:read"]
    document = requests.get(url(sb, "/openapi.json"), timeout=TIMEOUT).json()
    assert "not Telnyx's" in document["info"]["description"]
    # validation accepts the catalog's names …
    client = create_client(sb, allowed_scopes=["admin", "messaging", "numbers:read"])
    issued = token(sb, client, grant_type="client_credentials", scope="messaging")
    assert issued.status_code == 200 and issued.json()["scope"] == "messaging"
    # … and refuses any other
    refused = token(sb, client, grant_type="client_credentials", scope="voice")
    assert refused.status_code == 400 and refused.json()["error"] == "invalid_scope"
    # the consent page labels what Telnyx does not publish, and only that
    page = consent_page(authorize(sb, client, scope="admin messaging numbers:read", state="s")[0])
    assert _custom_labels(page.html) == {"admin": False, "messaging": True, "numbers:read": True}
    assert "Not a Telnyx scope" in page.text
    data = api(sb).get(url(sb, f"/oauth/consent/{page.consent_token}"), timeout=TIMEOUT).json()["data"]
    assert data["requested_scopes"][0] == ADMIN  # admin keeps Telnyx's description in any catalog
    if kind != "list":
        assert data["requested_scopes"][1]["description"] == "Send SMS and MMS."


@pytest.mark.parametrize("catalog, says", [
    (["admin", "bad scope"], "not a scope name"),
    ([], "empty"),
    ({"admin": 5}, "description"),
    (42, "list of names"),
])
def test_a_bad_catalog_is_refused_naming_the_option(catalog, says):
    from telnyx_nb.sandbox.web.server import Sandbox

    with pytest.raises(ValueError, match=says) as caught:
        Sandbox(scopes=catalog)
    assert "scopes" in str(caught.value)


def test_the_cli_publishes_a_custom_catalog_and_says_so(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--port", "0", "--db", ":memory:", "--seed", "empty",
         "--json", "--scopes", "admin messaging"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = json.loads(readline_within(process.stdout, 60, what="JSON line from telnyx-nb sandbox --json"))
        assert line["scope_catalog"] == "custom" and line["scopes"] == ["admin", "messaging"]
        metadata = requests.get(line["base_url"].removesuffix("/v2") + "/.well-known/oauth-authorization-server",
                                timeout=TIMEOUT).json()
        assert metadata["scopes_supported"] == ["admin", "messaging"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert "a custom catalog, not Telnyx's" in process.stderr.read()
        process.stdout.close()
        process.stderr.close()
    both = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--scopes", "admin", "--scopes-file",
                           str(tmp_path / "x.json")], capture_output=True, text=True, timeout=30)
    assert both.returncode == 2 and "--scopes-file" in both.stderr


# ----- Telnyx's published protocol statuses ----------------------------------------------------------------------
@pytest.fixture
def sb(make_sandbox):
    return make_sandbox(seed="empty")


def test_authorize_for_an_unknown_client_is_a_404_html_page(sb):
    response = requests.get(url(sb, "/oauth/authorize"), allow_redirects=False, timeout=TIMEOUT, params={
        "client_id": "00000000-0000-4000-8000-000000000000", "redirect_uri": REDIRECT_URI, "response_type": "code"})
    assert response.status_code == 404 and "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html") and "Client not found" in response.text


@pytest.mark.parametrize("redirect_uri", ["https://evil.example/cb", REDIRECT_URI + "/more"])
def test_authorize_with_an_unregistered_redirect_uri_is_a_422_html_page_never_a_redirect(sb, redirect_uri):
    client = create_client(sb)
    response, _ = authorize(sb, client, redirect_uri=redirect_uri, state="s")
    assert response.status_code == 422 and "Location" not in response.headers
    assert response.headers["Content-Type"].startswith("text/html") and "Invalid redirect URI" in response.text


def test_other_invalid_authorize_requests_are_400_or_go_back_to_the_verified_redirect_uri(sb):
    missing_client = requests.get(url(sb, "/oauth/authorize"), params={"response_type": "code"},
                                  allow_redirects=False, timeout=TIMEOUT)
    assert missing_client.status_code == 400 and missing_client.headers["Content-Type"].startswith("text/html")
    client = create_client(sb)
    response, _ = authorize(sb, client, state="s", response_type="token")  # RFC 6749 §4.1.2.1
    assert response.status_code == 302
    assert query_of(response.headers["Location"])["error"] == "unsupported_response_type"


def test_the_consent_json_of_an_unknown_used_or_expired_token_is_422(sb):
    _oauth_error(api(sb).get(url(sb, "/oauth/consent/no-such-token"), timeout=TIMEOUT), 422,
                 parameter="consent_token")
    client = create_client(sb)
    used = _consent_token(sb, client)
    decided = api(sb).post(url(sb, "/oauth/grants"), json={"allowed": True, "consent_token": used}, timeout=TIMEOUT)
    assert decided.status_code == 200
    body = _oauth_error(api(sb).get(url(sb, f"/oauth/consent/{used}"), timeout=TIMEOUT), 422)
    assert "already used" in body["error_description"]
    expired = _consent_token(sb, client)
    sb.clock.advance(sb.config.consent_ttl)
    _oauth_error(api(sb).get(url(sb, f"/oauth/consent/{expired}"), timeout=TIMEOUT), 422)


def test_a_consent_decision_is_200_with_only_the_redirect_uri(sb):
    client = create_client(sb)
    decided = api(sb).post(url(sb, "/oauth/grants"), timeout=TIMEOUT,
                           json={"allowed": True, "consent_token": _consent_token(sb, client)})
    assert decided.status_code == 200
    assert list(decided.json()) == ["redirect_uri"]
    assert query_of(decided.json()["redirect_uri"])["code"]


@pytest.mark.parametrize("body, pointer", [
    ({"allowed": True, "consent_token": "nope"}, "/consent_token"),  # unknown
    ({"allowed": True}, "/consent_token"),  # missing
    ({"allowed": "yes", "consent_token": "nope"}, "/allowed"),
    ({"allowed": True, "consent_token": "nope", "scope": "admin"}, "/scope"),  # additionalProperties: false
])
def test_a_refused_consent_decision_is_422_naming_the_field(sb, body, pointer):
    _oauth_error(api(sb).post(url(sb, "/oauth/grants"), json=body, timeout=TIMEOUT), 422, pointer=pointer)


def test_a_decision_with_an_extra_field_burns_nothing(sb):
    client = create_client(sb)
    consent_token = _consent_token(sb, client)
    extra = api(sb).post(url(sb, "/oauth/grants"), timeout=TIMEOUT,
                         json={"allowed": True, "consent_token": consent_token, "state": "x"})
    _oauth_error(extra, 422, pointer="/state")
    assert api(sb).get(url(sb, f"/oauth/consent/{consent_token}"), timeout=TIMEOUT).status_code == 200


def test_a_used_consent_token_is_422_on_a_second_decision(sb):
    client = create_client(sb)
    consent_token = _consent_token(sb, client)
    first = api(sb).post(url(sb, "/oauth/grants"), json={"allowed": False, "consent_token": consent_token},
                         timeout=TIMEOUT)
    assert first.status_code == 200 and query_of(first.json()["redirect_uri"])["error"] == "access_denied"
    again = api(sb).post(url(sb, "/oauth/grants"), json={"allowed": True, "consent_token": consent_token},
                         timeout=TIMEOUT)
    _oauth_error(again, 422, pointer="/consent_token")


def test_a_management_client_acts_for_its_account_with_the_published_scope(sb):
    """In the published world the only way to manage is admin: a management-created client's token has it."""
    client = create_client(sb, allowed_grant_types=["client_credentials"], redirect_uris=[])
    issued = client_token(sb, client)
    assert issued["scope"] == "admin"
    assert api(sb, issued["access_token"]).get(url(sb, "/oauth_grants"), timeout=TIMEOUT).status_code == 200


def test_on_a_custom_catalog_a_name_outside_it_is_still_invalid_scope(custom_sandbox):
    from oauth_helpers import CUSTOM_SCOPES

    client = create_client(custom_sandbox, allowed_scopes=list(CUSTOM_SCOPES))
    response, _ = authorize(custom_sandbox, client, scope="messaging teleport", state="s")
    assert query_of(response.headers["Location"])["error"] == "invalid_scope"
    response, _ = authorize(custom_sandbox, client, scope="messaging voice", state="s")
    assert response.status_code == 302 and "consent_token" in response.headers["Location"]

"""The official Telnyx Python SDK (telnyx==4.189.0), in strict response validation, against the sandbox.

The methods to cover are read from the installed SDK (``client.oauth``, ``client.oauth_clients``,
``client.oauth_grants``, ``client.well_known``), so a method the SDK has and this file does not exercise fails
the suite instead of being skipped silently.
"""

from __future__ import annotations

import inspect

import pytest
import requests
import telnyx  # the pinned test dependency (pyproject's [test] extra): missing is a failure, not a skip
from oauth_helpers import REDIRECT_URI, create_client, pkce_pair, query_of

RESOURCES = ("oauth", "oauth_clients", "oauth_grants", "well_known")


def sdk_methods() -> list[str]:
    """Every public method of the four resources in the installed SDK, as ``resource.method``."""
    client = telnyx.Telnyx(api_key="KEYdiscovery", base_url="http://127.0.0.1:9/v2")
    found = []
    for resource in RESOURCES:
        obj = getattr(client, resource)
        for name, member in inspect.getmembers(type(obj)):
            if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
                continue
            if inspect.isfunction(member):
                found.append(f"{resource}.{name}")
    client.close()
    return sorted(found)


@pytest.fixture(scope="module")
def sb():
    from telnyx_nb.sandbox.web.server import Sandbox

    with Sandbox(seed="demo", db=":memory:") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def client(sb):
    with telnyx.Telnyx(api_key=sb.api_key, base_url=sb.base_url, _strict_response_validation=True,
                       max_retries=0, timeout=15) as sdk:
        yield sdk


def _authorize_html(client, sb, oauth_client, scope="admin", state="sdk-state"):
    verifier, challenge = pkce_pair()
    html = client.oauth.retrieve_authorize(client_id=oauth_client["client_id"], redirect_uri=REDIRECT_URI,
                                           response_type="code", scope=scope, state=state,
                                           code_challenge=challenge, code_challenge_method="S256")
    assert isinstance(html, str) and oauth_client["name"] in html
    return html, verifier


def _code_via_sdk(client, sb, oauth_client, scope="admin"):
    """authorize (a plain GET: the SDK follows the redirect, and the consent token is in it) → the SDK's
    ``oauth.grants(allowed=True)`` → code."""
    verifier, challenge = pkce_pair()
    response = requests.get(sb.base_url + "/oauth/authorize", allow_redirects=False, timeout=10, params={
        "client_id": oauth_client["client_id"], "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": scope, "state": "sdk-state", "code_challenge": challenge, "code_challenge_method": "S256"})
    consent_token = query_of(response.headers["Location"])["consent_token"]
    decided = client.oauth.grants(allowed=True, consent_token=consent_token)
    params = query_of(decided.redirect_uri)
    assert params["state"] == "sdk-state"
    return params["code"], verifier


def _user_token_via_sdk(client, sb, oauth_client):
    """The code of ``_code_via_sdk`` exchanged with the SDK's ``oauth.token`` (authorization_code + PKCE)."""
    code, verifier = _code_via_sdk(client, sb, oauth_client)
    return client.oauth.token(grant_type="authorization_code", client_id=oauth_client["client_id"],
                              client_secret=oauth_client["client_secret"], code=code, code_verifier=verifier,
                              redirect_uri=REDIRECT_URI)


# --- one exercise per SDK method -------------------------------------------------------------------------------

def check_oauth_retrieve_authorize(client, sb):
    oauth_client = create_client(sb)
    html, _ = _authorize_html(client, sb, oauth_client)
    assert "<form" in html.lower()


def check_oauth_retrieve(client, sb):
    oauth_client = create_client(sb, logo_uri="https://example.test/logo.png")
    _, challenge = pkce_pair()
    response = requests.get(sb.base_url + "/oauth/authorize", allow_redirects=False, timeout=10, params={
        "client_id": oauth_client["client_id"], "redirect_uri": REDIRECT_URI, "response_type": "code",
        "scope": "admin", "code_challenge": challenge, "code_challenge_method": "S256"})
    consent_token = query_of(response.headers["Location"])["consent_token"]
    consent = client.oauth.retrieve(consent_token)
    assert consent.data.client_id == oauth_client["client_id"]
    assert consent.data.name == oauth_client["name"]
    assert consent.data.redirect_uri == REDIRECT_URI
    assert consent.data.logo_uri == "https://example.test/logo.png"
    assert [s.id for s in consent.data.requested_scopes] == ["admin"]
    assert consent.data.requested_scopes[0].description


def check_oauth_grants(client, sb):
    oauth_client = create_client(sb)
    code, _ = _code_via_sdk(client, sb, oauth_client)
    assert code
    # Telnyx's published 422 for an unknown, used or expired consent token reaches the SDK as its 422 error
    with pytest.raises(telnyx.UnprocessableEntityError):
        client.oauth.grants(allowed=True, consent_token="no-such-consent-token")
    with pytest.raises(telnyx.UnprocessableEntityError):
        client.oauth.retrieve("no-such-consent-token")


def check_oauth_token(client, sb):
    oauth_client = create_client(sb)
    issued = _user_token_via_sdk(client, sb, oauth_client)
    assert issued.token_type == "Bearer" and issued.refresh_token
    assert issued.scope == "admin"
    refreshed = client.oauth.token(grant_type="refresh_token", client_id=oauth_client["client_id"],
                                   client_secret=oauth_client["client_secret"], refresh_token=issued.refresh_token)
    assert refreshed.refresh_token != issued.refresh_token
    machine = client.oauth.token(grant_type="client_credentials", client_id=sb.demo_client_id,
                                 client_secret=sb.demo_client_secret, scope="admin")
    assert machine.scope == "admin" and isinstance(machine.expires_in, int)


def check_oauth_introspect(client, sb):
    issued = client.oauth.token(grant_type="client_credentials", client_id=sb.demo_client_id,
                                client_secret=sb.demo_client_secret, scope="admin")
    info = client.oauth.introspect(token=issued.access_token)
    assert info.active is True and info.client_id == sb.demo_client_id and info.scope == "admin"
    assert isinstance(info.exp, int) and isinstance(info.iat, int) and info.iss and info.aud
    assert client.oauth.introspect(token="not-a-token").active is False


def check_oauth_register(client, sb):
    registered = client.oauth.register(client_name="SDK Registered", grant_types=["authorization_code"],
                                       redirect_uris=[REDIRECT_URI], response_types=["code"], scope="admin",
                                       token_endpoint_auth_method="client_secret_basic",
                                       logo_uri="https://example.test/l.png", policy_uri="https://example.test/p",
                                       tos_uri="https://example.test/t")
    assert registered.client_id and registered.client_secret and registered.client_name == "SDK Registered"
    public = client.oauth.register(client_name="SDK Public", token_endpoint_auth_method="none",
                                   redirect_uris=[REDIRECT_URI])
    assert public.client_secret is None
    assert client.oauth.register().client_id  # every field is optional


def check_oauth_retrieve_jwks(client, sb):
    jwks = client.oauth.retrieve_jwks()
    assert jwks.keys and all(k.kid and k.kty and k.alg and k.use == "sig" for k in jwks.keys)


def check_oauth_clients_create(client, sb):
    created = client.oauth_clients.create(name="SDK Client", client_type="confidential",
                                          allowed_grant_types=["client_credentials", "authorization_code"],
                                          allowed_scopes=["admin"], redirect_uris=[REDIRECT_URI],
                                          require_pkce=True, logo_uri="https://example.test/l.png",
                                          policy_uri="https://example.test/p", tos_uri="https://example.test/t")
    assert created.data.client_secret and created.data.require_pkce is True
    public = client.oauth_clients.create(name="SDK Public Client", client_type="public",
                                         allowed_grant_types=["authorization_code"], allowed_scopes=["admin"],
                                         redirect_uris=[REDIRECT_URI])
    assert public.data.client_type == "public" and not public.data.client_secret


def check_oauth_clients_retrieve(client, sb):
    got = client.oauth_clients.retrieve(sb.demo_client_id)
    assert got.data.client_id == sb.demo_client_id and got.data.client_secret is None


def check_oauth_clients_update(client, sb):
    made = create_client(sb)
    updated = client.oauth_clients.update(made["client_id"], name="SDK Renamed", allowed_scopes=["admin"],
                                          allowed_grant_types=["authorization_code", "refresh_token"],
                                          redirect_uris=[REDIRECT_URI], require_pkce=True,
                                          logo_uri="https://example.test/x.png", policy_uri="https://example.test/p",
                                          tos_uri="https://example.test/t")
    assert updated.data.name == "SDK Renamed" and updated.data.allowed_scopes == ["admin"]


def check_oauth_clients_list(client, sb):
    first = client.oauth_clients.list(page_size=5)
    assert len(first.data) == 5 and first.meta.page_number == 1
    everything = list(first)  # auto-pagination follows meta.page_number / total_pages
    assert len(everything) == first.meta.total_results
    assert len({c.client_id for c in everything}) == len(everything)
    filters = dict(filter_client_type="confidential", filter_verified=True,
                   filter_allowed_grant_types_contains="client_credentials")
    for name, value in filters.items():
        page = client.oauth_clients.list(**{name: value}, page_size=100)
        assert page.data
    assert [c.client_id for c in client.oauth_clients.list(filter_client_id=sb.demo_client_id).data] == \
        [sb.demo_client_id]
    demo_name = client.oauth_clients.retrieve(sb.demo_client_id).data.name
    assert client.oauth_clients.list(filter_name=demo_name).data[0].name == demo_name
    assert all(demo_name[:6] in c.name for c in client.oauth_clients.list(filter_name_contains=demo_name[:6]).data)
    assert client.oauth_clients.list(page_number=2, page_size=3).meta.page_number == 2


def check_oauth_clients_delete(client, sb):
    made = create_client(sb)
    assert client.oauth_clients.delete(made["client_id"]) is None
    with pytest.raises(telnyx.NotFoundError):
        client.oauth_clients.retrieve(made["client_id"])


def check_oauth_grants_list(client, sb):
    first = client.oauth_grants.list(page_size=50)
    assert first.meta.total_results >= 100
    everything = list(first)
    assert len(everything) == first.meta.total_results


def check_oauth_grants_retrieve(client, sb):
    grant = client.oauth_grants.list(page_size=1).data[0]
    got = client.oauth_grants.retrieve(grant.id)
    assert got.data.id == grant.id and got.data.scopes == grant.scopes


def check_oauth_grants_delete(client, sb):
    oauth_client = create_client(sb)
    issued = _user_token_via_sdk(client, sb, oauth_client)
    grant = next(g for g in client.oauth_grants.list(page_size=100) if g.client_id == oauth_client["client_id"])
    revoked = client.oauth_grants.delete(grant.id)
    assert revoked.data.id == grant.id
    assert client.oauth.introspect(token=issued.access_token).active is False


def check_well_known_retrieve_authorization_server_metadata(client, sb):
    meta = client.well_known.retrieve_authorization_server_metadata()
    assert meta.token_endpoint == sb.base_url + "/oauth/token" and "S256" in meta.code_challenge_methods_supported


def check_well_known_retrieve_protected_resource_metadata(client, sb):
    meta = client.well_known.retrieve_protected_resource_metadata()
    assert meta.resource and meta.authorization_servers


EXERCISES = {name[len("check_"):]: fn for name, fn in globals().items() if name.startswith("check_")}


def _exercise_name(method: str) -> str:
    return method.replace(".", "_")


def test_every_sdk_method_has_an_exercise():
    methods = sdk_methods()
    assert len(methods) >= 17, methods
    missing = [m for m in methods if _exercise_name(m) not in EXERCISES]
    assert not missing, f"SDK methods not exercised against the sandbox: {missing}"


@pytest.mark.parametrize("method", sdk_methods())
def test_sdk_method_in_strict_mode(client, sb, method):
    exercise = EXERCISES.get(_exercise_name(method))
    if exercise is None:
        pytest.fail(f"no exercise for {method}")
    exercise(client, sb)

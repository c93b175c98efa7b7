"""Plain-HTTP helpers shared by the sandbox acceptance tests.

The tests speak to the sandbox only with ``requests`` (the way any other OAuth client would), so that they judge
the wire behaviour and not our own client library. Helpers here build clients, walk the browser consent page and
redeem codes; assertions about behaviour stay in the test modules.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from telnyx_nb.testing.harness import ConsentPage

TIMEOUT = 10
REDIRECT_URI = "http://127.0.0.1:9/callback"  # never followed: the tests stop at the 302
# A custom scope catalog (not Telnyx's: it publishes only admin) for tests that need several scope names —
# invalid_scope, narrowing, widening. Start a sandbox with it: ``make_sandbox(scopes=CUSTOM_SCOPES)`` (or the
# ``custom_sandbox`` fixture); the default catalog and the demo data hold admin only.
CUSTOM_SCOPES = ("admin", "messaging", "messaging:read", "voice", "numbers", "numbers:read", "billing:read")
SECRET_KEYS = ("client_secret", "access_token", "refresh_token")


def api(sb, token: str | None = None) -> requests.Session:
    """A session that authenticates management calls with the sandbox API key (or a given Bearer token)."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token or sb.api_key}"
    return session


def url(sb, path: str) -> str:
    """``path`` under the /v2 base (``"/oauth/token"`` → ``http://127.0.0.1:P/v2/oauth/token``)."""
    return sb.base_url.rstrip("/") + path


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def create_client(sb, **fields) -> dict:
    """Create an oauth_client through POST /oauth_clients and return its ``data`` (with the one-time secret)."""
    body = {
        "name": f"test client {uuid.uuid4().hex[:8]}",
        "client_type": "confidential",
        "allowed_grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "allowed_scopes": ["admin"],
        "redirect_uris": [REDIRECT_URI],
    }
    body.update(fields)
    response = api(sb).post(url(sb, "/oauth_clients"), json=body, timeout=TIMEOUT)
    assert response.status_code in (200, 201), response.text
    return response.json()["data"]


def pkce_pair(method: str = "S256") -> tuple[str, str]:
    """A fresh (code_verifier, code_challenge) pair, RFC 7636 §4.1–4.2."""
    verifier = secrets.token_urlsafe(48)
    return verifier, (create_s256_code_challenge(verifier) if method == "S256" else verifier)


def query_of(location: str) -> dict[str, str]:
    """The query of a redirect URI as a flat dict (every parameter is expected once)."""
    parsed = parse_qs(urlsplit(location).query, keep_blank_values=True)
    for name, values in parsed.items():
        assert len(values) == 1, f"parameter {name!r} repeated in {location}"
    return {name: values[0] for name, values in parsed.items()}


def authorize(sb, client: dict, *, scope: str | None = "admin", state: str | None = None,
              pkce: str | None = "S256", redirect_uri: str = REDIRECT_URI, **extra) -> tuple[requests.Response, str | None]:
    """GET /oauth/authorize without following redirects; returns (response, code_verifier)."""
    params = {"client_id": client["client_id"], "redirect_uri": redirect_uri, "response_type": "code"}
    if scope is not None:
        params["scope"] = scope
    if state is not None:
        params["state"] = state
    verifier = None
    if pkce:
        verifier, challenge = pkce_pair(pkce)
        params.update(code_challenge=challenge, code_challenge_method=pkce)
    params.update(extra)
    params = {k: v for k, v in params.items() if v is not None}
    response = requests.get(url(sb, "/oauth/authorize"), params=params, allow_redirects=False,
                            headers={"Accept": "text/html"}, timeout=TIMEOUT)
    return response, verifier


def consent_page(authorize_response: requests.Response) -> ConsentPage:
    """Follow the authorize 302 to the consent page and parse it (the shipped harness's ``ConsentPage``, the one
    ``telnyx_sandbox.approve()`` presses too)."""
    assert authorize_response.status_code == 302, (authorize_response.status_code, authorize_response.text[:500])
    page_url = urljoin(authorize_response.url, authorize_response.headers["Location"])
    assert "consent_token" in query_of(page_url), page_url
    page = ConsentPage.open(page_url)
    assert page.response.headers["Content-Type"].startswith("text/html")
    return page


def approve_in_browser(url: str, *, allow: bool = True) -> requests.Response:
    """What a person's browser does with an authorization link: open it (following the redirect to the consent
    page), press Allow (or Deny) on the page's own form and follow the 303; returns the page it lands on."""
    browser = requests.Session()
    opened = browser.get(url, timeout=TIMEOUT)
    assert opened.status_code == 200 and 'id="consent-form"' in opened.text, opened.text[:300]
    decided = ConsentPage(opened.url, opened, browser).decide(allow)
    return browser.get(urljoin(decided.url, redirect_of(decided)), timeout=TIMEOUT)


def redirect_of(decision: requests.Response) -> str:
    """The client redirect a consent decision answered with (302/303 + Location)."""
    assert decision.status_code in (302, 303), (decision.status_code, decision.text[:500])
    return decision.headers["Location"]


def obtain_code(sb, client: dict, *, scope: str = "admin", pkce: str | None = "S256",
                state: str | None = None) -> tuple[str, str | None]:
    """Run authorize → consent page → Allow and return (code, code_verifier)."""
    state = state or secrets.token_urlsafe(8)
    response, verifier = authorize(sb, client, scope=scope, state=state, pkce=pkce)
    location = redirect_of(consent_page(response).decide(allow=True))
    assert location.startswith(REDIRECT_URI)
    params = query_of(location)
    assert params.get("state") == state, location
    return params["code"], verifier


def token(sb, client: dict | None = None, *, auth: str = "basic", as_json: bool = False, **params) -> requests.Response:
    """POST /oauth/token with the client authenticated by ``basic``, ``post`` (body) or ``none`` (client_id only)."""
    headers = {}
    if client is not None:
        if auth == "basic":
            headers["Authorization"] = basic(client["client_id"], client["client_secret"])
        elif auth == "post":
            params.update(client_id=client["client_id"], client_secret=client["client_secret"])
        elif auth == "none":
            params["client_id"] = client["client_id"]
    if as_json:
        return requests.post(url(sb, "/oauth/token"), json=params, headers=headers, timeout=TIMEOUT)
    return requests.post(url(sb, "/oauth/token"), data=params, headers=headers, timeout=TIMEOUT)


def redeem(sb, client: dict, code: str, verifier: str | None, *, auth: str = "basic") -> requests.Response:
    params = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    if verifier is not None:
        params["code_verifier"] = verifier
    return token(sb, client, auth=auth, **params)


def refresh(sb, client: dict, refresh_token: str, *, auth: str = "basic") -> requests.Response:
    return token(sb, client, auth=auth, grant_type="refresh_token", refresh_token=refresh_token)


def introspect(sb, token_value: str) -> dict:
    """RFC 7662 introspection authenticated with the API key (as the official SDK does)."""
    response = api(sb).post(url(sb, "/oauth/introspect"), json={"token": token_value}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.json()


def demo_client(sb) -> dict:
    """The demo client's credentials, as ``create_client`` returns a client's (the suite's one copy of them)."""
    return {"client_id": sb.demo_client_id, "client_secret": sb.demo_client_secret}


def all_pages(sb, path: str, **params) -> list[dict]:
    """Every item of a paginated management list, following ``meta`` one page after another."""
    items, number = [], 1
    session = api(sb)
    while True:
        response = session.get(url(sb, path), params={**params, "page[number]": number, "page[size]": 100},
                               timeout=TIMEOUT)
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["data"])
        if number >= body["meta"]["total_pages"]:
            return items
        number += 1


def wait_for(condition, *, timeout: float = 20.0, every: float = 0.02, what: str = "the condition"):
    """Poll ``condition()`` until it returns something truthy (returned) or ``timeout`` seconds pass (AssertionError
    naming ``what``): for waiting on a signal the server gives — a request counter, a list, a port, a panel done on
    the listener's thread — not a sleep. The one polling loop of the suite."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def readline_within(stream, timeout: float = 30.0, *, what: str = "a line") -> str:
    """``stream.readline()`` that gives up after ``timeout`` seconds (AssertionError) instead of hanging the
    suite when a child process never prints; the caller then kills the process, which ends the read."""
    import threading

    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not line:
        raise AssertionError(f"no {what} within {timeout} s")
    return line[0]


# ----- a JWT's parts, read and rewritten (the signature kept, so a rewritten token no longer verifies) -----------
def jwt_part(data: dict) -> str:
    """``data`` as a JWT segment: base64url-encoded JSON without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _read_part(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def claims_of(token: str) -> dict:
    """A JWT's claims, read without verifying anything."""
    return _read_part(token.split(".")[1])


def tamper(token: str, **claims) -> str:
    """``token`` with claims changed (by default its scope widened to admin) under the original signature."""
    header, payload, signature = token.split(".")
    return f"{header}.{jwt_part({**_read_part(payload), **(claims or {'scope': 'admin'})})}.{signature}"


def reheader(token: str, **fields) -> str:
    """``token`` with its JOSE header changed (``alg``, ``kid``) under the original signature."""
    header, payload, signature = token.split(".")
    return f"{jwt_part({**_read_part(header), **fields})}.{payload}.{signature}"


def race(call, racers: int = 8) -> list:
    """Run ``call()`` in ``racers`` threads released at the same moment (a barrier); return what each returned."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(racers)

    def one(_):
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(racers) as pool:
        return list(pool.map(one, range(racers)))


# ----- Telnyx's published 429 (its rate-limit answer, as the sandbox sends it when a window is spent) -----------
PUBLISHED_429 = {"code": "10011", "title": "Too many requests",
                 "detail": "You have exceeded the maximum number of allowed requests."}
HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def limits(response) -> tuple[int, int, int]:
    """The answer's ``x-ratelimit-*`` headers: (limit, remaining, reset)."""
    return tuple(int(response.headers[name]) for name in HEADERS)


def assert_published_429(response) -> None:
    assert response.status_code == 429
    body = response.json()
    assert body["errors"] == [PUBLISHED_429]
    assert body["error"] == "too_many_requests" and body["error_description"] == PUBLISHED_429["detail"]
    assert "Retry-After" not in response.headers  # Telnyx promises none


# ----- the same helpers for a sandbox publishing CUSTOM_SCOPES (modules about narrowing, widening, invalid_scope)
CUSTOM_CLIENT_SCOPES = ["messaging", "numbers:read", "voice"]  # a client of the custom catalog, without admin


def custom_create_client(sb, **fields) -> dict:
    """``create_client`` on a custom-catalog sandbox: allowed ``CUSTOM_CLIENT_SCOPES`` unless told otherwise."""
    fields.setdefault("allowed_scopes", list(CUSTOM_CLIENT_SCOPES))
    return create_client(sb, **fields)


def custom_authorize(sb, client: dict, *, scope: str | None = "messaging", **kwargs):
    """``authorize`` asking for ``messaging`` (a custom-catalog scope) by default."""
    return authorize(sb, client, scope=scope, **kwargs)


def custom_obtain_code(sb, client: dict, *, scope: str = "messaging", **kwargs):
    """``obtain_code`` asking for ``messaging`` (a custom-catalog scope) by default."""
    return obtain_code(sb, client, scope=scope, **kwargs)

"""Plain-HTTP helpers shared by the sandbox acceptance tests.

The tests speak to the sandbox only with ``requests`` (the way any other OAuth client would), so that they judge
the wire behaviour and not our own client library. Helpers here build clients, walk the browser consent page and
redeem codes; assertions about behaviour stay in the test modules.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.oauth2.rfc7636 import create_s256_code_challenge

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


class _FormParser(HTMLParser):
    """Collects every <form> with its hidden inputs and submit controls (buttons or input type=submit)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action", ""), "method": (attrs.get("method") or "get").lower(),
                          "fields": {}, "submits": []}
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input":
            kind = (attrs.get("type") or "text").lower()
            if kind == "submit":
                self._form["submits"].append({"name": attrs.get("name"), "value": attrs.get("value", ""),
                                              "text": attrs.get("value", "")})
            elif attrs.get("name") and kind in ("hidden", "text"):
                self._form["fields"][attrs["name"]] = attrs.get("value", "")
        elif tag == "button" and (attrs.get("type") or "submit").lower() == "submit":
            self._button = {"name": attrs.get("name"), "value": attrs.get("value", ""), "text": ""}
            self._form["submits"].append(self._button)

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag):
        if tag == "button":
            self._button = None
        elif tag == "form":
            self._form = None


class _TextParser(HTMLParser):
    """What a person reads on the page: text outside <style>, <script> and <template>."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "template"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("style", "script", "template"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


class ConsentPage:
    """The sandbox's HTML consent page, reached by following the authorize redirect."""

    def __init__(self, page_url: str, response: requests.Response):
        self.url = page_url
        self.response = response
        self.html = response.text
        parser = _FormParser()
        parser.feed(self.html)
        self.forms = parser.forms

    @property
    def text(self) -> str:
        parser = _TextParser()
        parser.feed(self.html)
        return " ".join(parser.parts)

    @property
    def consent_token(self) -> str:
        return query_of(self.url)["consent_token"]

    def _choose(self, word: str) -> tuple[dict, dict]:
        for form in self.forms:
            for control in form["submits"]:
                label = f"{control['text']} {control['value']}".strip().lower()
                if word in label:
                    return form, control
        raise AssertionError(f"consent page has no {word!r} button: {self.forms}")

    def decide(self, allow: bool, session: requests.Session | None = None) -> requests.Response:
        """Submit the page's own form as a browser would (hidden fields + the clicked button), no redirects."""
        form, control = self._choose("allow" if allow else "deny")
        data = dict(form["fields"])
        if control.get("name"):
            data[control["name"]] = control["value"]
        target = urljoin(self.url, form["action"] or self.url)
        send = (session or requests).request
        if form["method"] == "post":
            return send("POST", target, data=data, allow_redirects=False, timeout=TIMEOUT)
        return send("GET", target, params=data, allow_redirects=False, timeout=TIMEOUT)


def consent_page(authorize_response: requests.Response) -> ConsentPage:
    """Follow the authorize 302 to the consent page and parse it."""
    assert authorize_response.status_code == 302, (authorize_response.status_code, authorize_response.text[:500])
    page_url = urljoin(authorize_response.url, authorize_response.headers["Location"])
    assert "consent_token" in query_of(page_url), page_url
    response = requests.get(page_url, headers={"Accept": "text/html"}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["Content-Type"].startswith("text/html")
    return ConsentPage(page_url, response)


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


def wait_for(condition, *, timeout: float = TIMEOUT, what: str = "the condition"):
    """Poll ``condition()`` until it returns something truthy (returned) or ``timeout`` seconds pass (AssertionError
    naming ``what``): for waiting on a signal the server gives — a request counter, a list, a port — not a sleep."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


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


def tamper(token: str) -> str:
    """Change the payload (scope widened) but keep the original signature."""
    import base64
    import json

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


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

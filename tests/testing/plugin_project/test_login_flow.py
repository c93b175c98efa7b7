"""A tiny Flask app's /login → Telnyx authorize → /callback, with ``telnyx_sandbox.approve()`` as the user."""

from urllib.parse import parse_qs, urlsplit

import pytest
from webapp import create_app

REDIRECT_URI = "http://localhost:8000/callback"


@pytest.fixture
def oauth_app(telnyx_sandbox):
    client = telnyx_sandbox.create_client("Web app", redirect_uris=[REDIRECT_URI])
    app = create_app(base_url=telnyx_sandbox.in_process_base_url, client_id=client["client_id"],
                     client_secret=client["client_secret"], redirect_uri=REDIRECT_URI,
                     http=telnyx_sandbox.session())
    return app.test_client()


def callback_path(redirect: str) -> str:
    parts = urlsplit(redirect)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    return f"{parts.path}?{parts.query}"


def test_login_signs_the_user_in(oauth_app, telnyx_sandbox):
    authorize_url = oauth_app.get("/login").headers["Location"]
    redirect = telnyx_sandbox.approve(authorize_url)
    assert set(parse_qs(urlsplit(redirect).query)) == {"code", "state", "iss"}  # iss: RFC 9207
    assert oauth_app.get(callback_path(redirect)).headers["Location"] == "/me"
    page = oauth_app.get("/me").get_data(as_text=True)
    assert page.startswith("Signed in as ") and page.endswith("with admin")


def test_a_denied_consent_does_not_sign_in(oauth_app, telnyx_sandbox):
    redirect = telnyx_sandbox.deny(oauth_app.get("/login").headers["Location"])
    assert parse_qs(urlsplit(redirect).query)["error"] == ["access_denied"]
    answer = oauth_app.get(callback_path(redirect))
    assert answer.status_code == 403
    assert oauth_app.get("/me").headers["Location"] == "/login"


def test_a_callback_with_another_state_is_refused(oauth_app, telnyx_sandbox):
    redirect = telnyx_sandbox.approve(oauth_app.get("/login").headers["Location"])
    forged = redirect.replace("state=", "state=x")
    assert oauth_app.get(callback_path(forged)).status_code == 400


def test_a_replayed_code_is_refused(oauth_app, telnyx_sandbox):
    redirect = telnyx_sandbox.approve(oauth_app.get("/login").headers["Location"])
    oauth_app.get(callback_path(redirect))
    with oauth_app.session_transaction() as state:  # the attacker replays the same callback in a new login
        state["state"] = parse_qs(urlsplit(redirect).query)["state"][0]
        state["verifier"] = "whatever"
    assert oauth_app.get(callback_path(redirect)).status_code == 502


def test_approve_works_on_the_production_authorize_url_too(telnyx_sandbox):
    # An app configured with Telnyx's real base URL: the in-process transport answers for api.telnyx.com.
    client = telnyx_sandbox.create_client("Prod-configured app", redirect_uris=[REDIRECT_URI])
    app = create_app(base_url="https://api.telnyx.com/v2", client_id=client["client_id"],
                     client_secret=client["client_secret"], redirect_uri=REDIRECT_URI,
                     http=telnyx_sandbox.session()).test_client()
    redirect = telnyx_sandbox.approve(app.get("/login").headers["Location"])
    app.get(callback_path(redirect))
    assert app.get("/me").get_data(as_text=True).startswith("Signed in as ")


def test_an_unregistered_redirect_uri_never_reaches_the_consent_page(telnyx_sandbox):
    from telnyx_nb.testing.harness import ApprovalError

    client = telnyx_sandbox.create_client("Web app", redirect_uris=[REDIRECT_URI])
    app = create_app(base_url=telnyx_sandbox.in_process_base_url, client_id=client["client_id"],
                     client_secret=client["client_secret"], redirect_uri="http://evil.example/callback",
                     http=telnyx_sandbox.session()).test_client()
    with pytest.raises(ApprovalError, match="redirect_uri"):
        telnyx_sandbox.approve(app.get("/login").headers["Location"])


def test_the_callback_reports_a_rate_limited_token_endpoint(oauth_app, telnyx_sandbox):
    with telnyx_sandbox.faults.rate_limit("/v2/oauth/token", retry_after=30) as fault:
        redirect = telnyx_sandbox.approve(oauth_app.get("/login").headers["Location"])
        assert oauth_app.get(callback_path(redirect)).status_code == 502
    assert fault.fired == 1

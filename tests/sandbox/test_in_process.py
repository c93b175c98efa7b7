"""The sandbox without a server: in-process transports, the reserved port, sockets disabled, the clock."""

from __future__ import annotations

import socket

import pytest
import requests

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.sandbox.clock import Clock
from telnyx_nb.sandbox.web.server import IN_PROCESS_ROOT, Sandbox


@pytest.fixture
def in_process():
    sb = Sandbox(seed="demo").start(serve=False)
    yield sb
    sb.stop()


def demo_api(sb, **kwargs) -> TelnyxOAuth:
    return TelnyxOAuth(api_key=sb.api_key, client_id=sb.demo_client_id, client_secret=sb.demo_client_secret,
                       base_url=sb.base_url, session=sb.requests_session(), clock=sb.clock, **kwargs)


def test_an_unserved_sandbox_answers_in_process_and_refuses_loopback_connections(in_process):
    assert not in_process.running
    with demo_api(in_process) as api:
        assert api.introspect(api.client_credentials_token().access_token).active
    with pytest.raises(requests.ConnectionError):  # the port is reserved, nobody listens yet
        requests.get(in_process.base_url + "/oauth/jwks", timeout=5)
    in_process.serve()
    assert requests.get(in_process.base_url + "/oauth/jwks", timeout=5).status_code == 200


def test_tokens_issued_in_process_verify_over_loopback(in_process):
    with demo_api(in_process) as api:
        token = api.client_credentials_token().access_token
    in_process.serve()
    with TelnyxOAuth.from_sandbox(in_process) as loopback:  # same issuer, audience and key either way
        assert loopback.verify_jwt(token, audience=in_process.base_url).claims["iss"] == in_process.root_url


def test_a_sandbox_runs_in_process_where_sockets_are_disabled(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("sockets are disabled in this test run")

    monkeypatch.setattr(socket, "socket", refuse)
    sb = Sandbox(seed="demo").start(serve=False)
    try:
        assert sb.root_url == IN_PROCESS_ROOT
        with demo_api(sb) as api:
            token = api.client_credentials_token()
            assert api.introspect(token.access_token).active
            assert api.verify_jwt(token.access_token).claims["aud"] == sb.base_url
        with pytest.raises(RuntimeError, match="in-process"):
            sb.serve()
    finally:
        sb.stop()


def test_the_in_process_session_reaches_no_other_host(in_process):
    session = in_process.requests_session()
    with pytest.raises(requests.ConnectionError, match="not served in-process"):
        session.get("http://127.0.0.2:9/v2/oauth/jwks", timeout=5)
    assert session.get("https://api.telnyx.com/v2/oauth/jwks", timeout=5).json() == in_process.app.test_client(
    ).get("/v2/oauth/jwks").get_json()


def test_the_app_sees_its_own_host_whatever_host_was_asked_for(in_process):
    answer = in_process.requests_session().get("https://api.telnyx.com/v2/.well-known/oauth-authorization-server",
                                               timeout=5)
    assert answer.json()["issuer"] == in_process.root_url


def test_the_clock_moves_forward_only():
    clock = Clock()
    before = clock.time()
    assert clock.advance(3600) >= before + 3600
    for bad in (-1, float("nan"), float("inf"), "10", True):
        with pytest.raises(ValueError, match="seconds"):
            clock.advance(bad)
    clock.reset()
    assert clock.offset == 0


def test_the_api_module_refuses_a_clock_that_is_not_callable():
    with pytest.raises(ConfigurationError, match="clock"):
        TelnyxOAuth(api_key="KEYx", base_url="http://127.0.0.1:9/v2", clock=12)


def test_client_registration_reports_the_sandbox_clock(in_process):
    in_process.clock.advance(86400)
    answer = in_process.requests_session().post(in_process.base_url + "/oauth/register", timeout=5,
                                                json={"client_name": "Later", "redirect_uris": ["http://localhost/cb"]})
    assert abs(answer.json()["client_id_issued_at"] - in_process.clock.time()) < 60


def test_a_drop_fault_cannot_also_carry_a_status(in_process):
    session = in_process.requests_session()
    headers = {"Authorization": f"Bearer {in_process.api_key}"}
    bad = session.post(in_process.base_url.rsplit("/v2", 1)[0] + "/_sandbox/faults", headers=headers, timeout=5,
                       json={"path": "/v2/oauth_grants", "drop": True, "status": 503})
    assert bad.status_code == 422 and bad.json()["errors"][0]["source"]["pointer"] == "/drop"
    armed = session.post(in_process.root_url + "/_sandbox/faults", headers=headers, timeout=5,
                         json={"path": "/v2/oauth_grants", "drop": True})
    assert armed.status_code == 201
    with pytest.raises(requests.ConnectionError):
        session.get(in_process.base_url + "/oauth_grants", headers=headers, timeout=5)
    assert session.get(in_process.base_url + "/oauth_grants", headers=headers, timeout=5).status_code == 200


def test_a_shared_signing_key_signs_for_every_sandbox():
    from telnyx_nb.sandbox.protocol.keys import new_private_jwk

    key = new_private_jwk()
    first, second = (Sandbox(seed="empty", signing_key=key).start(serve=False) for _ in range(2))
    try:
        assert first.app.test_client().get("/v2/oauth/jwks").get_json()["keys"][0]["kid"] == key["kid"]
        assert second.app.test_client().get("/v2/oauth/jwks").get_json()["keys"][0]["kid"] == key["kid"]
    finally:
        first.stop()
        second.stop()

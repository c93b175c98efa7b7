"""``requests`` and telnyx-nb's API module on ``telnyx_sandbox.requests_adapter()``; loopback for URL-only code."""

import pytest
import requests

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import AuthenticationError


def test_the_api_module_runs_on_a_session_with_the_in_process_adapter(telnyx_sandbox):
    session = requests.Session()
    session.mount("http://", telnyx_sandbox.requests_adapter())
    with TelnyxOAuth(api_key=telnyx_sandbox.api_key, base_url=telnyx_sandbox.in_process_base_url,
                     client_id=telnyx_sandbox.demo_client_id, client_secret=telnyx_sandbox.demo_client_secret,
                     session=session) as api:
        before = api.list_clients().total_results
        made = api.create_client("Worker", "confidential", ["client_credentials"], ["admin"])
        assert api.list_clients().total_results == before + 1
        token = api.client_credentials_token(scope="admin")
        assert api.introspect(token.access_token).active
        assert api.verify_jwt(token.access_token).claims["scope"] == "admin"
        api.delete_client(made.client_id)


def test_every_test_gets_a_fresh_store(telnyx_sandbox, telnyx_oauth):
    # the client created by the test above is gone: the demo seed again
    assert "Billing" not in {c.name for c in telnyx_oauth.all_clients()}


def test_the_sandbox_stays_strict_in_process(telnyx_sandbox):
    answer = telnyx_sandbox.session().get(telnyx_sandbox.in_process_base_url + "/oauth_clients", timeout=10,
                                          params={"page[size]": "0"},
                                          headers={"Authorization": f"Bearer {telnyx_sandbox.api_key}"})
    assert answer.status_code in (400, 422)
    assert answer.json()["errors"][0]["source"] == {"parameter": "page[size]"}


def test_a_made_up_api_key_is_refused(telnyx_sandbox):
    with TelnyxOAuth(api_key="KEYmadeup", base_url=telnyx_sandbox.in_process_base_url,
                     session=telnyx_sandbox.sandbox.requests_session()) as api:
        with pytest.raises(AuthenticationError):
            api.list_grants()


def test_planted_grants_come_back_with_their_ages(telnyx_sandbox, telnyx_oauth):
    from datetime import timedelta

    old = telnyx_sandbox.clock.now() - timedelta(days=400)
    planted = telnyx_sandbox.create_grant(scopes=["admin"], created_at=old, last_used_at=None)
    grant = telnyx_oauth.get_grant(planted["id"])
    assert grant.scopes == ("admin",) and grant.last_used_at is None
    assert grant.created_at.year == old.year and grant.created_at.day == old.day


@pytest.mark.parametrize("telnyx_sandbox", ["grants=25"], indirect=True)
def test_a_synthetic_seed_is_chosen_by_parameter(telnyx_oauth):
    assert telnyx_oauth.list_grants().total_results == 25


def test_code_that_only_takes_a_url_gets_a_real_loopback_server(telnyx_sandbox):
    url = telnyx_sandbox.base_url  # starts the loopback server on first read
    assert url.startswith("http://127.0.0.1:")
    answer = requests.get(f"{url}/oauth_clients", headers={"Authorization": f"Bearer {telnyx_sandbox.api_key}"},
                          timeout=10)
    assert answer.status_code == 200 and answer.json()["data"]


def test_the_session_sandbox_keeps_what_a_test_wrote(telnyx_sandbox_session):
    telnyx_sandbox_session.create_client("Kept for the next test", allowed_grant_types=["client_credentials"])


def test_the_session_sandbox_shows_what_the_previous_test_wrote(telnyx_sandbox_session):
    with telnyx_sandbox_session.oauth() as api:
        assert "Kept for the next test" in {c.name for c in api.all_clients()}


def test_the_sandbox_publishes_telnyx_scope_unless_the_marker_gives_a_custom_catalog(telnyx_sandbox):
    with telnyx_sandbox.oauth() as api:
        assert api.authorization_server_metadata().scopes_supported == ("admin",)


@pytest.mark.telnyx_sandbox(seed="empty", scopes=["admin", "messaging"])
def test_a_custom_catalog_through_the_marker(telnyx_sandbox):
    made = telnyx_sandbox.create_client("Messaging app", allowed_scopes=["messaging"])
    with telnyx_sandbox.oauth() as api:
        assert api.authorization_server_metadata().scopes_supported == ("admin", "messaging")
        token = api.client_credentials_token(scope="messaging", client_id=made["client_id"],
                                             client_secret=made["client_secret"])
    assert token.scopes == ("messaging",)

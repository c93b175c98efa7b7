"""Management endpoints over real HTTP: discovery, clients CRUD and filters, grants, pagination, empty accounts."""

from __future__ import annotations

from datetime import datetime

import pytest

from telnyx_nb import TelnyxOAuth
from telnyx_nb.core.errors import ConfigurationError, NotFoundError, ValidationError
from telnyx_nb.core.records import OAuthClient, OAuthGrant, Page


@pytest.fixture(scope="module")
def tx(sandbox):
    with TelnyxOAuth.from_sandbox(sandbox) as client:
        yield client


def test_discovery_documents_point_at_the_sandbox(tx, sandbox):
    meta = tx.authorization_server_metadata()
    assert meta.token_endpoint.startswith(sandbox.root_url)
    assert meta.jwks_uri and meta.issuer
    assert "S256" in meta.code_challenge_methods_supported
    assert "client_credentials" in meta.grant_types_supported
    resource = tx.protected_resource_metadata()
    assert resource.resource
    assert meta.issuer in resource.authorization_servers


def test_list_clients_page_shape(tx):
    page = tx.list_clients(page_size=5)
    assert isinstance(page, Page)
    assert page.page_number == 1 and page.page_size == 5
    assert len(page) == 5 and page.total_results >= 10
    assert page.total_pages == -(-page.total_results // 5)
    client = page.items[0]
    assert isinstance(client, OAuthClient)
    assert isinstance(client.created_at, datetime) and client.created_at.tzinfo is not None
    assert client.client_secret is None  # only creation returns it
    assert isinstance(client.allowed_scopes, tuple)


@pytest.mark.parametrize("page_size", [1, 100])
def test_iter_and_all_grants_see_every_grant_once_in_order(tx, page_size):
    total = tx.list_grants(page_size=1).total_results
    walked = [g.id for g in tx.iter_grants(page_size=page_size)]
    fetched = [g.id for g in tx.all_grants(page_size=page_size, progress=False)]
    assert len(walked) == total and len(set(walked)) == total
    assert fetched == walked  # concurrent fetch preserves server order


def test_page_size_one_walks_every_client(tx):
    total = tx.list_clients(page_size=100).total_results
    ids = [c.client_id for c in tx.iter_clients(page_size=1)]
    assert len(ids) == total == len(set(ids))
    assert [c.client_id for c in tx.all_clients(page_size=1, progress=False)] == ids


def test_late_page_numbers_are_empty(tx):
    page = tx.list_grants(page_number=10_000, page_size=100)
    assert page.items == () and not page.has_next


def test_client_filters(tx):
    everyone = tx.all_clients(progress=False)
    public = tx.all_clients(client_type="public", progress=False)
    assert public and all(c.client_type == "public" for c in public)
    assert {c.client_id for c in public} == {c.client_id for c in everyone if c.client_type == "public"}

    demo = everyone[0]
    by_name = tx.all_clients(name=demo.name, progress=False)
    assert [c.client_id for c in by_name] == [c.client_id for c in everyone if c.name == demo.name]
    fragment = demo.name.split()[-1].lower()
    contains = tx.all_clients(name_contains=fragment, progress=False)
    assert demo.client_id in {c.client_id for c in contains}
    assert all(fragment in c.name.lower() for c in contains)

    assert [c.client_id for c in tx.all_clients(client_id=demo.client_id, progress=False)] == [demo.client_id]

    cc = tx.all_clients(grant_type="client_credentials", progress=False)
    assert cc and all("client_credentials" in c.allowed_grant_types for c in cc)
    assert len(cc) < len(everyone) or all("client_credentials" in c.allowed_grant_types for c in everyone)

    unverified = tx.all_clients(verified=False, progress=False)
    assert unverified and all(c.verified is False for c in unverified)
    assert len(unverified) + len(tx.all_clients(verified=True, progress=False)) == len(everyone)


def test_filter_matching_nothing_gives_an_empty_list(tx):
    assert tx.all_clients(name="no such client name at all", progress=False) == []
    page = tx.list_clients(name="no such client name at all")
    assert page.total_results == 0 and page.items == ()


def test_bad_arguments_name_the_field(tx):
    with pytest.raises(ConfigurationError, match="unknown client filter 'colour'"):
        tx.list_clients(colour="blue")
    with pytest.raises(ConfigurationError, match="page_size"):
        tx.list_grants(page_size=101)
    with pytest.raises(ConfigurationError, match="client_type"):
        tx.all_clients(client_type="secret")
    with pytest.raises(ConfigurationError, match="grant_id"):
        tx.get_grant("../oauth_clients")


def test_get_grant_and_client(tx):
    grant = tx.list_grants(page_size=1).items[0]
    again = tx.get_grant(grant.id)
    assert isinstance(again, OAuthGrant) and again == grant
    client = tx.get_client(grant.client_id)
    assert client.client_id == grant.client_id


def test_unknown_ids_raise_not_found_with_details(tx):
    with pytest.raises(NotFoundError) as info:
        tx.get_client("00000000-0000-0000-0000-000000000000")
    err = info.value
    assert err.status == 404 and (err.title or err.detail)
    assert "/oauth_clients/" in str(err)
    with pytest.raises(NotFoundError):
        tx.get_grant("00000000-0000-0000-0000-000000000000")


def test_client_lifecycle_create_update_delete(make_sandbox):
    sb = make_sandbox(seed="empty")
    tx = TelnyxOAuth.from_sandbox(sb)
    created = tx.create_client(
        "Lifecycle app",
        "confidential",
        ["client_credentials"],
        ["admin"],
        redirect_uris=["https://app.example/cb"],
        require_pkce=True,
    )
    assert created.client_secret  # returned once, on create
    assert "Lifecycle app" in repr(created) and created.client_secret not in repr(created)
    fetched = tx.get_client(created.client_id)
    assert fetched.client_secret is None and fetched.require_pkce is True
    assert fetched.redirect_uris == ("https://app.example/cb",)

    updated = tx.update_client(created.client_id, name="Renamed app", allowed_scopes=["admin"])
    assert updated.name == "Renamed app" and updated.allowed_scopes == ("admin",)
    assert updated.updated_at >= created.updated_at

    # the new client's own credentials work at the token endpoint
    token = tx.client_credentials_token(client_id=created.client_id, client_secret=created.client_secret)
    assert tx.introspect(token.access_token).active

    tx.delete_client(created.client_id)
    with pytest.raises(NotFoundError):
        tx.get_client(created.client_id)
    assert tx.introspect(token.access_token).active is False  # deletion revokes its tokens


def test_create_client_validation_error_names_the_field(make_sandbox):
    sb = make_sandbox(seed="empty")
    tx = TelnyxOAuth.from_sandbox(sb)
    with pytest.raises(ValidationError) as info:
        tx.create_client("", "public", ["authorization_code"], ["admin"], redirect_uris=["https://x.example/cb"])
    assert info.value.status in (400, 422)
    assert any("name" in p for p in info.value.pointers)
    with pytest.raises(ConfigurationError, match="grant type"):
        tx.create_client("x", "public", ["password"], ["admin"])
    with pytest.raises(ConfigurationError, match="cannot update"):
        tx.update_client("whatever", client_secret="nope")


def test_empty_account(make_sandbox):
    sb = make_sandbox(seed="empty")
    tx = TelnyxOAuth.from_sandbox(sb)
    grants = tx.list_grants()
    assert grants.items == () and grants.total_results == 0
    assert list(tx.iter_grants()) == []
    assert tx.all_grants(progress=False) == []
    # the empty seed still has the demo client, or nothing at all; either way pagination agrees with itself
    assert len(tx.all_clients(progress=False)) == tx.list_clients().total_results


def test_revoke_grant(make_sandbox):
    sb = make_sandbox(seed="demo")
    tx = TelnyxOAuth.from_sandbox(sb)
    grant = tx.list_grants(page_size=1).items[0]
    revoked = tx.revoke_grant(grant.id)
    assert revoked.id == grant.id
    remaining = {g.id for g in tx.all_grants(progress=False)}
    assert grant.id not in remaining
    with pytest.raises(NotFoundError):
        tx.revoke_grant(grant.id)


def test_progress_bar_shows_for_several_pages_and_can_be_off(tx, capsys):
    tx.all_grants(page_size=50, progress=True)
    assert "grants" in capsys.readouterr().err
    tx.all_grants(page_size=50, progress=False)
    tx.all_clients(page_size=100, progress=None)  # a single page (a dozen clients): no bar
    assert capsys.readouterr().err == ""


def test_a_failing_page_fails_the_whole_fetch(make_sandbox):
    import requests

    from telnyx_nb.core.errors import ServerError

    sb = make_sandbox(seed="demo")
    tx = TelnyxOAuth.from_sandbox(sb, max_retries=0)
    tx.list_grants(page_size=10)  # warm the connection
    requests.post(f"{sb.root_url}/_sandbox/faults", headers={"Authorization": f"Bearer {sb.api_key}"},
                  json={"path": "/v2/oauth_grants", "method": "GET", "count": 1, "status": 500}, timeout=5)
    with pytest.raises(ServerError):
        tx.all_grants(page_size=10, progress=False)
    assert len(tx.all_grants(page_size=10, progress=False)) == tx.list_grants().total_results


def test_pages_after_the_first_are_fetched_on_several_threads(tx):
    import threading

    seen: list[tuple[str, str]] = []

    def listener(record):
        seen.append((threading.current_thread().name, record.url))

    tx.add_listener(listener)
    try:
        grants = tx.all_grants(page_size=10, progress=False)
    finally:
        tx.remove_listener(listener)
    page_threads = {name for name, _ in seen[1:]}
    assert seen[0][0] == threading.current_thread().name  # page 1 alone, to learn total_pages
    assert all(name.startswith("telnyx-nb-page") for name in page_threads) and len(page_threads) > 1
    assert len(seen) == -(-len(grants) // 10)  # one request per page, none repeated

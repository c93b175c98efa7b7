"""The store's decisions, without a server: single-use claims, token families, list filters and page marks.

The store is real (sqlite3 on a temporary file, the sandbox's own clock); nothing is mocked. The one decision
that lives above the store — a spent refresh token presented again inside or outside the reuse grace window —
goes through the sandbox's WSGI app in-process (Flask's test client: no socket, no thread).
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

import pytest

from telnyx_nb.sandbox.clock import Clock
from telnyx_nb.sandbox.protocol.jwt_access_tokens import unverified_claims
from telnyx_nb.sandbox.store.database import Store, check_secret, digest
from telnyx_nb.sandbox.store.listing import PageMarks

CLIENT = {"client_id": "client-a", "name": "Alpha Dispatch", "client_type": "confidential", "org_id": "org",
          "user_id": "user", "allowed_grant_types": ["authorization_code", "refresh_token"],
          "allowed_scopes": ["messaging"], "redirect_uris": ["http://127.0.0.1/cb"], "secret": "s3cret"}


@pytest.fixture
def store(tmp_path):
    store = Store(str(tmp_path / "store.sqlite3"), clock=Clock(), durable=False)
    store.insert_clients([CLIENT])
    yield store
    store.close()


def save_code(store, code="code-1", client_id="client-a", lifetime=600, grant_id=None):
    store.save_code(code, client_id=client_id, user_id="user", grant_id=grant_id, redirect_uri="http://127.0.0.1/cb",
                    scope="messaging", code_challenge=None, code_challenge_method=None, lifetime=lifetime)


def save_token(store, *, family=None, refresh_token=None, grant_id=None, client_id="client-a"):
    jti = str(uuid.uuid4())
    now = int(store.clock.time())
    store.save_token(jti=jti, client_id=client_id, user_id="user", grant_id=grant_id, scope="messaging",
                     issued_at=now, expires_at=now + 3600, refresh_token=refresh_token,
                     refresh_expires_at=now + 86400 if refresh_token else None, family=family)
    return jti


def live(store, jti) -> bool:
    return bool(store.token_status(jti=jti)["live"])


# ----- authorization codes (RFC 6749 §4.1.2) ------------------------------------------------------------------
def test_a_code_is_redeemed_once_and_its_second_redemption_revokes_what_the_first_issued(store):
    save_code(store)
    first = store.claim_code("code-1", "client-a")
    assert first is not None and first["scope"] == "messaging"
    issued = save_token(store, family=digest("code-1"))
    assert live(store, issued)
    assert store.claim_code("code-1", "client-a") is None
    assert not live(store, issued)
    # a token the first redemption saves after the replay is born revoked
    assert not live(store, save_token(store, family=digest("code-1")))


def test_a_code_presented_by_another_client_is_refused_and_spent(store):
    save_code(store)
    assert store.claim_code("code-1", "client-b") is None
    assert store.claim_code("code-1", "client-a") is None


def test_a_code_is_expired_from_the_second_its_lifetime_ends(store):
    save_code(store, lifetime=60)
    store.clock.advance(60)
    assert store.claim_code("code-1", "client-a") is None


def test_an_expired_code_is_refused(store):
    save_code(store, lifetime=60)
    store.clock.advance(61)
    assert store.claim_code("code-1", "client-a") is None


def test_an_unknown_code_is_refused_without_touching_other_tokens(store):
    save_code(store)
    token = save_token(store, family=digest("code-1"))
    assert store.claim_code("never-issued", "client-a") is None
    assert live(store, token) and store.claim_code("code-1", "client-a") is not None


# ----- consents ------------------------------------------------------------------------------------------------
def test_a_consent_is_claimed_once_and_not_after_it_expires(store):
    once = store.create_consent("client-a", "user", {"scope": "messaging"}, lifetime=60)
    assert store.claim_consent(once)["params"] == {"scope": "messaging"}
    assert store.claim_consent(once) is None and store.get_consent(once) is None
    late = store.create_consent("client-a", "user", {}, lifetime=60)
    store.clock.advance(60)
    assert store.get_consent(late) is None and store.claim_consent(late) is None


# ----- refresh tokens and families (RFC 9700 §4.14.2, RFC 7009 §2.1) -----------------------------------------
def test_a_refresh_token_is_claimed_once_and_remembers_when(store):
    save_token(store, family="fam", refresh_token="refresh-1")
    row = store.claim_refresh("refresh-1", "client-a")
    assert row is not None and row["family"] == "fam"
    assert store.claim_refresh("refresh-1", "client-a") is None
    assert float(store.token_status(refresh_token="refresh-1")["refresh_used"]) == pytest.approx(
        store.clock.time(), abs=5)


def test_a_refresh_token_is_not_claimed_by_another_client_or_after_it_expires(store):
    save_token(store, family="fam", refresh_token="refresh-1")
    assert store.claim_refresh("refresh-1", "client-b") is None
    store.clock.advance(86401)
    assert store.claim_refresh("refresh-1", "client-a") is None


def test_a_refresh_token_of_a_revoked_grant_is_not_claimed(store):
    grant_id = store.grant_for_consent("client-a", "user", ["messaging"])
    save_token(store, family="fam", refresh_token="refresh-1", grant_id=grant_id)
    store.revoke_grant(grant_id)
    assert store.claim_refresh("refresh-1", "client-a") is None


def test_revoking_a_family_ends_every_token_in_it_and_tokens_saved_later(store):
    first = save_token(store, family="fam", refresh_token="refresh-1")
    second = save_token(store, family="fam", refresh_token="refresh-2")
    other = save_token(store, family="other", refresh_token="refresh-3")
    assert store.revoke_family("fam", first, "refresh token reuse") == 2
    assert not live(store, first) and not live(store, second) and live(store, other)
    assert store.family_revoked("fam") and not store.family_revoked("other")
    assert not live(store, save_token(store, family="fam"))  # a racing refresh's token is born revoked
    assert store.claim_refresh("refresh-2", "client-a") is None


def test_a_token_without_a_family_is_revoked_alone(store):
    alone, neighbour = save_token(store), save_token(store)
    assert store.revoke_family(None, alone, "revoked") == 1
    assert not live(store, alone) and live(store, neighbour)


def test_a_token_issued_while_its_client_is_deleted_is_born_revoked(store):
    # both paths: a client's own token (one statement) and a grant's (the transaction)
    assert live(store, save_token(store)) and live(store, save_token(store, family="fam"))
    assert not live(store, save_token(store, client_id="deleted-meanwhile"))
    assert not live(store, save_token(store, client_id="deleted-meanwhile", family="fam"))


def test_a_token_saved_for_a_grant_moves_its_last_use_on_the_sandbox_clock(store):
    grant_id = store.grant_for_consent("client-a", "user", ["messaging"])
    store.clock.advance(86400 * 400)  # far from the real clock, so a timestamp read from it would show
    token = save_token(store, grant_id=grant_id)
    assert live(store, token)
    used = datetime.fromisoformat(store.get_grant(grant_id)["last_used_at"])  # 3.11 reads the "Z"
    assert abs((store.clock.now() - used).total_seconds()) < 60


def test_a_token_saved_for_a_revoked_grant_is_born_revoked_even_without_a_family(store):
    grant_id = store.grant_for_consent("client-a", "user", ["messaging"])
    assert store.revoke_grant(grant_id)
    assert not live(store, save_token(store, grant_id=grant_id))


def test_a_secret_is_checked_only_against_a_stored_digest_and_a_presented_value():
    stored = digest("s3cret")
    assert check_secret(stored, "s3cret")
    assert not check_secret(stored, "other")
    assert not check_secret(None, "s3cret")  # a public client has no digest: nothing it presents matches
    assert not check_secret(stored, None) and not check_secret(stored, "")
    assert not check_secret("", "")


def test_deleting_a_client_ends_its_tokens_and_grants(store):
    grant_id = store.grant_for_consent("client-a", "user", ["messaging"])
    token = save_token(store, grant_id=grant_id)
    assert store.delete_client("client-a")
    assert not live(store, token) and store.get_grant(grant_id) is None
    assert not store.delete_client("client-a")


# ----- the reuse grace window, decided by the refresh grant above the store --------------------------------------
@pytest.fixture(scope="module")
def app_sandbox():
    from telnyx_nb.sandbox import Sandbox

    sandbox = Sandbox(seed="demo", refresh_reuse_grace=10).start(serve=False)
    yield sandbox
    sandbox.stop()


def refresh(sandbox, refresh_token):
    basic = base64.b64encode(f"{sandbox.demo_client_id}:{sandbox.demo_client_secret}".encode()).decode()
    return sandbox.app.test_client().post(
        "/v2/oauth/token", data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        headers={"Authorization": f"Basic {basic}", "Host": sandbox.root_url.split("//", 1)[1]})


def planted_refresh_token(sandbox) -> tuple[str, str]:
    """(refresh token, family) as an authorization-code exchange would leave them for the demo client."""
    store = sandbox.store
    grant_id = store.grant_for_consent(sandbox.demo_client_id, store.get_setting("user_id"), ["admin"])
    token, family = f"refresh-{uuid.uuid4()}", f"family-{uuid.uuid4()}"
    now = int(store.clock.time())
    store.save_token(jti=str(uuid.uuid4()), client_id=sandbox.demo_client_id, user_id=store.get_setting("user_id"),
                     grant_id=grant_id, scope="admin", issued_at=now, expires_at=now + 3600,
                     refresh_token=token, refresh_expires_at=now + 86400, family=family)
    return token, family


def test_a_spent_refresh_token_back_inside_the_grace_window_is_refused_and_the_family_kept(app_sandbox):
    token, family = planted_refresh_token(app_sandbox)
    renewed = refresh(app_sandbox, token)
    assert renewed.status_code == 200, renewed.get_json()
    again = refresh(app_sandbox, token)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    assert not app_sandbox.store.family_revoked(family)
    assert refresh(app_sandbox, renewed.get_json()["refresh_token"]).status_code == 200


def test_a_spent_refresh_token_back_after_the_grace_window_revokes_its_family(app_sandbox):
    token, family = planted_refresh_token(app_sandbox)
    renewed = refresh(app_sandbox, token).get_json()
    app_sandbox.clock.advance(11)
    assert refresh(app_sandbox, token).status_code == 400
    assert app_sandbox.store.family_revoked(family)
    assert refresh(app_sandbox, renewed["refresh_token"]).status_code == 400
    jti = unverified_claims(renewed["access_token"])["jti"]
    assert not app_sandbox.store.token_status(jti=jti)["live"]  # its access token ended with it


# ----- list queries --------------------------------------------------------------------------------------------
def client(client_id, name, created_at, **fields):
    return {**CLIENT, "client_id": client_id, "name": name, "created_at": created_at, "updated_at": created_at,
            **fields}


@pytest.fixture
def listed(store):
    store.insert_clients([
        client("c1", "Émile Relay", "2026-01-01T00:00:01.000Z", client_type="public", secret=None),
        client("c2", "Relay Two", "2026-01-01T00:00:02.000Z", verified=True),
        client("c3", "Other", "2026-01-01T00:00:03.000Z", allowed_grant_types=["client_credentials"]),
    ])
    return store


@pytest.mark.parametrize(("filters", "expected"), [
    ({}, ["client-a", "c3", "c2", "c1"]),  # newest first (client-a was created now)
    ({"client_type": "public"}, ["c1"]),
    ({"name": "Other"}, ["c3"]),
    ({"name_contains": "émile"}, ["c1"]),  # folded like Python, not ASCII-only
    ({"name_contains": "relay"}, ["c2", "c1"]),
    ({"client_id": "c2"}, ["c2"]),
    ({"grant_type": "client_credentials"}, ["c3"]),
    ({"verified": True}, ["c2"]),
    ({"verified": False}, ["client-a", "c3", "c1"]),
    ({"name_contains": "relay", "verified": True}, ["c2"]),
])
def test_client_filters_select_the_matching_clients_newest_first(listed, filters, expected):
    rows, total = listed.list_clients(filters, 1, 100)
    assert [r["client_id"] for r in rows] == expected and total == len(expected)


def test_a_filtered_total_follows_writes(listed):
    assert listed.list_clients({"verified": True}, 1, 10)[1] == 1
    listed.update_client("c3", {"verified": True})
    assert listed.list_clients({"verified": True}, 1, 10)[1] == 2


def test_grant_pages_partition_the_live_grants_even_after_a_revocation(store):
    grants = [{"id": f"g{i:03d}", "client_id": "client-a", "user_id": "user", "scopes": ["messaging"],
               "created_at": f"2026-01-01T00:00:{i % 7:02d}.000Z"} for i in range(40)]  # many equal stamps
    store.insert_grants(grants)
    pages = [store.list_grants(n, 7)[0] for n in range(1, 7)]
    seen = [g["id"] for page in pages for g in page]
    assert sorted(seen) == sorted(g["id"] for g in grants) and len(set(seen)) == 40
    store.revoke_grant(pages[0][0]["id"])  # a write starts the page marks afresh
    after = [g["id"] for n in range(1, 7) for g in store.list_grants(n, 7)[0]]
    assert after == seen[1:] and store.list_grants(1, 7)[1] == 39


def test_page_marks_give_the_nearest_boundary_before_an_offset_for_their_generation_only():
    marks = PageMarks()
    marks.remember(1, 9, ("t9", "a"))
    marks.remember(1, 19, ("t19", "b"))
    assert marks.before(1, 20) == (19, ("t19", "b"))
    assert marks.before(1, 19) == (9, ("t9", "a"))
    assert marks.before(1, 9) is None
    assert marks.before(2, 20) is None  # another generation: no mark holds
    marks.remember(2, 4, ("t4", "c"))
    assert marks.before(2, 20) == (4, ("t4", "c")) and marks.before(1, 20) is None

"""Exactly-once redemption: a code and a refresh token each buy one answer, however many requests race for them.

RFC 6749 §4.1.2 (a code is single-use; a reused code should revoke what it issued) and §10.4 / RFC 9700 §4.14
(refresh-token rotation). Several threads start together on a barrier so the requests really overlap.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from oauth_helpers import create_client, introspect, obtain_code, redeem, refresh
from oauth_helpers import race as shared_race

RACERS = 8


@pytest.fixture
def sb(make_sandbox):
    return make_sandbox(seed="empty")


def race(call) -> list:
    return shared_race(call, RACERS)


def split(responses):
    winners = [r for r in responses if r.status_code == 200]
    losers = [r for r in responses if r.status_code != 200]
    assert all(r.status_code == 400 and r.json()["error"] == "invalid_grant" for r in losers), \
        sorted({(r.status_code, r.text[:120]) for r in losers})
    return winners, losers


def test_a_code_is_redeemed_once_when_requests_race(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    winners, losers = split(race(lambda: redeem(sb, client, code, verifier)))
    assert len(winners) == 1, f"{len(winners)} of {RACERS} redemptions of one code succeeded"
    assert len(losers) == RACERS - 1


def test_reuse_after_a_race_revokes_the_winners_tokens(sb):
    """However the race went, a later replay of the code finds and revokes the winner's tokens (RFC 6749 §4.1.2)."""
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    winners, _ = split(race(lambda: redeem(sb, client, code, verifier)))
    assert len(winners) == 1
    issued = winners[0].json()
    replay = redeem(sb, client, code, verifier)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert introspect(sb, issued["access_token"]) == {"active": False}
    assert refresh(sb, client, issued["refresh_token"]).status_code == 400


def test_second_redemption_revokes_what_the_first_issued(sb):
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    first = redeem(sb, client, code, verifier)
    assert first.status_code == 200
    issued = first.json()
    assert introspect(sb, issued["access_token"])["active"] is True
    rotated = refresh(sb, client, issued["refresh_token"])
    assert rotated.status_code == 200
    later = rotated.json()

    second = redeem(sb, client, code, verifier)
    assert second.status_code == 400 and second.json()["error"] == "invalid_grant"
    assert introspect(sb, issued["access_token"]) == {"active": False}
    # the whole family that code started is dead, including tokens refreshed from it
    assert introspect(sb, later["access_token"]) == {"active": False}
    assert refresh(sb, client, later["refresh_token"]).status_code == 400
    # other codes of the same client are unaffected
    code2, verifier2 = obtain_code(sb, client)
    assert redeem(sb, client, code2, verifier2).status_code == 200


def test_a_refresh_token_is_redeemed_once_when_requests_race(make_sandbox):
    # with a grace window, racers are losers, not reusers (the strict default would revoke the winner's family)
    sb = make_sandbox(seed="empty", refresh_reuse_grace=10)
    client = create_client(sb)
    code, verifier = obtain_code(sb, client)
    issued = redeem(sb, client, code, verifier).json()
    winners, losers = split(race(lambda: refresh(sb, client, issued["refresh_token"])))
    assert len(winners) == 1, f"{len(winners)} of {RACERS} refreshes of one token succeeded"
    assert len(losers) == RACERS - 1
    rotated = winners[0].json()
    assert introspect(sb, rotated["access_token"])["active"] is True
    assert refresh(sb, client, rotated["refresh_token"]).status_code == 200, "the winner's new token works"


def test_parallel_flows_for_different_clients_all_succeed(sb):
    """Contention on the store must not turn into errors for independent requests."""
    clients = [create_client(sb) for _ in range(RACERS)]
    codes = [obtain_code(sb, c) for c in clients]
    barrier = threading.Barrier(RACERS)

    def one(i):
        barrier.wait(timeout=10)
        return redeem(sb, clients[i], *codes[i])

    with ThreadPoolExecutor(RACERS) as pool:
        responses = list(pool.map(one, range(RACERS)))
    assert [r.status_code for r in responses] == [200] * RACERS, [r.text[:120] for r in responses]


def test_a_consent_decision_is_taken_once_when_requests_race(sb):
    """A consent token is single-use: eight simultaneous Allow clicks yield one code, not eight."""
    from oauth_helpers import authorize, consent_page, query_of

    client = create_client(sb)
    response, _ = authorize(sb, client, state="race")
    page = consent_page(response)
    answers = race(lambda: page.decide(allow=True))
    codes = [query_of(r.headers["Location"]).get("code") for r in answers
             if r.status_code in (302, 303) and "code=" in r.headers.get("Location", "")]
    assert len(codes) == 1, f"{len(codes)} codes from one consent token"
    assert all(r.status_code < 500 for r in answers)


def test_concurrent_management_writes_all_land(sb):
    """Eight clients created at once: eight 201s, eight distinct ids, and the list counts them exactly."""
    from oauth_helpers import TIMEOUT, api, url

    created = race(lambda: api(sb).post(url(sb, "/oauth_clients"), timeout=TIMEOUT, json={
        "name": "Racer", "client_type": "confidential", "allowed_grant_types": ["client_credentials"],
        "allowed_scopes": ["admin"]}))
    assert [r.status_code for r in created] == [201] * RACERS, [r.text[:120] for r in created]
    assert len({r.json()["data"]["client_id"] for r in created}) == RACERS
    listed = api(sb).get(url(sb, "/oauth_clients"), params={"filter[name]": "Racer"}, timeout=TIMEOUT).json()
    assert listed["meta"]["total_results"] == RACERS


@pytest.mark.parametrize("what", ["client", "grant"])
def test_racing_deletes_succeed_exactly_once(sb, what):
    from oauth_helpers import TIMEOUT, api, url

    client = create_client(sb)
    if what == "client":
        path = f"/oauth_clients/{client['client_id']}"
        ok = 204
    else:
        code, verifier = obtain_code(sb, client)
        redeem(sb, client, code, verifier)
        grant = next(g for g in api(sb).get(url(sb, "/oauth_grants"), params={"page[size]": 100},
                                            timeout=TIMEOUT).json()["data"] if g["client_id"] == client["client_id"])
        path = f"/oauth_grants/{grant['id']}"
        ok = 200
    answers = race(lambda: api(sb).delete(url(sb, path), timeout=TIMEOUT))
    codes = sorted(r.status_code for r in answers)
    assert codes == [ok] + [404] * (RACERS - 1), codes


@pytest.mark.parametrize("what", ["grant", "client"])
def test_a_refresh_racing_a_revocation_leaves_nothing_alive(sb, what):
    """However a refresh and a grant revocation (or client deletion) interleave, once both answered no token of
    the grant lives."""
    from oauth_helpers import TIMEOUT, api, url

    for _ in range(4):
        client = create_client(sb)
        code, verifier = obtain_code(sb, client)
        issued = redeem(sb, client, code, verifier).json()
        grant = next(g for g in api(sb).get(url(sb, "/oauth_grants"), params={"page[size]": 100},
                                            timeout=TIMEOUT).json()["data"] if g["client_id"] == client["client_id"])
        barrier = threading.Barrier(2)

        def do_refresh(barrier=barrier, client=client, issued=issued):
            barrier.wait(timeout=10)
            return refresh(sb, client, issued["refresh_token"])

        def do_revoke(barrier=barrier, client=client, grant=grant):
            barrier.wait(timeout=10)
            path = f"/oauth_grants/{grant['id']}" if what == "grant" else f"/oauth_clients/{client['client_id']}"
            return api(sb).delete(url(sb, path), timeout=TIMEOUT)

        with ThreadPoolExecutor(2) as pool:
            refreshed, revoked = pool.submit(do_refresh), pool.submit(do_revoke)
            refreshed, revoked = refreshed.result(), revoked.result()
        assert revoked.status_code == (200 if what == "grant" else 204)
        assert refreshed.status_code in (200, 400, 401), refreshed.text
        assert introspect(sb, issued["access_token"]) == {"active": False}
        if refreshed.status_code == 200:
            late = refreshed.json()
            assert introspect(sb, late["access_token"]) == {"active": False}
            assert refresh(sb, client, late["refresh_token"]).status_code in (400, 401)

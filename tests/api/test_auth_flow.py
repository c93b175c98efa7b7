"""Renewal after a 401 is the auth object's decision (``telnyx_nb.api.auth.auth_flow``), tested without a server.

The flow over real HTTP (a token revoked server-side, retried once with a fresh one) is in tests/api/test_oauth.py;
here the answers are ``requests.Response`` objects built by hand, so each branch is one call.
"""

from __future__ import annotations

import itertools
import secrets

import requests

from telnyx_nb.api.auth import BearerKey, ClientBasic, ClientCredentialsToken, auth_flow
from telnyx_nb.core.records import TokenResponse


def answer(status: int, sent_token: str | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    request = requests.PreparedRequest()
    request.prepare(method="GET", url="http://127.0.0.1:9/v2/oauth_grants")
    if sent_token is not None:
        request.headers["Authorization"] = f"Bearer {sent_token}"
    response.request = request
    return response


PREFIX = secrets.token_urlsafe(12)  # tokens are remembered for masking process-wide: fresh ones per run


def token_cache() -> ClientCredentialsToken:
    numbers = itertools.count(1)
    return ClientCredentialsToken(lambda: TokenResponse.from_json({"access_token": f"{PREFIX}-{next(numbers)}",
                                                                   "expires_in": 3600}))


def test_a_401_makes_the_token_renew_and_the_request_go_once_more():
    cache = token_cache()
    sent = cache.access_token()
    flow = auth_flow(cache)
    assert flow.send(answer(401, sent)) is True
    assert cache.token is None  # forgotten: the resend fetches a fresh one
    assert cache.access_token() == f"{PREFIX}-2" and cache.fetch_count == 2


def test_only_once_per_request():
    cache = token_cache()
    flow = auth_flow(cache)
    assert flow.send(answer(401, cache.access_token())) is True
    assert flow.send(answer(401, cache.access_token())) is False
    assert flow.send(answer(401, cache.access_token())) is False
    assert cache.fetch_count == 2  # the second 401 did not throw the new token away


def test_other_answers_neither_renew_nor_use_up_the_renewal():
    cache = token_cache()
    flow = auth_flow(cache)
    for status in (200, 403, 429, 503):
        assert flow.send(answer(status, cache.access_token())) is False
    assert cache.fetch_count == 1
    assert flow.send(answer(401, cache.access_token())) is True  # a 401 after a retried 503 still renews


def test_each_request_has_its_own_renewal():
    cache = token_cache()
    assert auth_flow(cache).send(answer(401, cache.access_token())) is True
    assert auth_flow(cache).send(answer(401, cache.access_token())) is True
    assert cache.token is None and cache.fetch_count == 2  # both refused tokens forgotten


def test_a_401_for_a_token_already_replaced_keeps_the_new_one():
    cache = token_cache()
    old = cache.access_token()
    cache.invalidate()
    new = cache.access_token()  # another thread renewed meanwhile
    assert auth_flow(cache).send(answer(401, old)) is True  # still sent again, with the new token
    assert cache.token is not None and cache.access_token() == new and cache.fetch_count == 2


def test_fixed_credentials_are_never_sent_again():
    for auth in (BearerKey("KEY" + "f" * 55), ClientBasic("client", secrets.token_urlsafe(16)), None):
        flow = auth_flow(auth)
        assert [flow.send(answer(status)) for status in (401, 401, 200)] == [False, False, False]

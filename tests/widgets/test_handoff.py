"""How a token passes between panels (widgets/handoff.py), without a server: every callback hears each new token,
in order; a receiver takes the access token out of a token response (or a bare string) and forgets its verdict."""

from __future__ import annotations

from telnyx_nb.core.records import TokenResponse
from telnyx_nb.widgets.controls import SecretText
from telnyx_nb.widgets.handoff import TokenReceiver, TokenSource

ACCESS = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJl"


class Source(TokenSource):
    pass


class Receiver(TokenReceiver):
    def __init__(self) -> None:
        self.token = SecretText("Token")
        self.verdict_value: str | None = "valid"
        self.redraws = 0

    def _forget_result(self) -> None:
        self.verdict_value = None

    def _refresh_view(self) -> None:
        self.redraws += 1


def test_every_listener_hears_every_token_in_order():
    source, heard = Source(), []
    source.on_token(lambda t: heard.append(("first", t)))
    source.on_token(lambda t: heard.append(("second", t)))
    one, two = TokenResponse(access_token="a"), TokenResponse(access_token="b")
    source._announce_token(one)
    source._announce_token(two)
    assert heard == [("first", one), ("second", one), ("first", two), ("second", two)]


def test_sources_do_not_share_listeners():
    a, b, heard = Source(), Source(), []
    a.on_token(heard.append)
    b._announce_token(TokenResponse(access_token="b"))
    assert heard == []


def test_a_receiver_takes_the_access_token_and_forgets_its_verdict():
    receiver = Receiver()
    receiver.receive(TokenResponse(access_token=ACCESS, refresh_token="rt"))
    assert receiver.token.value == ACCESS and receiver.verdict_value is None and receiver.redraws == 1
    assert ACCESS not in receiver.token.hidden.value + receiver.token.shown.value  # never put in a widget model


def test_a_receiver_takes_a_bare_string_and_clears_on_none():
    receiver = Receiver()
    receiver.receive("opaque-token")
    assert receiver.token.value == "opaque-token"
    receiver.receive(None)
    assert receiver.token.value == ""

"""The Explorer where a demanding user pushes it: refreshing another client's token as that client, a server that
is down, and countdown threads that must stop when the panels close.
"""

from __future__ import annotations

import threading

from telnyx_nb import TelnyxOAuth

API_KEY = "KEY0123456789abcdefghijklmnopqrstuv"
REDIRECT = "http://127.0.0.1:9/cb"


def _countdown_threads() -> int:
    return sum(t.name == "tnb-countdown" and t.is_alive() for t in threading.enumerate())


def test_explorer_refreshes_a_token_of_another_client_as_that_client(make_sandbox):
    """RFC 6749 §6: a refresh token is bound to its client. A code exchanged in the Authorize tab for a client
    the user created must refresh in the Token tab as *that* client, not as the session's demo client."""
    from telnyx_nb.widgets import Explorer

    with TelnyxOAuth.from_sandbox(make_sandbox()) as tx:
        other = tx.create_client("probe app", "confidential", ["authorization_code", "refresh_token"],
                                 ["admin"], redirect_uris=[REDIRECT])
        app = Explorer(tx)
        try:
            app.authorize.activate()
            app.authorize.client_id.value = other.client_id
            app.authorize.client_secret.value = other.client_secret
            app.authorize.redirect_uri.value = REDIRECT
            app.authorize.scopes.value = ("admin",)
            for button in (app.authorize.build_button, app.authorize.start_button, app.authorize.allow_button,
                           app.authorize.exchange_button):
                button.click()
                assert app.authorize.last_error is None, app.authorize.error_message
            first = app.authorize.last_token
            app.token.refresh_button.click()
            assert app.token.last_error is None, app.token.error_message
            assert app.last_token.refresh_token != first.refresh_token
            assert tx.introspect(app.last_token.access_token).client_id == other.client_id
            app.token.refresh_button.click()  # the rotated token refreshes as the same client again
            assert app.token.last_error is None, app.token.error_message
        finally:
            app.close()


def test_explorer_against_a_server_that_is_down_shows_readable_lines_and_close_stops_countdowns(sandbox,
                                                                                              refused_port):
    from telnyx_nb.widgets import Explorer
    from telnyx_nb.widgets.base import visible_text

    down = TelnyxOAuth(API_KEY, base_url=f"http://127.0.0.1:{refused_port}/v2", client_id="c",
                       client_secret="s" * 24, max_retries=0)
    app = Explorer(down)
    try:
        for name in ("token", "jwks", "authorize", "clients", "grants", "discovery"):
            getattr(app, name).activate()
            panel = getattr(app, name)
            assert "connection refused" in panel.status.value, (name, panel.status.value)
            assert "Traceback" not in visible_text(panel)
        app.token.issue()
        assert "connection refused" in app.token.error_message
    finally:
        app.close()
        down.close()

    with TelnyxOAuth.from_sandbox(sandbox, max_retries=0) as tx:
        before = _countdown_threads()
        app = Explorer(tx)
        app.token.activate()
        app.token.issue()
        assert _countdown_threads() == before + 1
        app.close()
        for thread in [t for t in threading.enumerate() if t.name == "tnb-countdown"]:
            thread.join(5)
        assert _countdown_threads() == before


def test_close_all_widgets_also_stops_the_countdown_thread(sandbox):
    from telnyx_nb.widgets import TokenPanel

    with TelnyxOAuth.from_sandbox(sandbox, max_retries=0) as tx:
        panel = TokenPanel(tx)
        panel.issue()
        thread = panel.countdown._thread
        assert thread is not None and thread.is_alive()
        panel.countdown.close()  # as ipywidgets.Widget.close_all() does to every widget
        thread.join(5)
        assert not thread.is_alive()
        panel.close()

"""Fixtures of the widget tests: ``open_panel``, a panel that is closed when the test ends, pass or fail."""

from __future__ import annotations

import pytest

from telnyx_nb import TelnyxOAuth


@pytest.fixture
def open_panel():
    """``open_panel(Panel, source, **options)``: ``Panel(client, **options)``, where ``source`` is the client, or a
    sandbox that gets a client of its own (``panel.client``). Panels, then clients, are closed at the end."""
    opened = []

    def open_(panel_class, source, **options):
        client = source
        if not isinstance(source, TelnyxOAuth):
            client = TelnyxOAuth.from_sandbox(source)
            opened.append(client)
        panel = panel_class(client, **options)
        opened.append(panel)
        return panel

    yield open_
    for thing in reversed(opened):
        thing.close()

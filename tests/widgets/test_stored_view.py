"""A panel's display output carries a stored view beside the widget: static HTML and text of what it showed, masked,
inert, with a banner — what GitHub, nbviewer, nbconvert offline and a not-yet-run notebook show.

Every test plants secrets it knows (tokens, a client secret, the API key, a code in a pasted redirect) and looks for
them in every mimetype of the bundle, with the reveal toggle off and on.
"""

from __future__ import annotations

import json

import pytest

from telnyx_nb.core.masking import mask
from telnyx_nb.widgets import (
    AuthorizePanel,
    ClientsPanel,
    DiscoveryPanel,
    Explorer,
    GrantsPanel,
    IntrospectionPanel,
    JWKSPanel,
    TokenPanel,
    stored,
)
from telnyx_nb.widgets.stored import BANNER, CSS_CLASS

VIEW = "application/vnd.jupyter.widget-view+json"
PLANTED_SECRET = "planted-Client-Secret-0123456789-abcdefXYZ"
PLANTED_CODE = "planted-Code-9876543210-ZYXfedcba"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A sandbox of this module's own (tests issue tokens and create clients) and a session on it."""
    from telnyx_nb import TelnyxOAuth
    from telnyx_nb.sandbox.web.server import Sandbox

    sandbox = Sandbox(db=":memory:", seed="demo").start()
    client = TelnyxOAuth.from_sandbox(sandbox)
    yield sandbox, client
    client.close()
    sandbox.stop()


@pytest.fixture
def opened():
    panels = []
    yield panels
    for panel in reversed(panels):
        panel.close()


def bundle_text(widget) -> str:
    """Every mimetype of the widget's display bundle, as one string."""
    return json.dumps(widget._repr_mimebundle_(), ensure_ascii=False)


def assert_stored_view(widget, *secrets: str) -> dict:
    bundle = widget._repr_mimebundle_()
    assert bundle[VIEW]["model_id"] == widget.model_id  # live front ends still get the widget
    markup, text = bundle["text/html"], bundle["text/plain"]
    assert f"class='{CSS_CLASS} telnyx-nb-stored-{type(widget).__name__}'" in markup
    assert BANNER in markup and BANNER in text
    for inert in ("<button", "onclick", "<script", "<input", "<select", "<textarea"):
        assert inert not in markup.lower(), inert
    assert "expires in" not in markup  # a countdown, frozen
    everything = json.dumps(bundle, ensure_ascii=False)
    for secret in secrets:
        assert secret and secret not in everything, f"{secret[:6]}… is in the stored view"
    return bundle


PANELS = [TokenPanel, IntrospectionPanel, JWKSPanel, AuthorizePanel, ClientsPanel, GrantsPanel, DiscoveryPanel,
          Explorer]


@pytest.mark.parametrize("kind", PANELS, ids=lambda k: k.__name__)
def test_every_panel_has_a_stored_view_without_the_api_key(kind, world, opened):
    sandbox, client = world
    panel = kind(client)
    opened.append(panel)
    bundle = assert_stored_view(panel, sandbox.api_key, sandbox.demo_client_secret)
    assert mask(sandbox.api_key) in bundle["text/html"]  # the header says which key, as the live panel does


@pytest.mark.parametrize("revealed", [False, True], ids=["masked", "revealed"])
def test_token_panel_stores_its_token_masked_and_its_expiry_as_a_time(revealed, world, opened):
    sandbox, client = world
    panel = TokenPanel(client)
    opened.append(panel)
    panel.scopes.value = ("admin",)
    token = panel.issue()
    panel.reveal.value = revealed
    assert token.access_token in str(panel.response.value) if revealed else True  # the live panel shows it
    bundle = assert_stored_view(panel, token.access_token, sandbox.api_key)
    if not revealed:
        assert mask(token.access_token) in bundle["text/html"]
        assert "token valid until" in bundle["text/plain"] and "UTC" in bundle["text/plain"]
        assert "telnyx-nb-stored-control" in bundle["text/html"] and "Issue" in bundle["text/plain"]
    else:
        assert "Hide secrets" in bundle["text/plain"]  # says why it holds nothing more


@pytest.mark.parametrize("kind", [JWKSPanel, IntrospectionPanel], ids=lambda k: k.__name__)
@pytest.mark.parametrize("revealed", [False, True], ids=["masked", "revealed"])
def test_a_handed_in_token_is_never_stored(kind, revealed, world, opened):
    _, client = world
    token = client.client_credentials_token("admin")
    panel = kind(client)
    opened.append(panel)
    panel.receive(token)
    (panel.verify if kind is JWKSPanel else panel.introspect)()
    panel.reveal.value = revealed
    bundle = assert_stored_view(panel, token.access_token)
    assert " ago)" not in bundle["text/plain"] and "(in " not in bundle["text/plain"]  # times as dates only


@pytest.mark.parametrize("revealed", [False, True], ids=["masked", "revealed"])
def test_authorize_panel_stores_neither_a_typed_secret_nor_a_pasted_code(revealed, world, opened):
    _, client = world
    panel = AuthorizePanel(client)
    opened.append(panel)
    panel.client_secret.value = PLANTED_SECRET
    panel.paste.value = f"http://127.0.0.1:8765/callback?code={PLANTED_CODE}&state=abc"
    panel.reveal.value = revealed
    assert_stored_view(panel, PLANTED_SECRET, PLANTED_CODE)


@pytest.mark.parametrize("revealed", [False, True], ids=["masked", "revealed"])
def test_clients_panel_stores_a_new_clients_secret_masked(revealed, world, opened):
    _, client = world
    panel = ClientsPanel(client)
    opened.append(panel)
    panel.new_client()
    panel.name.value = "Stored view check"
    panel.grant_types.value = ("client_credentials",)
    panel.scopes.value = ("admin",)
    panel.save()
    panel.confirm.confirm()
    assert panel.last_error is None, panel.error_message
    secret = panel._new_secret  # shown once, in the panel's secret box
    assert secret and mask(secret) in panel.secret_box.value
    panel.reveal.value = revealed
    bundle = assert_stored_view(panel, secret)
    assert (mask(secret) in bundle["text/html"]) is not revealed


def test_explorer_stores_the_open_tab_and_names_the_others(world, opened):
    _, client = world
    explorer = Explorer(client)
    opened.append(explorer)
    explorer.token.scopes.value = ("admin",)
    token = explorer.token.issue()
    explorer.token.reveal.value = True
    explorer.jwks.reveal.value = True
    bundle = assert_stored_view(explorer, token.access_token)
    for title in Explorer.TAB_TITLES:
        assert title in bundle["text/plain"]


def test_the_stored_view_follows_the_panel_after_each_cell(world, opened, monkeypatch):
    """Displayed with a display id; after a cell that changed the panel (here: issued a token) the output is sent
    again, so a notebook stores the panel as it ended; an unchanged panel sends nothing."""
    import IPython.display

    _, client = world
    sent = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda data, raw, display_id: sent.append(("display", display_id, data)))
    monkeypatch.setattr(IPython.display, "update_display",
                        lambda data, raw, display_id: sent.append(("update", display_id, data)))
    panel = TokenPanel(client)
    opened.append(panel)
    panel._ipython_display_()
    ((how, display_id, first),) = sent
    assert how == "display" and display_id and VIEW in first and "No token yet" in first["text/plain"]

    stored.refresh_stored_views()  # a cell that did not change the panel
    assert len(sent) == 1
    panel.scopes.value = ("admin",)
    token = panel.issue()
    stored.refresh_stored_views()
    how, same_id, update = sent[-1]
    assert (how, same_id) == ("update", display_id)
    assert mask(token.access_token) in update["text/html"] and token.access_token not in json.dumps(update)
    assert update[VIEW]["model_id"] == panel.model_id  # the live widget stays the widget

    panel.close()
    stored.refresh_stored_views()  # a closed panel is forgotten, not re-sent
    assert len(sent) == 2


def test_defuse_leaves_nothing_to_press_or_run():
    markup = ("<style>x{}</style><td class='tnb-id'><code>abc</code><button class='tnb-copy-id' "
              "onclick=\"navigator.clipboard.writeText('x')\">copy</button></td><script>alert(1)</script>"
              "<span onmouseover='x()'>hi</span>")
    assert stored.defuse(markup) == "<td class='tnb-id'><code>abc</code></td><span>hi</span>"

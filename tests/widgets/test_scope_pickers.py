"""Scope pickers without a server: they offer exactly what a server's metadata lists, describe each name in
Telnyx's published words, warn about admin, mark names Telnyx does not publish, and say what an empty choice
brings. The panels that use them are tested against the sandbox in test_token_panel / test_authorize_panel /
test_clients_panel."""

from __future__ import annotations

import ipywidgets as widgets

from telnyx_nb.core import wire
from telnyx_nb.core.records import AuthorizationServerMetadata, ConsentScope
from telnyx_nb.widgets.render import html_to_text
from telnyx_nb.widgets.scopes import (
    consent_scopes_html,
    default_scopes_phrase,
    scope_notes_html,
    scope_sentence_html,
    show_scopes,
)

ADMIN_WARNING = "admin gives full administrative access to the Telnyx account"


def _picker(*scopes: str) -> tuple[widgets.SelectMultiple, widgets.HTML]:
    picker, notes = widgets.SelectMultiple(description="Scopes"), widgets.HTML("")
    show_scopes(picker, AuthorizationServerMetadata(scopes_supported=scopes), notes)
    return picker, notes


def test_telnyx_publishes_one_scope_and_its_description_lives_in_the_wire_vocabulary():
    assert wire.PUBLISHED_SCOPE_DESCRIPTIONS == {"admin": "Administrative access to Telnyx resources"}
    assert wire.published_scopes(["messaging", "admin", "voice", "admin"]) == ("admin",)
    assert wire.published_scopes(None) == ()


def test_a_published_world_offers_admin_with_its_description_and_a_plain_warning():
    picker, notes = _picker("admin")
    assert picker.options == (("admin — Administrative access to Telnyx resources  ⚠", "admin"),)
    shown = html_to_text(notes.value)
    assert ADMIN_WARNING in shown
    assert "not published" not in shown  # nothing foreign to flag


def test_every_name_the_server_offers_is_offered_in_its_order_and_foreign_ones_are_marked():
    advertised = ("messaging", "admin", "numbers:read", "billing:read")
    picker, notes = _picker(*advertised)
    labels = dict((value, label) for label, value in picker.options)
    assert tuple(labels) == advertised
    assert labels["admin"].startswith("admin — Administrative access to Telnyx resources")
    for name in ("messaging", "numbers:read", "billing:read"):
        assert labels[name] == f"{name} — not published by Telnyx"  # no description of our own invention
    shown = html_to_text(notes.value)
    assert "messaging, numbers:read, billing:read: not published by Telnyx" in shown
    assert "a real Telnyx account refuses them" in shown and ADMIN_WARNING in shown
    assert picker.rows >= len(advertised)  # no scroll bar hides one
    assert int(picker.layout.width.removesuffix("ch")) >= len("Scopes") + len(labels["admin"])


def test_no_admin_offered_means_no_admin_warning():
    _picker_, notes = _picker("messaging")
    assert "admin" not in notes.value
    assert "administrative" not in scope_notes_html(["messaging"])


def test_a_server_that_lists_no_scopes_says_so():
    picker, notes = _picker()
    assert picker.options == ()
    assert "lists no scopes" in html_to_text(notes.value)


def test_a_reload_keeps_a_choice_still_offered_and_drops_one_withdrawn():
    picker, notes = _picker("admin", "messaging")
    picker.value = ("admin", "messaging")
    show_scopes(picker, AuthorizationServerMetadata(scopes_supported=("admin",)), notes)
    assert picker.value == ("admin",)
    assert "not published" not in notes.value


def test_what_an_empty_selection_brings_is_said_with_its_warning():
    assert default_scopes_phrase(["admin"]) == ("every scope the client is allowed (RFC 6749 §3.3): admin — ⚠ "
                                                f"{ADMIN_WARNING}")
    assert "⚠" not in default_scopes_phrase(["messaging"]) and "messaging" in default_scopes_phrase(["messaging"])
    assert "(none)" in default_scopes_phrase([])
    unknown = default_scopes_phrase(None)  # the client's allowed scopes could not be read
    assert "server's default" in unknown and "full administrative access" in unknown
    assert "tnb-bad" in scope_sentence_html("x ⚠ y") and "tnb-muted" in scope_sentence_html("Asking for: admin.")
    assert "&lt;b&gt;" in scope_sentence_html("<b>")  # escaped


def test_the_consent_table_warns_on_admin_only():
    table = consent_scopes_html([
        ConsentScope(id="admin", name="Administration", description="Administrative access to Telnyx resources"),
        ConsentScope(id="custom", name="Custom", description="<i>a custom catalog's own</i>"),
    ])
    rows = table.split("<tr>")[2:]
    assert "⚠ gives full administrative access to the Telnyx account" in rows[0]
    assert "⚠" not in rows[1] and "&lt;i&gt;" in rows[1]

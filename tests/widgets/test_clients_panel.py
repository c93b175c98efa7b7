"""ClientsPanel: browse/filter the shared demo clients; create, edit, delete (with confirmation) on a throwaway."""

from __future__ import annotations

import json

import ipywidgets
import pytest
from table_helpers import TableReader, assert_short_ids_full_on_hover

from telnyx_nb.widgets import ClientsPanel
from telnyx_nb.widgets.base import html_to_text, id_cell, short_id, visible_text


@pytest.fixture
def shared(sandbox, open_panel):
    return open_panel(ClientsPanel, sandbox)


@pytest.fixture
def own(make_sandbox, open_panel):
    return open_panel(ClientsPanel, make_sandbox())


def test_browse_and_filter(shared):
    assert shared.last_error is None, shared.error_message
    everything = shared.df
    assert len(everything) >= 10
    assert "Telnyx NB Demo" in shared.table_view.value

    shared.filter_type.value = "public"
    shared.search_button.click()
    assert len(shared.df) > 0 and set(shared.df["client_type"]) == {"public"}
    assert len(shared.df) < len(everything)

    shared.filter_type.value = "any"
    shared.filter_verified.value = "unverified"
    shared.search_button.click()
    assert len(shared.df) > 0 and not shared.df["verified"].any()

    shared.filter_verified.value = "any"
    shared.filter_grant.value = "client_credentials"
    shared.search_button.click()
    assert 0 < len(shared.df) < len(everything)
    assert all("client_credentials" in list(grants) for grants in shared.df["allowed_grant_types"])

    shared.filter_grant.value = "any"
    shared.filter_name.value = "Demo"
    shared.search_button.click()
    assert list(shared.df["name"]) == ["Telnyx NB Demo"]
    assert shared.selected == shared.df["client_id"].iloc[0]


def test_create_shows_the_secret_once(own):
    own.new_button.click()
    own.name.value = "Widget Test App"
    own.client_type.value = "confidential"
    own.grant_types.value = ("authorization_code", "refresh_token")
    own.scopes.value = ("admin",)
    own.redirect_uris.value = "https://app.example.com/cb\n"
    own.save_button.click()
    assert own.confirm.pending and "Create confidential client Widget Test App" in own.confirm.pending
    assert own.last_result is None  # nothing happens before confirmation

    own.confirm.confirm_button.click()
    assert own.last_error is None, own.error_message
    created = own.last_result
    secret = created.client_secret
    assert secret and created.name == "Widget Test App"
    assert created.client_id in set(own.df["client_id"]) and own.selected == created.client_id
    assert "shown only once" in own.secret_box.value
    assert secret not in visible_text(own)
    assert secret not in json.dumps(ipywidgets.Widget.get_manager_state(drop_defaults=False)["state"], default=str)
    own.reveal.value = True
    assert secret in own.secret_box.value
    own.search_button.click()  # any further action forgets it
    assert own.secret_box.value == "" and secret not in visible_text(own)


def test_edit_then_delete_with_confirmation(own):
    own.filter_name.value = "Acme"
    own.search_button.click()
    client_id = own.selected
    own.edit_button.click()
    assert own.mode == "edit" and own.name.value == "Acme Dispatch"
    own.name.value = "Acme Dispatch v2"
    own.save_button.click()
    own.confirm.confirm_button.click()
    assert own.last_error is None, own.error_message
    assert own.last_result.name == "Acme Dispatch v2"
    assert own.client.get_client(client_id).name == "Acme Dispatch v2"

    own.delete_button.click()
    assert "Delete client Acme Dispatch v2" in own.confirm.pending
    own.confirm.cancel_button.click()
    assert own.confirm.pending is None
    assert own.client.get_client(client_id).name == "Acme Dispatch v2"  # cancel kept it

    own.delete_button.click()
    own.confirm.confirm_button.click()
    assert own.last_error is None, own.error_message
    assert own.last_result == client_id and client_id not in set(own.df["client_id"])
    own.filter_name.value = ""
    own.search_button.click()
    assert client_id not in set(own.df["client_id"])


def test_form_errors_name_the_field(own):
    own.new_button.click()
    own.save_button.click()
    assert own.confirm.pending is None
    assert "Name is empty" in own.status.value


def test_server_validation_error_is_readable(own):
    own.new_button.click()
    own.name.value = "Bad redirect"
    own.client_type.value = "confidential"
    own.grant_types.value = ("authorization_code",)
    own.scopes.value = ("admin",)
    own.redirect_uris.value = "not a uri"
    own.save_button.click()
    own.confirm.confirm_button.click()
    assert own.last_error is not None
    assert "redirect_uris" in own.status.value
    assert "Traceback" not in visible_text(own)


def test_table_shows_ten_rows_with_short_client_ids_full_on_hover_and_copy(shared):
    markup = shared.table_view.value
    full_ids = list(shared.df["client_id"])
    assert_short_ids_full_on_hover(markup, full_ids)
    shown = html_to_text(markup)
    assert not any(client_id in shown for client_id in full_ids)  # the text is short; the id is in attributes


def test_id_cells_escape_what_they_hold():
    assert short_id("abc") == "abc" and short_id("123456789") == "123456789"  # nothing to gain: kept whole
    assert short_id("1234567890") == "12345678…"
    hostile = "x'><script>alert(1)</script>"
    cell = id_cell(hostile)
    assert "<script>" not in cell
    parsed = TableReader(f"<table><tr>{cell}</tr></table>").id_cells
    assert parsed == [{"title": hostile, "data_id": hostile, "text": "x'><scri…", "button": parsed[0]["button"]}]
    assert id_cell(None) == "<td>—</td>"


def test_the_allowed_scopes_picker_offers_what_the_server_publishes_described_with_the_admin_warning(shared):
    advertised = shared.client.authorization_server_metadata().scopes_supported
    labels = dict((value, label) for label, value in shared.scopes.options)
    assert tuple(labels) == tuple(advertised)
    assert labels["admin"] == "admin — Administrative access to Telnyx resources  ⚠"
    assert all(labels[s] == f"{s} — not published by Telnyx" for s in advertised if s != "admin")
    assert "admin gives full administrative access to the Telnyx account" in html_to_text(shared.scope_notes.value)


def test_an_edit_keeps_what_the_client_holds_that_the_server_does_not_offer(tmp_path, open_panel):
    """A client holding a scope the server no longer publishes: Edit shows it chosen and labelled, and the save (a
    PUT, which replaces the client) sends it, so nothing is dropped without a word; here the server refuses it and
    the panel names the field, and the client is unchanged."""
    from oauth_helpers import CUSTOM_SCOPES

    from telnyx_nb import TelnyxOAuth
    from telnyx_nb.sandbox import Sandbox
    from telnyx_nb.widgets.clients import HELD_NOT_OFFERED

    db = tmp_path / "clients.sqlite3"
    with Sandbox(seed="empty", db=db, scopes=CUSTOM_SCOPES) as before:
        with TelnyxOAuth.from_sandbox(before) as api:
            app = api.create_client(name="Legacy app", client_type="confidential",
                                    allowed_grant_types=["client_credentials"], allowed_scopes=["admin", "voice"])
    with Sandbox(seed="empty", db=db) as now:  # Telnyx's catalog: admin only
        panel = open_panel(ClientsPanel, now)
        assert panel.selected == app.client_id
        panel.edit_button.click()
        assert panel.scopes.value == ("admin", "voice")
        assert dict(panel.scopes.options)[f"voice ({HELD_NOT_OFFERED})"] == "voice"
        panel.name.value = "Legacy app v2"
        panel.save_button.click()
        panel.confirm.confirm_button.click()
        assert panel.last_error is not None and "allowed_scopes" in panel.error_message, panel.error_message
        with TelnyxOAuth.from_sandbox(now) as api:
            kept = api.get_client(app.client_id)
        assert kept.name == "Legacy app" and list(kept.allowed_scopes) == ["admin", "voice"]

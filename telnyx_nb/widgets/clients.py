"""ClientsPanel: browse and filter the OAuth clients DataFrame; create, edit and delete with confirmation.

A confidential client's secret exists in plain text only in the create response (``POST /oauth_clients``, see
docs/contract.md): the panel shows it once — masked unless revealed — and forgets it on the next action.

State for the next cell: ``df`` (the clients DataFrame as last loaded), ``last_result`` (the record the last
create/update returned, or the deleted client_id) and ``selected`` (the client_id chosen in the picker).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from telnyx_nb.core import wire
from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.widgets.base import LABEL_STYLE, ConfirmBar, Panel, frame_html, show_scopes

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth

TABLE_COLUMNS = ("name", "client_id", "client_type", "verified", "require_pkce", "allowed_grant_types",
                 "allowed_scopes", "redirect_uris", "updated_at")
ID_COLUMNS = ("client_id",)  # shortened in the table, full on hover and copy
_ANY = "any"


class ClientsPanel(Panel):
    """The account's OAuth clients as a filtered table, with a form to create or edit one."""

    title = "OAuth clients"

    def __init__(self, client: TelnyxOAuth | None = None, *, autoload: bool = True) -> None:
        super().__init__(client)
        self.df: Any = None
        self.last_result: Any = None
        self.mode = "create"  # or "edit" (the form's target is self.selected)
        self._new_secret: str | None = None
        self._new_secret_for: str | None = None

        # filters (GET /oauth_clients filter[...] parameters, wire.CLIENT_FILTERS)
        self.filter_name = widgets.Text(description="Name contains", style=LABEL_STYLE)
        self.filter_type = widgets.Dropdown(options=(_ANY, wire.CONFIDENTIAL, wire.PUBLIC), description="Type",
                                            style=LABEL_STYLE)
        self.filter_verified = widgets.Dropdown(options=(_ANY, "verified", "unverified"), description="Verified",
                                                style=LABEL_STYLE)
        self.filter_grant = widgets.Dropdown(options=(_ANY, *wire.GRANT_TYPES), description="Grant type",
                                             style=LABEL_STYLE)
        self.search_button = self._button("Search", self.load, style="primary", icon="search",
                                          tooltip="GET /oauth_clients (every page)")
        self.table_view = widgets.HTML("")
        self.picker = widgets.Dropdown(options=[], description="Client", style=LABEL_STYLE,
                                       layout=widgets.Layout(width="60%"))
        self.edit_button = self._button("Edit", self.edit_selected, icon="pencil")
        self.delete_button = self._button("Delete", self.delete_selected, style="danger", icon="trash")
        self.new_button = self._button("New client", self.new_client, icon="plus")

        # create / edit form
        self.form_title = widgets.HTML("")
        self.name = widgets.Text(description="Name", style=LABEL_STYLE)
        self.client_type = widgets.Dropdown(options=(wire.CONFIDENTIAL, wire.PUBLIC), description="Client type",
                                            style=LABEL_STYLE)
        self.grant_types = widgets.SelectMultiple(options=wire.GRANT_TYPES, rows=3, description="Grant types",
                                                  style=LABEL_STYLE)
        self.scopes = widgets.SelectMultiple(options=[], rows=5, description="Allowed scopes", style=LABEL_STYLE)
        self.scope_notes = widgets.HTML("")  # what the offered scopes give (admin: the whole account)
        self.redirect_uris = widgets.Textarea(description="Redirect URIs", placeholder="one per line",
                                              style=LABEL_STYLE, layout=widgets.Layout(width="60%"))
        self.require_pkce = widgets.Checkbox(value=True, description="Require PKCE", indent=False)
        self.save_button = self._button("Save", self.save, style="primary", icon="save")
        self.confirm = ConfirmBar()
        self._buttons += [self.confirm.confirm_button, self.confirm.cancel_button]
        self.secret_box = widgets.HTML("")

        self._assemble(
            widgets.HBox([self.filter_name, self.filter_type, self.filter_verified, self.filter_grant,
                          self.search_button], layout=widgets.Layout(flex_flow="row wrap")),
            self.table_view,
            widgets.HBox([self.picker, self.edit_button, self.delete_button, self.new_button]),
            self.form_title,
            widgets.HBox([self.name, self.client_type]),
            widgets.HBox([self.grant_types, self.scopes]),
            self.scope_notes,
            widgets.HBox([self.redirect_uris, self.require_pkce]),
            self.save_button,
            self.confirm,
            self.secret_box,
            autoload=autoload,
        )

    def _on_activate(self) -> None:
        self._load_scopes()
        self.load()

    @property
    def selected(self) -> str | None:
        return self.picker.value

    # -- loading ------------------------------------------------------------------------------------------
    def filters(self) -> dict[str, Any]:
        """The filter widgets as ``clients_df`` keyword arguments (only the ones set)."""
        out: dict[str, Any] = {}
        if self.filter_name.value.strip():
            out["name_contains"] = self.filter_name.value.strip()
        if self.filter_type.value != _ANY:
            out["client_type"] = self.filter_type.value
        if self.filter_verified.value != _ANY:
            out["verified"] = self.filter_verified.value == "verified"
        if self.filter_grant.value != _ANY:
            out["grant_type"] = self.filter_grant.value
        return out

    def load(self) -> Any:
        """GET /oauth_clients with the filters, every page, into ``df``."""
        return self._run("Load clients", self._fetch)

    def _fetch(self) -> Any:
        self.df = self.client.clients_df(**self.filters())
        current = self.picker.value
        options = [(f"{row.name} · {row.client_id}", row.client_id)
                   for row in self.df[["name", "client_id"]].itertuples(index=False)]
        self.picker.options = options
        ids = [value for _, value in options]
        self.picker.value = current if current in ids else (ids[0] if ids else None)
        return self.df

    def _load_scopes(self) -> None:
        """The scopes the server publishes (RFC 8414 §2 ``scopes_supported``), each described, for the form."""

        def call() -> Any:
            metadata = self.client.authorization_server_metadata()
            show_scopes(self.scopes, metadata, self.scope_notes)
            return metadata

        self._run("Load scopes", call)

    # -- form ---------------------------------------------------------------------------------------------
    def new_client(self) -> None:
        """Clear the form for a new client."""
        self.mode = "create"
        self.name.value = ""
        self.grant_types.value = ()
        self.scopes.value = ()
        self.redirect_uris.value = ""
        self.require_pkce.value = True
        self.client_type.disabled = False
        self._refresh_view()

    def edit_selected(self) -> None:
        """Fill the form from the selected client (its type cannot change after creation)."""
        row = self._selected_row()
        if row is None:
            return
        self.mode = "edit"
        self.name.value = str(row["name"] or "")
        self.client_type.value = str(row["client_type"])
        self.client_type.disabled = True
        # A save replaces the client (PUT): what it holds that a picker does not offer is added to that picker,
        # chosen and labelled, so the edit keeps it unless the user takes it off (the server may then refuse it,
        # naming the field) — never dropped without a word.
        self.grant_types.options = _with_held(self.grant_types.options, _as_list(row["allowed_grant_types"]))
        self.grant_types.value = tuple(_as_list(row["allowed_grant_types"]))
        self.scopes.options = _with_held(self.scopes.options, _as_list(row["allowed_scopes"]))
        self.scopes.value = tuple(_as_list(row["allowed_scopes"]))
        self.redirect_uris.value = "\n".join(_as_list(row["redirect_uris"]))
        pkce = row["require_pkce"]
        self.require_pkce.value = bool(pkce) if pkce is not None and pkce is not _na() else True
        self._refresh_view()

    def form_values(self) -> dict[str, Any]:
        """The form as create/update arguments; raises ConfigurationError naming a bad field."""
        name = self.name.value.strip()
        if not name:
            raise ConfigurationError("Name is empty: give the client a name users will recognise.")
        if not self.grant_types.value:
            raise ConfigurationError("Grant types: choose at least one.")
        if not self.scopes.value:
            raise ConfigurationError("Allowed scopes: choose at least one.")
        return {
            "name": name,
            "allowed_grant_types": list(self.grant_types.value),
            "allowed_scopes": list(self.scopes.value),
            "redirect_uris": [u.strip() for u in self.redirect_uris.value.splitlines() if u.strip()],
            "require_pkce": bool(self.require_pkce.value),
        }

    def save(self) -> None:
        """Ask for confirmation, then create the client (POST) or save the edit (PUT)."""
        try:
            values = self.form_values()
        except ConfigurationError as exc:
            self._run("Check the form", lambda error=exc: _raise(error))  # bind now: `exc` is unset after except
            return
        if self.mode == "edit" and self.selected:
            client_id = self.selected
            self.confirm.ask(f"Save changes to client {values['name']} ({client_id})?",
                             lambda: self._run("Update client", lambda: self._update(client_id, values)))
        else:
            kind = self.client_type.value
            self.confirm.ask(f"Create {kind} client {values['name']}?",
                             lambda: self._run("Create client", lambda: self._create(kind, values)))
        self._sync_buttons()

    def delete_selected(self) -> None:
        """Ask for confirmation, then delete the selected client (its grants and tokens are revoked too)."""
        row = self._selected_row()
        if row is None:
            return
        client_id = str(row["client_id"])
        self.confirm.ask(
            f"Delete client {row['name']} ({client_id})? Its grants and tokens stop working.",
            lambda: self._run("Delete client", lambda: self._delete(client_id)),
        )

    # -- writes (run inside _run) -----------------------------------------------------------------------
    def _create(self, client_type: str, values: dict[str, Any]) -> Any:
        self._forget_secret()
        created = self.client.create_client(client_type=client_type, **values)
        self.last_result = created
        if created.client_secret:
            self._new_secret = created.client_secret
            self._new_secret_for = created.client_id
        self._fetch()
        if created.client_id in [value for _, value in self.picker.options]:
            self.picker.value = created.client_id
        return created

    def _update(self, client_id: str, values: dict[str, Any]) -> Any:
        self._forget_secret()
        self.last_result = self.client.update_client(client_id, **values)
        self._fetch()
        return self.last_result

    def _delete(self, client_id: str) -> Any:
        self._forget_secret()
        self.client.delete_client(client_id)
        self.last_result = client_id
        self.mode = "create"
        self._fetch()
        return client_id

    def _forget_secret(self) -> None:
        self._new_secret = None
        self._new_secret_for = None

    # -- display ------------------------------------------------------------------------------------------
    def _selected_row(self) -> Any:
        if self.df is None or self.selected is None:
            return None
        rows = self.df[self.df["client_id"] == self.selected]
        return None if rows.empty else rows.iloc[0]

    def _run(self, label: str, fn: Any) -> Any:
        if label != "Create client":  # the new secret is shown once: any other action hides it for good
            self._forget_secret()
        return super()._run(label, fn)

    def _sync_buttons(self) -> None:
        if self.busy:
            return
        has_row = self.selected is not None
        self.edit_button.disabled = self.delete_button.disabled = not has_row
        self.save_button.disabled = self.confirm.pending is not None

    def _render(self) -> None:
        if self.df is None:
            self.table_view.value = "<span class='tnb-muted'>Press Search to load clients.</span>"
        else:
            self.table_view.value = (
                f"<div class='tnb-muted'>{len(self.df)} client(s)</div>"
                f"<div class='tnb-scroll'>{frame_html(self.df, TABLE_COLUMNS, id_columns=ID_COLUMNS)}</div>"
            )
        if self.mode == "edit" and self.selected:
            self.form_title.value = f"<b>Edit client</b> <code>{html.escape(self.selected)}</code>"
        else:
            self.form_title.value = "<b>New client</b>"
        if self._new_secret:
            self.secret_box.value = (
                "<div style='border:1px solid #d9a400; background:#fff8e1; padding:4px'>"
                f"<b>Client secret for {html.escape(str(self._new_secret_for))}</b>: "
                f"<code>{html.escape(self.secret(self._new_secret))}</code><br>"
                "Copy it now (press <i>Show secrets</i> to see it in full): it is shown only once and the "
                "server keeps only a hash.</div>"
            )
        else:
            self.secret_box.value = ""


HELD_NOT_OFFERED = "held by this client; the server does not offer it"


def _with_held(options: Any, held: list[str]) -> tuple:
    """A picker's options plus, labelled, each value the client holds that they lack (options are plain values or
    ``(label, value)`` pairs, as ipywidgets takes them)."""
    pairs = [option if isinstance(option, tuple) else (str(option), option) for option in options]
    offered = {value for _label, value in pairs}
    extra = [(f"{value} ({HELD_NOT_OFFERED})", value) for value in dict.fromkeys(held) if value not in offered]
    return tuple(pairs + extra)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        return [str(v) for v in value]
    except TypeError:
        return []


def _na() -> Any:
    import pandas as pd

    return pd.NA


def _raise(exc: BaseException) -> None:
    raise exc


__all__ = ["ClientsPanel", "ID_COLUMNS", "TABLE_COLUMNS"]

"""GrantsPanel: every grant (a user's consent to a client) as a DataFrame, and revocation with confirmation.

Revoking a grant (``DELETE /oauth_grants/{id}``) ends every token issued under it: introspection of those tokens
turns ``active: false`` (RFC 7662 §2.2).

State for the next cell: ``df`` (grants joined with their clients, as last loaded), ``view`` (the rows shown after
filtering), ``last_result`` (the revoked grant record) and ``selected`` (the grant id chosen in the picker).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from telnyx_nb.core.errors import NotFoundError
from telnyx_nb.widgets.base import LABEL_STYLE, ConfirmBar, Panel, frame_html

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth

TABLE_COLUMNS = ("id", "client_name", "client_type", "client_verified", "scopes", "created_at", "last_used_at")
ID_COLUMNS = ("id",)  # shortened in the table, full on hover and copy


class GrantsPanel(Panel):
    """All grants with their client's name and type; filter by client name; revoke one after confirming."""

    title = "OAuth grants"
    _already_revoked = False

    def __init__(self, client: TelnyxOAuth | None = None, *, autoload: bool = True) -> None:
        super().__init__(client)
        self.df: Any = None
        self.view: Any = None
        self.last_result: Any = None
        self.filter_client = widgets.Text(description="Client name contains", style=LABEL_STYLE,
                                          continuous_update=False)
        self.filter_client.observe(lambda _c: self._apply_filter(), "value")
        self.load_button = self._button("Load grants", self.load, style="primary", icon="refresh",
                                        tooltip="GET /oauth_grants (every page) joined with GET /oauth_clients")
        self.table_view = widgets.HTML("")
        self.picker = widgets.Dropdown(options=[], description="Grant", style=LABEL_STYLE,
                                       layout=widgets.Layout(width="70%"))
        self.revoke_button = self._button("Revoke", self.revoke_selected, style="danger", icon="ban")
        self.confirm = ConfirmBar()
        self._buttons += [self.confirm.confirm_button, self.confirm.cancel_button]
        self._assemble(
            widgets.HBox([self.filter_client, self.load_button]),
            self.table_view,
            widgets.HBox([self.picker, self.revoke_button]),
            self.confirm,
            autoload=autoload,
        )

    @property
    def selected(self) -> str | None:
        return self.picker.value

    def load(self) -> Any:
        """Fetch every grant joined with its client (``grants_df(with_clients=True)``)."""

        def call() -> Any:
            self.df = self.client.grants_df(with_clients=True, progress=False)
            self._apply_filter()
            return self.df

        return self._run("Load grants", call)

    def revoke_selected(self) -> None:
        """Ask for confirmation, then revoke the selected grant."""
        grant_id = self.selected
        if grant_id is None:
            return
        row = self.df[self.df["id"] == grant_id].iloc[0]
        name = row["client_name"] if "client_name" in row and isinstance(row["client_name"], str) else "?"
        self.confirm.ask(
            f"Revoke grant {grant_id} of {name}? Every token issued under it stops working.",
            lambda: self._confirmed_revoke(grant_id),
        )

    def _confirmed_revoke(self, grant_id: str) -> Any:
        self._already_revoked = False
        result = self._run("Revoke grant", lambda: self._revoke(grant_id))
        if self.last_error is None and self._already_revoked:
            self.status.value = (f"<span class='tnb-ok'>✓ Grant {html.escape(grant_id)} was already revoked</span> "
                                 "<span class='tnb-muted'>(elsewhere; the list is refreshed)</span>")
        return result

    def _revoke(self, grant_id: str) -> Any:
        try:
            self.last_result = self.client.revoke_grant(grant_id)
        except NotFoundError:  # revoked meanwhile (another panel, the audit, the API): the goal is reached
            self.last_result = None
            self._already_revoked = True
        self.df = self.client.grants_df(with_clients=True, progress=False)
        self._apply_filter()
        return self.last_result

    def _apply_filter(self) -> None:
        if self.df is None:
            return
        text = self.filter_client.value.strip().lower()
        view = self.df
        if text and "client_name" in view.columns:
            view = view[view["client_name"].fillna("").str.lower().str.contains(text, regex=False)]
        if "last_used_at" in view.columns:
            view = view.sort_values("last_used_at", ascending=True, na_position="first")
        self.view = view
        current = self.picker.value
        options = [
            (f"{_text(row.get('client_name'))} · {', '.join(_as_list(row.get('scopes')))} · {row['id']}", row["id"])
            for row in (view.iloc[i] for i in range(min(len(view), 500)))
        ]
        self.picker.options = options
        ids = [value for _, value in options]
        self.picker.value = current if current in ids else (ids[0] if ids else None)
        self._refresh_view()

    def _sync_buttons(self) -> None:
        if self.busy:
            return
        self.revoke_button.disabled = self.selected is None or self.confirm.pending is not None

    def _render(self) -> None:
        if self.view is None:
            self.table_view.value = "<span class='tnb-muted'>Press Load grants.</span>"
            return
        total = len(self.df) if self.df is not None else 0
        self.table_view.value = (
            f"<div class='tnb-muted'>{len(self.view)} of {total} grant(s), least recently used first</div>"
            f"<div class='tnb-scroll'>{frame_html(self.view, TABLE_COLUMNS, id_columns=ID_COLUMNS)}</div>"
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "(client deleted)"


def _as_list(value: Any) -> list[str]:
    if value is None or isinstance(value, float):
        return []
    try:
        return [str(v) for v in value]
    except TypeError:
        return []


__all__ = ["GrantsPanel", "ID_COLUMNS", "TABLE_COLUMNS"]

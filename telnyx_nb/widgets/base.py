"""What every panel shares: layout, busy state, error line, secret reveal toggle and request log.

A panel is an ``ipywidgets.VBox`` that talks only to a :class:`telnyx_nb.TelnyxOAuth`. Click handlers run the
request synchronously through :meth:`Panel._run`, which sets the busy state, turns any exception into a readable
line in the panel (never a traceback) and keeps results on plain Python attributes — nbclient and tests cannot
see what a handler prints, but they can read ``panel.last_token`` or ``panel.status.value``. The pieces live in
:mod:`.controls` (small widgets) and :mod:`.render` (HTML and text); the names panels use are re-exported here.
"""

from __future__ import annotations

import html
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from telnyx_nb.core.errors import TelnyxNBError
from telnyx_nb.core.masking import mask
from telnyx_nb.widgets.controls import LABEL_STYLE, ConfirmBar, Countdown, RequestLog, SecretText, wide
from telnyx_nb.widgets.render import (
    CSS,
    VERDICTS,
    as_dict,
    describe_error,
    field,
    format_value,
    frame_html,
    html_to_text,
    id_cell,
    kv_table,
    short_id,
    token_table,
    verdict_text,
    visible_text,
)
from telnyx_nb.widgets.scopes import scope_options, scopes_from_metadata, show_scopes
from telnyx_nb.widgets.stored import StoredView, static_children, static_html

if TYPE_CHECKING:
    from telnyx_nb.api.client import TelnyxOAuth

__all__ = [
    "Panel", "default_client", "close_tree", "ConfirmBar", "Countdown", "RequestLog", "SecretText", "VERDICTS",
    "LABEL_STYLE", "as_dict", "describe_error", "field", "format_value", "frame_html", "html_to_text", "id_cell",
    "kv_table", "scope_options", "scopes_from_metadata", "short_id", "show_scopes", "token_table", "verdict_text",
    "visible_text", "wide",
]

_log = logging.getLogger("telnyx_nb.widgets")
_default_client: TelnyxOAuth | None = None
_default_lock = threading.Lock()


def default_client() -> TelnyxOAuth:
    """The process-wide ``telnyx_nb.connect()`` session that panels created without a client share.

    Shared so that two panels opened side by side talk to the same server — with no configuration, connect()
    starts an in-process sandbox, and each panel starting its own would show different data.
    """
    global _default_client
    with _default_lock:
        if _default_client is None:
            from telnyx_nb.connection import connect

            _default_client = connect()
        return _default_client


REVEAL_OFF = "Show secrets"  # what pressing the toggle does, not what it is
REVEAL_ON = "Hide secrets"


class Panel(StoredView, widgets.VBox):
    """Base of every panel: header with the target and a reveal toggle, status line, request log; its outputs
    carry a stored view (:mod:`.stored`) beside the widget.

    Subclasses build their widgets, then end ``__init__`` with :meth:`_assemble` (layout, first render, first
    load); actions go through :meth:`_run`.
    """

    title = "Panel"

    def __init__(self, client: TelnyxOAuth | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client: TelnyxOAuth = client if client is not None else default_client()
        self.busy = False
        self.last_error: BaseException | None = None
        self._buttons: list[widgets.Button] = []
        self._secret_inputs: list[SecretText] = []
        self._collecting = False
        self._activated = False
        self._pending: list[Any] = []
        self._pending_lock = threading.Lock()
        self.header = widgets.HTML(
            f"{CSS}<b>{html.escape(self.title)}</b> "
            f"<span class='tnb-muted'>· {html.escape(str(self.client.target))}</span>"
        )
        self.reveal = widgets.ToggleButton(value=False, description=REVEAL_OFF, icon="eye",
                                           tooltip="Show tokens and secrets in this panel in full (they stay "
                                                   "masked in saved notebooks only while this is off)")
        self.reveal.observe(self._on_reveal, "value")
        self.status = widgets.HTML("")
        self.request_log = RequestLog()
        self.client.add_listener(self._on_request)

    def _on_reveal(self, _change: Any = None) -> None:
        """The toggle says what pressing it will do next."""
        on = bool(self.reveal.value)
        self.reveal.description = REVEAL_ON if on else REVEAL_OFF
        self.reveal.icon = "eye-slash" if on else "eye"
        self.reveal.tooltip = ("Mask tokens and secrets again" if on else
                               "Show tokens and secrets in this panel in full (they stay masked in saved "
                               "notebooks only while this is off)")
        self._refresh_view()

    def __repr__(self) -> str:
        # ipywidgets' default repr dumps every child's state; a notebook's text/plain output wants one short line
        return f"{type(self).__name__}(target={str(getattr(self.client, 'target', ''))!r})"

    def _stored_html(self) -> str:
        """The stored view's body: everything the panel shows, inert and masked; nothing but the header while
        secrets are revealed (a stored view never holds one, and re-masking a revealed table is guesswork)."""
        if self.revealed:
            return static_html(self.header) + (
                "<div class='tnb-muted'>Secrets were shown in full when this was stored, so the stored view keeps "
                "nothing of the panel: press “Hide secrets”, then run any cell, to store it again.</div>")
        return static_children(self, skip=(self.reveal,))

    # -- layout -------------------------------------------------------------------------------------------
    def _assemble(self, *body: widgets.Widget, autoload: bool) -> None:
        """The last step of every panel's ``__init__``: header, ``body``, status line and request log in one column,
        drawn from the panel's initial state, then (``autoload``) the first fetch (:meth:`activate`)."""
        top = widgets.HBox([self.header, self.reveal],
                           layout=widgets.Layout(justify_content="space-between", align_items="center"))
        self.children = [top, *body, self.status, self.request_log]
        self._refresh_view()
        if autoload:
            self.activate()

    def _button(self, description: str, handler: Callable[[], Any], *, style: str = "",
                icon: str = "", tooltip: str = "") -> widgets.Button:
        """A button whose click runs ``handler`` (itself responsible for calling ``_run``)."""
        button = widgets.Button(description=description, button_style=style, icon=icon, tooltip=tooltip)
        button.on_click(lambda _b: handler())
        self._buttons.append(button)
        return button

    def _secret_input(self, description: str, placeholder: str = "") -> SecretText:
        box = SecretText(description, placeholder)
        self._secret_inputs.append(box)
        return box

    @property
    def revealed(self) -> bool:
        return bool(self.reveal.value)

    def secret(self, value: Any) -> str:
        """``value`` in full if the user chose to reveal secrets, else its masked stub."""
        if value is None:
            return "—"
        return str(value) if self.revealed else mask(value)

    def table(self, values: Any) -> str:
        return kv_table(as_dict(values) if not isinstance(values, (Mapping, list)) else values,
                        reveal=self.revealed)

    # -- actions ------------------------------------------------------------------------------------------
    def _run(self, label: str, fn: Callable[[], Any], *, hint: str = "",
             verdict: Callable[[Any], str | None] | None = None) -> Any:
        """Run one user action: busy state on, requests logged, errors shown; returns fn()'s result or None.

        ``hint`` is added to a failure message when the step has a likely cause worth naming. ``verdict`` turns a
        check's result into the reason it failed (None: it passed), so a check that ran but said no reads "✗ …"
        in the status line too, never "✓" beside a "✗" verdict.
        """
        if self.busy:
            return None
        self.busy = True
        self.last_error = None
        before = [(b, b.disabled) for b in self._buttons]
        for b, _ in before:
            b.disabled = True
        self.add_class("tnb-busy")
        self.status.value = f"<span class='tnb-muted'>⏳ {html.escape(label)}…</span>"
        self._collecting = True
        started = time.perf_counter()
        try:
            result = fn()
        except Exception as exc:  # shown in the panel: a user must never meet a traceback here
            self.last_error = exc
            if not isinstance(exc, TelnyxNBError):  # a bug, not an API answer: keep the traceback for developers
                _log.debug("%s: %s failed", type(self).__name__, label, exc_info=exc)
            self.status.value = (
                f"<span class='tnb-bad'>✗ {html.escape(label)} failed.</span> "
                f"{html.escape(describe_error(exc, target=self.client.base_url))}"
                + (f"<br><span class='tnb-muted'>{html.escape(hint)}</span>" if hint else "")
            )
            return None
        else:
            took = f"<span class='tnb-muted'>({(time.perf_counter() - started) * 1000:.0f} ms)</span>"
            failed = verdict(result) if verdict is not None else None
            self.status.value = (f"<span class='tnb-bad'>✗ {html.escape(label)}: {html.escape(failed)}</span> {took}"
                                 if failed else f"<span class='tnb-ok'>✓ {html.escape(label)}</span> {took}")
            return result
        finally:
            self._collecting = False
            self._flush_log()
            for b, was in before:
                b.disabled = was
            self.remove_class("tnb-busy")
            self.busy = False
            self._refresh_view()

    def _refresh_view(self) -> None:
        try:
            for box in self._secret_inputs:
                box.set_revealed(self.revealed)
            self._sync_buttons()
            self._render()
        except Exception as exc:  # a display bug must not turn into a traceback either
            self.last_error = exc
            self.status.value = f"<span class='tnb-bad'>✗ display failed:</span> {html.escape(describe_error(exc))}"

    @property
    def error_message(self) -> str:
        """The readable text of the last failure ('' after a success)."""
        if self.last_error is None:
            return ""
        return describe_error(self.last_error, target=self.client.base_url)

    def _on_request(self, record: Any) -> None:
        # Called by the client for every finished exchange, maybe from worker threads (concurrent paging):
        # buffer here, render in the action's own thread.
        if self._collecting:
            with self._pending_lock:
                self._pending.append(record)

    def _flush_log(self) -> None:
        with self._pending_lock:
            records, self._pending = self._pending, []
        self.request_log.extend(records)

    def activate(self) -> None:
        """Fetch what the panel shows on first sight (once): at construction, or when its tab is opened."""
        if not self._activated:
            self._activated = True
            self._on_activate()

    # -- hooks for subclasses -------------------------------------------------------------------------
    def _on_activate(self) -> None:
        load = getattr(self, "load", None)
        if callable(load):
            load()

    def _render(self) -> None:
        """Redraw every display from the panel's state (called after actions and when reveal toggles)."""

    def _sync_buttons(self) -> None:
        """Enable/disable buttons from the panel's state."""

    def close(self) -> None:
        """Stop listening to the client and close every child widget."""
        try:
            self.client.remove_listener(self._on_request)
        except Exception:
            pass
        for child in list(self.children):
            close_tree(child)
        super().close()


def close_tree(widget: Any) -> None:
    """Close a widget and everything under it (panels through their own close(), countdowns stopped)."""
    if isinstance(widget, Panel):
        widget.close()
        return
    if isinstance(widget, Countdown):
        widget.stop()
    for child in getattr(widget, "children", ()) or ():
        close_tree(child)
    if isinstance(widget, widgets.Widget):
        widget.close()

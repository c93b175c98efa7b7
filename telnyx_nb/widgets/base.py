"""What every panel shares: layout, busy state, error line, secret reveal toggle and request log.

A panel is an ``ipywidgets.VBox`` that talks only to a :class:`telnyx_nb.TelnyxOAuth`. Click handlers run the
request synchronously through :meth:`Panel._run`, which sets the busy state, turns any exception into a readable
line in the panel (never a traceback) and keeps results on plain Python attributes — nbclient and tests cannot
see what a handler prints, but they can read ``panel.last_token`` or ``panel.status.value``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as widgets

from telnyx_nb.errors import (
    AuthenticationError,
    ConfigurationError,
    JWTVerificationError,
    PermissionDeniedError,
    TelnyxNBError,
    TransportError,
    ValidationError,
)
from telnyx_nb.masking import mask, mask_text

# Fields whose values are secrets wherever a record or mapping is shown.
SECRET_FIELDS = frozenset(
    {"access_token", "refresh_token", "id_token", "client_secret", "code", "code_verifier", "consent_token",
     "api_key", "token"}
)
TIME_FIELDS = frozenset({"exp", "iat", "nbf", "auth_time", "client_id_issued_at", "client_secret_expires_at"})

_CSS = """<style>
.tnb-table {border-collapse: collapse; font-size: 12px; margin: 2px 0;}
.tnb-table th, .tnb-table td {border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top;
  font-family: var(--jp-code-font-family, monospace); white-space: pre-wrap; overflow-wrap: break-word;
  max-width: 36em;}
.tnb-table th {background: #f3f3f3; white-space: nowrap; word-break: normal;}
.tnb-ok {color: #11713a; font-weight: bold;} .tnb-bad {color: #b00020; font-weight: bold;}
.tnb-muted {color: #666;}
.tnb-busy {opacity: .75; cursor: progress;}
</style>"""


def as_dict(obj: Any) -> dict[str, Any]:
    """A record (dataclass), mapping or plain object as a dict of its public fields, for display only."""
    if obj is None:
        return {}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)
                if not f.name.startswith("_") and f.name != "raw"}
    if isinstance(obj, Mapping):
        return dict(obj)
    return {k: v for k, v in vars(obj).items() if not k.startswith("_")}


def field(obj: Any, name: str, default: Any = None) -> Any:
    """One field of a record or mapping."""
    if obj is None:
        return default
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def format_value(name: str, value: Any, *, reveal: bool = False) -> str:
    """Plain text for one field: secrets masked unless revealed, epoch times also shown as UTC date-times."""
    if value is None:
        return "—"
    if name in SECRET_FIELDS and isinstance(value, str):
        return value if reveal else mask(value)
    if name in TIME_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        when = dt.datetime.fromtimestamp(value, tz=dt.timezone.utc)
        return f"{value}  ({when:%Y-%m-%d %H:%M:%S} UTC)"
    if isinstance(value, (list, tuple, set, frozenset)):
        return ", ".join(format_value(name, v, reveal=reveal) if not isinstance(v, Mapping) else str(v)
                         for v in value) or "—"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={format_value(k, v, reveal=reveal)}" for k, v in value.items())
    if isinstance(value, dt.datetime):
        return value.isoformat()
    text = str(value)
    return text if reveal else mask_text(text)


def kv_table(values: Mapping[str, Any] | Iterable[tuple[str, Any]], *, reveal: bool = False,
             skip_none: bool = True) -> str:
    """An HTML two-column table (field, value), escaped, secrets masked unless ``reveal``."""
    items = values.items() if isinstance(values, Mapping) else values
    rows = [
        f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(format_value(str(k), v, reveal=reveal))}</td></tr>"
        for k, v in items
        if not (skip_none and v is None)
    ]
    if not rows:
        return "<span class='tnb-muted'>(empty)</span>"
    return f"<table class='tnb-table'>{''.join(rows)}</table>"


def frame_html(df: Any, columns: Iterable[str] | None = None, *, max_rows: int = 200) -> str:
    """A DataFrame as an escaped HTML table: lists joined, dates shortened, at most ``max_rows`` rows."""
    if df is None:
        return ""
    view = df[[c for c in columns if c in df.columns]] if columns is not None else df
    if len(view) == 0:
        return "<span class='tnb-muted'>(no rows)</span>"
    shown = view.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    body = []
    for row in shown.itertuples(index=False):
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    more = f"<div class='tnb-muted'>… {len(view) - max_rows} more rows</div>" if len(view) > max_rows else ""
    return f"<table class='tnb-table'><tr>{head}</tr>{''.join(body)}</table>{more}"


def _cell(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if getattr(value, "ndim", 0) >= 1:  # numpy arrays in list columns (not numpy scalars)
        return ", ".join(str(v) for v in value.tolist())
    try:
        import pandas as pd

        if pd.isna(value):
            return "—"
    except (TypeError, ValueError):
        pass
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return mask_text(value)


def describe_error(exc: BaseException, *, target: str | None = None) -> str:
    """A readable one-paragraph explanation of ``exc`` with a hint at the fix; secrets masked."""
    name = type(exc).__name__
    if isinstance(exc, JWTVerificationError):
        return f"JWT verification failed — {VERDICTS.get(exc.reason, exc.reason)}: {mask_text(exc)}"
    if isinstance(exc, ConfigurationError):
        return f"Check the input: {mask_text(exc)}"
    parts = [f"{name}"]
    status = getattr(exc, "status", None)
    if isinstance(exc, TelnyxNBError) and status:
        parts[0] += f" (HTTP {status})"
    text = mask_text(exc) or name
    hint = ""
    if isinstance(exc, AuthenticationError):
        hint = "Check the API key or the client id and secret this session uses."
    elif isinstance(exc, PermissionDeniedError):
        hint = "These credentials are not allowed to do this."
    elif isinstance(exc, ValidationError) and getattr(exc, "pointers", None):
        hint = "Fix the field(s): " + ", ".join(exc.pointers)
    elif isinstance(exc, TransportError):
        hint = f"Is the server reachable{' at ' + target if target else ''}?"
    elif not isinstance(exc, TelnyxNBError):
        parts[0] = f"Unexpected error ({name})"
    return f"{parts[0]}: {text}" + (f" — {hint}" if hint else "")


# Human verdicts for JWTVerificationError.reason (and "valid").
VERDICTS = {
    "valid": "valid: signature, issuer and lifetime check out",
    "expired": "expired: the exp claim is in the past",
    "not_yet_valid": "not yet valid: the nbf/iat claim is in the future",
    "wrong_issuer": "wrong issuer: the iss claim is not the expected issuer",
    "wrong_audience": "wrong audience: the aud claim does not name the expected audience",
    "unknown_kid": "unknown key: no key in the JWKS has this kid",
    "bad_signature": "bad signature: the token was altered or signed with another key",
    "malformed": "malformed: not a compact JWS (header.payload.signature)",
}


_default_client: Any = None
_default_lock = threading.Lock()


def default_client() -> Any:
    """The process-wide ``telnyx_nb.connect()`` session that panels created without a client share.

    Shared so that two panels opened side by side talk to the same server — with no configuration, connect()
    starts an in-process sandbox, and each panel starting its own would show different data.
    """
    global _default_client
    with _default_lock:
        if _default_client is None:
            from telnyx_nb.api.connect import connect

            _default_client = connect()
        return _default_client


class RequestLog(widgets.Accordion):
    """Every HTTP exchange a panel made: method, URL, status, duration, and a masked copy-as-curl line."""

    def __init__(self, *, max_entries: int = 100) -> None:
        self.records: list[Any] = []
        self.max_entries = max_entries
        self.table = widgets.HTML("<span class='tnb-muted'>(no requests yet)</span>")
        self.picker = widgets.Dropdown(options=[], description="curl for", layout=widgets.Layout(width="60%"))
        self.curl = widgets.Textarea(value="", layout=widgets.Layout(width="100%", height="60px"))
        self.copy = widgets.HTML("")
        self.picker.observe(self._show_curl, "value")
        box = widgets.VBox([self.table, widgets.HBox([self.picker, self.copy]), self.curl])
        super().__init__(children=[box])
        self.set_title(0, "Request log")
        self.selected_index = None

    def extend(self, records: list[Any]) -> None:
        if not records:
            return
        self.records.extend(records)
        del self.records[: -self.max_entries]
        self._render()

    def clear(self) -> None:
        self.records.clear()
        self._render()

    def _render(self) -> None:
        rows = []
        for i, r in enumerate(self.records, 1):
            status = getattr(r, "status", None)
            err = getattr(r, "error", None)
            status_text = str(status) if status is not None else mask_text(err or "—")
            cls = "tnb-ok" if status is not None and status < 400 else "tnb-bad"
            elapsed = getattr(r, "elapsed", None)
            ms = f"{elapsed * 1000:.0f} ms" if isinstance(elapsed, (int, float)) else "—"
            rows.append(
                f"<tr><td>{i}</td><td>{html.escape(str(getattr(r, 'method', '')))}</td>"
                f"<td>{html.escape(mask_text(getattr(r, 'url', '')))}</td>"
                f"<td class='{cls}'>{html.escape(status_text)}</td><td>{ms}</td></tr>"
            )
        self.table.value = (
            "<table class='tnb-table'><tr><th>#</th><th>method</th><th>URL</th><th>status</th><th>time</th></tr>"
            + "".join(rows) + "</table>"
        )
        self.set_title(0, f"Request log ({len(self.records)})")
        options = [
            (f"#{i} {getattr(r, 'method', '')} {mask_text(getattr(r, 'url', ''))}", i - 1)
            for i, r in enumerate(self.records, 1)
        ]
        self.picker.options = options
        self.picker.value = len(self.records) - 1 if self.records else None
        self._show_curl()

    def _show_curl(self, _change: Any = None) -> None:
        index = self.picker.value
        if index is None or index >= len(self.records):
            self.curl.value = ""
            self.copy.value = ""
            return
        record = self.records[index]
        as_curl = getattr(record, "as_curl", None)
        line = mask_text(as_curl() if callable(as_curl) else "")
        self.curl.value = line
        self.copy.value = (
            f"<button class='tnb-copy' data-curl=\"{html.escape(line, quote=True)}\" "
            "onclick=\"navigator.clipboard && navigator.clipboard.writeText(this.dataset.curl)\">"
            "Copy as curl</button>"
        )


class Countdown(widgets.HTML):
    """A live "expires in" line, ticked once a second by a daemon thread (the kernel never looks busy)."""

    def __init__(self) -> None:
        super().__init__("")
        self.expires_at: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, expires_at: float | None) -> None:
        """Count down to ``expires_at`` (epoch seconds); ``None`` clears the line."""
        self.stop()
        self.expires_at = expires_at
        self.tick()
        if expires_at is None:
            return
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(self._stop,), name="tnb-countdown", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread = None

    @property
    def remaining(self) -> float | None:
        return None if self.expires_at is None else self.expires_at - time.time()

    def tick(self) -> None:
        remaining = self.remaining
        if remaining is None:
            self.value = ""
        elif remaining > 0:
            minutes, seconds = divmod(int(remaining), 60)
            hours, minutes = divmod(minutes, 60)
            text = f"{hours}h {minutes:02d}m {seconds:02d}s" if hours else f"{minutes}m {seconds:02d}s"
            self.value = f"<span class='tnb-ok'>expires in {text}</span>"
        else:
            self.value = "<span class='tnb-bad'>expired</span>"

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(1.0):
            self.tick()
            remaining = self.remaining
            if remaining is None or remaining <= 0:
                return


class SecretText(widgets.Box):
    """A text input for a secret that keeps a secret set from code on the Python side only.

    Widget models are synced to the browser and saved into notebooks (nbclient stores widget state, Password
    values included), so a token handed over by another panel or assigned to ``.value`` never goes into a model:
    the box shows its masked stub as a placeholder instead. What the user types is used as typed. Revealing
    swaps in a plain text box holding the full value — the user's explicit choice.
    """

    def __init__(self, description: str = "", placeholder: str = "", width: str = "100%") -> None:
        style = {"description_width": "initial"}
        self._placeholder = placeholder
        self._secret = ""
        self._revealed = False
        self._syncing = False
        self.hidden = widgets.Password(description=description, placeholder=placeholder,
                                       layout=widgets.Layout(width=width), style=style)
        self.shown = widgets.Text(description=description, placeholder=placeholder,
                                  layout=widgets.Layout(width=width), style=style)
        self.hidden.observe(self._typed, "value")
        self.shown.observe(self._typed, "value")
        super().__init__([self.hidden], layout=widgets.Layout(width=width))

    def _typed(self, change: Any) -> None:
        if not self._syncing:
            self._secret = change["new"]

    @property
    def value(self) -> str:
        return self._secret

    @value.setter
    def value(self, text: str) -> None:
        self._secret = text or ""
        self._show()

    def set_revealed(self, revealed: bool) -> None:
        self._revealed = revealed
        self._show()

    def close(self) -> None:
        self.hidden.close()
        self.shown.close()  # not a child while hidden, so close it by hand
        super().close()

    def _show(self) -> None:
        self._syncing = True
        try:
            if self._revealed:
                self.shown.value = self._secret
                self.children = [self.shown]
            else:
                if self.hidden.value != self._secret:
                    self.hidden.value = ""  # only what the user typed ever sits in the password model
                self.shown.value = ""
                self.hidden.placeholder = (f"{mask(self._secret)} (type or paste to replace)"
                                           if self._secret and not self.hidden.value else self._placeholder)
                self.children = [self.hidden]
        finally:
            self._syncing = False


class ConfirmBar(widgets.HBox):
    """An inline "are you sure?" line: destructive actions wait here until the user confirms."""

    def __init__(self) -> None:
        self.message = widgets.HTML("")
        self.confirm_button = widgets.Button(description="Confirm", button_style="danger", icon="check")
        self.cancel_button = widgets.Button(description="Cancel", icon="times")
        self.pending: str | None = None
        self._action: Callable[[], Any] | None = None
        self.confirm_button.on_click(lambda _b: self.confirm())
        self.cancel_button.on_click(lambda _b: self.cancel())
        super().__init__([self.message, self.confirm_button, self.cancel_button],
                         layout=widgets.Layout(display="none", align_items="center"))

    def ask(self, message: str, action: Callable[[], Any]) -> None:
        """Show ``message`` (plain text) and run ``action`` only if the user presses Confirm."""
        self.pending = message
        self._action = action
        self.message.value = f"<b>⚠ {html.escape(message)}</b>"
        self.layout.display = "flex"

    def confirm(self) -> Any:
        action = self._action
        self.cancel()
        return action() if action is not None else None

    def cancel(self) -> None:
        self.pending = None
        self._action = None
        self.message.value = ""
        self.layout.display = "none"


class Panel(widgets.VBox):
    """Base of every panel: header with the target and a reveal toggle, status line, request log.

    Subclasses build their widgets, then call :meth:`_assemble`; actions go through :meth:`_run`.
    """

    title = "Panel"

    def __init__(self, client: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client if client is not None else default_client()
        self.busy = False
        self.last_error: BaseException | None = None
        self._buttons: list[widgets.Button] = []
        self._secret_inputs: list[SecretText] = []
        self._collecting = False
        self._activated = False
        self._pending: list[Any] = []
        self._pending_lock = threading.Lock()
        self.header = widgets.HTML(
            f"{_CSS}<b>{html.escape(self.title)}</b> "
            f"<span class='tnb-muted'>· {html.escape(str(getattr(self.client, 'target', '')))}</span>"
        )
        self.reveal = widgets.ToggleButton(value=False, description="Reveal secrets", icon="eye",
                                           tooltip="Show tokens and secrets in full")
        self.reveal.observe(lambda _c: self._refresh_view(), "value")
        self.status = widgets.HTML("")
        self.request_log = RequestLog()
        self.client.add_listener(self._on_request)

    def __repr__(self) -> str:
        # ipywidgets' default repr dumps every child's state; a notebook's text/plain output wants one short line
        return f"{type(self).__name__}(target={str(getattr(self.client, 'target', ''))!r})"

    # -- layout -------------------------------------------------------------------------------------------
    def _assemble(self, *body: widgets.Widget) -> None:
        top = widgets.HBox([self.header, self.reveal],
                           layout=widgets.Layout(justify_content="space-between", align_items="center"))
        self.children = [top, *body, self.status, self.request_log]

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
    def _run(self, label: str, fn: Callable[[], Any], *, hint: str = "") -> Any:
        """Run one user action: busy state on, requests logged, errors shown; returns fn()'s result or None.

        ``hint`` is added to a failure message when the step has a likely cause worth naming.
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
            self.status.value = (
                f"<span class='tnb-bad'>✗ {html.escape(label)} failed.</span> "
                f"{html.escape(describe_error(exc, target=getattr(self.client, 'base_url', None)))}"
                + (f"<br><span class='tnb-muted'>{html.escape(hint)}</span>" if hint else "")
            )
            return None
        else:
            took = time.perf_counter() - started
            self.status.value = f"<span class='tnb-ok'>✓ {html.escape(label)}</span> " \
                                f"<span class='tnb-muted'>({took * 1000:.0f} ms)</span>"
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
        return describe_error(self.last_error, target=getattr(self.client, "base_url", None))

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


def scopes_from_metadata(metadata: Any) -> list[str]:
    """The scopes a server advertises (RFC 8414 §2 ``scopes_supported``), for scope pickers."""
    return list(field(metadata, "scopes_supported", None) or [])


def visible_text(widget: Any) -> str:
    """Everything ``widget`` shows a user, as one string: HTML/label values, visible inputs (not password
    boxes), option labels, button and tab titles. Hidden subtrees are skipped. For tests and for checking, from a
    notebook, what a panel displays."""
    out: list[str] = []
    _collect(widget, out)
    return "\n".join(out)


_STYLE_BLOCK = re.compile(r"<style>.*?</style>", re.S)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    """The text a browser would show for ``markup`` (tags dropped, entities decoded), roughly."""
    return html.unescape(_TAG.sub(" ", _STYLE_BLOCK.sub("", str(markup))))


def _collect(widget: Any, out: list[str]) -> None:
    layout = getattr(widget, "layout", None)
    if layout is not None and getattr(layout, "display", None) == "none":
        return
    if isinstance(widget, widgets.Password):
        return
    if isinstance(widget, (widgets.HTML, widgets.HTMLMath)):
        out.append(html_to_text(widget.value))
    elif isinstance(widget, (widgets.Label, widgets.Text, widgets.Textarea)):
        out.append(str(widget.value))
    if isinstance(widget, (widgets.Dropdown, widgets.SelectMultiple, widgets.Select)):
        out.extend(str(label) for label in widget._options_labels)
    if isinstance(widget, (widgets.Button, widgets.ToggleButton)):
        out.append(str(widget.description))
    if isinstance(widget, (widgets.Tab, widgets.Accordion)):
        out.extend(str(t) for t in widget.titles if t)
    for child in getattr(widget, "children", ()) or ():
        _collect(child, out)

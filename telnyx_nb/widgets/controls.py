"""Small widgets the panels are built from: request log, expiry countdown, secret input, confirmation bar."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from telnyx_nb.core.masking import mask, mask_text
from telnyx_nb.widgets.stored import field, utc

# Labels at their natural width: ipywidgets' default cuts a description after ~8 characters.
LABEL_STYLE = {"description_width": "initial"}


def wide() -> widgets.Layout:
    """A full-width layout; a fresh one each time, since a shared Layout would share ``display`` too."""
    return widgets.Layout(width="100%")


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
        rows = "".join(f"<tr><td>{i}</td>{_log_cells(r)}</tr>" for i, r in enumerate(self.records, 1))
        self.table.value = (
            "<table class='tnb-table'><tr><th>#</th><th>method</th><th>URL</th><th>status</th><th>time</th></tr>"
            + rows + "</table>"
        )
        self.set_title(0, f"Request log ({len(self.records)})")
        options = [
            (f"#{i} {getattr(r, 'method', '')} {mask_text(getattr(r, 'url', ''))}", i - 1)
            for i, r in enumerate(self.records, 1)
        ]
        self.picker.options = options
        self.picker.value = len(self.records) - 1 if self.records else None
        self._show_curl()

    def _stored_html(self) -> str:
        """The stored view: the (masked) requests folded under the log's title, no curl picker. Sorted by address:
        concurrent pages finish in any order, and a stored notebook must not change from run to run."""
        rows = "".join(f"<tr>{_log_cells(r)}</tr>" for r in sorted(self.records, key=lambda r: (
            str(getattr(r, "url", "")), str(getattr(r, "method", "")))))
        note = "<div class='tnb-muted'>sorted by address (the live log lists them as they finished)</div>"
        return (f"<details><summary>Request log ({len(self.records)})</summary>{note if rows else ''}"
                "<table class='tnb-table'><tr><th>method</th><th>URL</th><th>status</th><th>time</th></tr>"
                f"{rows}</table></details>")

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


def _log_cells(record: Any) -> str:
    """One exchange as table cells: method, URL (masked), status (and retry attempt), duration."""
    status = getattr(record, "status", None)
    err = getattr(record, "error", None)
    status_text = str(status) if status is not None else mask_text(err or "—")
    attempt = getattr(record, "attempt", 1) or 1
    if attempt > 1:  # the API module retried (429 / 5xx / connection errors): show it
        status_text += f" (attempt {attempt})"
    cls = "tnb-ok" if status is not None and status < 400 else "tnb-bad"
    elapsed = getattr(record, "elapsed", None)
    ms = f"{elapsed * 1000:.0f} ms" if isinstance(elapsed, (int, float)) else "—"
    return (f"<td>{html.escape(str(getattr(record, 'method', '')))}</td>"
            f"<td>{html.escape(mask_text(getattr(record, 'url', '')))}</td>"
            f"<td class='{cls}'>{html.escape(status_text)}</td><td>{ms}</td>")


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

    def close(self) -> None:
        """Closing the widget (directly, through its panel, or ``Widget.close_all()``) ends the ticking thread."""
        self.stop()
        super().close()

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

    def _stored_html(self) -> str:
        """The stored view: the expiry as a time (a countdown would be frozen at whatever it last said)."""
        if self.expires_at is None:
            return ""
        remaining = self.remaining or 0
        said = f"expired at {utc(self.expires_at)}" if remaining <= 0 else f"valid until {utc(self.expires_at)}"
        return f"<span class='tnb-muted'>token {said} (the countdown runs when the cell runs)</span>"

    def _loop(self, stop: threading.Event) -> None:
        while not stop.wait(1.0):
            if self.comm is None:  # closed behind our back: nothing left to update
                return
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
        style = LABEL_STYLE
        self._placeholder = placeholder
        self._secret = ""
        self._revealed = False
        self._syncing = False
        self._listeners: list = []
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
            self._changed()

    def _stored_html(self) -> str:
        """The stored view: the masked stub, never the secret — even while it is revealed in the live panel."""
        return field(str(self.hidden.description), mask(self._secret) if self._secret else "",
                     placeholder=self._placeholder)

    def on_change(self, callback) -> None:
        """Call ``callback(value)`` whenever the value changes (typed, pasted or assigned)."""
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in list(self._listeners):
            callback(self._secret)

    @property
    def value(self) -> str:
        return self._secret

    @value.setter
    def value(self, text: str) -> None:
        self._secret = text or ""
        self._show()
        self._changed()

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

"""The stored view: a static, masked picture of a panel kept in its display output beside the live widget.

A widget's output holds only a reference to a model that lives in the kernel, so a notebook opened without its
kernel — on GitHub, nbviewer, ``jupyter nbconvert --to html`` offline, JupyterLab before the cell runs — has
nothing to draw. Every panel's output therefore also carries ``text/html`` and ``text/plain``: what the panel
showed, with secrets masked (whatever the reveal toggle says), controls drawn as inert labels, no countdown, and a
banner saying it is a stored view. Front ends that can run the widget choose the widget view; the others show this.

The output is published with a ``display_id`` and sent again after each cell whose run changed the panel (an IPython
``post_run_cell`` hook), so a panel driven by later cells is stored as it ended, not as it was first drawn.

The HTML hooks for a stylesheet or a test: the outer element has the class :data:`CSS_CLASS` plus
``telnyx-nb-stored-<PanelClass>``, the banner :data:`BANNER_CLASS`. Classes survive JupyterLab's sanitiser (which
drops ``<style>`` and ``data-*``), so the look that matters is in inline styles.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import uuid
import weakref
from typing import Any

import ipywidgets as widgets

from telnyx_nb.core.masking import mask_text
from telnyx_nb.widgets.render import CSS

BANNER = "Stored view — run the cell to use this panel"
CSS_CLASS = "telnyx-nb-stored-view"
BANNER_CLASS = "telnyx-nb-stored-banner"
STORED_TYPES = ("text/html", "text/plain")

_log = logging.getLogger("telnyx_nb.widgets")

# Inline styles: the stored view must read as inert (dashed, grey) wherever only inline styles survive.
_VIEW = "border:1px solid #ddd;border-radius:4px;padding:6px 8px;margin:2px 0;"
_BANNER = ("background:#fff8e1;border:1px solid #e0b252;border-radius:3px;padding:2px 8px;margin-bottom:6px;"
           "color:#5f4b00;font-weight:bold;")
_CONTROL = ("display:inline-block;border:1px dashed #bbb;border-radius:3px;color:#888;background:#f5f5f5;"
            "padding:0 6px;margin:1px 2px;")
_VALUE = "border:1px solid #ddd;border-radius:2px;background:#f5f5f5;color:#555;padding:0 4px;"
_MUTED = "color:#666;"
_ROW = "display:flex;flex-wrap:wrap;gap:8px;align-items:center;"
_CLASS_STYLES = {"tnb-ok": "color:#11713a;font-weight:bold;", "tnb-bad": "color:#b00020;font-weight:bold;",
                 "tnb-muted": _MUTED}


def control(label: str) -> str:
    """A button or toggle as an inert label (dashed, grey): what it was called, not something to press."""
    return f"<span class='telnyx-nb-stored-control' style='{_CONTROL}'>{html.escape(label)}</span>"


def field(label: str, value: str, *, placeholder: str = "") -> str:
    """``label: value`` for an input, the value in a greyed box (the placeholder, muted, when empty)."""
    shown = (html.escape(value) if value else
             f"<i style='{_MUTED}'>{html.escape(placeholder or '(empty)')}</i>")
    name = f"<span style='{_MUTED}'>{html.escape(label)}</span> " if label else ""
    return f"<div style='margin:2px 0'>{name}<span style='{_VALUE}'>{shown}</span></div>"


def utc(epoch: float) -> str:
    """An epoch time as a UTC date-time: the stored view's way to say when (never "in 59 min")."""
    return f"{dt.datetime.fromtimestamp(epoch, dt.UTC):%Y-%m-%d %H:%M:%S} UTC"


_BUTTON = re.compile(r"<button\b.*?</button>", re.S | re.I)
_SCRIPT_OR_STYLE = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_HANDLER = re.compile(r"""\s+on[a-z]+\s*=\s*(?:"[^"]*"|'[^']*')""", re.I)
_STYLED_CLASS = re.compile(r"class='(tnb-ok|tnb-bad|tnb-muted)'")


def defuse(markup: str) -> str:
    """A widget's HTML made inert: no buttons, scripts, event handlers or style blocks."""
    return _HANDLER.sub("", _BUTTON.sub("", _SCRIPT_OR_STYLE.sub("", str(markup))))


def static_html(widget: Any, skip: tuple[Any, ...] = ()) -> str:
    """What ``widget`` shows, as inert HTML; hidden subtrees and the widgets in ``skip`` are left out. A widget
    with its own ``_stored_html()`` (panels, secret boxes, countdowns, request logs) draws itself."""
    if any(widget is s for s in skip):
        return ""
    layout = getattr(widget, "layout", None)
    if layout is not None and getattr(layout, "display", None) == "none":
        return ""
    own = getattr(widget, "_stored_html", None)
    if callable(own):
        return own()
    if isinstance(widget, (widgets.HTML, widgets.HTMLMath)):
        return f"<div>{defuse(widget.value)}</div>" if widget.value else ""
    if isinstance(widget, widgets.Label):
        return f"<div>{html.escape(str(widget.value))}</div>"
    return _input_html(widget) or _container_html(widget, skip)


def _choice_labels(widget: Any) -> list[str]:
    """The label(s) of what a picker has chosen (a tuple for a multiple selection)."""
    chosen = getattr(widget, "label", None)
    if isinstance(chosen, (tuple, list)):
        return [str(c) for c in chosen]
    return [str(chosen)] if chosen not in (None, "") else []


def _input_html(widget: Any) -> str:
    """Inputs as labelled, greyed values; secrets (password boxes) never shown, free text masked."""
    label = str(getattr(widget, "description", "") or "")
    if isinstance(widget, widgets.Password):
        return field(label, "••••••" if widget.value else "", placeholder=widget.placeholder)
    if isinstance(widget, (widgets.Text, widgets.Textarea)):  # Combobox is a Text
        return field(label, mask_text(widget.value), placeholder=widget.placeholder)
    if isinstance(widget, widgets.Checkbox):
        return f"<div style='{_MUTED}'>{'☑' if widget.value else '☐'} {html.escape(label)}</div>"
    if isinstance(widget, widgets.SelectMultiple):
        chosen = set(_choice_labels(widget))
        marks = " ".join(f"{'☑' if str(o) in chosen else '☐'}&nbsp;{html.escape(str(o))}"
                         for o in widget._options_labels)
        return field(label, "") if not marks else (
            f"<div style='margin:2px 0'><span style='{_MUTED}'>{html.escape(label)}</span> "
            f"<span style='{_VALUE}'>{marks}</span></div>")
    if isinstance(widget, (widgets.Dropdown, widgets.Select, widgets.RadioButtons, widgets.ToggleButtons)):
        return field(label, ", ".join(_choice_labels(widget)), placeholder="(nothing chosen)")
    if isinstance(widget, (widgets.Button, widgets.ToggleButton)):
        return control(widget.description or widget.tooltip or "button")
    return ""


def static_children(widget: Any, skip: tuple[Any, ...] = ()) -> str:
    """``widget``'s children as inert HTML, laid out as the box lays them out (for a widget's own hook)."""
    return _container_html(widget, skip)


def _container_html(widget: Any, skip: tuple[Any, ...]) -> str:
    children = list(getattr(widget, "children", ()) or ())
    if isinstance(widget, widgets.Tab):
        return _tabs_html(widget, skip)
    if isinstance(widget, widgets.Accordion):
        return "".join(f"<details><summary>{html.escape(str(title or ''))}</summary>{static_html(child, skip)}"
                       f"</details>" for title, child in zip(widget.titles, children))
    parts = [p for p in (static_html(child, skip) for child in children) if p]
    if not parts:
        return ""
    if isinstance(widget, widgets.HBox):
        return f"<div style='{_ROW}'>" + "".join(f"<div>{p}</div>" for p in parts) + "</div>"
    return "<div>" + "".join(parts) + "</div>"


def _tabs_html(tabs: widgets.Tab, skip: tuple[Any, ...]) -> str:
    """The tab titles as a strip (the open one underlined), then the open tab; the others open once run."""
    index = tabs.selected_index
    strip = " · ".join(f"<b style='border-bottom:2px solid #888'>{html.escape(str(t))}</b>" if i == index
                       else f"<span style='{_MUTED}'>{html.escape(str(t))}</span>"
                       for i, t in enumerate(tabs.titles))
    body = static_html(tabs.children[index], skip) if index is not None and index < len(tabs.children) else ""
    return (f"<div style='margin:4px 0'>{strip} <span style='{_MUTED}'>(the other tabs open when the cell "
            f"runs)</span></div>{body}")


_BLOCK_END = re.compile(r"<br\s*/?>|</(?:div|p|tr|summary|details|h\d|table)>", re.I)
_TAG = re.compile(r"<[^>]+>")


def as_text(markup: str) -> str:
    """The stored view as plain lines (a terminal, ``nbconvert --to markdown``, a diff)."""
    text = html.unescape(_TAG.sub(" ", _BLOCK_END.sub("\n", _SCRIPT_OR_STYLE.sub("", markup))))
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def stored_view(widget: Any, body: str) -> dict[str, str]:
    """The ``text/html`` and ``text/plain`` of ``widget``'s stored view around ``body`` (its static HTML).

    ``mask_text`` runs over the whole once more: a secret shape that reached a widget's text is masked here too."""
    kind = type(widget).__name__
    body = _STYLED_CLASS.sub(lambda m: f"class='{m[1]}' style='{_CLASS_STYLES[m[1]]}'", body)  # colours inline
    markup = mask_text(
        f"<div class='{CSS_CLASS} telnyx-nb-stored-{kind}' style='{_VIEW}'>"
        f"<div class='{BANNER_CLASS}' style='{_BANNER}'>{html.escape(BANNER)}</div>{body}</div>")
    return {"text/html": CSS + markup, "text/plain": f"{kind} — {as_text(markup)}"}


class StoredView:
    """Mixin (before the ipywidgets base class) for a widget whose outputs carry a stored view: subclasses give
    ``_stored_html()``. The output is published with a display id and refreshed after each cell that changed it."""

    _stored_display_id: str | None = None
    _stored_sent: dict[str, str] | None = None

    def _stored_html(self) -> str:
        raise NotImplementedError

    def stored_view(self) -> dict[str, str]:
        """The stored view's ``text/html`` and ``text/plain``, as the cell's output keeps them."""
        return stored_view(self, self._stored_html())

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        """ipywidgets' bundle (the widget view) plus the stored view (ipywidgets 8 ``Widget._repr_mimebundle_``)."""
        data = super()._repr_mimebundle_(**kwargs)  # type: ignore[misc]
        data.update(self.stored_view())
        return data

    def _ipython_display_(self) -> None:
        """Display with a display id (a plain repr cannot have one), so later cells can refresh the stored view."""
        from IPython.display import display

        if self._stored_display_id is None:
            self._stored_display_id = f"telnyx-nb-{uuid.uuid4().hex}"
        bundle = self._repr_mimebundle_()
        self._stored_sent = {k: bundle[k] for k in STORED_TYPES}
        display(bundle, raw=True, display_id=self._stored_display_id)
        _watch(self)

    def refresh_stored_view(self) -> bool:
        """Send the output again if the stored view changed since it was sent; True if it was sent."""
        if self._stored_display_id is None:
            return False
        bundle = self._repr_mimebundle_()
        fresh = {k: bundle[k] for k in STORED_TYPES}
        if fresh == self._stored_sent:
            return False
        from IPython.display import update_display

        update_display(bundle, raw=True, display_id=self._stored_display_id)
        self._stored_sent = fresh
        return True


_watched: weakref.WeakSet[Any] = weakref.WeakSet()
_hooked = False


def _watch(view: StoredView) -> None:
    """Refresh ``view``'s stored view after every cell from now on (one hook for all views)."""
    global _hooked
    _watched.add(view)
    if _hooked:
        return
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.events.register("post_run_cell", refresh_stored_views)
        _hooked = True


def refresh_stored_views(_result: Any = None) -> None:
    """After a cell: send again the stored view of every displayed panel that changed (closed ones are dropped).

    After the cell, not on every change: one update per cell, and a click in the live panel (no cell running)
    reaches the stored view with the next cell run."""
    for view in list(_watched):
        if getattr(view, "comm", None) is None:
            _watched.discard(view)
            continue
        try:
            view.refresh_stored_view()
        except Exception:  # a stored view must never break the user's cell
            _log.debug("stored view of %s not refreshed", type(view).__name__, exc_info=True)

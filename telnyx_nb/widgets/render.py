"""HTML for records, DataFrames and errors, and the reverse: the text a widget shows.

Panels never parse JSON: they render the API module's records and frames with these helpers, which escape every
value and mask every secret (through :mod:`telnyx_nb.core.masking`) unless the user chose to reveal them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from collections.abc import Iterable, Mapping
from typing import Any

import ipywidgets as widgets

from telnyx_nb.core.errors import (
    AuthenticationError,
    ConfigurationError,
    JWTVerificationError,
    PermissionDeniedError,
    TelnyxNBError,
    TransportError,
    ValidationError,
)
from telnyx_nb.core.masking import ELLIPSIS, mask, mask_text, secret_names

TIME_FIELDS = frozenset({"exp", "iat", "nbf", "auth_time", "client_id_issued_at", "client_secret_expires_at"})

CSS = """<style>
.tnb-table {border-collapse: collapse; font-size: 12px; margin: 2px 0; line-height: 1.35;}
.tnb-table th, .tnb-table td {border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top;
  font-family: var(--jp-code-font-family, monospace); white-space: pre-wrap; overflow-wrap: break-word;
  max-width: 36em;}
.tnb-table th {background: #f3f3f3; white-space: nowrap; word-break: normal;}
.tnb-ok {color: #11713a; font-weight: bold;} .tnb-bad {color: #b00020; font-weight: bold;}
.tnb-muted {color: #666;}
.tnb-busy {opacity: .75; cursor: progress;}
.tnb-table td.tnb-id, .tnb-table td.tnb-when {white-space: nowrap;}
.tnb-table td.tnb-id code {cursor: help;}
.tnb-copy-id {border: 1px solid #ccc; border-radius: 3px; background: #fafafa; margin-left: 4px; padding: 0 3px;
  cursor: copy; color: #444; font-size: 10px; line-height: 1.3;}
.tnb-scroll {max-height: 54em; overflow: auto;}
.tnb-table td.tnb-url {overflow-wrap: anywhere;}  /* a long URL wraps instead of pushing columns out */
</style>"""

# Characters of an id kept in a table cell: enough to tell rows apart at a glance (8 hex digits of a UUID).
ID_PREFIX = 8


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
    if name in secret_names() and isinstance(value, str):  # the records' secret fields, and the API key …
        return value if reveal else mask(value)
    if name in TIME_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool):
        when = dt.datetime.fromtimestamp(value, tz=dt.UTC)
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


def short_id(value: Any, keep: int = ID_PREFIX) -> str:
    """The first ``keep`` characters of an id and "…" (unchanged when that would not be shorter)."""
    text = str(value)
    return text if len(text) <= keep + 1 else text[:keep] + ELLIPSIS


def id_cell(value: Any) -> str:
    """A ``<td>`` for an id: shortened, the full id on hover (``title``) and in ``data-id``, and a copy button.

    The button copies with ``navigator.clipboard`` in the browser, offline; where scripts are stripped (static
    renders), the full id stays in the hover text."""
    full = _cell(value)
    if full == "—":
        return "<td>—</td>"
    attr = html.escape(full, quote=True)
    return (f"<td class='tnb-id' title='{attr}' data-id='{attr}'><code>{html.escape(short_id(full))}</code>"
            "<button class='tnb-copy-id' title='Copy the full id' "
            "onclick=\"navigator.clipboard &amp;&amp; navigator.clipboard.writeText(this.parentNode.dataset.id)\">"
            "copy</button></td>")


def frame_html(df: Any, columns: Iterable[str] | None = None, *, max_rows: int = 200,
               id_columns: Iterable[str] = ()) -> str:
    """A DataFrame as an escaped HTML table: lists joined, dates shortened, at most ``max_rows`` rows; the
    ``id_columns`` shortened with the full id on hover and copy (:func:`id_cell`)."""
    if df is None:
        return ""
    view = df[[c for c in columns if c in df.columns]] if columns is not None else df
    if len(view) == 0:
        return "<span class='tnb-muted'>(no rows)</span>"
    shown = view.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in shown.columns)
    ids = set(id_columns)
    is_id = [c in ids for c in shown.columns]
    body = []
    for row in shown.itertuples(index=False):
        cells = "".join(id_cell(v) if as_id else _td(v) for v, as_id in zip(row, is_id))
        body.append(f"<tr>{cells}</tr>")
    more = f"<div class='tnb-muted'>… {len(view) - max_rows} more rows</div>" if len(view) > max_rows else ""
    return f"<table class='tnb-table'><tr>{head}</tr>{''.join(body)}</table>{more}"


def _td(value: Any) -> str:
    """A plain cell; date-times stay on one line, URLs (long, no spaces) may break anywhere."""
    text = _cell(value)
    kind = ""
    if isinstance(value, dt.datetime) and text != "—":  # (NaT is a datetime too)
        kind = " class='tnb-when'"
    elif "://" in text:
        kind = " class='tnb-url'"
    return f"<td{kind}>{html.escape(text)}</td>"


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
        return f"JWT verification failed — {verdict_text(exc.reason)}: {mask_text(exc)}"
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


# Human verdicts for a token: "valid", each JWTVerificationError.reason, and the two reasons only introspection can
# give ("revoked", "opaque"). The JWKS tab, the Introspection and Token tabs and error messages all read this one.
VERDICTS = {
    "valid": "valid: signature, issuer and lifetime check out",
    "expired": "expired: the exp claim is in the past",
    "not_yet_valid": "not yet valid: the nbf/iat claim is in the future",
    "wrong_issuer": "wrong issuer: the iss claim is not the expected issuer",
    "wrong_audience": "wrong audience: the aud claim does not name the expected audience",
    "wrong_type": "wrong type: the typ header names another kind of token, not an access token (RFC 9068 §4)",
    "unknown_kid": "unknown key: no key in the JWKS has this kid",
    "bad_signature": "bad signature: the token was tampered with or signed with another key",
    "malformed": "malformed: not a compact JWS (header.payload.signature)",
    "revoked": "revoked: the JWT is sound, so the token, its grant or its client was revoked or deleted",
    "opaque": "unknown, expired or revoked — the token is opaque, so the server's answer is all there is",
}


def verdict_text(reason: str | None) -> str:
    """The sentence for a verdict key (the key itself when it is not one of :data:`VERDICTS`)."""
    return VERDICTS.get(reason or "", reason or "")


def inactive_badge(active: bool, reason: str | None) -> str:
    """The one-line introspection verdict: ✓ active, or ✗ inactive and why (RFC 7662 §2.2)."""
    if active:
        return "<span class='tnb-ok'>✓ active</span>"
    return "<span class='tnb-bad'>✗ inactive</span> — " + html.escape(verdict_text(reason))


# The fields of a token response (RFC 6749 §5.1) in the order the panels show them.
TOKEN_FIELDS = ("access_token", "token_type", "expires_in", "refresh_token", "scope")


def token_table(token: Any, *, reveal: bool = False) -> str:
    """A token response (TokenResponse) as a field/value table, its tokens masked unless ``reveal``."""
    return kv_table([(name, getattr(token, name, None)) for name in TOKEN_FIELDS], reveal=reveal)


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

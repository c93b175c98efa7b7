"""Scope pickers: offer what the server publishes, say what each scope means, and what an empty choice brings.

Every panel that lets a user choose scopes (Token, Authorize, the Clients form) fills its picker from the server's
metadata (RFC 8414 §2 ``scopes_supported``), never from a list of its own. The metadata carries names only, so a
name's description comes from Telnyx's published vocabulary (:data:`telnyx_nb.core.wire.PUBLISHED_SCOPE_DESCRIPTIONS`);
a name Telnyx does not publish (a sandbox started with a custom catalog, another server) is labelled so. A scope
whose grant is worth a second thought (``admin``: the whole account) carries a plain warning next to the picker.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from telnyx_nb.core import wire

NOT_PUBLISHED = "not published by Telnyx"
# What a scope gives, in plain words, for the scopes a user should think twice about before asking for them.
SCOPE_WARNINGS: dict[str, str] = {"admin": "gives full administrative access to the Telnyx account"}


def scopes_from_metadata(metadata: Any) -> list[str]:
    """The scopes a server advertises (RFC 8414 §2 ``scopes_supported``), in its order, for scope pickers."""
    return list(getattr(metadata, "scopes_supported", None) or [])


def scope_description(scope: str) -> str:
    """Telnyx's published description of ``scope``, or "not published by Telnyx"."""
    return wire.PUBLISHED_SCOPE_DESCRIPTIONS.get(scope, NOT_PUBLISHED)


def scope_label(scope: str) -> str:
    """One picker option: the name, what it means, and ⚠ when :data:`SCOPE_WARNINGS` has a warning for it."""
    label = f"{scope} — {scope_description(scope)}"
    return f"{label}  ⚠" if scope in SCOPE_WARNINGS else label


def scope_options(metadata: Any) -> list[tuple[str, str]]:
    """``(label, scope)`` pairs for a picker: every advertised scope, described (:func:`scope_label`)."""
    return [(scope_label(scope), scope) for scope in scopes_from_metadata(metadata)]


def scope_notes_html(scopes: Iterable[str]) -> str:
    """The lines under a picker: each offered scope's warning, and which offered names Telnyx does not publish."""
    scopes = list(scopes)
    lines = [f"<span class='tnb-bad'>⚠ {html.escape(scope)} {html.escape(SCOPE_WARNINGS[scope])}: a token or grant "
             "with it can do whatever the account can.</span>" for scope in scopes if scope in SCOPE_WARNINGS]
    foreign = [scope for scope in scopes if scope not in wire.PUBLISHED_SCOPE_DESCRIPTIONS]
    if foreign:
        lines.append(f"<span class='tnb-muted'>{html.escape(', '.join(foreign))}: {NOT_PUBLISHED} — this server's "
                     "own vocabulary (a sandbox's custom catalog?); a real Telnyx account refuses them.</span>")
    if not scopes:
        lines.append("<span class='tnb-muted'>The server's metadata lists no scopes (scopes_supported): leave the "
                     "selection empty for the client's default.</span>")
    return "<br>".join(lines)


def show_scopes(picker: Any, metadata: Any, notes: Any = None) -> None:
    """Fill a SelectMultiple with every advertised scope, tall enough that none hides behind a scroll bar and wide
    enough that the longest label is not cut off (a ``<select>`` cannot wrap its options); ``notes`` (an HTML
    widget) gets :func:`scope_notes_html`. A selection still offered is kept."""
    options = scope_options(metadata)
    chosen = tuple(getattr(picker, "value", ()) or ())
    picker.options = options
    picker.value = tuple(scope for scope in chosen if scope in {value for _label, value in options})
    picker.rows = max(5, len(options))
    longest = max((len(label) for label, _scope in options), default=0)
    picker.layout.width = f"{len(str(picker.description)) + longest + 8}ch"  # + label gap, ⚠ and scroll bar
    if notes is not None:
        notes.value = scope_notes_html(value for _label, value in options)


def consent_scopes_html(requested: Iterable[Any]) -> str:
    """The scopes a consent asks for (``{id, name, description}``, as the server describes them) as a table, with
    the warning of each scope that has one."""
    rows = "".join(
        f"<tr><td>{html.escape(str(s.id or ''))}</td><td>{html.escape(str(s.name or ''))}</td>"
        f"<td>{html.escape(str(s.description or ''))}</td>"
        f"<td class='tnb-bad'>{html.escape('⚠ ' + SCOPE_WARNINGS[s.id] if s.id in SCOPE_WARNINGS else '')}</td></tr>"
        for s in requested
    )
    return ("<table class='tnb-table'><tr><th>scope</th><th>name</th><th>description</th><th>note</th></tr>"
            f"{rows}</table>")


def scope_sentence_html(text: str) -> str:
    """A panel's "what will be asked for" sentence: red when it carries a warning (⚠), muted otherwise."""
    return f"<span class='{'tnb-bad' if '⚠' in text else 'tnb-muted'}'>{html.escape(text)}</span>"


def default_scopes_phrase(allowed: Iterable[str] | None) -> str:
    """What an empty selection brings, as the end of a sentence: RFC 6749 §3.3 lets the server apply its default
    when no scope is sent, and the sandbox's default is every scope the client is allowed. ``allowed`` is the
    client's ``allowed_scopes`` when known (``None``: it could not be read), each warning said with it."""
    if allowed is None:
        return ("the server's default for this client (RFC 6749 §3.3; on the sandbox every scope the client is "
                "allowed, admin included if it has it — " + SCOPE_WARNINGS["admin"] + ")")
    names = list(allowed)
    warned = [f"{scope} {SCOPE_WARNINGS[scope]}" for scope in names if scope in SCOPE_WARNINGS]
    return (f"every scope the client is allowed (RFC 6749 §3.3): {' '.join(names) or '(none)'}"
            + (f" — ⚠ {'; '.join(warned)}" if warned else ""))


__all__ = ["NOT_PUBLISHED", "SCOPE_WARNINGS", "consent_scopes_html", "default_scopes_phrase", "scope_description",
           "scope_label", "scope_notes_html", "scope_options", "scope_sentence_html", "scopes_from_metadata",
           "show_scopes"]

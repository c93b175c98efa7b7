"""One terminal-safe printer for every command-line tool: third parties' text is shown, never obeyed.

A client name (or an error message quoting one) may carry ANSI/OSC escape sequences that clear the screen,
retitle the window or plant a hyperlink (OSC 8), C0/C1 control characters (BEL, NUL, the 8-bit CSI and OSC), or
Unicode bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069) that display ``gnp.exe`` for ``exe.png``
(Trojan Source, CVE-2021-42574). :func:`terminal_text` removes all of these, keeping newline and tab where the
caller lays text out with them; :func:`echo` is ``print`` through it.

This module sits below every layer (it imports nothing of telnyx_nb) so the sandbox's CLI may use it too.
"""

from __future__ import annotations

import re
from typing import Any, TextIO

__all__ = ["terminal_text", "table_cell", "echo"]

# ESC-introduced sequences (OSC "ESC ]" … BEL/ST, CSI "ESC [", two-character escapes), then the 8-bit CSI/OSC;
# what is left of a sequence's introducer is removed with the other controls below.
_ESCAPES = re.compile(r"\x1b\][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|"
                      r"\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c\x1b]*(?:\x07|\x9c|\x1b\\)?")
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 except tab and newline, DEL, C1, and the bidi embeddings/overrides/isolates
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + BIDI_CONTROLS + "]")
_LAYOUT = re.compile(r"[\t\n]")


def terminal_text(value: Any) -> Any:
    """``value`` without escape sequences, control characters or bidi controls (newline and tab kept);
    non-text values are returned unchanged."""
    if not isinstance(value, str):
        return value
    return _CONTROLS.sub("", _ESCAPES.sub("", value))


def table_cell(value: Any) -> Any:
    """A cell for a printed table: :func:`terminal_text`, and newline or tab become a space so rows stay rows."""
    cleaned = terminal_text(value)
    return _LAYOUT.sub(" ", cleaned) if isinstance(cleaned, str) else cleaned


def echo(text: Any = "", *, file: TextIO | None = None, flush: bool = False) -> None:
    """``print(text)`` through :func:`terminal_text` (``file``: stdout when None, as for ``print``)."""
    print(terminal_text(str(text)), file=file, flush=flush)

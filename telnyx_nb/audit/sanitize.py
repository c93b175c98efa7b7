"""Neutralise text that third parties chose (client names, URIs) before it reaches a spreadsheet or a terminal.

- Spreadsheets: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
  Excel, LibreOffice and Sheets (CSV injection, OWASP): such a cell gets a leading ``'``, which spreadsheets show
  as text and do not display. Only text cells change; numbers stay numbers. Every spreadsheet-bound export
  (CSV today) goes through ``spreadsheet_safe``.
- Terminals: ANSI/OSC escape sequences and other control characters in a name can recolour, retitle or rewrite
  the screen (or plant a hyperlink); ``terminal_safe`` removes them. HTML output is escaped instead (report.py).
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# ESC-introduced sequences (CSI "ESC [", OSC "ESC ]" … BEL/ST, and two-character escapes), the 8-bit CSI/OSC,
# then any remaining C0/C1 control character or DEL.
_ESCAPES = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|"
                      r"\x9b[0-?]*[ -/]*[@-~]|\x9d[^\x07\x9c]*[\x07\x9c]?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def spreadsheet_cell(value: Any) -> Any:
    """A text cell a spreadsheet will not run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _map_text_cells(frame: pd.DataFrame, clean) -> pd.DataFrame:
    """A copy of ``frame`` with ``clean`` applied to every cell of its text (object or string) columns."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or isinstance(safe[col].dtype, pd.StringDtype):
            safe[col] = safe[col].map(clean, na_action="ignore")
    return safe


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through ``spreadsheet_cell``."""
    return _map_text_cells(frame, spreadsheet_cell)


def terminal_text(value: Any) -> Any:
    """Text without escape sequences or control characters (newline and tab kept); other values unchanged."""
    if not isinstance(value, str):
        return value
    return _CONTROLS.sub("", _ESCAPES.sub("", value))


def terminal_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through ``terminal_text``."""
    return _map_text_cells(frame, terminal_text)

"""The one CSV writer for every export (the audit's findings/clients/grants, ``diff --out``, what comes next).

Client names, URIs and details are a third party's choice; a spreadsheet opening the file must neither run them
nor split them:

- every cell is quoted (``csv.QUOTE_ALL``), so separators and quotes in a name stay inside its cell;
- embedded line breaks are written as the visible two-character escapes ``\\r`` and ``\\n``: a bare CR is a row
  break to Excel and to many CSV readers even inside quotes, and a one-record-per-line file is what grep, wc -l
  and warehouse loaders expect;
- a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR would be run as a formula (CSV injection,
  OWASP): it gets a leading ``'``, which spreadsheets treat as "this is text" and do not display.

Only text cells change; numbers, booleans and time stamps are written as they are. Lists become JSON arrays.
This module sits below the audit and the frames (it imports nothing of telnyx_nb), so any exporter can use it.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FORMULA_PREFIXES", "spreadsheet_cell", "spreadsheet_safe", "write_csv"]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_LINE_BREAKS = str.maketrans({"\r": "\\r", "\n": "\\n"})


def spreadsheet_cell(value: Any) -> Any:
    """A text cell a spreadsheet will neither run as a formula nor split into rows; other values unchanged."""
    if isinstance(value, (list, tuple, np.ndarray)):
        value = json.dumps(list(value.tolist() if isinstance(value, np.ndarray) else value), default=str)
    if not isinstance(value, str):
        return value
    guarded = "'" + value if value.startswith(FORMULA_PREFIXES) else value
    return guarded.translate(_LINE_BREAKS)


def spreadsheet_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text (or list) cell and every column name through ``spreadsheet_cell``."""
    safe = frame.copy()
    for col in safe.columns:  # non-text cells come back unchanged (and pandas keeps a number column's dtype)
        safe[col] = safe[col].astype(object).map(spreadsheet_cell, na_action="ignore")
    safe.columns = [spreadsheet_cell(str(col)) for col in safe.columns]
    return safe


def write_csv(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write ``frame`` (without its index) to ``path`` as a spreadsheet-safe CSV file; returns the path."""
    path = Path(path)
    spreadsheet_safe(frame).to_csv(path, index=False, quoting=csv.QUOTE_ALL, lineterminator="\r\n",
                                   encoding="utf-8")
    return path

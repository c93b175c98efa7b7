"""Neutralise text that third parties chose (client names, URIs) before it reaches a spreadsheet or a terminal.

The rules live in two small modules below every layer, so every exporter and every CLI (the sandbox's too) uses
the same ones: :mod:`telnyx_nb.spreadsheet` (the one CSV writer: quoted cells, no formulas, no row breaks) and
:mod:`telnyx_nb.terminal` (the one terminal-safe printer: no escape sequences, controls or bidi overrides).
HTML output is escaped instead (report.py). This module keeps the audit's frame-level helpers.
"""

from __future__ import annotations

import pandas as pd

from telnyx_nb.spreadsheet import FORMULA_PREFIXES, spreadsheet_cell, spreadsheet_safe, write_csv
from telnyx_nb.terminal import table_cell, terminal_text

__all__ = ["FORMULA_PREFIXES", "spreadsheet_cell", "spreadsheet_safe", "write_csv", "terminal_text",
           "terminal_safe"]


def terminal_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` (column names included) whose text cells are safe to print as a table."""
    safe = frame.copy()
    for col in safe.columns:
        if safe[col].dtype == object or isinstance(safe[col].dtype, (pd.StringDtype, pd.CategoricalDtype)):
            safe[col] = safe[col].astype(object).map(table_cell, na_action="ignore")
    safe.columns = [table_cell(str(col)) for col in safe.columns]
    return safe

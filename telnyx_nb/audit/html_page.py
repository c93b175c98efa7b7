"""The pieces every audit report page is made of: cells, tables, pictures and the templates they fill.

A cell carries its shown text, a sort key (numbers, times, severities and risk levels sort by what they mean) and a
CSS class; an id is shown whole with a copy button (an owner pastes it into a command). The templates
(``templates/``: ``_base`` the page, its styles and script; ``_macros`` the tables and copy buttons) autoescape, so a
name that is a third party's choice stays text. Used by :mod:`telnyx_nb.audit.report` and
:mod:`telnyx_nb.audit.fleet_report`.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from telnyx_nb.audit import plots
from telnyx_nb.audit.levels import LEVELS
from telnyx_nb.audit.rules import RULES, SEVERITIES

__all__ = ["ID_COLUMNS", "RANK", "cell", "img", "plain_doc", "rules_frame", "table", "template"]

RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}  # high = 0
ID_COLUMNS = {"account_id", "client_id", "grant", "grant_id", "id", "object_id", "org_id", "user_id"}


def plain_doc(text: str) -> str:
    """A docstring's RST inline markup (````name````, ``:data:`RULES```) as plain text for readers."""
    return re.sub(r":[a-z]+:`([^`]+)`", r"\1", re.sub(r"``([^`]+)``", r"\1", text or ""))


def is_list(value: Any) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def cell(value: Any, column: str = "") -> dict:
    """One table cell: shown text, a sort key (numbers and times sort as such) and a CSS class."""
    if is_list(value):
        return {"text": ", ".join(str(v) for v in list(value)), "sort": None, "cls": None, "title": None}
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return {"text": "", "sort": "", "cls": None, "title": None}
    if isinstance(value, pd.Timestamp):
        return {"text": value.strftime("%Y-%m-%d %H:%M"), "sort": value.isoformat(), "cls": None, "title": None}
    if isinstance(value, (bool, np.bool_)):
        return {"text": "yes" if value else "no", "sort": None, "cls": None, "title": None}
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        text = f"{number:.1f}".removesuffix(".0")  # counts (and 47.01 days) never print as 12.0
        return {"text": text, "sort": repr(number), "cls": "num", "title": None}
    text = str(value)
    if column == "severity" and text in RANK:
        return {"text": text, "sort": str(RANK[text]), "cls": f"sev-{text}", "title": None}
    if column in ("risk_level", "worst_risk_level") and text in LEVELS:  # sorts by urgency, not alphabetically
        return {"text": text, "sort": str(LEVELS.index(text)), "cls": f"risk-{text}", "title": None}
    if column in ID_COLUMNS:  # whole (an owner pastes it into a command), one click from the clipboard
        return {"text": text, "sort": text, "cls": "id", "title": None, "copy_id": True}
    return {"text": text, "sort": None, "cls": None, "title": None}


def table(frame: pd.DataFrame, table_id: str, caption: str, empty: str = "none",
           page_size: int | None = None) -> dict:
    columns = [{"label": str(c).replace("_", " "),
                "numeric": pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])}
               for c in frame.columns]
    rows = [[cell(value, str(column)) for column, value in zip(frame.columns, row)]
            for row in frame.itertuples(index=False, name=None)]
    if page_size is None and len(rows) > 200:
        page_size = 100
    return {"id": table_id, "caption": caption, "columns": columns, "rows": rows, "empty": empty,
            "page_size": page_size}


def img(fig: Any, alt: str) -> dict:
    return {"alt": alt, "data": base64.b64encode(plots.to_png(fig)).decode("ascii")}


@lru_cache(maxsize=2)
def template(name: str = "report.html.j2"):
    """A report template (autoescaping on: names are a third party's choice); the pages share _base and _macros."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(loader=PackageLoader("telnyx_nb.audit", "templates"),
                              autoescape=select_autoescape(["html", "j2"], default=True))
    return environment.get_template(name)


def rules_frame() -> pd.DataFrame:
    """Every audit rule: its severity, what it applies to, the risk in words and the suggested action."""
    return pd.DataFrame([{"rule": r.name, "severity": r.severity, "applies to": r.object_type,
                          "risk": plain_doc(r.doc), "suggested action": r.suggested_action}
                         for r in RULES.values()])

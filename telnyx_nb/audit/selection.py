"""The report's "Revoke these first" list as data: what ``telnyx-nb revoke`` acts on, and nothing else.

The audit writes the list the owner reads into the report itself (a ``<script type="application/json">`` block the
page never runs) or, for ``--out revoke-first.json``, into a file of its own. Each grant carries what the report
saw of it (client, scopes, created, last used) so that ``telnyx-nb revoke`` can read it again before acting and
leave alone a grant that changed since: the owner decided on what the report showed, not on what the grant is now.
The document holds ids, names, times and the masked target line: no secret.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd

from telnyx_nb.audit.risk import revoke_first
from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.core.masking import mask

__all__ = ["ELEMENT_ID", "KIND", "build", "credential", "differences", "embeddable", "frame", "read", "write"]

KIND = "telnyx-nb revoke selection"
VERSION = 1
ELEMENT_ID = "telnyx-nb-revoke-selection"  # the report's <script type="application/json"> holding the selection
_EMBEDDED = re.compile(r'<script type="application/json" id="' + ELEMENT_ID + r'">(.*?)</script>', re.S)
CHECKED = ("client_id", "scopes", "created_at", "last_used_at")  # what must be as the report saw it
COLUMNS = ["grant_id", "client_name", "risk_level", "risk_score", "reason"]


def _when(value: Any) -> str | None:
    """A time as UTC ISO 8601 text (None for never), the same whether it came from a frame or a record."""
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.isoformat()


def _seen(grant: Any) -> dict:
    """The checked fields of a grant (a frame row or an ``OAuthGrant``), as the document stores them."""
    get = grant.get if isinstance(grant, dict) else lambda name: getattr(grant, name, None)
    return {"client_id": None if get("client_id") is None else str(get("client_id")),
            "scopes": sorted(str(s) for s in list(get("scopes") or ())),
            "created_at": _when(get("created_at")), "last_used_at": _when(get("last_used_at"))}


def credential(api: Any) -> str | None:
    """Which account a connection acts as, masked (``API key KEY0…ab`` [``of managed account ID``]); None without an
    API key. Every account of the real API shares one base URL, so the URL alone cannot tell two accounts apart."""
    key = getattr(api, "api_key", None)
    if not key:
        return None
    acting = getattr(api, "acting_as", None)
    return f"API key {mask(key)}" + (f" of managed account {acting.id}" if acting is not None else "")


def build(result: Any, n: int = 10) -> dict:
    """The selection of ``result``: its ``revoke_first(n)`` rows, riskiest first, with what the audit saw."""
    first = revoke_first(result, n)
    grants = result.grants.set_index(result.grants["id"].astype(str))
    rows = []
    for row in first.itertuples(index=False):
        seen = _seen(grants.loc[row.grant].to_dict())
        rows.append({"rank": int(row.rank), "grant_id": str(row.grant), "client_name": str(row.client),
                     "risk_level": str(row.risk_level), "risk_score": int(row.risk_score), "reason": str(row.reason),
                     **seen})
    at = result.thresholds.at()
    return {"kind": KIND, "version": VERSION, "generated_at": at.isoformat(timespec="seconds"),
            "target": str(result.target), "base_url": getattr(result, "base_url", None),
            "credential": getattr(result, "credential", None), "grants": rows}


def embeddable(document: dict) -> str:
    """The document as JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` (a client named
    ``</script>`` cannot end it)."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write(result: Any, path: str | Path, n: int = 10) -> Path:
    """Write the selection alone as JSON (``telnyx-nb audit --out revoke-first.json``)."""
    path = Path(path)
    path.write_text(json.dumps(build(result, n), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def read(path: str | Path) -> dict:
    """The selection in a report (``.html``) or a selection file (``.json``); ConfigurationError naming the file and
    the fix when it holds none."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")  # OSError (missing, unreadable) names the file itself
    if path.suffix.lower() in (".html", ".htm"):
        found = _EMBEDDED.search(text)
        if not found:
            raise ConfigurationError(f"from: {path} holds no revoke selection (a report from an older telnyx-nb, "
                                     "or not an audit report): run telnyx-nb audit --out report.html again")
        text = found.group(1)
    try:
        document = json.loads(text)
    except ValueError:
        raise ConfigurationError(f"from: {path} is not a revoke selection (not JSON): pass the report.html or "
                                 "revoke-first.json that telnyx-nb audit wrote") from None
    return _checked(document, path)


def _checked(document: Any, path: Path) -> dict:
    if not isinstance(document, dict) or document.get("kind") != KIND:
        raise ConfigurationError(f"from: {path} is not a revoke selection: pass the report.html or "
                                 "revoke-first.json that telnyx-nb audit wrote")
    if document.get("version") != VERSION:
        raise ConfigurationError(f"from: {path} is a version {document.get('version')!r} selection; this "
                                 f"telnyx-nb reads version {VERSION}: run telnyx-nb audit again")
    grants = document.get("grants")
    if not isinstance(grants, list) or not all(isinstance(g, dict) and isinstance(g.get("grant_id"), str)
                                               and g["grant_id"] for g in grants):
        raise ConfigurationError(f"from: {path}: its grants list is damaged (each needs a grant_id): run "
                                 "telnyx-nb audit again")
    return document


def frame(document: dict) -> pd.DataFrame:
    """The selection's grants as the rows ``remediate.revoke_each`` walks, in the report's order."""
    rows = [{c: g.get(c) for c in [*COLUMNS, *CHECKED]} for g in document["grants"]]
    return pd.DataFrame(rows, columns=[*COLUMNS, *CHECKED]).astype(
        {"grant_id": "string", "client_name": "string", "risk_level": "string", "reason": "string"})


def differences(row: dict, grant: Any) -> str | None:
    """What changed in ``grant`` (as read now) since the report saw it, in words; None when nothing did."""
    now = _seen(grant)
    changed = [f"{name} {_show(row.get(name))} → {_show(now[name])}" for name in CHECKED
               if _normal(name, row.get(name)) != now[name]]
    return "; ".join(changed) or None


def _normal(name: str, value: Any) -> Any:
    if name == "scopes":
        return sorted(str(s) for s in list(value or ()))
    if name == "client_id":
        return None if value is None else str(value)
    return _when(value)


def _show(value: Any) -> str:
    if value is None:
        return "none"  # a time that is None: never used
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, list) else str(value)

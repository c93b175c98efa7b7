"""A JWT pasted or handed into a panel, shown decoded at once — header, claims, times in UTC and relative
("in 59 min") — and verified against the server's JWKS (RFC 7515 signature, RFC 9068 §4 iss/aud/exp), like jwt.io
but with the issuer's real keys. The token itself is never put in a widget model; claims are not secrets."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import ipywidgets as widgets

from telnyx_nb.core.errors import JWTVerificationError
from telnyx_nb.widgets.stored import defuse

TIME_CLAIMS = ("iat", "nbf", "exp", "auth_time")


def relative(seconds: float) -> str:
    """``in 59 min`` / ``3 h ago`` / ``now``."""
    ahead, size = seconds >= 0, abs(seconds)
    if size < 60:
        return "now"
    for unit, length in (("d", 86400), ("h", 3600), ("min", 60)):
        if size >= length:
            amount = f"{int(size // length)} {unit}"
            return f"in {amount}" if ahead else f"{amount} ago"
    return "now"


def describe_time(value: Any, now: float | None = None) -> str:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return str(value)
    now = dt.datetime.now(dt.UTC).timestamp() if now is None else now
    moment = dt.datetime.fromtimestamp(value, dt.UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({relative(value - now)})"


def _shown(claim: str, value, now: float | None) -> str:
    if claim in TIME_CLAIMS:
        return describe_time(value, now)
    return " ".join(map(str, value)) if isinstance(value, list) else str(value)


def _rows(values: dict, now: float | None = None, *, relative_times: bool = True) -> str:
    def shown(claim: str, value: Any) -> str:
        if not relative_times and claim in TIME_CLAIMS and isinstance(value, (int, float)):
            return f"{dt.datetime.fromtimestamp(value, dt.UTC):%Y-%m-%d %H:%M:%S} UTC"
        return _shown(claim, value, now)

    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(shown(k, v))}</td></tr>"
                    for k, v in values.items())
    return f"<table class='tnb-table'>{cells}</table>"


class JWTView(widgets.HTML):
    """``show(token)``: decoded header and claims plus the JWKS verdict; empty for an empty or opaque token."""

    def __init__(self, client: Any) -> None:
        super().__init__("")
        self.client = client
        self.last_verdict: str | None = None
        self._decoded: tuple[dict, dict, str] | None = None  # header, claims, verdict line of the shown JWT

    def show(self, token: str) -> None:
        from telnyx_nb.api.jwt import decode_unverified

        token = (token or "").strip()
        self.last_verdict = None
        self._decoded = None
        if token.count(".") != 2:
            self.value = ""
            return
        try:
            header, claims = decode_unverified(token)
        except Exception:  # not a JWT after all: an opaque token looks like this sometimes
            self.value = "<span class='tnb-muted'>Not a decodable JWT (an opaque token?).</span>"
            return
        try:
            self.client.verify_jwt(token)
            self.last_verdict = "valid"
            verdict = "<span class='tnb-ok'>✓ signature and claims verified against the JWKS</span>"
        except JWTVerificationError as exc:
            self.last_verdict = exc.reason
            verdict = f"<span class='tnb-bad'>✗ does not verify: {html.escape(str(exc.reason))}</span>"
        except Exception as exc:  # the JWKS could not be fetched: decoding still helps
            verdict = f"<span class='tnb-muted'>not verified ({html.escape(type(exc).__name__)})</span>"
        self._decoded = (header, claims, verdict)
        self.value = self._html()

    def _html(self, *, relative_times: bool = True) -> str:
        if self._decoded is None:
            return self.value
        header, claims, verdict = self._decoded
        return (
            f"<div><b>Decoded JWT</b> — {verdict}</div>"
            "<div style='display:flex; gap:16px; flex-wrap:wrap'>"
            f"<div><b>header</b>{_rows(header, relative_times=relative_times)}</div>"
            f"<div><b>claims</b>{_rows(claims, relative_times=relative_times)}</div></div>"
        )

    def _stored_html(self) -> str:
        """The stored view: times as UTC dates only ("in 59 min" would be wrong by the time anyone reads it)."""
        return f"<div>{defuse(self._html(relative_times=False))}</div>" if self.value else ""

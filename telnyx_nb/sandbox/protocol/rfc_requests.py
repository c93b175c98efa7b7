"""Reading the request of an RFC endpoint (token, introspect, revoke): its parameters from a form or a JSON body, and
its client authentication checked once (RFC 6749 §2.3, §3.2) before Authlib sees it."""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from urllib.parse import parse_qsl, unquote

from flask import request

from telnyx_nb.sandbox.http.messages import load_json
from telnyx_nb.sandbox.store.models import SandboxRequest


class ParamError(Exception):
    """A token/introspect/revoke/register body that cannot be read (an RFC invalid_request)."""


def oauth_params() -> tuple[dict, dict]:
    """Parameters of an RFC endpoint from a form or a JSON body (the SDKs send JSON; RFC 6749 §4 says form)."""
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        check_utf8_form(request.get_data(cache=True))  # cached: request.form below parses the same bytes
        form = request.form
        repeated = sorted(k for k in form if len(form.getlist(k)) > 1)
        if repeated:  # RFC 6749 section 3.2: parameters MUST NOT be included more than once
            raise ParamError(f"Parameter {repeated[0]} is repeated: send each parameter once (RFC 6749 section 3.2).")
        # RFC 6749 section 3.2: a parameter sent without a value is treated as omitted.
        data = {k: form.get(k) for k in form if form.get(k) != ""}
        return data, {k: form.getlist(k) for k in data}
    if request.is_json:
        repeats: list[str | None] = []  # per object, innermost first: the body's own object is built last
        try:
            body = load_json(request.get_data(cache=True) or b"{}", object_pairs_hook=_noting_repeats(repeats))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParamError(f"The body is not valid JSON: {exc}.") from None
        if not isinstance(body, dict):
            raise ParamError("The body must be a JSON object.")
        if repeats[-1]:  # RFC 6749 section 3.2, as for a form; a JSON parser would silently keep the last one
            raise ParamError(f"Parameter {repeats[-1]} is repeated: send each parameter once (RFC 6749 section 3.2).")
        data = {}
        for key, value in body.items():
            if value is None or value == "":  # omitted, as RFC 6749 section 3.2 treats an empty parameter
                continue
            if not isinstance(value, str):  # RFC 6749 parameters are strings; a number or object is a client bug
                raise ParamError(f"Parameter {key} must be a string, not {type(value).__name__}.")
            data[key] = value
        return data, {k: [v] for k, v in data.items()}
    if not request.get_data(cache=True):
        return {}, {}
    raise ParamError("Content-Type must be application/x-www-form-urlencoded or application/json.")


def _noting_repeats(repeats: list[str | None]):
    """A ``json.loads`` object hook that builds each object as usual and notes the first name it holds twice
    (RFC 8259 section 4 leaves what a repeated name means unpredictable)."""
    def build(pairs: list[tuple[str, object]]) -> dict:
        counts = Counter(name for name, _ in pairs)
        repeats.append(min((name for name, count in counts.items() if count > 1), default=None))
        return dict(pairs)
    return build


def check_utf8_form(raw: bytes) -> None:
    """RFC 6749 Appendix B: a form body is UTF-8, raw and once %-decoded. Werkzeug reads a body that is not as an
    empty form (and keeps an undecodable %-escape as text), which would answer "grant_type is required" to a
    request that sent one."""
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ParamError("The form body must be UTF-8 (RFC 6749 Appendix B): percent-encode the UTF-8 bytes of "
                         "each value, whatever charset the Content-Type names.") from None


# RFC 6749 §5.2: a 401 to a client that tried HTTP Basic carries the matching challenge; RFC 7617 §2 makes
# ``realm`` its one required parameter (strict clients refuse a Basic challenge without it).
BASIC_CHALLENGE = 'Basic realm="telnyx-sandbox", charset="UTF-8"'


class ClientAuthError(Exception):
    """A client authentication the token/introspect/revoke endpoints refuse before Authlib sees it."""

    def __init__(self, status: int, error: str, description: str):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description

    def headers(self) -> dict:
        return {"WWW-Authenticate": BASIC_CHALLENGE} if self.status == 401 else {}


def check_client_auth(data: dict) -> None:
    """Refuse a request that authenticates the client twice (HTTP Basic *and* body credentials, RFC 6749
    section 2.3: "MUST NOT use more than one authentication method"), or names another client in the body than
    in the header, or whose Basic credentials are not base64 of UTF-8 (section 2.3.1)."""
    scheme, _, value = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() != "basic":
        return
    try:
        decoded = base64.b64decode(value.strip()).decode("utf-8")
    except (binascii.Error, ValueError):
        raise ClientAuthError(401, "invalid_client", "Authorization: Basic must carry base64 of the UTF-8 text "
                                                     "'client_id:client_secret' (RFC 6749 section 2.3.1).") from None
    if data.get("client_secret") is not None:
        raise ClientAuthError(400, "invalid_request", "Send the client credentials once: by HTTP Basic or as "
                                                      "client_id/client_secret in the body, not both (RFC 6749 "
                                                      "section 2.3).")
    if data.get("client_id") is not None and data["client_id"] != unquote(decoded.partition(":")[0]):
        raise ClientAuthError(400, "invalid_request", "client_id in the body names another client than the "
                                                      "Authorization: Basic header.")


def rfc_request() -> SandboxRequest:
    """The Authlib request of a token, introspect or revoke call; ``ParamError`` / ``ClientAuthError`` if it cannot
    be read."""
    data, datalist = oauth_params()
    check_client_auth(data)
    return SandboxRequest(request.method, lambda: request.url, request.headers, data, datalist)


def require(oauth_request: SandboxRequest, name: str, description: str) -> None:
    """An RFC ``invalid_request`` naming the missing parameter ``name``."""
    if not oauth_request.payload.data.get(name):
        raise ParamError(description)

"""Request parsing and response helpers shared by the routes, and the API-key check of management calls."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import unquote

from flask import Response, request

from telnyx_nb.sandbox.web.http_errors import WireError


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, mimetype="application/json")


def load_json(raw: bytes):
    """Parse a request body as JSON; ``ValueError`` (with a message fit for the client) for anything Python's
    parser would accept but the store or a response could not hold: nesting beyond the parser's depth, and lone
    UTF-16 surrogates (``"\\ud800"``), which are not Unicode scalar values (RFC 8259 §8.2) and cannot be stored."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise ValueError("the JSON is nested too deeply") from None
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("a string holds a lone UTF-16 surrogate escape (U+D800 to U+DFFF)") from None
    return body


def json_body() -> dict:
    """The JSON object body of a management request, or an error naming what is wrong with it."""
    if not request.is_json:
        raise WireError(415, f"Content-Type must be application/json (got {request.mimetype or 'none'!r}).",
                        parameter="Content-Type")
    raw = request.get_data(cache=True)
    try:
        body = load_json(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise WireError(400, f"The body is not valid JSON: {exc}.", pointer="") from None
    if not isinstance(body, dict):
        raise WireError(422, "The body must be a JSON object.", pointer="")
    return body


class ParamError(Exception):
    """A token/introspect/revoke/register body that cannot be read (an RFC invalid_request)."""


def oauth_params() -> tuple[dict, dict]:
    """Parameters of an RFC endpoint from a form or a JSON body (the SDKs send JSON; RFC 6749 §4 says form)."""
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        form = request.form
        repeated = sorted(k for k in form if len(form.getlist(k)) > 1)
        if repeated:  # RFC 6749 section 3.2: parameters MUST NOT be included more than once
            raise ParamError(f"Parameter {repeated[0]} is repeated: send each parameter once (RFC 6749 section 3.2).")
        # RFC 6749 section 3.2: a parameter sent without a value is treated as omitted.
        data = {k: form.get(k) for k in form if form.get(k) != ""}
        return data, {k: form.getlist(k) for k in data}
    if request.is_json:
        try:
            body = load_json(request.get_data(cache=True) or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParamError(f"The body is not valid JSON: {exc}.") from None
        if not isinstance(body, dict):
            raise ParamError("The body must be a JSON object.")
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


def bearer_credential() -> str | None:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None


def require_api_auth(state) -> None:
    """Management endpoints: the caller × endpoint policy of ``access`` (the one place it is decided)."""
    from telnyx_nb.sandbox.policy.access import enforce

    enforce(state)

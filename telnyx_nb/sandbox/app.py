"""The Flask application: every route of WIRE.md (both path spellings), the consent page, faults and OpenAPI.

Routes stay thin: they authenticate, parse, call the store or the Authlib server (``oauth.py``) and shape the
answer. Management endpoints answer with Telnyx error objects (``errors.ApiError``); the RFC endpoints (token,
introspect, revoke, register) answer with RFC 6749 §5.2 / RFC 7591 §3.2.2 errors. Nothing answers with a
traceback: unexpected exceptions become a 500 error object and are logged without request data.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from flask import Flask, Response, redirect, render_template, request
from werkzeug.exceptions import HTTPException

from . import scopes as scope_catalog
from . import validation
from .errors import ApiError, rfc_error
from .faults import Faults, parse_fault
from .oauth import CONSENT_LIFETIME, SandboxAuthorizationServer, SandboxRequest, SandboxUser, json_request

log = logging.getLogger("telnyx_nb.sandbox")

MAX_BODY = 1024 * 1024  # 1 MiB
RFC_PATHS = ("/v2/oauth/token", "/v2/oauth/introspect", "/v2/oauth/revoke", "/v2/oauth/register")


@dataclass
class SandboxState:
    """Everything the routes need, built once by ``server.Sandbox``."""

    store: object
    oauth: SandboxAuthorizationServer
    api_key: str
    root_url: str
    base_url: str
    org_id: str
    user_id: str
    faults: Faults = field(default_factory=Faults)


# ----- shaping objects -------------------------------------------------------------------------------------------
def client_json(client: dict, secret: str | None = None) -> dict:
    body = {
        "record_type": "oauth_client", "client_id": client["client_id"], "name": client["name"],
        "org_id": client["org_id"], "user_id": client["user_id"], "client_type": client["client_type"],
        "require_pkce": client["require_pkce"], "verified": client["verified"],
        "allowed_grant_types": client["allowed_grant_types"], "allowed_scopes": client["allowed_scopes"],
        "redirect_uris": client["redirect_uris"], "logo_uri": client["logo_uri"],
        "policy_uri": client["policy_uri"], "tos_uri": client["tos_uri"],
        "created_at": client["created_at"], "updated_at": client["updated_at"],
    }
    if secret:
        body["client_secret"] = secret  # only on create (WIRE.md row 11)
    return body


def grant_json(grant: dict) -> dict:
    return {"record_type": "oauth_grant", "id": grant["id"], "client_id": grant["client_id"],
            "user_id": grant["user_id"], "scopes": grant["scopes"], "created_at": grant["created_at"],
            "last_used_at": grant["last_used_at"]}


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, headers=headers or {}, mimetype="application/json")


# ----- request parsing -------------------------------------------------------------------------------------------
def json_body() -> dict:
    """The JSON object body of a management request, or an error naming what is wrong with it."""
    if not request.is_json:
        raise ApiError(415, f"Content-Type must be application/json (got {request.mimetype or 'none'!r}).",
                       parameter="Content-Type")
    raw = request.get_data(cache=True)
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The body is not valid JSON: {exc}.", pointer="") from None
    if not isinstance(body, dict):
        raise ApiError(422, "The body must be a JSON object.", pointer="")
    return body


class ParamError(Exception):
    """A token/introspect/revoke/register body that cannot be read (an RFC invalid_request)."""


def oauth_params() -> tuple[dict, dict]:
    """Parameters of an RFC endpoint from a form or a JSON body (the SDKs send JSON; RFC 6749 §4 says form)."""
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded":
        form = request.form
        return {k: form.get(k) for k in form}, {k: form.getlist(k) for k in form}
    if request.is_json:
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except (ValueError, UnicodeDecodeError):
            raise ParamError("The body is not valid JSON.") from None
        if not isinstance(body, dict):
            raise ParamError("The body must be a JSON object.")
        data = {}
        for key, value in body.items():
            if value is None:
                continue
            if isinstance(value, (dict, list)):
                raise ParamError(f"Parameter {key} must be a string.")
            data[key] = str(value).lower() if isinstance(value, bool) else str(value)
        return data, {k: [v] for k, v in data.items()}
    if not request.get_data(cache=True):
        return {}, {}
    raise ParamError("Content-Type must be application/x-www-form-urlencoded or application/json.")


_REGISTRATION_STRINGS = ("client_name", "client_uri", "logo_uri", "policy_uri", "tos_uri", "scope",
                         "token_endpoint_auth_method", "jwks_uri", "software_id", "software_version")
_REGISTRATION_LISTS = ("redirect_uris", "grant_types", "response_types", "contacts")


def registration_problem(body: dict) -> tuple[str, str] | None:
    """Type errors in RFC 7591 metadata, found before Authlib sees them (it assumes strings)."""
    for name in _REGISTRATION_STRINGS:
        if name in body and not isinstance(body[name], str):
            return "invalid_client_metadata", f"{name} must be a string."
    for name in _REGISTRATION_LISTS:
        if name in body and (not isinstance(body[name], list) or not all(isinstance(v, str) and v
                                                                          for v in body[name])):
            error = "invalid_redirect_uri" if name == "redirect_uris" else "invalid_client_metadata"
            return error, f"{name} must be a list of non-empty strings."
    for i, uri in enumerate(body.get("redirect_uris", [])):
        if "#" in uri or ":" not in uri:
            return "invalid_redirect_uri", (f"redirect_uris[{i}] must be an absolute URI without a fragment "
                                            "(RFC 6749 section 3.1.2).")
    for name in ("client_uri", "logo_uri", "policy_uri", "tos_uri"):
        if name in body and not body[name].startswith(("https://", "http://")):
            return "invalid_client_metadata", f"{name} must be an http(s) URL."
    method = body.get("token_endpoint_auth_method")
    if method is not None and method not in ("none", "client_secret_basic", "client_secret_post"):
        return "invalid_client_metadata", ("token_endpoint_auth_method must be none, client_secret_basic or "
                                           "client_secret_post.")
    return None


def bearer_credential() -> str | None:
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    return credential.strip() if scheme.lower() == "bearer" and credential.strip() else None


# ----- the app ---------------------------------------------------------------------------------------------------
def create_app(state: SandboxState) -> Flask:
    app = Flask(__name__, template_folder="templates")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False
    store, server = state.store, state.oauth

    def require_api_auth() -> None:
        """Management endpoints: ``Authorization: Bearer <api key>`` or a live access token from this sandbox."""
        credential = bearer_credential()
        challenge = {"WWW-Authenticate": 'Bearer realm="telnyx-sandbox"'}
        if credential is None:
            raise ApiError(401, "Send 'Authorization: Bearer <API key>' (the sandbox prints its key on start) or "
                                "a Bearer access token issued by this sandbox.", headers=challenge)
        if hmac.compare_digest(credential.encode(), state.api_key.encode()):
            return
        if server.active_access_token(credential) is not None:
            return
        raise ApiError(401, "The Bearer credential is not this sandbox's API key nor a live access token "
                            "(it may be expired, revoked or from another server).", headers=challenge)

    # ----- hooks and errors ------------------------------------------------------------------------------------
    @app.before_request
    def inject_fault():
        if request.path.startswith("/_sandbox/"):
            return None
        fault = state.faults.take(request.method, request.path)
        if fault is None:
            return None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.status is None:
            return None
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(int(fault.retry_after) if float(fault.retry_after).is_integer()
                                         else fault.retry_after)
        return ApiError(fault.status, f"Injected fault for {request.method} {request.path} "
                                      "(armed through /_sandbox/faults).", headers=headers).response()

    @app.errorhandler(ApiError)
    def on_api_error(error: ApiError):
        return error.response()

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException):
        status = error.code or 500
        if request.path in RFC_PATHS and status in (400, 413):
            detail = "The body exceeds 1 MiB." if status == 413 else "The request could not be read."
            return rfc_error(status, "invalid_request", detail)
        if status == 404:
            return ApiError(404, f"No route for {request.path}; the routes are listed at /v2/openapi.json.").response()
        if status == 405:
            allowed = ", ".join(sorted(m for m in (error.valid_methods or []) if m not in ("HEAD", "OPTIONS")))
            return ApiError(405, f"{request.method} is not allowed on {request.path}; use {allowed}.",
                            headers={"Allow": ", ".join(error.valid_methods or [])}).response()
        if status == 413:
            return ApiError(413, "The request body exceeds 1 MiB.").response()
        return ApiError(status, error.description or error.name).response()

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception):
        log.error("sandbox: unexpected %s on %s %s", type(error).__name__, request.method, request.path)
        return ApiError(500, "The sandbox hit an unexpected error; this is a bug in the sandbox.").response()

    def route(rule: str, methods: list[str], *, spellings=(), root=False):
        """Register a view under /v2 (and optional older spellings, and optionally at the host root)."""
        def decorator(view):
            paths = [rule, *spellings]
            for path in paths:
                app.add_url_rule(f"/v2{path}", view_func=view, methods=methods,
                                 endpoint=f"{view.__name__}:{path}")
                if root:
                    app.add_url_rule(path, view_func=view, methods=methods, endpoint=f"root-{view.__name__}:{path}")
            return view
        return decorator

    # ----- discovery ---------------------------------------------------------------------------------------------
    @route("/.well-known/oauth-authorization-server", ["GET"], root=True)
    def authorization_server_metadata():
        return json_response(server.metadata())  # RFC 8414 §3

    @route("/.well-known/oauth-protected-resource", ["GET"], root=True)
    def protected_resource_metadata():
        return json_response({  # RFC 9728 §3
            "resource": state.base_url, "authorization_servers": [server.issuer],
            "jwks_uri": f"{state.base_url}/oauth/jwks", "scopes_supported": list(scope_catalog.SCOPES),
            "bearer_methods_supported": ["header"],
        })

    @route("/oauth/jwks", ["GET"])
    def jwks():
        return json_response(server.keyring.jwks)

    @route("/openapi.json", ["GET"])
    def openapi():
        from .openapi import build_openapi

        return json_response(build_openapi(app, state))

    # ----- token endpoints ---------------------------------------------------------------------------------------
    def rfc_request() -> SandboxRequest:
        data, datalist = oauth_params()
        return SandboxRequest(request.method, request.url, request.headers, data, datalist)

    @route("/oauth/token", ["POST"])
    def token():
        try:
            oauth_request = rfc_request()
        except ParamError as exc:
            return rfc_error(400, "invalid_request", str(exc))
        if not oauth_request.payload.data.get("grant_type"):
            return rfc_error(400, "invalid_request", "grant_type is required: client_credentials, "
                                                     "authorization_code or refresh_token.")
        return server.create_token_response(oauth_request)

    @route("/oauth/introspect", ["POST"])
    def introspect():
        try:
            oauth_request = rfc_request()
        except ParamError as exc:
            return rfc_error(400, "invalid_request", str(exc))
        credential = bearer_credential()
        if credential is not None:
            # The official SDK authenticates with its Bearer API key (or token) only.
            require_api_auth()
            token_string = oauth_request.payload.data.get("token")
            if not token_string:
                return rfc_error(400, "invalid_request", "token is required (RFC 7662 section 2.1).")
            return json_response(server.introspect(token_string))
        if not oauth_request.payload.data.get("token"):
            return rfc_error(400, "invalid_request", "token is required (RFC 7662 section 2.1).")
        return server.create_endpoint_response("introspection", oauth_request)

    @route("/oauth/revoke", ["POST"])
    def revoke():
        try:
            oauth_request = rfc_request()
        except ParamError as exc:
            return rfc_error(400, "invalid_request", str(exc))
        if not oauth_request.payload.data.get("token"):
            return rfc_error(400, "invalid_request", "token is required (RFC 7009 section 2.1).")
        return server.create_endpoint_response("revocation", oauth_request)

    @route("/oauth/register", ["POST"])
    def register():
        if not request.is_json:
            return rfc_error(400, "invalid_request", "Content-Type must be application/json (RFC 7591 section 3.1).")
        try:
            body = json.loads(request.get_data(cache=True) or b"null")
        except (ValueError, UnicodeDecodeError):
            return rfc_error(400, "invalid_request", "The body is not valid JSON.")
        if not isinstance(body, dict):
            return rfc_error(400, "invalid_client_metadata", "The body must be a JSON object of client metadata.")
        body = {k: v for k, v in body.items() if v is not None}
        problem = registration_problem(body)
        if problem:
            return rfc_error(400, *problem)
        body.setdefault("client_name", "Unnamed client")
        return server.create_endpoint_response(
            "client_registration", json_request(request.method, request.url, request.headers, body))

    # ----- authorization code: authorize, consent, decision --------------------------------------------------------
    def error_page(status: int, title: str, detail: str) -> Response:
        html = render_template("error.html", title=title, detail=detail)
        return Response(html, status=status, mimetype="text/html")

    @route("/oauth/authorize", ["GET"])
    def authorize():
        args = request.args
        data = {k: args.get(k) for k in args}
        oauth_request = SandboxRequest("GET", request.url, request.headers, data, {k: args.getlist(k) for k in args})
        try:
            server.get_consent_grant(oauth_request, end_user=SandboxUser(state.user_id))
        except OAuth2Error as error:
            if error.redirect_uri:  # RFC 6749 §4.1.2.1: the client and redirect_uri are valid
                return server.handle_error_response(oauth_request, error)
            # Never redirect to an unverified URI: show the error to the user instead.
            return error_page(400, error.error, error.description or "The authorization request is invalid.")
        consent_token = store.create_consent(data["client_id"], state.user_id, data, CONSENT_LIFETIME)
        # A relative Location (RFC 9110 §10.2.2) keeps working behind a path-prefixing proxy (Binder's
        # jupyter-server-proxy), where the browser never sees 127.0.0.1.
        return redirect(f"consent?{urlencode({'consent_token': consent_token})}", 302)

    def consent_data(consent: dict) -> dict:
        params = consent["params"]
        client = store.get_client(consent["client_id"])
        if client is None:
            raise ApiError(404, "The client of this consent request no longer exists.", pointer="/consent_token")
        requested = (params.get("scope") or " ".join(client["allowed_scopes"])).split()
        redirect_uri = params.get("redirect_uri") or (client["redirect_uris"][0] if client["redirect_uris"] else None)
        return {"client_id": client["client_id"], "name": client["name"], "logo_uri": client["logo_uri"],
                "policy_uri": client["policy_uri"], "tos_uri": client["tos_uri"], "redirect_uri": redirect_uri,
                "verified": client["verified"],
                "requested_scopes": [scope_catalog.describe(s) for s in dict.fromkeys(requested)]}

    def decide(consent_token, allowed: bool) -> str:
        """Apply the user's decision once; returns the redirect URI with code and state, or with an error."""
        if not isinstance(consent_token, str) or not consent_token:
            raise ApiError(422, "consent_token is required: the token from the consent page URL.",
                           pointer="/consent_token")
        consent = store.claim_consent(consent_token)
        if consent is None:
            raise ApiError(404, "consent_token is unknown, expired or already used; start again at "
                                "/oauth/authorize.", pointer="/consent_token")
        params = consent["params"]
        user = SandboxUser(consent["user_id"])
        oauth_request = SandboxRequest("GET", f"{state.base_url}/oauth/authorize", {}, params)
        try:
            grant = server.get_consent_grant(oauth_request, end_user=user)
        except OAuth2Error as error:
            if error.redirect_uri:
                return dict(error()[2])["Location"]
            raise ApiError(422, f"The authorization request is no longer valid: {error.description}",
                           pointer="/consent_token") from None
        if not allowed:
            denial = [("error", "access_denied"), ("error_description", "The user denied the request.")]
            if params.get("state"):
                denial.append(("state", params["state"]))
            return add_params_to_uri(grant.redirect_uri, denial)
        user.grant_id = store.grant_for_consent(consent["client_id"], user.user_id, oauth_request.scope.split())
        _status, _body, headers = grant.create_authorization_response(grant.redirect_uri, user)
        return dict(headers)["Location"]

    @route("/oauth/consent", ["GET", "POST"])
    def consent_page():
        """The HTML consent page the authorize step redirects to; its form posts the decision back here."""
        if request.method == "GET":
            token_value = request.args.get("consent_token", "")
            consent = store.get_consent(token_value) if token_value else None
            if consent is None:
                return error_page(404, "Consent request not found",
                                  "This consent link is unknown, expired or already used. Start the sign-in again.")
            try:
                data = consent_data(consent)
            except ApiError as exc:
                return error_page(exc.status, "Consent request not found", exc.detail)
            return Response(render_template("consent.html", consent=data, consent_token=token_value),
                            mimetype="text/html", headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})
        decision = request.form.get("decision")
        if decision not in ("allow", "deny"):
            return error_page(400, "No decision", "Choose Allow or Deny.")
        try:
            location = decide(request.form.get("consent_token"), decision == "allow")
        except ApiError as exc:
            return error_page(exc.status, "Consent failed", exc.detail)
        return redirect(location, 303)

    @route("/oauth/consent/<consent_token>", ["GET"])
    def consent_json(consent_token):
        require_api_auth()
        consent = store.get_consent(consent_token)
        if consent is None:
            raise ApiError(404, "consent_token is unknown, expired or already used.", parameter="consent_token")
        return json_response({"data": consent_data(consent)})

    # ----- grants (and the consent decision, which shares POST /oauth/grants) --------------------------------------
    @route("/oauth/grants", ["POST"])
    def consent_decision():
        require_api_auth()
        body = json_body()
        allowed = body.get("allowed")
        if not isinstance(allowed, bool):
            raise ApiError(422, "allowed must be true or false.", pointer="/allowed")
        return json_response({"redirect_uri": decide(body.get("consent_token"), allowed)})

    @route("/oauth_grants", ["GET"], spellings=["/oauth/grants"])
    def grants_collection():
        require_api_auth()
        number, size = validation.page_params(request.args)
        rows, total = store.list_grants(number, size)
        return json_response({"data": [grant_json(g) for g in rows],
                              "meta": validation.page_meta(number, size, total)})

    @route("/oauth_grants/<grant_id>", ["GET", "DELETE"], spellings=["/oauth/grants/<grant_id>"])
    def grant_item(grant_id):
        require_api_auth()
        if request.method == "DELETE":
            grant = store.revoke_grant(grant_id)
        else:
            grant = store.get_grant(grant_id)
        if grant is None:
            raise ApiError(404, f"No oauth_grant with id {grant_id!r} (it may have been revoked).", parameter="id")
        return json_response({"data": grant_json(grant)})

    # ----- clients -------------------------------------------------------------------------------------------------
    @route("/oauth_clients", ["GET", "POST"], spellings=["/oauth/clients"])
    def clients_collection():
        require_api_auth()
        if request.method == "POST":
            fields = validation.client_fields(json_body(), creating=True)
            client, secret = store.create_client(fields, state.org_id, state.user_id)
            return json_response({"data": client_json(client, secret)}, 201)
        filters = validation.client_filters(request.args)
        number, size = validation.page_params(request.args)
        rows, total = store.list_clients(filters, number, size)
        return json_response({"data": [client_json(c) for c in rows],
                              "meta": validation.page_meta(number, size, total)})

    @route("/oauth_clients/<client_id>", ["GET", "PUT", "DELETE"], spellings=["/oauth/clients/<client_id>"])
    def client_item(client_id):
        require_api_auth()
        current = store.get_client(client_id)
        missing = ApiError(404, f"No oauth_client with client_id {client_id!r}.", parameter="id")
        if current is None:
            raise missing
        if request.method == "DELETE":
            if not store.delete_client(client_id):
                raise missing
            return Response(status=204)
        if request.method == "PUT":
            fields = validation.client_fields(json_body(), creating=False, current=current)
            current = store.update_client(client_id, fields) if fields else current
            if current is None:
                raise missing
        return json_response({"data": client_json(current)})

    # ----- fault injection (ARCHITECTURE.md) ----------------------------------------------------------------------
    @app.route("/_sandbox/faults", methods=["GET", "POST", "DELETE"])
    def faults():
        require_api_auth()
        if request.method == "POST":
            fault = parse_fault(json_body())
            state.faults.add(fault)
            return json_response({"data": fault.as_dict()}, 201)
        if request.method == "DELETE":
            state.faults.clear()
            return Response(status=204)
        return json_response({"data": state.faults.list()})

    @app.route("/")
    def index():
        return json_response({"name": "telnyx-nb sandbox", "base_url": state.base_url,
                              "openapi": f"{state.base_url}/openapi.json",
                              "metadata": f"{state.root_url}/.well-known/oauth-authorization-server"})

    return app

"""The Flask application: discovery, keys and the RFC token endpoints here; the front channel in ``consent``,
management in ``management``; both path spellings (docs/contract.md), the well-known documents at the host root
and under /v2, faults and OpenAPI.

Routes stay thin: they authenticate, parse, call the store or the Authlib server (``oauth.py``) and shape the
answer. Management endpoints answer with Telnyx error objects (``errors.WireError``); the RFC endpoints (token,
introspect, revoke, register) answer with RFC 6749 §5.2 / RFC 7591 §3.2.2 errors. Nothing answers with a
traceback: unexpected exceptions become a 500 error object and are logged without request data.
"""

from __future__ import annotations

import logging
import os
import time
import traceback
from dataclasses import dataclass, field

from flask import Flask, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from telnyx_nb.sandbox.config import SandboxConfig
from telnyx_nb.sandbox.management import clients as management
from telnyx_nb.sandbox.policy import access
from telnyx_nb.sandbox.policy.registration import registration_policy_problem
from telnyx_nb.sandbox.policy.terms import MAX_BODY_BYTES
from telnyx_nb.sandbox.policy.validation import registration_problem
from telnyx_nb.sandbox.protocol import authorize as consent
from telnyx_nb.sandbox.protocol.authorization_server import SandboxAuthorizationServer
from telnyx_nb.sandbox.store.models import SandboxRequest, json_request
from telnyx_nb.sandbox.web import security_headers
from telnyx_nb.sandbox.web.faults import DROP_ENVIRON_KEY, Faults, drop_connections, fault_decision
from telnyx_nb.sandbox.web.hosts import HostCheck, allowed_hostnames, proxy_context
from telnyx_nb.sandbox.web.http_errors import WireError, rfc_error
from telnyx_nb.sandbox.web.messages import (
    ClientAuthError,
    ParamError,
    bearer_credential,
    check_client_auth,
    json_response,
    load_json,
    oauth_params,
)
from telnyx_nb.sandbox.web.rate_limits import RateLimits, too_many_requests

log = logging.getLogger("telnyx_nb.sandbox")

MAX_BODY = MAX_BODY_BYTES
TOO_BIG = f"The request body exceeds {MAX_BODY // 1024} KiB."
RFC_PATHS = ("/v2/oauth/token", "/v2/oauth/introspect", "/v2/oauth/revoke", "/v2/oauth/register")


@dataclass
class SandboxState:
    """Everything the routes need, built once by ``server.Sandbox``: the store, the Authlib server and the one
    ``SandboxConfig`` both read (URLs, account ids, bound host, public URLs)."""

    store: object
    oauth: SandboxAuthorizationServer
    config: SandboxConfig
    api_key: str
    faults: Faults = field(default_factory=Faults)
    rate_limits: RateLimits | None = None  # ratelimit.py; None: no limits at all


def create_app(state: SandboxState) -> Flask:
    app = Flask("telnyx_nb.sandbox", template_folder="templates")  # templates/ at the package top
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.json.sort_keys = False
    app.url_map.strict_slashes = False  # "/oauth_clients/" is the same collection, not a redirect or a 404
    server = state.oauth
    # DNS rebinding: a foreign Host gets 421 before anything else runs (hosts.py).
    # its own root URL too: an in-process sandbox (sockets disabled) lives at IN_PROCESS_ROOT
    config = state.config
    app.wsgi_app = HostCheck(app.wsgi_app, allowed_hostnames(config.host, (*config.public_urls, config.root_url)),
                             proxy_context(config.proxy_prefix, config.root_url))
    app.after_request(security_headers.apply)

    # ----- hooks and errors ------------------------------------------------------------------------------------
    @app.before_request
    def refuse_oversize_body():
        # First of all, from the Content-Length alone: no route reads (or authenticates) a body over the cap.
        # A chunked body is cut at the cap when read (MAX_CONTENT_LENGTH).
        if (request.content_length or 0) > MAX_BODY:
            raise RequestEntityTooLarge()

    @app.before_request
    def inject_fault():
        if request.path.startswith("/_sandbox/"):
            return None
        fault = state.faults.take(request.method, request.path)
        if fault is None:
            return None
        if fault.delay:
            time.sleep(fault.delay)
        if fault.drop:  # faults.drop_connections closes the connection instead of sending this
            request.environ[DROP_ENVIRON_KEY] = True
            return ""
        if fault.status is None:
            return None
        headers = {}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(int(fault.retry_after) if float(fault.retry_after).is_integer()
                                         else fault.retry_after)
        if fault.status == 429:  # the published 429: its body and x-ratelimit-* headers (Retry-After if asked)
            return too_many_requests(fault_decision(fault, state.config.rate_limit), headers)
        return WireError(fault.status, f"Injected fault for {request.method} {request.path} "
                                      "(armed through /_sandbox/faults).", headers=headers).response()

    # Faults stand for the network and upstream failures a client meets before any server logic, so they fire
    # before the access check (arming them is what needs the account owner: /_sandbox/faults is ADMIN).
    # Rate limits come next, also before the access check: a flood of refused requests is still a flood.
    if state.rate_limits is not None:
        app.before_request(lambda: state.rate_limits.check(state))
        app.after_request(state.rate_limits.add_headers)

    @app.before_request
    def check_access():
        access.enforce(state)  # who may call what: decided in access.py only

    @app.errorhandler(WireError)
    def on_api_error(error: WireError):
        return error.response()

    @app.errorhandler(HTTPException)
    def on_http_error(error: HTTPException):
        status = error.code or 500
        if request.path in RFC_PATHS and status in (400, 413):
            detail = TOO_BIG if status == 413 else "The request could not be read."
            return rfc_error(status, "invalid_request", detail)
        if status == 404:
            return WireError(404, f"No route for {request.path}; the routes are listed at /v2/openapi.json.").response()
        if status == 405:
            allowed = ", ".join(sorted(m for m in (error.valid_methods or []) if m not in ("HEAD", "OPTIONS")))
            return WireError(405, f"{request.method} is not allowed on {request.path}; use {allowed}.",
                             headers={"Allow": ", ".join(error.valid_methods or [])}).response()
        if status == 413:
            return WireError(413, TOO_BIG).response()
        return WireError(status, error.description or error.name).response()

    @app.errorhandler(Exception)
    def on_unexpected(error: Exception):
        # Where, not what: the message or locals of an exception may hold request data (secrets).
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{os.path.basename(frames[-1].filename)}:{frames[-1].lineno}" if frames else "?"
        log.error("sandbox: unexpected %s at %s on %s %s", type(error).__name__, where, request.method,
                  request.path)
        return WireError(500, "The sandbox hit an unexpected error; this is a bug in the sandbox.").response()

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

    def protected_resource_document(resource: str) -> dict:
        return {  # RFC 9728 §2
            "resource": resource, "authorization_servers": [server.issuer],
            "resource_name": "Telnyx API (telnyx-nb sandbox)", "scopes_supported": list(state.config.scopes.names),
            "bearer_methods_supported": ["header"],
        }

    # RFC 9728 §3.1/§3.3: each document names the resource its URL was derived from. The host root's document is
    # the resource at the host root; the API's resource is base_url (http://host/v2), whose document §3.1 puts at
    # /.well-known/oauth-protected-resource/v2. /v2/.well-known/oauth-protected-resource is no §3.1 location:
    # it is kept for clients that append the suffix to the base URL and names that base URL (docs/contract.md).
    @app.route("/.well-known/oauth-protected-resource", methods=["GET"])
    def protected_resource_root():
        return json_response(protected_resource_document(state.config.root_url))

    @app.route("/.well-known/oauth-protected-resource/v2", methods=["GET"])
    def protected_resource_v2():
        return json_response(protected_resource_document(state.config.base_url))

    @app.route("/v2/.well-known/oauth-protected-resource", methods=["GET"])
    def protected_resource_under_v2():
        return json_response(protected_resource_document(state.config.base_url))

    @route("/oauth/jwks", ["GET"])
    def jwks():
        return json_response(server.keyring.jwks)

    @route("/openapi.json", ["GET"])
    def openapi():
        from telnyx_nb.sandbox.web.openapi import build_openapi

        return json_response(build_openapi(app, state))

    # ----- token endpoints ---------------------------------------------------------------------------------------
    def rfc_request() -> SandboxRequest:
        data, datalist = oauth_params()
        check_client_auth(data)
        return SandboxRequest(request.method, lambda: request.url, request.headers, data, datalist)

    def require(oauth_request: SandboxRequest, name: str, description: str) -> None:
        if not oauth_request.payload.data.get(name):
            raise ParamError(description)

    @app.errorhandler(ParamError)
    def on_param_error(error: ParamError):
        return rfc_error(400, "invalid_request", str(error))

    @app.errorhandler(ClientAuthError)
    def on_client_auth_error(error: ClientAuthError):
        return rfc_error(error.status, error.error, error.description, error.headers())

    @route("/oauth/token", ["POST"])
    def token():
        oauth_request = rfc_request()
        require(oauth_request, "grant_type", "grant_type is required: client_credentials, authorization_code or "
                                             "refresh_token.")
        return server.create_token_response(oauth_request)

    @route("/oauth/introspect", ["POST"])
    def introspect():
        oauth_request = rfc_request()
        # The official SDK authenticates with its Bearer API key (or token) only.
        caller = access.identify(state) if bearer_credential() is not None else None
        require(oauth_request, "token", "token is required (RFC 7662 section 2.1).")
        if caller is None:
            return server.create_endpoint_response("introspection", oauth_request)
        answer = server.introspect(oauth_request.payload.data["token"])
        if answer.get("active") and not access.may_introspect(caller.client_id, answer["client_id"],
                                                              sees_all=caller.is_admin):
            answer = {"active": False}  # RFC 7662 section 4: nothing about other clients' tokens
        return json_response(answer)

    @route("/oauth/revoke", ["POST"])
    def revoke():
        oauth_request = rfc_request()
        require(oauth_request, "token", "token is required (RFC 7009 section 2.1).")
        return server.create_endpoint_response("revocation", oauth_request)

    @route("/oauth/register", ["POST"])
    def register():
        if not request.is_json:
            return rfc_error(400, "invalid_request", "Content-Type must be application/json (RFC 7591 section 3.1).")
        try:
            body = load_json(request.get_data(cache=True) or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            return rfc_error(400, "invalid_request", f"The body is not valid JSON: {exc}.")
        if not isinstance(body, dict):
            return rfc_error(400, "invalid_client_metadata", "The body must be a JSON object of client metadata.")
        body = {k: v for k, v in body.items() if v is not None}
        problem = (registration_problem(body, server.config.scopes)
                   or registration_policy_problem(body, server.config.registrable_scopes))
        if problem:
            return rfc_error(400, *problem)
        body.setdefault("client_name", "Unnamed client")
        return server.create_endpoint_response(
            "client_registration", json_request(request.method, request.url, request.headers, body))

    consent.register(app, state, route)
    management.register(app, state, route)

    @app.route("/")
    def index():
        return json_response({"name": "telnyx-nb sandbox", "base_url": state.config.base_url,
                              "openapi": f"{state.config.base_url}/openapi.json",
                              "metadata": f"{state.config.root_url}/.well-known/oauth-authorization-server"})

    app.wsgi_app = drop_connections(app.wsgi_app)
    return app

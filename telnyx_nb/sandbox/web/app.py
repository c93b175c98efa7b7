"""The Flask application: a short factory that puts the web shell around the rooms' blueprints.

Each room serves its own routes as a Flask blueprint: the OAuth protocol endpoints (``protocol``: authorize and
consent, token, introspection, revocation, registration, discovery), Telnyx's management API (``management``:
clients, grants), and the sandbox's own tools (``web.faults``, ``web.openapi``). Both path spellings and the
well-known documents at the host root come from ``http.routing``. Before any view runs, in this order: the Host check
(DNS rebinding, ``http.hosts``), the body size cap, armed faults, rate limits (``policy.rate_limits``), then who may
call what (``policy.access``). Errors are answered by ``web.error_handlers``; nothing answers with a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge

from telnyx_nb.sandbox.config import SandboxConfig
from telnyx_nb.sandbox.http import security_headers
from telnyx_nb.sandbox.http.hosts import HostCheck, allowed_hostnames, proxy_context
from telnyx_nb.sandbox.http.messages import json_response, no_type_without_content
from telnyx_nb.sandbox.http.state import attach, sandbox_state
from telnyx_nb.sandbox.http.wire_errors import WireError, rfc_error
from telnyx_nb.sandbox.management import clients, grants, managed_accounts
from telnyx_nb.sandbox.policy import access
from telnyx_nb.sandbox.policy.rate_limits import RateLimits
from telnyx_nb.sandbox.policy.terms import MAX_BODY_BYTES
from telnyx_nb.sandbox.protocol import authorize, discovery, introspection, registration, revocation, token
from telnyx_nb.sandbox.web import error_handlers, faults, openapi
from telnyx_nb.sandbox.web.faults import Faults

BLUEPRINTS = (discovery.blueprint, token.blueprint, introspection.blueprint, revocation.blueprint,
              registration.blueprint, authorize.blueprint, grants.blueprint, clients.blueprint,
              managed_accounts.blueprint, faults.blueprint, openapi.blueprint)


@dataclass
class SandboxState:
    """What every route reads, through ``http.state.sandbox_state()``: the store, the Authlib server
    (``protocol.authorization_server``) and the one ``SandboxConfig`` both read (URLs, account ids, bound host, public
    URLs), the API key in use, the armed faults and the rate limits. Built by ``web.server.Sandbox``."""

    store: object  # store.database.Store
    oauth: object  # protocol.authorization_server.SandboxAuthorizationServer
    config: SandboxConfig
    api_key: str
    faults: Faults
    rate_limits: RateLimits | None = None  # policy/rate_limits.py; None: no limits at all


def create_app(state: SandboxState) -> Flask:
    # templates/ sits at the package top (the consent and error pages), so the app is named for the package
    app = Flask("telnyx_nb.sandbox", template_folder="templates")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    app.json.sort_keys = False
    app.url_map.strict_slashes = False  # "/oauth_clients/" is the same collection, not a redirect or a 404
    attach(app, state)
    # DNS rebinding: a foreign Host gets 421 before anything else runs (hosts.py); its own root URL is allowed
    # too: an in-process sandbox (sockets disabled) lives at IN_PROCESS_ROOT
    config = state.config
    app.wsgi_app = HostCheck(app.wsgi_app, allowed_hostnames(config.host, (*config.public_urls, config.root_url)),
                             proxy_context(config.proxy_prefix, config.root_url))
    app.after_request(security_headers.apply)
    app.after_request(no_type_without_content)  # runs before security_headers.apply (Flask runs them last first)
    app.before_request(refuse_oversize_body)
    app.before_request(refuse_content_coding)
    app.before_request(faults.inject_fault)
    # Rate limits come after faults and before the access check: a flood of refused requests is still a flood.
    if state.rate_limits is not None:
        app.before_request(lambda: state.rate_limits.check(state))
        app.after_request(state.rate_limits.add_headers)
    app.before_request(lambda: access.enforce(state))  # who may call what: decided in policy/access.py only
    error_handlers.install(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.add_url_rule("/", view_func=index)
    app.wsgi_app = faults.drop_connections(app.wsgi_app)
    return app


def refuse_oversize_body():
    """First of all, from the Content-Length alone: no route reads (or authenticates) a body over the cap. A chunked
    body is cut at the cap when read (``MAX_CONTENT_LENGTH``)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        raise RequestEntityTooLarge()


def refuse_content_coding():
    """RFC 9110 §15.5.16: a body in a content coding (gzip…) is not decoded here; a 415 whose Accept-Encoding
    (§12.5.3) says so, rather than the coded bytes read as a form or as JSON."""
    coding = request.headers.get("Content-Encoding", "").strip().lower()
    has_body = bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if has_body and coding not in ("", "identity"):
        detail, headers = f"Content-Encoding {coding[:40]} is not accepted: send the body uncoded.", {
            "Accept-Encoding": "identity"}
        if request.path in error_handlers.RFC_PATHS:  # RFC 6749 §5.2's error codes there, as for a 413
            return rfc_error(415, "invalid_request", detail, headers)
        raise WireError(415, detail, parameter="Content-Encoding", headers=headers)


def index():
    config = sandbox_state().config
    return json_response({"name": "telnyx-nb sandbox", "base_url": config.base_url,
                          "openapi": f"{config.base_url}/openapi.json",
                          "metadata": f"{config.root_url}/.well-known/oauth-authorization-server"})

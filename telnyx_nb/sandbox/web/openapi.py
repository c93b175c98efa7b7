"""OpenAPI 3.1 document of everything the sandbox serves (``/v2/openapi.json``).

Request bodies and query parameters come from ``policy/schema.py`` (the same schemas the server validates with), so the
document is exactly as strict as the server. Operations are described once in ``OPERATIONS``; the older
``/oauth/clients…`` and ``GET /oauth/grants…`` spellings are listed as deprecated copies. Anything routed but not
described (a safety net) still appears, so the document never silently omits an endpoint.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app

from telnyx_nb.sandbox.http.messages import json_response
from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.state import sandbox_state
from telnyx_nb.sandbox.management.managed_accounts import OPENAPI_SCHEMAS as MANAGED_ACCOUNT_SCHEMAS
from telnyx_nb.sandbox.policy import schema
from telnyx_nb.sandbox.policy.terms import AUTH_METHODS, GRANT_TYPES, MAX_BODY_BYTES, MAX_LIST_ITEMS, MAX_REDIRECT_URIS

_URI = {"type": ["string", "null"], "format": "uri"}
_TIME = {"type": "string", "format": "date-time"}
_STRINGS = {"type": "array", "items": {"type": "string"}}
_SCOPE_LIST = {"type": "array", "items": {"type": "string"}}  # request bodies enumerate the catalog (_schemas)
_GRANT_LIST = {"type": "array", "items": {"type": "string", "enum": GRANT_TYPES}}

SCHEMAS = {
    "OAuthClient": {
        "type": "object",
        "required": ["record_type", "client_id", "name", "org_id", "user_id", "client_type", "require_pkce",
                     "created_at", "updated_at"],
        "properties": {
            "record_type": {"const": "oauth_client"}, "client_id": {"type": "string"}, "name": {"type": "string"},
            "org_id": {"type": "string"}, "user_id": {"type": "string"},
            "client_type": {"enum": ["public", "confidential"]}, "require_pkce": {"type": "boolean"},
            "verified": {"type": "boolean", "description": "Sandbox extension: shown on the consent page."},
            "allowed_grant_types": _GRANT_LIST, "allowed_scopes": _SCOPE_LIST, "redirect_uris": _STRINGS,
            "logo_uri": _URI, "policy_uri": _URI, "tos_uri": _URI, "created_at": _TIME, "updated_at": _TIME,
            "client_secret": {"type": ["string", "null"],
                              "description": "Present only when available: a confidential client, on create."},
        },
    },
    **schema.body_schemas(),
    "OAuthGrant": {
        "type": "object", "required": ["record_type", "id", "client_id", "scopes", "created_at"],
        "properties": {
            "record_type": {"const": "oauth_grant"}, "id": {"type": "string", "format": "uuid"},
            "client_id": {"type": "string"},
            "user_id": {"type": "string"}, "scopes": _STRINGS, "created_at": _TIME,
            "last_used_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "PaginationMeta": {
        "type": "object",
        "properties": {name: {"type": "integer"} for name in ("page_number", "page_size", "total_pages",
                                                                 "total_results")},
    },
    "Errors": {
        "description": "Both shapes in one body: the published oauth_Error (error, error_description) and "
                       "Telnyx's errors[] list.",
        "type": "object", "required": ["error", "error_description", "errors"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"},
                       "errors": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["code", "title", "detail"],
            "properties": {"code": {"type": "string"}, "title": {"type": "string"}, "detail": {"type": "string"},
                           "source": {"type": "object", "properties": {"pointer": {"type": "string"},
                                                                       "parameter": {"type": "string"}}}}}}},
    },
    "OAuthError": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    },
    "RegistrationError": {
        "description": "RFC 7591 section 3.2.2, with Telnyx's invalid_fields: the metadata fields to fix.",
        "type": "object", "required": ["error", "error_description"],
        "properties": {"error": {"enum": ["invalid_client_metadata", "invalid_redirect_uri", "invalid_request"]},
                       "error_description": {"type": "string"},
                       "invalid_fields": {"type": "array", "minItems": 1, "items": {"type": "string"}}},
    },
    "TokenRequest": {
        # RFC 6749 §3.2: each parameter once (a repeated one is an array here, so invalid), all strings.
        # In a JSON body null means left out.
        "type": "object", "required": ["grant_type"], "additionalProperties": {"type": ["string", "null"]},
        "properties": {"grant_type": {"enum": GRANT_TYPES},
                       **{name: {"type": ["string", "null"]} for name in (
                           "scope", "code", "redirect_uri", "code_verifier", "refresh_token", "client_id",
                           "client_secret")}},
    },
    "TokenResponse": {
        "type": "object", "required": ["access_token", "token_type", "expires_in"],
        "properties": {"access_token": {"type": "string", "description": "An RFC 9068 JWT."},
                       "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"},
                       "refresh_token": {"type": "string"}, "scope": {"type": "string"}},
    },
    "TokenParam": {
        "type": "object", "required": ["token"], "additionalProperties": {"type": ["string", "null"]},
        "properties": {"token": {"type": "string", "minLength": 1},
                       "token_type_hint": {"type": ["string", "null"],
                                           "description": "access_token or refresh_token; only a hint, an unknown "
                                                          "one is ignored (RFC 7662 §2.1, RFC 7009 §2.1)"},
                       "client_id": {"type": ["string", "null"]}, "client_secret": {"type": ["string", "null"]}},
    },
    "Introspection": {
        "type": "object", "required": ["active"],
        "properties": {"active": {"type": "boolean"}, "scope": {"type": "string"}, "client_id": {"type": "string"},
                       "exp": {"type": "integer"}, "iat": {"type": "integer"}, "iss": {"type": "string"},
                       "aud": {"type": "string"}, "sub": {"type": "string"}, "jti": {"type": "string"},
                       "token_type": {"type": "string"}, "grant_id": {"type": "string"}},
    },
    "JWKS": {"type": "object", "required": ["keys"], "properties": {"keys": {"type": "array", "items": {
        "type": "object", "properties": {k: {"type": "string"} for k in ("kid", "kty", "alg", "use", "n", "e")}}}}},
    "Registration": {
        "type": "object",
        "description": "RFC 7591 §2 metadata; null means left out.",
        "properties": {
            "client_name": {"type": ["string", "null"], "maxLength": 255},
            "redirect_uris": {"type": ["array", "null"], "maxItems": MAX_REDIRECT_URIS, "items": {
                "type": "string", "minLength": 1, "maxLength": 2000, "format": "uri", "pattern": "^[^#]*$",
                "not": {"anyOf": [{"pattern": p} for p in (schema.FORBIDDEN_SCHEME_PATTERN, schema.USERINFO_PATTERN,
                                                           schema.WILDCARD_PATTERN,
                                                           schema.PLAIN_HTTP_BEYOND_LOOPBACK_PATTERN)]}}},
            "grant_types": {"type": ["array", "null"], "maxItems": MAX_LIST_ITEMS, "items": {"enum": GRANT_TYPES}},
            "response_types": {"type": ["array", "null"], "maxItems": MAX_LIST_ITEMS, "items": {"enum": ["code"]}},
            "scope": {"type": ["string", "null"], "maxLength": 2000},  # the pattern: what this sandbox registers
            "contacts": {"type": ["array", "null"], "maxItems": MAX_LIST_ITEMS,
                         "items": {"type": "string", "minLength": 1, "maxLength": 2000}},
            **{name: {"type": ["string", "null"], "maxLength": 2000} for name in ("software_id", "software_version")},
            "token_endpoint_auth_method": {"enum": AUTH_METHODS + [None]},
            **{name: {"type": ["string", "null"], "format": "uri", "maxLength": 2000, "pattern": "^https?://[^/?#]+"}
               for name in ("client_uri", "logo_uri", "policy_uri", "tos_uri")}},
    },
    "RegistrationResponse": {
        "allOf": [{"$ref": "#/components/schemas/Registration"}, {
            "type": "object", "required": ["client_id", "client_id_issued_at"],
            "properties": {"client_id": {"type": "string"}, "client_id_issued_at": {"type": "integer"},
                           "client_secret": {"type": "string"}}}]},
    "Consent": {"type": "object", "properties": {"data": {"type": "object", "properties": {
        "client_id": {"type": "string"}, "name": {"type": "string"}, "logo_uri": _URI, "policy_uri": _URI,
        "tos_uri": _URI, "redirect_uri": {"type": "string"}, "verified": {"type": "boolean"},
        "requested_scopes": {"type": "array", "items": {"type": "object", "properties": {
            "id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}}}}}}}},
    "Metadata": {"type": "object", "description": "RFC 8414 authorization server metadata."},
    "ProtectedResource": {"type": "object", "description": "RFC 9728 protected resource metadata.",
                          "properties": {"resource": {"type": "string"}, "authorization_servers": _STRINGS}},
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _data(name: str) -> dict:
    return {"type": "object", "properties": {"data": _ref(name)}}


def _page(name: str) -> dict:
    return {"type": "object", "properties": {"data": {"type": "array", "items": _ref(name)},
                                             "meta": _ref("PaginationMeta")}}


_ERRORS = {"401": _json(_ref("Errors"), "Missing or wrong API key"), "404": _json(_ref("Errors"), "Not found"),
           "422": _json(_ref("Errors"), "Invalid field (source.pointer names it)")}
_RFC_ERRORS = {"400": _json(_ref("OAuthError"), "RFC 6749 error"), "401": _json(_ref("OAuthError"), "Bad client")}
_API = [{"bearerAuth": []}]
_MANAGER_ONLY = _json(_ref("Errors"), "Not the manager account's own API key (a managed account's key, a token)")
_CLIENT_AUTH = [{"basicAuth": []}, {}]


def _body(schema: dict, *, form: bool = False) -> dict:
    content = {"application/json": {"schema": schema}}
    if form:
        content["application/x-www-form-urlencoded"] = {"schema": schema}
    return {"required": True, "content": content}


def _id(name: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]


# path (relative to /v2 unless it starts with "!") -> method -> operation
OPERATIONS: dict[str, dict[str, dict]] = {
    "/.well-known/oauth-authorization-server": {"get": {
        "summary": "Authorization server metadata (RFC 8414)", "responses": {"200": _json(_ref("Metadata"))}}},
    "/.well-known/oauth-protected-resource": {"get": {
        "summary": "Protected resource metadata (RFC 9728)", "responses": {"200": _json(_ref("ProtectedResource"))}}},
    "/oauth/authorize": {"get": {
        "summary": "Start the authorization code flow; redirects to the consent page",
        "parameters": [{"name": n, "in": "query", "required": n in ("client_id", "response_type"),
                        "schema": {"enum": ["code"]} if n == "response_type" else {"type": "string"}} for n in
                       ("client_id", "redirect_uri", "response_type", "scope", "state", "code_challenge",
                        "code_challenge_method")],
        "responses": {"302": {"description": "To the consent page, or back to the client with an error"},
                      "400": {"description": "HTML error page: invalid request and no verified redirect URI",
                              "content": {"text/html": {}}},
                      "404": {"description": "HTML error page: Client not found", "content": {"text/html": {}}},
                      "422": {"description": "HTML error page: Invalid redirect URI (never a redirect)",
                              "content": {"text/html": {}}}}}},
    "/oauth/consent": {
        "get": {"summary": "The HTML consent page", "parameters": [
            {"name": "consent_token", "in": "query", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "HTML", "content": {"text/html": {}}},
                          "422": {"description": "Unknown, expired or used consent token",
                                  "content": {"text/html": {}}}}},
        "post": {"summary": "The consent page's form: decision=allow|deny",
                 "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
                     "type": "object", "required": ["consent_token", "decision"],
                     "properties": {"consent_token": {"type": "string", "minLength": 1},
                                    "decision": {"enum": ["allow", "deny"]}}}}}},
                 "responses": {"303": {"description": "To the client's redirect URI"},
                               "400": {"description": "HTML error page: no decision",
                                       "content": {"text/html": {}}},
                               "422": {"description": "HTML error page: unknown, expired or used consent token, "
                                                      "or the request is no longer valid",
                                       "content": {"text/html": {}}}}}},
    "/oauth/consent/{consent_token}": {"get": {
        "summary": "The consent request as JSON", "security": _API, "parameters": _id("consent_token"),
        "responses": {"200": _json(_ref("Consent")), **_ERRORS}}},
    "/oauth/grants": {"post": {
        "summary": "Allow or deny a consent request", "security": _API, "requestBody": _body(_ref("ConsentDecision")),
        "responses": {"200": _json({"type": "object", "properties": {"redirect_uri": {"type": "string"}}}),
                      **_ERRORS}}},
    "/oauth/token": {"post": {
        "summary": "Issue tokens (client_credentials, authorization_code with PKCE, refresh_token)",
        "security": _CLIENT_AUTH, "requestBody": _body(_ref("TokenRequest"), form=True),
        "responses": {"200": _json(_ref("TokenResponse")), **_RFC_ERRORS}}},
    "/oauth/introspect": {"post": {
        "summary": "Token introspection (RFC 7662)", "security": [{"basicAuth": []}, {"bearerAuth": []}, {}],
        "requestBody": _body(_ref("TokenParam"), form=True),
        "responses": {"200": _json(_ref("Introspection")), **_RFC_ERRORS}}},
    "/oauth/revoke": {"post": {
        "summary": "Token revocation (RFC 7009)", "security": _CLIENT_AUTH,
        "requestBody": _body(_ref("TokenParam"), form=True),
        "responses": {"200": {"description": "Revoked (or unknown: RFC 7009 section 2.2)"}, **_RFC_ERRORS}}},
    "/oauth/jwks": {"get": {"summary": "The public signing keys", "responses": {"200": _json(_ref("JWKS"))}}},
    "/oauth/register": {"post": {
        "summary": "Dynamic client registration (RFC 7591)", "requestBody": _body(_ref("Registration")),
        "responses": {"201": _json(_ref("RegistrationResponse")), "400": _json(_ref("RegistrationError"))}}},
    "/oauth_clients": {
        "get": {"summary": "List OAuth clients", "security": _API, "parameters": schema.QUERIES["clients"],
                "responses": {"200": _json(_page("OAuthClient")), **_ERRORS}},
        "post": {"summary": "Create an OAuth client (the only answer with client_secret)", "security": _API,
                 "requestBody": _body(_ref("OAuthClientCreate")),
                 "responses": {"201": _json(_data("OAuthClient")), **_ERRORS}}},
    "/oauth_clients/{id}": {
        "get": {"summary": "Get an OAuth client", "security": _API, "parameters": _id("id"),
                "responses": {"200": _json(_data("OAuthClient")), **_ERRORS}},
        "put": {"summary": "Update an OAuth client", "security": _API, "parameters": _id("id"),
                "requestBody": _body(_ref("OAuthClientUpdate")),
                "responses": {"200": _json(_data("OAuthClient")), **_ERRORS,
                              "409": _json(_ref("Errors"), "The update would leave the stored client with the "
                                           "authorization_code grant and no redirect URI")}},
        "delete": {"summary": "Delete an OAuth client (revokes its grants and tokens)", "security": _API,
                   "parameters": _id("id"), "responses": {"204": {"description": "Deleted"}, **_ERRORS}}},
    "/oauth_grants": {"get": {"summary": "List OAuth grants", "security": _API, "parameters": schema.QUERIES["grants"],
                              "responses": {"200": _json(_page("OAuthGrant")), **_ERRORS}}},
    "/oauth_grants/{id}": {
        "get": {"summary": "Get an OAuth grant", "security": _API, "parameters": _id("id"),
                "responses": {"200": _json(_data("OAuthGrant")), **_ERRORS}},
        "delete": {"summary": "Revoke an OAuth grant and its tokens", "security": _API, "parameters": _id("id"),
                   "responses": {"200": _json(_data("OAuthGrant")), **_ERRORS}}},
    "/managed_accounts": {"get": {
        "summary": "List the accounts this manager account manages (its own API key only)", "security": _API,
        "parameters": schema.QUERIES["managed_accounts"],
        "responses": {"200": _json(_page("ManagedAccount")), **_ERRORS, "403": _MANAGER_ONLY}}},
    "/managed_accounts/{id}": {"get": {
        "summary": "One managed account, with its API key (the manager's own API key only)", "security": _API,
        "parameters": _id("id"),
        "responses": {"200": _json(_data("ManagedAccountWithKey")), **_ERRORS, "403": _MANAGER_ONLY}}},
    "/openapi.json": {"get": {"summary": "This document", "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    "!/_sandbox/clients/{client_id}/verified": {"put": {
        "summary": "Sandbox only: set a client's server-owned verified flag (what Telnyx does when it verifies an app)",
        "security": _API, "parameters": _id("client_id"), "requestBody": _body(_ref("VerifiedUpdate")),
        "responses": {"200": _json(_data("OAuthClient")), **_ERRORS}}},
    "!/_sandbox/faults": {
        "get": {"summary": "Armed faults", "security": _API,
                "responses": {"200": {"description": "OK"}, "401": _ERRORS["401"]}},
        "post": {"summary": "Make the next N matching requests fail (429/5xx) or slow down", "security": _API,
                 "requestBody": _body(_ref("Fault")), "responses": {"201": {"description": "Armed"}, **_ERRORS}},
        "delete": {"summary": "Clear every fault", "security": _API,
                   "responses": {"204": {"description": "Cleared"}, "401": _ERRORS["401"]}}},
}
OLD_SPELLINGS = {"/oauth/clients": "/oauth_clients", "/oauth/clients/{id}": "/oauth_clients/{id}",
                 "/oauth/grants/{id}": "/oauth_grants/{id}"}


def _rule_path(rule) -> str:
    path = rule.rule
    for converter in ("<", ">"):
        path = path.replace(converter, "{" if converter == "<" else "}")
    return path


_RFC_ENDPOINTS = ("/v2/oauth/token", "/v2/oauth/introspect", "/v2/oauth/revoke", "/v2/oauth/register")
_FAULTS = {str(status): _json(_ref("Errors"), "Injected by /_sandbox/faults (500: also a sandbox bug)")
           for status in (429, 500, 502, 503)}
_FAULTS["429"] = _json(_ref("Errors"), "Too many requests (code 10011): past the rate limit, or injected by "
                                       "/_sandbox/faults; x-ratelimit-reset says when the window resets")


def _with_common_answers(path: str, operation: dict) -> dict:
    """Add the answers any operation of its kind can give, so that a client (or a fuzzer) built to this document
    meets no undocumented status: unreadable bodies or query parameters (400), bodies over ``MAX_BODY_BYTES``
    (413), a wrong content type (415) and armed faults (429, 5xx)."""
    responses = dict(operation.get("responses", {}))
    rfc = path in _RFC_ENDPOINTS
    error = _json(_ref("OAuthError" if rfc else "Errors"), "The request could not be read")
    if "requestBody" in operation:
        responses.setdefault("400", error)
        too_big = f"The body exceeds {MAX_BODY_BYTES // 1024} KiB"
        responses.setdefault("413", _json(_ref("OAuthError" if rfc else "Errors"), too_big))
        if not rfc:
            responses.setdefault("415", _json(_ref("Errors"), "Content-Type must be application/json"))
    if operation.get("security") == _API:
        responses.setdefault("400", error)
        responses.setdefault("403", _json(_ref("Errors"), "insufficient_scope: needs the API key or an admin token"))
    for status, answer in _FAULTS.items():
        responses.setdefault(status, answer)
    return {**operation, "responses": responses}


def _scope_list_pattern(scopes) -> str:
    """A space-separated scope string (RFC 6749 §3.3) drawn from ``scopes``."""
    one = "|".join(map(re.escape, scopes))
    return f"^({one})?( ({one}))*$"


def _schemas(state) -> dict:
    """The component schemas with this sandbox's scope catalog (client scopes) and what open registration may
    ask for (registrable_scopes)."""
    names = list(state.config.scopes.names)
    registration = {**SCHEMAS["Registration"], "properties": {**SCHEMAS["Registration"]["properties"]}}
    registration["properties"]["scope"] = {"type": ["string", "null"], "maxLength": 2000,
                                           "pattern": _scope_list_pattern(state.config.registrable_scopes)}
    # Stored clients are not enumerated: a database may hold scopes of a catalog it was started with before.
    return {**SCHEMAS, **MANAGED_ACCOUNT_SCHEMAS, **schema.body_schemas(names), "Registration": registration}


def _description(catalog) -> str:
    text = ("A local stand-in for the Telnyx OAuth API. Management calls take 'Authorization: Bearer <API key>'; "
            "token endpoints take client credentials.")
    if catalog.custom:
        text += (" Scopes: a custom catalog, not Telnyx's (Telnyx publishes only admin): "
                 + ", ".join(catalog.names) + ".")
    return text


def build_openapi(app, state) -> dict:
    paths: dict[str, dict] = {}
    for path, operations in OPERATIONS.items():
        key = path[1:] if path.startswith("!") else f"/v2{path}"
        paths[key] = {m: dict(op) for m, op in operations.items()}
    for old, new in OLD_SPELLINGS.items():
        for method, operation in OPERATIONS[new].items():
            paths.setdefault(f"/v2{old}", {})[method] = {**operation, "deprecated": True,
                                                          "summary": operation["summary"] + " (older path)"}
    paths["/v2/oauth/grants"]["get"] = {**OPERATIONS["/oauth_grants"]["get"], "deprecated": True}
    for root_doc in ("/.well-known/oauth-authorization-server", "/.well-known/oauth-protected-resource"):
        paths[root_doc] = dict(OPERATIONS[root_doc])
    # RFC 9728 §3.1: the document of the resource base_url (…/v2)
    paths["/.well-known/oauth-protected-resource/v2"] = dict(OPERATIONS["/.well-known/oauth-protected-resource"])
    for rule in app.url_map.iter_rules():  # safety net: whatever is routed is documented
        if rule.endpoint == "static" or rule.rule == "/":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            path = _rule_path(rule)
            if not path.startswith("/_sandbox/"):
                path = path.replace("{grant_id}", "{id}").replace("{client_id}", "{id}").replace("{account_id}", "{id}")
            paths.setdefault(path,
                             {}).setdefault(method.lower(), {"responses": {"200": {"description": "OK"}}})
    paths = {path: {method: _with_common_answers(path, operation) for method, operation in operations.items()}
             for path, operations in paths.items()}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Telnyx OAuth sandbox (telnyx-nb)", "version": "1.0.0",
                 "description": _description(state.config.scopes)},
        "servers": [{"url": state.config.root_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": _schemas(state),
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"},
                                "basicAuth": {"type": "http", "scheme": "basic"},
                                "clientCredentials": {"type": "oauth2", "flows": {"clientCredentials": {
                                    "tokenUrl": f"{state.config.base_url}/oauth/token", "scopes": {
                                        name: description
                                        for name, description in state.config.scopes.descriptions}}}}},
        },
    }


blueprint = Blueprint("openapi", __name__)


@v2_route(blueprint, "/openapi.json", ["GET"])
def openapi():
    return json_response(build_openapi(current_app, sandbox_state()))

"""The management API's request bodies and query parameters, declared once as JSON Schema (docs/contract.md).

Everything else comes from here: ``check_body`` / ``check_query`` validate requests with ``jsonschema`` and turn
its errors into ``WireError`` answers naming the field (``source.pointer`` for a body field, ``source.parameter``
for a query parameter) and the fix; ``openapi.py`` serves the same schemas and parameter lists, so the document
is exactly as strict as the server. Rules that span fields and fit JSON Schema (``if``/``then``, ``anyOf``) are
in the schema too; the one rule that needs the stored client (an update's merged result) is ``check_update``.
"""

from __future__ import annotations

import copy
import functools
import re
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from rfc3986_validator import validate_rfc3986

from telnyx_nb.sandbox.http.wire_errors import WireError
from telnyx_nb.sandbox.policy.redirects import FORBIDDEN_SCHEMES, redirect_uri_problem
from telnyx_nb.sandbox.policy.scopes import PUBLISHED_CATALOG
from telnyx_nb.sandbox.policy.terms import GRANT_TYPES, MAX_REDIRECT_URIS

CLIENT_TYPES = ["public", "confidential"]
MAX_PAGE_SIZE = 100  # Telnyx's published maximum for page[size]
DEFAULT_PAGE_SIZE = 20
FAULT_STATUSES = [429, 500, 502, 503]
# Fields of an oauth_client that only the server sets: named as such when a body sends them.
SERVER_OWNED = ("record_type", "client_id", "client_secret", "org_id", "user_id", "verified", "created_at",
                "updated_at")

FORMATS = FormatChecker(formats=())


@FORMATS.checks("uri")
def is_absolute_uri(value) -> bool:
    """An absolute URI (RFC 3986 §4.3, the grammar jsonschema's own "uri" check uses), with a host when it is
    http(s)."""
    if not isinstance(value, str):
        return True
    if not validate_rfc3986(value, rule="URI"):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", parts.scheme or ""):
        return False
    return bool(parts.netloc) if parts.scheme.lower() in ("http", "https") else bool(parts.path or parts.netloc)


# Not only spaces: a character that is whitespace neither to ECMA-262 (how clients read the pattern) nor to Python
# (how str.strip() reads it: \x1c-\x1f and \x85 too).
_NAME = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"[^\s\x1c-\x1f\x85]",
         "description": "Shown on the consent page; not blank."}
# Shown as links and images on the consent page: web URLs only.
_WEB_URI = {"type": ["string", "null"], "format": "uri", "maxLength": 2000, "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://",
            "description": "An http(s) URL, or null for none."}
# RFC 8252 §7.1 allows a private-use scheme; RFC 6749 §3.1.2 forbids a fragment.
# RFC 9700 §4.1: schemes that run in, or read from, the user's browser are never a redirect URI (the rule and its
# message live in redirects.py; the schema spells it case-insensitively, as ECMA-262 patterns have no flags).
FORBIDDEN_SCHEME_PATTERN = "^[ \\t]*(?:" + "|".join("".join(f"[{c.upper()}{c}]" for c in scheme)
                                          for scheme in FORBIDDEN_SCHEMES) + "):"
# redirects.py too: no userinfo before the host, no wildcard in the host or path (before any query or fragment).
USERINFO_PATTERN = r"^[A-Za-z][A-Za-z0-9+.-]*://[^/?#]*@"
WILDCARD_PATTERN = r"^[^?#]*\*"
# Open registration only: plain http whose host is not a loopback IPv4 literal, [::1] or localhost (RFC 8252 §7.3).
_OCTET = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
PLAIN_HTTP_BEYOND_LOOPBACK_PATTERN = (r"^[Hh][Tt][Tt][Pp]://(?!(?:127(?:\." + _OCTET + r"){3}|\[::1\]|"
                                      r"[Ll][Oo][Cc][Aa][Ll][Hh][Oo][Ss][Tt])(?:[:/?#]|$))")
_REDIRECT_URI = {"type": "string", "format": "uri", "maxLength": 2000, "pattern": r"^[^#]*$",
                 "not": {"anyOf": [{"pattern": FORBIDDEN_SCHEME_PATTERN}, {"pattern": USERINFO_PATTERN},
                                   {"pattern": WILDCARD_PATTERN}]}}
_CLIENT_FIELDS = {
    "name": _NAME,
    # the enum is the sandbox's scope catalog, filled in per sandbox by ``body_schemas``
    "allowed_scopes": {"type": "array", "minItems": 1, "items": {"enum": list(PUBLISHED_CATALOG.names)}},
    "allowed_grant_types": {"type": "array", "minItems": 1, "items": {"enum": list(GRANT_TYPES)}},
    "redirect_uris": {"type": "array", "items": _REDIRECT_URI, "maxItems": MAX_REDIRECT_URIS, "default": []},
    "require_pkce": {"type": "boolean", "default": False},
    "logo_uri": _WEB_URI, "policy_uri": _WEB_URI, "tos_uri": _WEB_URI,
}
# RFC 6749 §3.1.2.2 / §4.1: the authorization code flow needs a registered redirect URI.
_CODE_FLOW_NEEDS_REDIRECT = {
    "if": {"required": ["allowed_grant_types"],
           "properties": {"allowed_grant_types": {"type": "array", "contains": {"const": "authorization_code"}}}},
    "then": {"required": ["redirect_uris"], "properties": {"redirect_uris": {"minItems": 1}}},
}

# An update naming both lists must not leave the code flow without a redirect URI; whether the *stored* lists
# do is a conflict with the client's state (409, ``check_update``), not a malformed body.
_UPDATE_CODE_FLOW_NEEDS_REDIRECT = {
    "if": {"required": ["allowed_grant_types", "redirect_uris"],
           "properties": {"allowed_grant_types": {"type": "array", "contains": {"const": "authorization_code"}}}},
    "then": {"properties": {"redirect_uris": {"minItems": 1}}},
}

BODIES: dict[str, dict] = {
    "OAuthClientCreate": {
        "type": "object", "additionalProperties": False,
        "required": ["name", "allowed_scopes", "client_type", "allowed_grant_types"],
        "properties": {**_CLIENT_FIELDS, "client_type": {"enum": CLIENT_TYPES}},
        **_CODE_FLOW_NEEDS_REDIRECT,
    },
    "OAuthClientUpdate": {
        "type": "object", "additionalProperties": False, "properties": _CLIENT_FIELDS,
        **_UPDATE_CODE_FLOW_NEEDS_REDIRECT,
        "description": "Every field optional; client_type cannot change. A client left with the "
                       "authorization_code grant must keep at least one redirect URI.",
    },
    # Telnyx's published body of POST /oauth/grants (additionalProperties false)
    "ConsentDecision": {
        "type": "object", "additionalProperties": False, "required": ["allowed", "consent_token"],
        "properties": {"allowed": {"type": "boolean", "description": "true allows, false denies."},
                       "consent_token": {"type": "string", "minLength": 1,
                                         "description": "The token of the consent page's URL."}},
    },
    "VerifiedUpdate": {
        "type": "object", "additionalProperties": False, "required": ["verified"],
        "properties": {"verified": {"type": "boolean"}},
    },
    "Fault": {
        "type": "object", "additionalProperties": False, "required": ["path"],
        "properties": {
            "path": {"type": "string", "pattern": "^/", "description": "e.g. /v2/oauth_grants"},
            "method": {"type": "string", "pattern": "^[A-Za-z]+$", "description": "Any method when left out."},
            "count": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1},
            "status": {"enum": FAULT_STATUSES},
            "retry_after": {"type": "number", "minimum": 0, "maximum": 3600},
            "reset": {"type": "integer", "minimum": 0, "maximum": 86400,
                      "description": "A 429's x-ratelimit-reset in seconds (default: retry_after rounded up, else 1)."},
            "delay": {"type": "number", "minimum": 0, "maximum": 30},
            "drop": {"type": "boolean", "default": False,
                     "description": "true: close the connection without an answer"},
        },
        "anyOf": [{"required": ["status"]}, {"required": ["delay"]},
                  {"required": ["drop"], "properties": {"drop": {"const": True}}}],
        # a dropped connection has no status
        "not": {"required": ["drop", "status"], "properties": {"drop": {"const": True}}},
    },
}

_PAGE = [
    {"name": "page[number]", "in": "query", "schema": {"type": "integer", "minimum": 1, "default": 1}},
    {"name": "page[size]", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE}},
]
_CLIENT_FILTERS = [{"name": name, "in": "query", "schema": schema} for name, schema in [
    ("filter[client_type]", {"enum": CLIENT_TYPES}), ("filter[name]", {"type": "string"}),
    ("filter[name][contains]", {"type": "string"}), ("filter[client_id]", {"type": "string"}),
    ("filter[allowed_grant_types][contains]", {"enum": list(GRANT_TYPES)}),
    ("filter[verified]", {"type": "boolean", "description": "Sandbox: the server-owned verified flag."}),
]]
MANAGED_ACCOUNT_SORTS = ["created_at", "-created_at", "email", "-email"]  # '-' descending; default created_at
_MANAGED_ACCOUNT_PARAMS = [{"name": name, "in": "query", "schema": schema} for name, schema in [
    ("filter[email][contains]", {"type": "string"}), ("filter[organization_name][contains]", {"type": "string"}),
    ("sort", {"enum": MANAGED_ACCOUNT_SORTS, "default": "created_at"}),
    ("include_cancelled_accounts", {"type": "boolean", "default": False}),
]]
QUERIES: dict[str, list[dict]] = {"clients": _PAGE + _CLIENT_FILTERS, "grants": _PAGE,
                                  "managed_accounts": _PAGE + _MANAGED_ACCOUNT_PARAMS}

_SCOPED_BODIES = ("OAuthClientCreate", "OAuthClientUpdate")


def body_schemas(scopes=PUBLISHED_CATALOG.names) -> dict[str, dict]:
    """``BODIES`` with ``allowed_scopes`` drawn from ``scopes`` (a sandbox's catalog): what it validates and serves."""
    bodies = dict(BODIES)
    for name in _SCOPED_BODIES:
        bodies[name] = copy.deepcopy(BODIES[name])
        bodies[name]["properties"]["allowed_scopes"]["items"] = {"enum": list(scopes)}
    return bodies


@functools.lru_cache(maxsize=64)
def _validator(schema_name: str, scopes: tuple[str, ...]) -> Draft202012Validator:
    return Draft202012Validator(body_schemas(scopes)[schema_name], format_checker=FORMATS)


_PARAM_VALIDATORS = {p["name"]: Draft202012Validator(p["schema"], format_checker=FORMATS)
                     for params in QUERIES.values() for p in params}


# ----- bodies -------------------------------------------------------------------------------------------------
def _pointer(path) -> str:
    """RFC 6901 JSON pointer of a jsonschema error path."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _field(path) -> str:
    """A readable name for the field at ``path``: ``redirect_uris[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the body"


def _extra_field_error(name: str, schema_name: str, allowed) -> WireError:
    if name == "client_type" and schema_name == "OAuthClientUpdate":
        fix = "client_type cannot change after creation; create a new client instead"
    elif name == "verified":
        fix = ("verified is owned by the server; remove it (in the sandbox, "
               "PUT /_sandbox/clients/{client_id}/verified with the API key sets it)")
    elif name in SERVER_OWNED:
        fix = f"{name} is set by the server; remove it from the body"
    else:
        fix = f"{name!r} is not a field of this body; remove it (fields: {', '.join(sorted(allowed))})"
    return WireError(422, f"{fix}.", pointer=_pointer([name]))


def _count_error(kind: str, path: list, field: str, schema: dict) -> WireError:
    """Too few or too many values in a list (at most ``MAX_REDIRECT_URIS`` redirect URIs)."""
    if kind == "minItems" and path == ["redirect_uris"]:
        return WireError(422, "a client allowed the authorization_code grant needs at least one redirect URI "
                             "in redirect_uris.", pointer="/redirect_uris")
    if kind == "minItems":
        return WireError(422, f"{field} must list at least {schema['minItems']} value.", pointer=_pointer(path))
    what = "URIs" if path == ["redirect_uris"] else "values"
    return WireError(422, f"{field} may list at most {schema['maxItems']} {what}.", pointer=_pointer(path))


# What to send instead when a field's pattern refuses it (name and redirect URIs have answers of their own).
_PATTERN_FIXES = {
    **{name: f"{name} must be an http(s) URL (or null)." for name in ("logo_uri", "policy_uri", "tos_uri")},
    "path": "path must be a request path starting with '/', e.g. \"/v2/oauth_grants\".",
    "method": "method must be an HTTP method such as \"GET\", or left out for any method.",
}


def _describe(error, schema_name: str) -> WireError:
    """One jsonschema error as an answer that names the field and says what to send instead."""
    path = list(error.absolute_path)
    field, kind, schema = _field(path), error.validator, error.schema
    if kind == "additionalProperties":
        allowed = schema["properties"]  # every body that refuses extra fields lists its own
        extra = sorted(k for k in error.instance if k not in allowed)
        return _extra_field_error(extra[0], schema_name, allowed)
    if kind == "required":
        missing = next(n for n in schema["required"] if n not in error.instance)
        if path == [] and missing == "redirect_uris":
            return WireError(422, "a client allowed the authorization_code grant needs at least one redirect URI "
                                 "in redirect_uris.", pointer="/redirect_uris")
        return WireError(422, f"{_field(path + [missing])} is required.", pointer=_pointer(path + [missing]))
    if kind == "anyOf" and schema_name == "Fault":
        return WireError(422, "give a status (429, 500, 502, 503), a delay in seconds, drop: true, or a delay with "
                             "one of the others.", pointer="/status")
    if kind == "not" and schema_name == "Fault":
        return WireError(422, "a dropped connection has no status: give drop or status, not both.", pointer="/drop")
    if kind == "type":
        wanted = schema["type"]
        wanted = " or ".join(wanted) if isinstance(wanted, list) else wanted
        words = {"boolean": "true or false", "array": "a list", "object": "a JSON object", "integer": "a whole number",
                 "string": "a string", "number": "a number"}  # "null" reads as itself
        wanted = " or ".join(words.get(w, w) for w in wanted.split(" or "))
        return WireError(422, f"{field} must be {wanted}.", pointer=_pointer(path))
    if kind == "enum" and path[:1] == ["allowed_scopes"]:
        return WireError(422, f"{field} {error.instance!r} is not a scope of this server; use: "
                             f"{', '.join(map(str, schema['enum']))}.", pointer=_pointer(path))
    if kind == "enum":
        return WireError(422, f"{field} {error.instance!r} is not one of: {', '.join(map(str, schema['enum']))}.",
                         pointer=_pointer(path))
    if kind in ("minItems", "maxItems"):
        return _count_error(kind, path, field, schema)
    if kind in ("minLength", "pattern") and path == ["name"]:
        return WireError(422, "name must be a non-empty string (not only spaces).", pointer="/name")
    if kind == "minLength":
        return WireError(422, f"{field} must not be empty.", pointer=_pointer(path))
    if kind == "maxLength":
        return WireError(422, f"{field} must be at most {schema['maxLength']} characters.", pointer=_pointer(path))
    if kind == "not" and "redirect_uris" in path:
        return WireError(422, f"{field} {redirect_uri_problem(error.instance)}", pointer=_pointer(path))
    if kind == "format" or (kind == "pattern" and "redirect_uris" in path):
        if kind == "pattern":
            return WireError(422, f"{field} must not contain a fragment '#' (RFC 6749 section 3.1.2).",
                             pointer=_pointer(path))
        return WireError(422, f"{field} {error.instance!r} is not an absolute URI "
                             "(e.g. https://app.example.com/callback).", pointer=_pointer(path))
    if kind == "pattern" and field in _PATTERN_FIXES:
        return WireError(422, _PATTERN_FIXES[field], pointer=_pointer(path))
    if kind in ("minimum", "maximum"):
        low, high = schema.get("minimum"), schema.get("maximum")
        return WireError(422, f"{field} must be from {low:g} to {high:g}." if high is not None
                         else f"{field} must be at least {low:g}.", pointer=_pointer(path))
    return WireError(422, f"{field}: {error.message}.", pointer=_pointer(path))


def check_body(schema_name: str, body, scopes: tuple[str, ...] = PUBLISHED_CATALOG.names) -> dict:
    """``body`` checked against ``BODIES[schema_name]`` (client bodies: their scopes drawn from ``scopes``, the
    sandbox's catalog); the clean fields with top-level defaults filled in.
    Raises ``WireError`` 422 naming the first wrong field (jsonschema's best match)."""
    errors = list(_validator(schema_name, tuple(scopes)).iter_errors(body))
    if errors:
        raise _describe(min(errors, key=_rank), schema_name)
    return dict(body)


def _rank(error):
    """Which error to report: an unknown field first (the fix is to remove it), then a wrong type at the top, a
    missing field, then the first wrong field in order; a rule over several fields (anyOf) last."""
    order = ("additionalProperties", "type", "required")
    kind = error.validator
    return (order.index(kind) if kind in order and (kind != "type" or not error.path) else len(order),
            kind == "anyOf", [str(p) for p in error.absolute_path])


def check_create(body, scopes: tuple[str, ...] = PUBLISHED_CATALOG.names) -> dict:
    """A POST /oauth_clients body (``allowed_scopes`` from ``scopes``): the stored fields, with the published
    defaults."""
    fields = check_body("OAuthClientCreate", body, scopes)
    fields.setdefault("redirect_uris", [])
    fields.setdefault("require_pkce", False)
    return _clean(fields)


def check_update(body, current: dict, scopes: tuple[str, ...] = PUBLISHED_CATALOG.names) -> dict:
    """A PUT /oauth_clients/{id} body. The cross-field rule needing the stored client: the client as it would be
    after the update, if allowed the authorization_code grant, keeps a redirect URI (RFC 6749 §3.1.2.2); a
    well-formed body that breaks it conflicts with the stored client (409)."""
    fields = _clean(check_body("OAuthClientUpdate", body, scopes))
    merged = {**current, **fields}
    if "authorization_code" in merged.get("allowed_grant_types", []) and not merged.get("redirect_uris"):
        named = "redirect_uris" if "redirect_uris" in fields else "allowed_grant_types"
        raise WireError(409, "the client would be allowed the authorization_code grant without a redirect URI: "
                            "send redirect_uris with at least one URI, or drop authorization_code.",
                       pointer=f"/{named}")
    return fields


def _clean(fields: dict) -> dict:
    for name in ("allowed_scopes", "allowed_grant_types", "redirect_uris"):
        if name in fields:
            fields[name] = list(dict.fromkeys(fields[name]))
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    return fields


# ----- query parameters ---------------------------------------------------------------------------------------
def _typed(raw: str, schema: dict):
    """A query string value as the JSON type its schema declares, or the raw string (which then fails)."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?[0-9]+", raw):
        digits = raw.lstrip("-").lstrip("0") or "0"
        # past Python's int-from-text limit (leading zeros count there, not here): only the size matters for the bounds
        value = 10**4000 if len(digits) > 4000 else int(digits)
        return -value if raw.startswith("-") else value
    if kind == "boolean" and raw in ("true", "false"):
        return raw == "true"
    return raw


def check_query(name: str, args) -> dict:
    """The declared query parameters of list ``name`` (``QUERIES``), typed, with defaults; an out-of-range or
    mistyped value, or an undeclared ``filter[...]``, is a 400 naming the parameter."""
    params = QUERIES[name]
    declared = {p["name"] for p in params}
    for key in args:
        if key.startswith(("filter", "page")) and key not in declared:
            raise WireError(400, f"unknown query parameter {key!r}; this list takes: {', '.join(sorted(declared))}.",
                            parameter=key)
    values = {}
    for param in params:
        key, schema = param["name"], param["schema"]
        if key not in args:
            if "default" in schema:
                values[key] = schema["default"]
            continue
        raw = args.get(key)
        value = _typed(raw, schema)
        if not _PARAM_VALIDATORS[key].is_valid(value):
            raise WireError(400, f"{key} must be {_param_rule(schema)}; got {raw!r}.", parameter=key)
        values[key] = value
    return values


def _param_rule(schema: dict) -> str:
    if schema.get("type") == "integer":
        if "maximum" in schema:
            return f"a whole number from {schema['minimum']} to {schema['maximum']}"
        return f"a whole number of at least {schema['minimum']}"
    if schema.get("type") == "boolean":
        return "true or false"
    if "enum" in schema:
        return "one of: " + ", ".join(schema["enum"])
    return "a string"

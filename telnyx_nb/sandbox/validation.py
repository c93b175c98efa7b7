"""Validation of management request bodies and query parameters; every failure names the field and the fix."""

from __future__ import annotations

from urllib.parse import urlsplit

from . import scopes as scope_catalog
from .errors import ApiError
from .policy import GRANT_TYPES

CLIENT_TYPES = ("public", "confidential")
MAX_PAGE_SIZE = 100
_URI_FIELDS = ("logo_uri", "policy_uri", "tos_uri")
_CREATE_REQUIRED = ("name", "client_type", "allowed_grant_types", "allowed_scopes")
_UPDATABLE = ("name", "allowed_grant_types", "allowed_scopes", "redirect_uris", "require_pkce", "logo_uri",
              "policy_uri", "tos_uri", "verified")
_CREATABLE = _UPDATABLE + ("client_type",)


def _string(body, name, *, max_length=255):
    value = body[name]
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, f"{name} must be a non-empty string.", pointer=f"/{name}")
    if len(value) > max_length:
        raise ApiError(422, f"{name} must be at most {max_length} characters.", pointer=f"/{name}")
    return value.strip()


def _string_list(body, name, allowed=None, *, non_empty=True):
    value = body[name]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(422, f"{name} must be a list of strings.", pointer=f"/{name}")
    if non_empty and not value:
        raise ApiError(422, f"{name} must list at least one value.", pointer=f"/{name}")
    for i, item in enumerate(value):
        if allowed is not None and item not in allowed:
            raise ApiError(422, f"{name}[{i}] {item!r} is not one of: {', '.join(allowed)}.",
                           pointer=f"/{name}/{i}")
    return list(dict.fromkeys(value))


def _uri(value, pointer, *, redirect=False):
    """An absolute URI; redirect URIs may use a private scheme (RFC 8252 §7.1) but no fragment (RFC 6749 §3.1.2)."""
    if not isinstance(value, str) or not value or len(value) > 2000:
        raise ApiError(422, "must be an absolute URI string.", pointer=pointer)
    parts = urlsplit(value)
    if not parts.scheme or (parts.scheme in ("http", "https") and not parts.netloc):
        raise ApiError(422, f"{value!r} is not an absolute URI (e.g. https://app.example.com/callback).",
                       pointer=pointer)
    if redirect and parts.fragment:
        raise ApiError(422, "a redirect URI must not contain a fragment (RFC 6749 §3.1.2).", pointer=pointer)
    return value


def _boolean(body, name):
    if not isinstance(body[name], bool):
        raise ApiError(422, f"{name} must be true or false.", pointer=f"/{name}")
    return body[name]


def client_fields(body: dict, *, creating: bool, current: dict | None = None) -> dict:
    """Validate a POST (``creating``) or PUT body for oauth_clients and return the clean fields."""
    allowed_fields = _CREATABLE if creating else _UPDATABLE
    for name in body:
        if name not in allowed_fields:
            hint = " (client_type cannot change after creation)" if name == "client_type" else ""
            raise ApiError(422, f"unknown or read-only field {name!r}{hint}.", pointer=f"/{name}")
    if creating:
        for name in _CREATE_REQUIRED:
            if body.get(name) is None:
                raise ApiError(422, f"{name} is required.", pointer=f"/{name}")
    fields: dict = {}
    if "name" in body:
        fields["name"] = _string(body, "name")
    if "client_type" in body:
        if body["client_type"] not in CLIENT_TYPES:
            raise ApiError(422, "client_type must be \"public\" or \"confidential\".", pointer="/client_type")
        fields["client_type"] = body["client_type"]
    if "allowed_grant_types" in body:
        fields["allowed_grant_types"] = _string_list(body, "allowed_grant_types", GRANT_TYPES)
    if "allowed_scopes" in body:
        fields["allowed_scopes"] = _string_list(body, "allowed_scopes", scope_catalog.SCOPES)
    if "redirect_uris" in body and body["redirect_uris"] is not None:
        uris = _string_list(body, "redirect_uris", non_empty=False)
        fields["redirect_uris"] = [_uri(u, f"/redirect_uris/{i}", redirect=True) for i, u in enumerate(uris)]
    elif "redirect_uris" in body:
        fields["redirect_uris"] = []
    for name in ("require_pkce", "verified"):
        if name in body and body[name] is not None:
            fields[name] = _boolean(body, name)
    for name in _URI_FIELDS:
        if name in body:
            fields[name] = None if body[name] is None else _uri(body[name], f"/{name}")
            if fields[name] and urlsplit(fields[name]).scheme not in ("http", "https"):
                # shown as links and images on the consent page: web URLs only
                raise ApiError(422, f"{name} must be an http(s) URL.", pointer=f"/{name}")
    merged = {**(current or {}), **fields}
    if "authorization_code" in merged.get("allowed_grant_types", []) and not merged.get("redirect_uris"):
        raise ApiError(422, "a client allowed the authorization_code grant needs at least one redirect URI.",
                       pointer="/redirect_uris")
    return fields


def page_params(args) -> tuple[int, int]:
    """``page[number]`` (>= 1, default 1) and ``page[size]`` (1–250, default 20)."""
    number = _int_param(args, "page[number]", 1, 1, 10**9)
    size = _int_param(args, "page[size]", 20, 1, MAX_PAGE_SIZE)
    return number, size


def _int_param(args, name, default, low, high):
    raw = args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ApiError(400, f"{name} must be a whole number from {low} to {high}; got {raw!r}.", parameter=name)
    return value


_CLIENT_FILTERS = {
    "filter[client_type]": "client_type", "filter[name]": "name", "filter[name][contains]": "name_contains",
    "filter[client_id]": "client_id", "filter[allowed_grant_types][contains]": "grant_type",
    "filter[verified]": "verified",
}


def client_filters(args) -> dict:
    """The oauth_clients list filters, checked; an unknown ``filter[...]`` is an error, not silently ignored."""
    filters = {}
    for key in args:
        if key.startswith("filter") and key not in _CLIENT_FILTERS:
            raise ApiError(400, f"unknown filter {key!r}; use one of: {', '.join(_CLIENT_FILTERS)}.", parameter=key)
    for key, name in _CLIENT_FILTERS.items():
        if key not in args:
            continue
        value = args.get(key)
        if name == "client_type" and value not in CLIENT_TYPES:
            raise ApiError(400, f"{key} must be \"public\" or \"confidential\".", parameter=key)
        if name == "grant_type" and value not in GRANT_TYPES:
            raise ApiError(400, f"{key} must be one of: {', '.join(GRANT_TYPES)}.", parameter=key)
        if name == "verified":
            if value.lower() not in ("true", "false"):
                raise ApiError(400, f"{key} must be true or false.", parameter=key)
            value = value.lower() == "true"
        filters[name] = value
    return filters


def page_meta(number: int, size: int, total: int) -> dict:
    return {"page_number": number, "page_size": size, "total_pages": -(-total // size), "total_results": total}


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
    # Authlib's own answer for these is "Invalid claim: 'grant_types'": say which values are accepted instead.
    for name, accepted in (("grant_types", GRANT_TYPES), ("response_types", ("code",))):
        unknown = [v for v in body.get(name, []) if v not in accepted]
        if unknown:
            return "invalid_client_metadata", f"{name} may hold only {', '.join(accepted)}; not {unknown[0]!r}."
    unknown = [s for s in body.get("scope", "").split() if s not in scope_catalog.SCOPES]
    if unknown:
        return "invalid_client_metadata", (f"scope {unknown[0]!r} is unknown; use space-separated scopes from: "
                                           f"{' '.join(scope_catalog.SCOPES)}.")
    method = body.get("token_endpoint_auth_method")
    if method is not None and method not in ("none", "client_secret_basic", "client_secret_post"):
        return "invalid_client_metadata", ("token_endpoint_auth_method must be none, client_secret_basic or "
                                           "client_secret_post.")
    return None

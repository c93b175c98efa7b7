"""Paging metadata, and the RFC 7591 registration checks Authlib needs before it sees a body.

Management bodies and query parameters are declared and checked in ``schema.py``."""

from __future__ import annotations

from telnyx_nb.sandbox.policy.redirects import MAX_URI_LENGTH
from telnyx_nb.sandbox.policy.schema import is_absolute_uri
from telnyx_nb.sandbox.policy.terms import GRANT_TYPES, MAX_LIST_ITEMS, MAX_REDIRECT_URIS


def page_meta(number: int, size: int, total: int) -> dict:
    return {"page_number": number, "page_size": size, "total_pages": -(-total // size), "total_results": total}


_REGISTRATION_STRINGS = ("client_name", "client_uri", "logo_uri", "policy_uri", "tos_uri", "scope",
                         "token_endpoint_auth_method", "jwks_uri", "software_id", "software_version")
_REGISTRATION_LISTS = ("redirect_uris", "grant_types", "response_types", "contacts")


def _size_problem(body: dict) -> tuple[str, str] | None:
    """Bounds on anonymous metadata, whose answer echoes it: lists of at most ``MAX_LIST_ITEMS`` values (redirect
    URIs: ``MAX_REDIRECT_URIS``), strings of at most ``MAX_URI_LENGTH`` characters (client_name: its own cap)."""
    uris = body.get("redirect_uris", [])
    if len(uris) > MAX_REDIRECT_URIS:
        return "invalid_redirect_uri", f"redirect_uris may list at most {MAX_REDIRECT_URIS} URIs."
    for name in _REGISTRATION_LISTS:
        if name != "redirect_uris" and len(body.get(name, [])) > MAX_LIST_ITEMS:
            return "invalid_client_metadata", f"{name} may list at most {MAX_LIST_ITEMS} values."
    for name in (*_REGISTRATION_STRINGS, "contacts"):
        values = body.get(name, [])
        if any(len(v) > MAX_URI_LENGTH for v in ([values] if isinstance(values, str) else values)):
            return "invalid_client_metadata", f"{name} must be at most {MAX_URI_LENGTH} characters."
    return None


def registration_problem(body: dict, catalog) -> tuple[str, str] | None:
    """Type errors in RFC 7591 metadata, found before Authlib sees them (it assumes strings); scopes must be in the
    sandbox's ``catalog`` (``scopes.ScopeCatalog``)."""
    for name in _REGISTRATION_STRINGS:
        if name in body and not isinstance(body[name], str):
            return "invalid_client_metadata", f"{name} must be a string."
    for name in _REGISTRATION_LISTS:
        if name in body and (not isinstance(body[name], list) or not all(isinstance(v, str) and v
                                                                          for v in body[name])):
            error = "invalid_redirect_uri" if name == "redirect_uris" else "invalid_client_metadata"
            return error, f"{name} must be a list of non-empty strings."
    size = _size_problem(body)
    if size:
        return size
    for i, uri in enumerate(body.get("redirect_uris", [])):
        if "#" in uri or not is_absolute_uri(uri):
            return "invalid_redirect_uri", (f"redirect_uris[{i}] must be an absolute URI without a fragment "
                                            "(RFC 6749 section 3.1.2).")
    for name in ("client_uri", "logo_uri", "policy_uri", "tos_uri"):
        if name in body and not (body[name].startswith(("https://", "http://")) and is_absolute_uri(body[name])):
            return "invalid_client_metadata", f"{name} must be an http(s) URL."
    # Authlib's own answer for these is "Invalid claim: 'grant_types'": say which values are accepted instead.
    for name, accepted in (("grant_types", GRANT_TYPES), ("response_types", ("code",))):
        unknown = [v for v in body.get(name, []) if v not in accepted]
        if unknown:
            return "invalid_client_metadata", f"{name} may hold only {', '.join(accepted)}; not {unknown[0]!r}."
    unknown = catalog.unknown(body.get("scope", "").split())
    if unknown:
        return "invalid_client_metadata", (f"scope {unknown[0]!r} is unknown; use space-separated scopes from: "
                                           f"{' '.join(catalog.names)}.")
    method = body.get("token_endpoint_auth_method")
    if method is not None and method not in ("none", "client_secret_basic", "client_secret_post"):
        return "invalid_client_metadata", ("token_endpoint_auth_method must be none, client_secret_basic or "
                                           "client_secret_post.")
    return None

"""What open registration (RFC 7591) may create: a client that owns no account, never a ``verified`` one.

Anyone who can reach the port may register (how an MCP client signs itself up), so registration must not be a way
to act for the account: a self-registered client may ask for any scope of the catalog (``admin`` included, the one
scope Telnyx publishes), but a user gives those scopes effect through the consent page, and its client_credentials
token reaches no account's management API (``access.py``; docs/security.md). The scopes it may ask for can be
narrowed with ``Sandbox(registrable_scopes=…)`` / ``telnyx-nb sandbox --registrable-scopes``; asking for others is
``invalid_client_metadata`` naming the scope (RFC 7591 §3.2.2). ``verified`` is owned by the server and starts
false. ``client_name`` is bounded as on the management API (every other string and list by ``validation``, before
this), and redirect URIs follow ``redirects`` (``invalid_redirect_uri``), with the anonymous rule besides: https, or
http on loopback only.
"""

from __future__ import annotations

from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.sandbox.policy.redirects import redirect_uri_problem

MAX_NAME_LENGTH = 255  # as the management API's name


def check_registrable_scopes(scopes, catalog) -> tuple[str, ...]:
    """A configured registrable subset of ``catalog`` (None: the whole catalog); a ``ConfigurationError`` (a
    ``ValueError``) naming the fix for a name the catalog lacks."""
    if scopes is None:
        return catalog.names
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    scopes = tuple(dict.fromkeys(scopes))
    unknown = catalog.unknown(scopes)
    if unknown:
        raise ConfigurationError(f"registrable_scopes: {unknown[0]!r} is not a scope of this sandbox; choose from "
                                 f"{' '.join(catalog.names)} (or give a custom catalog with scopes=)")
    return scopes


def registration_policy_problem(body: dict, registrable: tuple[str, ...]) -> tuple[str, str] | None:
    """The RFC 7591 §3.2.2 error for metadata this server refuses, or None (types are checked before)."""
    name = body.get("client_name")
    if isinstance(name, str) and len(name) > MAX_NAME_LENGTH:
        return "invalid_client_metadata", f"client_name must be at most {MAX_NAME_LENGTH} characters."
    for i, uri in enumerate(body.get("redirect_uris") or []):
        problem = redirect_uri_problem(uri, anonymous=True)
        if problem:
            return "invalid_redirect_uri", f"redirect_uris[{i}] {problem}"
    for scope in str(body.get("scope") or "").split():
        if scope not in registrable:
            return "invalid_client_metadata", (
                f"scope {scope} cannot be registered openly; registrable scopes: {' '.join(registrable)} "
                "(an administrator creates clients with other scopes through the management API).")
    return None

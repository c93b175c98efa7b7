"""What open registration (RFC 7591) may create: never an ``admin`` client, never a ``verified`` one.

Anyone who can reach the port may register, so registration must not be a way to become the account owner:
the scopes a registered client may hold are a fixed subset of the catalog (``DEFAULT_REGISTRABLE_SCOPES``: every
scope but ``admin``), configurable with ``Sandbox(registrable_scopes=…)`` / ``telnyx-nb sandbox
--registrable-scopes`` but never including ``admin``; asking for more is ``invalid_client_metadata`` naming the
scope (RFC 7591 §3.2.2). ``verified`` is owned by the server and starts false. ``client_name`` is bounded as on
the management API (every other string and list by ``validation``, before this), and redirect URIs follow
``redirects`` (``invalid_redirect_uri``), with the anonymous rule besides: https, or http on loopback only.
"""

from __future__ import annotations

from telnyx_nb.errors import ConfigurationError

from . import scopes as scope_catalog
from .access import ADMIN_SCOPE
from .redirects import redirect_uri_problem

MAX_NAME_LENGTH = 255  # as the management API's name
DEFAULT_REGISTRABLE_SCOPES: tuple[str, ...] = tuple(s for s in scope_catalog.SCOPES if s != ADMIN_SCOPE)


def check_registrable_scopes(scopes) -> tuple[str, ...]:
    """Validate a configured registrable subset (a ``ConfigurationError``, a ``ValueError``, naming the fix)."""
    if isinstance(scopes, str):
        scopes = scopes.replace(",", " ").split()
    scopes = tuple(dict.fromkeys(scopes))
    unknown = scope_catalog.unknown(scopes)
    if unknown:
        raise ConfigurationError(f"registrable_scopes: {unknown[0]!r} is not a scope; choose from "
                         f"{' '.join(DEFAULT_REGISTRABLE_SCOPES)}")
    if ADMIN_SCOPE in scopes:
        raise ConfigurationError("registrable_scopes: admin can never be registered openly (it would let anyone who "
                         "reaches the port administer the sandbox); leave it out")
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
                "(an administrator grants others through the management API).")
    return None

"""The client rules: app registrations that are unused, misconfigured for their kind, or easy to impersonate.

Each rule walks the clients once (a few thousand rows at most) and returns a list of finding dicts.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

from telnyx_nb.audit.registry import Thresholds, client_rows, items, rule
from telnyx_nb.core import wire

__all__ = ["auth_code_without_pkce", "client_without_grants", "duplicate_client_name", "non_https_redirect_uri",
           "public_client_credentials", "redirect_uri_wildcard_or_fragment", "unverified_client_with_grants"]

_LOOPBACK_NAMES = {"localhost"}


def _finding(object_id: Any, client_name: Any, detail: str) -> dict:
    name = None if client_name is None or client_name is pd.NA else str(client_name)
    return {"object_id": str(object_id), "client_name": name, "detail": detail}


def _is_false(value: Any) -> bool:
    """True only for a definite false: NA/None (a field the server did not send) is not evidence."""
    return value is not None and value is not pd.NA and not bool(value)


def _is_loopback(host: str | None) -> bool:
    """RFC 8252 §7.3 / §8.3: loopback redirects over plain HTTP are fine (the traffic never leaves the host)."""
    if not host:
        return False
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@rule("low", "client", "Delete the client if nobody uses it; an idle client is one more secret to leak.")
def client_without_grants(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A client no user has granted access to: an unused app registration whose credentials still work."""
    used = {str(c) for c in grants["client_id"].unique()}
    return [
        _finding(c.client_id, c.name, f"{c.client_type} client with no grants")
        for c in client_rows(clients) if str(c.client_id) not in used
    ]


@rule("high", "client", "Remove client_credentials from the public client, or make it a confidential client.")
def public_client_credentials(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A public client allowed the client_credentials grant: a public client cannot keep a secret, and
    RFC 6749 §4.4 limits that grant to confidential clients."""
    return [
        _finding(c.client_id, c.name, "public client allows client_credentials")
        for c in client_rows(clients)
        if str(c.client_type) == wire.PUBLIC and wire.CLIENT_CREDENTIALS in items(c.allowed_grant_types)
    ]


@rule("medium", "client", "Set require_pkce to true and send a code_challenge (S256) from the app.")
def auth_code_without_pkce(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A client using authorization_code without requiring PKCE: an intercepted authorization code can be
    redeemed by someone else (RFC 7636 §1; RFC 9700 §2.1.1 recommends PKCE for every client)."""
    return [
        _finding(c.client_id, c.name, "authorization_code allowed with require_pkce = false")
        for c in client_rows(clients)
        if wire.AUTHORIZATION_CODE in items(c.allowed_grant_types) and _is_false(c.require_pkce)
    ]


@rule("medium", "client", "Register an https:// redirect URI (plain http is fine only on loopback).")
def non_https_redirect_uri(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A redirect URI over plain HTTP to a non-loopback host: authorization codes travel in clear text
    (RFC 6749 §3.1.2.1; loopback is exempt, RFC 8252 §7.3). Private-use schemes of native apps are left alone."""
    found = []
    for c in client_rows(clients):
        bad = [u for u in items(c.redirect_uris)
               if urlsplit(u).scheme.lower() == "http" and not _is_loopback(urlsplit(u).hostname)]
        if bad:
            found.append(_finding(c.client_id, c.name, "plain HTTP redirect URI: " + ", ".join(bad)))
    return found


@rule("high", "client", "Register exact redirect URIs: no wildcards, no #fragment.")
def redirect_uri_wildcard_or_fragment(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """A redirect URI with a wildcard or a fragment: wildcards invite open redirects that leak codes
    (RFC 9700 §4.1.3 requires exact matching), and a fragment is forbidden outright (RFC 6749 §3.1.2)."""
    found = []
    for c in client_rows(clients):
        bad = [u for u in items(c.redirect_uris) if "*" in u or "#" in u]
        if bad:
            found.append(_finding(c.client_id, c.name, "wildcard or fragment in redirect URI: " + ", ".join(bad)))
    return found


@rule("medium", "client", "Verify the client's owner, or revoke its grants until it is verified.")
def unverified_client_with_grants(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """An unverified client that users have granted access to: nobody vouched for the app now holding
    account access."""
    if "verified" not in clients:
        return []
    counts = grants["client_id"].value_counts()
    found = []
    for c in client_rows(clients):
        if not _is_false(c.verified):
            continue  # verified, or unknown (the real API may not say)
        n = int(counts.get(str(c.client_id), 0))
        if n:
            found.append(_finding(c.client_id, c.name, f"unverified client holds {n} grant(s)"))
    return found


@rule("low", "client", "Rename the clients so users can tell them apart on the consent page.")
def duplicate_client_name(clients: pd.DataFrame, grants: pd.DataFrame, t: Thresholds) -> list[dict]:
    """Several clients sharing one name: users cannot tell on the consent page which app they approve, and
    an impostor can borrow a trusted name."""
    key = clients["name"].astype("string").str.strip().str.casefold()
    if "account_id" in clients:  # a fleet's frames (audit_fleet): names are told apart within one account only
        key = clients["account_id"].astype("string") + "\x00" + key
    dup = key.notna() & key.duplicated(keep=False)
    sizes = key[dup].value_counts()
    return [
        _finding(c.client_id, c.name, f"{int(sizes[k])} clients are named {c.name!r}")
        for c, k in zip(clients[dup].itertuples(), key[dup])
    ]


"""Who may call what: the sandbox's caller × endpoint policy, enforced in one place (``docs/security.md``).

Every request passes ``enforce`` (a ``before_request`` hook) before its view runs. The view's endpoint name picks
a rule from ``RULES``; an endpoint missing from the table falls to ``ADMIN`` (fail closed), so a new route is never
open by accident. Callers:

- the **API key** (the account owner): everything;
- an **admin token** — a live access token whose scope includes ``admin`` and that acts for the account (the
  official SDKs' client-credentials mode sends one on every call): management, faults and sandbox admin routes.
  A token acts for an account: the one whose user consented (authorization_code, refresh_token), or the one that
  owns the client (client_credentials of a client created through the management API or the seed). A client that
  registered itself (RFC 7591) owns no account: its client_credentials token, even with ``admin``, reaches no
  management route (403 naming why); a user gives it effect only through the consent page;
- an **admin user token** — an admin token issued to a user (authorization_code / refresh_token), which stands for
  the user's portal session: also the consent decision;
- **any other token**: 403 ``insufficient_scope`` with ``WWW-Authenticate: Bearer error="insufficient_scope",
  scope="admin"`` (RFC 6750 §3.1);
- **no credential** / an unknown one: 401 with the RFC 9728 challenge.

Accounts (``store/accounts.py``): every caller acts for one account, and the management views show and touch only
that account's clients and grants. The sandbox's API key acts for its own account, which manages the fleet when a
fleet seed made one; a managed account's API key acts for that account (a disabled or cancelled one's key is
refused: 401); a token acts for the account owning its client. Only the manager's own API key reads the
managed-accounts list (``MANAGER_KEY``): not a managed account's key, not a token (403). Armed faults change the
whole sandbox, so only the own account's admins arm them (``OWN_ADMIN``).

The RFC endpoints (token, introspect, revoke, register) and the front channel are ``PUBLIC`` here: they
authenticate the *client* themselves (RFC 6749 §2.3), and what a client may see there is decided below too
(``may_introspect``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from flask import g, request

from telnyx_nb.sandbox.http.messages import bearer_credential
from telnyx_nb.sandbox.http.wire_errors import WireError, rfc_text
from telnyx_nb.sandbox.policy import scopes as scope_catalog

PUBLIC = "public"  # no Bearer credential needed (the endpoint may authenticate a client itself)
ADMIN = "admin"  # API key, or a token whose scope includes admin
USER_ADMIN = "user_admin"  # API key, or an admin token issued to a user (never client_credentials)
MANAGER_KEY = "manager_key"  # the sandbox's own API key only: the manager of a fleet
OWN_ADMIN = "own_admin"  # ADMIN, acting for the sandbox's own account (sandbox-wide controls)
# The sandbox's own account (the manager of a fleet, the only account otherwise): '' in the store's account_id
# columns, which an older database's rows take as their default (store/accounts.py).
OWN_ACCOUNT = ""

# Endpoint (``<blueprint>.<view>``, whatever the path spelling) → rule.
RULES: dict[str, str] = {
    "discovery.authorization_server_metadata": PUBLIC,
    "discovery.jwks": PUBLIC,
    # RFC 9728: the protected-resource documents, one per resource URL (host root, /v2, and under /v2)
    "discovery.protected_resource_root": PUBLIC,
    "discovery.protected_resource_v2": PUBLIC,
    "discovery.protected_resource_under_v2": PUBLIC,
    "openapi.openapi": PUBLIC,
    "index": PUBLIC,
    "token.token": PUBLIC,
    "introspection.introspect": PUBLIC,
    "revocation.revoke": PUBLIC,
    "registration.register": PUBLIC,
    "authorize.authorize": PUBLIC,
    "authorize.consent_page": PUBLIC,  # the HTML form stands for the signed-in user in a browser (Origin-checked)
    "authorize.consent_json": USER_ADMIN,
    "authorize.consent_decision": USER_ADMIN,
    "grants.grants_collection": ADMIN,
    "grants.grant_item": ADMIN,
    "clients.clients_collection": ADMIN,
    "clients.client_item": ADMIN,
    "clients.client_verified": ADMIN,  # sandbox admin: what Telnyx does when it verifies an app
    "faults.faults": OWN_ADMIN,
    "managed_accounts.managed_accounts_collection": MANAGER_KEY,
    "managed_accounts.managed_account_item": MANAGER_KEY,
    "static": PUBLIC,
}


@dataclass(frozen=True)
class Caller:
    """Who sent the request: ``kind`` is api_key | token | anonymous; a token carries its client, user, scopes."""

    kind: str
    client_id: str | None = None
    user_id: str | None = None
    scopes: tuple[str, ...] = ()
    acts_for_account: bool = True  # False: a client_credentials token of a self-registered client
    account_id: str = OWN_ACCOUNT  # the account it acts for (store/accounts.py)

    @property
    def is_admin(self) -> bool:
        return self.kind == "api_key" or (self.kind == "token" and scope_catalog.ADMIN in self.scopes
                                          and self.acts_for_account)

    @property
    def is_manager_key(self) -> bool:
        """The sandbox's own API key: the manager of its fleet."""
        return self.kind == "api_key" and self.account_id == OWN_ACCOUNT

    @property
    def is_user_admin(self) -> bool:
        return self.kind == "api_key" or (self.is_admin and self.user_id is not None)


def rule_for(endpoint: str | None) -> str:
    """The rule of a Flask endpoint name (``blueprint.view``); unknown endpoints are ADMIN."""
    if endpoint is None:  # no route matched: the 404/405 handler answers, nothing is served
        return PUBLIC
    return RULES.get(endpoint, ADMIN)


def identify(state) -> Caller | None:
    """The caller behind ``Authorization: Bearer …``; None when no Bearer credential was sent.

    Raises a 401 ``invalid_token`` when one was sent that is neither the API key nor a live access token."""
    if "caller" in g:
        return g.caller
    credential = bearer_credential()
    caller = None
    if credential is not None:
        if hmac.compare_digest(credential.encode(), state.api_key.encode()):
            caller = Caller("api_key")
        elif credential.startswith("KEY") and (account := state.store.account_for_key(credential)) is not None:
            caller = _managed_key_caller(state, account)
        else:
            token = state.oauth.active_access_token(credential)
            if token is None:
                raise WireError(401, "The Bearer credential is not this sandbox's API key nor a live access token "
                                    "(it may be expired, revoked or from another server).",
                               headers=_challenge(state, 'error="invalid_token"'))
            client_id, user_id = token.row["client_id"], token.row["user_id"]
            # a user's token acts for the user's account; a client's own token for the account owning the client
            acts = user_id is not None or not state.store.is_self_registered(client_id)
            client = state.store.get_client(client_id)  # its token acts for the account owning the client
            caller = Caller("token", client_id=client_id, user_id=user_id,
                            scopes=tuple(str(token.row["scope"] or "").split()), acts_for_account=acts,
                            account_id=client["account_id"] if client else OWN_ACCOUNT)
    g.caller = caller
    return caller


def _managed_key_caller(state, account: dict) -> Caller:
    """A managed account's API key: its caller, or 401 when the account is disabled or cancelled (the sandbox's
    own wording: Telnyx publishes no answer for it)."""
    if account["status"] != "active":
        raise WireError(401, f"This API key belongs to managed account {account['id']}, which is {account['status']}: "
                             "its key is refused until the manager account enables it again (sandbox behaviour, "
                             "not a published Telnyx answer).", title="Account " + account["status"],
                        headers=_challenge(state, 'error="invalid_token"'))
    return Caller("api_key", account_id=account["id"])


def _challenge(state, extra: str = "") -> dict:
    # RFC 9728 §5.1: the challenge points at the protected resource metadata.
    metadata = f'resource_metadata="{state.config.root_url}/.well-known/oauth-protected-resource/v2"'
    parts = ['realm="telnyx-sandbox"', extra, metadata]
    return {"WWW-Authenticate": "Bearer " + ", ".join(p for p in parts if p)}


class InsufficientScope(WireError):
    """RFC 6750 §3.1 ``insufficient_scope``: a 403 that also carries the RFC error code in its body."""

    def body(self) -> dict:
        body = super().body()
        body["error"] = "insufficient_scope"
        body["error_description"] = rfc_text(self.detail)
        return body


def enforce(state) -> None:
    """The one check: the rule of this request's endpoint against its caller (401 / 403, or nothing)."""
    rule = rule_for(request.endpoint)
    if rule == PUBLIC or request.method == "OPTIONS":  # Flask's automatic OPTIONS lists methods, runs no view
        return
    caller = identify(state)
    if caller is None:
        raise WireError(401, "Send 'Authorization: Bearer <API key>' (the sandbox prints its key on start) or "
                            "a Bearer access token whose scope includes admin.", headers=_challenge(state))
    if rule == MANAGER_KEY:
        if caller.is_manager_key:
            return
        raise WireError(403, "Only the manager account's own API key lists and reads managed accounts: not a managed "
                             "account's key, not an OAuth access token.", title="Manager account key required")
    if rule == ADMIN and caller.is_admin:
        return
    if rule == OWN_ADMIN and caller.is_admin:
        if caller.account_id == OWN_ACCOUNT:
            return
        raise WireError(403, "Armed faults change the whole sandbox: only the sandbox's own account (its printed "
                             "API key, or an admin token of one of its clients) arms them, not a managed account.",
                        title="Sandbox account required")
    if caller.kind == "token" and not caller.acts_for_account:
        raise WireError(403, "This client registered itself (open registration, RFC 7591) and owns no account: its "
                             "client_credentials token reaches no account's management API, whatever its scope. "
                             "Use the API key, or a token a user granted it on the consent page "
                             "(authorization_code).", title="Client owns no account")
    if rule == USER_ADMIN and caller.is_user_admin:
        return
    if rule == USER_ADMIN and caller.is_admin:
        detail = ("A client_credentials token cannot decide a consent (no client may approve its own): use the "
                  "API key or an admin token issued to the user (authorization_code / refresh_token).")
    else:
        detail = ("This token's scope does not include admin: management, fault injection and consent decisions "
                  "need the API key or an access token with the admin scope (RFC 6750 section 3.1).")
    raise InsufficientScope(403, detail, headers=_challenge(state, 'error="insufficient_scope", scope="admin"'))


def owned(caller: Caller, row: dict | None) -> dict | None:
    """A client or grant row if it belongs to the caller's account, else None: another account's object answers
    exactly like one that does not exist (404), so its existence is not disclosed either."""
    if row is None or row.get("account_id", OWN_ACCOUNT) != caller.account_id:
        return None
    return row


def list_scope(state, caller: Caller) -> str | None:
    """The account a list is filtered to, or None when the sandbox manages no accounts (every row is the own
    account's, so the lists keep their unfiltered fast path)."""
    if caller.account_id == OWN_ACCOUNT and not state.store.has_fleet():
        return None
    return caller.account_id


def may_introspect(caller_client_id: str | None, token_client_id: str, *, sees_all: bool) -> bool:
    """RFC 7662 §4: a client learns only about its own tokens; the account owner (API key / admin) about all."""
    return sees_all or (caller_client_id is not None and caller_client_id == token_client_id)

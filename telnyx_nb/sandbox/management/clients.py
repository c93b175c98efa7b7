"""``oauth_clients``: create, list, get, update and delete OAuth clients (both path spellings, docs/contract.md), and
the sandbox-only admin route that sets ``verified`` (what Telnyx does when it verifies an app).

Every call needs ``Authorization: Bearer <api key>`` or a live access token whose scope includes ``admin``
(``policy.access``, docs/security.md), and sees only its account's clients (another account's is a 404). Bodies
and query parameters are checked against ``policy.schema``; lists take ``page[number]`` (>= 1) and ``page[size]``
(1–100) and answer with exact ``meta``.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from telnyx_nb.sandbox.http.messages import json_body, json_response
from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.state import sandbox_state
from telnyx_nb.sandbox.http.wire_errors import WireError
from telnyx_nb.sandbox.management.paging import LAST_PAGE, page_of
from telnyx_nb.sandbox.policy import access, schema, validation

blueprint = Blueprint("clients", __name__)


def client_json(client: dict, secret: str | None = None) -> dict:
    body = {
        "record_type": "oauth_client", "client_id": client["client_id"], "name": client["name"],
        "org_id": client["org_id"], "user_id": client["user_id"], "client_type": client["client_type"],
        "require_pkce": client["require_pkce"], "verified": client["verified"],
        "allowed_grant_types": client["allowed_grant_types"], "allowed_scopes": client["allowed_scopes"],
        "redirect_uris": client["redirect_uris"], "logo_uri": client["logo_uri"],
        "policy_uri": client["policy_uri"], "tos_uri": client["tos_uri"],
        "created_at": client["created_at"], "updated_at": client["updated_at"],
    }
    if secret:
        body["client_secret"] = secret  # only when available: a confidential client, on create
    return body


def _client_filters(values: dict) -> dict:
    names = {"filter[client_type]": "client_type", "filter[name]": "name", "filter[name][contains]": "name_contains",
             "filter[client_id]": "client_id", "filter[allowed_grant_types][contains]": "grant_type",
             "filter[verified]": "verified"}
    return {name: values[key] for key, name in names.items() if key in values}


def _missing(client_id: str, parameter: str = "id") -> WireError:
    return WireError(404, f"No oauth_client with client_id {client_id!r}.", parameter=parameter)


@v2_route(blueprint, "/oauth_clients", ["GET", "POST"], spellings=("/oauth/clients",))
def clients_collection():
    state = sandbox_state()
    access.enforce(state)
    if request.method == "POST":
        fields = schema.check_create(json_body(), state.config.scopes.names)
        client, secret = state.store.create_client(fields, state.config.org_id, state.config.user_id,
                                                   access.identify(state).account_id)
        # The one answer holding client_secret: no cache may keep it (as RFC 6749 section 5.1 asks of tokens).
        return json_response({"data": client_json(client, secret)}, 201,
                             {"Cache-Control": "no-store", "Pragma": "no-cache"})
    values, number, size = page_of(request.args, "clients")
    filters = _client_filters(values)
    account_id = access.list_scope(state, access.identify(state))
    if account_id is not None:
        filters["account_id"] = account_id
    rows, total = state.store.list_clients(filters, min(number, LAST_PAGE), size)
    return json_response({"data": [client_json(c) for c in rows], "meta": validation.page_meta(number, size, total)})


@v2_route(blueprint, "/oauth_clients/<client_id>", ["GET", "PUT", "DELETE"], spellings=("/oauth/clients/<client_id>",))
def client_item(client_id):
    state = sandbox_state()
    access.enforce(state)
    store = state.store
    current = access.owned(access.identify(state), store.get_client(client_id))
    if current is None:
        raise _missing(client_id)
    if request.method == "DELETE":
        if not store.delete_client(client_id):
            raise _missing(client_id)
        return Response(status=204)
    if request.method == "PUT":
        fields = schema.check_update(json_body(), current, state.config.scopes.names)
        current = store.update_client(client_id, fields) if fields else current
        if current is None:
            raise _missing(client_id)
    return json_response({"data": client_json(current)})


# ----- sandbox-only administration (docs/contract.md) -----------------------------------------------------------
@blueprint.route("/_sandbox/clients/<client_id>/verified", methods=["PUT"])
def client_verified(client_id):
    """What Telnyx does when it verifies an app: ``verified`` is never set by a create/update body."""
    state = sandbox_state()
    access.enforce(state)
    if access.owned(access.identify(state), state.store.get_client(client_id)) is None:
        raise _missing(client_id, "client_id")
    verified = schema.check_body("VerifiedUpdate", json_body())["verified"]
    client = state.store.update_client(client_id, {"verified": verified})
    if client is None:
        raise _missing(client_id, "client_id")
    return json_response({"data": client_json(client)})

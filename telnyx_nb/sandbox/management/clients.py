"""Management routes: oauth_clients CRUD, oauth_grants list/get/revoke (both path spellings), the sandbox-only
admin route that sets ``verified``, and faults (docs/contract.md).

Every call needs ``Authorization: Bearer <api key>`` or a live access token whose scope includes ``admin``
(``access.py``, docs/security.md). Bodies and query
parameters are checked against ``schema.py``; lists take ``page[number]`` (>= 1) and ``page[size]`` (1–100) and
answer with exact ``meta``.
"""

from __future__ import annotations

from flask import Response, request

from telnyx_nb.sandbox.policy import schema, validation
from telnyx_nb.sandbox.web.faults import parse_fault
from telnyx_nb.sandbox.web.http_errors import WireError
from telnyx_nb.sandbox.web.messages import json_body, json_response, require_api_auth


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


def grant_json(grant: dict) -> dict:
    return {"record_type": "oauth_grant", "id": grant["id"], "client_id": grant["client_id"],
            "user_id": grant["user_id"], "scopes": grant["scopes"], "created_at": grant["created_at"],
            "last_used_at": grant["last_used_at"]}


# Far past any real page; keeps the SQL OFFSET inside sqlite's 64-bit integers for any page[number] >= 1.
_LAST_PAGE = 2**40


def _page(args, query: str) -> tuple[dict, int, int]:
    values = schema.check_query(query, args)
    return values, values["page[number]"], values["page[size]"]


def _client_filters(values: dict) -> dict:
    names = {"filter[client_type]": "client_type", "filter[name]": "name", "filter[name][contains]": "name_contains",
             "filter[client_id]": "client_id", "filter[allowed_grant_types][contains]": "grant_type",
             "filter[verified]": "verified"}
    return {name: values[key] for key, name in names.items() if key in values}


def register(app, state, route) -> None:
    store = state.store

    @route("/oauth_grants", ["GET"], spellings=["/oauth/grants"])
    def grants_collection():
        require_api_auth(state)
        _, number, size = _page(request.args, "grants")
        rows, total = store.list_grants(min(number, _LAST_PAGE), size)
        return json_response({"data": [grant_json(g) for g in rows],
                              "meta": validation.page_meta(number, size, total)})

    @route("/oauth_grants/<grant_id>", ["GET", "DELETE"], spellings=["/oauth/grants/<grant_id>"])
    def grant_item(grant_id):
        require_api_auth(state)
        if request.method == "DELETE":
            grant = store.revoke_grant(grant_id)
        else:
            grant = store.get_grant(grant_id)
        if grant is None:
            raise WireError(404, f"No oauth_grant with id {grant_id!r} (it may have been revoked).", parameter="id")
        return json_response({"data": grant_json(grant)})

    # ----- clients -------------------------------------------------------------------------------------------------
    @route("/oauth_clients", ["GET", "POST"], spellings=["/oauth/clients"])
    def clients_collection():
        require_api_auth(state)
        if request.method == "POST":
            fields = schema.check_create(json_body(), state.config.scopes.names)
            client, secret = store.create_client(fields, state.config.org_id, state.config.user_id)
            # The one answer holding client_secret: no cache may keep it (as RFC 6749 section 5.1 asks of tokens).
            return json_response({"data": client_json(client, secret)}, 201,
                                 {"Cache-Control": "no-store", "Pragma": "no-cache"})
        values, number, size = _page(request.args, "clients")
        rows, total = store.list_clients(_client_filters(values), min(number, _LAST_PAGE), size)
        return json_response({"data": [client_json(c) for c in rows],
                              "meta": validation.page_meta(number, size, total)})

    @route("/oauth_clients/<client_id>", ["GET", "PUT", "DELETE"], spellings=["/oauth/clients/<client_id>"])
    def client_item(client_id):
        require_api_auth(state)
        current = store.get_client(client_id)
        missing = WireError(404, f"No oauth_client with client_id {client_id!r}.", parameter="id")
        if current is None:
            raise missing
        if request.method == "DELETE":
            if not store.delete_client(client_id):
                raise missing
            return Response(status=204)
        if request.method == "PUT":
            fields = schema.check_update(json_body(), current, state.config.scopes.names)
            current = store.update_client(client_id, fields) if fields else current
            if current is None:
                raise missing
        return json_response({"data": client_json(current)})

    # ----- sandbox-only administration (docs/contract.md) -------------------------------------------------------
    @app.route("/_sandbox/clients/<client_id>/verified", methods=["PUT"])
    def client_verified(client_id):
        """What Telnyx does when it verifies an app: ``verified`` is never set by a create/update body."""
        require_api_auth(state)
        if store.get_client(client_id) is None:
            raise WireError(404, f"No oauth_client with client_id {client_id!r}.", parameter="client_id")
        verified = schema.check_body("VerifiedUpdate", json_body())["verified"]
        client = store.update_client(client_id, {"verified": verified})
        if client is None:
            raise WireError(404, f"No oauth_client with client_id {client_id!r}.", parameter="client_id")
        return json_response({"data": client_json(client)})

    # ----- fault injection (ARCHITECTURE.md) ----------------------------------------------------------------------
    @app.route("/_sandbox/faults", methods=["GET", "POST", "DELETE"])
    def faults():
        require_api_auth(state)
        if request.method == "POST":
            fault = parse_fault(json_body())
            state.faults.add(fault)
            return json_response({"data": fault.as_dict()}, 201)
        if request.method == "DELETE":
            state.faults.clear()
            return Response(status=204)
        return json_response({"data": state.faults.list()})

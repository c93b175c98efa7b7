"""Management routes: oauth_clients CRUD, oauth_grants list/get/revoke (both path spellings), and faults.

Every call needs ``Authorization: Bearer <api key>`` or a live access token from this sandbox. Lists take
``page[number]``/``page[size]`` (1–250) and answer with exact ``meta``; clients take every WIRE.md filter.
"""

from __future__ import annotations

from flask import Response, request

from . import validation
from .errors import ApiError
from .faults import parse_fault
from .web import json_body, json_response, require_api_auth


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
        body["client_secret"] = secret  # only on create (WIRE.md row 11)
    return body


def grant_json(grant: dict) -> dict:
    return {"record_type": "oauth_grant", "id": grant["id"], "client_id": grant["client_id"],
            "user_id": grant["user_id"], "scopes": grant["scopes"], "created_at": grant["created_at"],
            "last_used_at": grant["last_used_at"]}


def register(app, state, route) -> None:
    store = state.store

    @route("/oauth_grants", ["GET"], spellings=["/oauth/grants"])
    def grants_collection():
        require_api_auth(state)
        number, size = validation.page_params(request.args)
        rows, total = store.list_grants(number, size)
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
            raise ApiError(404, f"No oauth_grant with id {grant_id!r} (it may have been revoked).", parameter="id")
        return json_response({"data": grant_json(grant)})

    # ----- clients -------------------------------------------------------------------------------------------------
    @route("/oauth_clients", ["GET", "POST"], spellings=["/oauth/clients"])
    def clients_collection():
        require_api_auth(state)
        if request.method == "POST":
            fields = validation.client_fields(json_body(), creating=True)
            client, secret = store.create_client(fields, state.org_id, state.user_id)
            # The one answer holding client_secret: no cache may keep it (as RFC 6749 section 5.1 asks of tokens).
            return json_response({"data": client_json(client, secret)}, 201,
                                 {"Cache-Control": "no-store", "Pragma": "no-cache"})
        filters = validation.client_filters(request.args)
        number, size = validation.page_params(request.args)
        rows, total = store.list_clients(filters, number, size)
        return json_response({"data": [client_json(c) for c in rows],
                              "meta": validation.page_meta(number, size, total)})

    @route("/oauth_clients/<client_id>", ["GET", "PUT", "DELETE"], spellings=["/oauth/clients/<client_id>"])
    def client_item(client_id):
        require_api_auth(state)
        current = store.get_client(client_id)
        missing = ApiError(404, f"No oauth_client with client_id {client_id!r}.", parameter="id")
        if current is None:
            raise missing
        if request.method == "DELETE":
            if not store.delete_client(client_id):
                raise missing
            return Response(status=204)
        if request.method == "PUT":
            fields = validation.client_fields(json_body(), creating=False, current=current)
            current = store.update_client(client_id, fields) if fields else current
            if current is None:
                raise missing
        return json_response({"data": client_json(current)})

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

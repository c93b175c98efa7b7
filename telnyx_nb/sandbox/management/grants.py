"""``oauth_grants``: list, get and revoke a user's grants (both path spellings, docs/contract.md).

Every call needs the API key or an admin token (``policy.access``) and sees only its account's grants; a revoked
grant, like another account's, is gone (404).
"""

from __future__ import annotations

from flask import Blueprint, request

from telnyx_nb.sandbox.http.messages import json_response
from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.state import sandbox_state
from telnyx_nb.sandbox.http.wire_errors import WireError
from telnyx_nb.sandbox.management.paging import LAST_PAGE, page_of
from telnyx_nb.sandbox.policy import access, validation

blueprint = Blueprint("grants", __name__)


def grant_json(grant: dict) -> dict:
    return {"record_type": "oauth_grant", "id": grant["id"], "client_id": grant["client_id"],
            "user_id": grant["user_id"], "scopes": grant["scopes"], "created_at": grant["created_at"],
            "last_used_at": grant["last_used_at"]}


@v2_route(blueprint, "/oauth_grants", ["GET"], spellings=("/oauth/grants",))
def grants_collection():
    state = sandbox_state()
    access.enforce(state)
    _, number, size = page_of(request.args, "grants")
    account_id = access.list_scope(state, access.identify(state))
    rows, total = state.store.list_grants(min(number, LAST_PAGE), size, account_id)
    return json_response({"data": [grant_json(g) for g in rows], "meta": validation.page_meta(number, size, total)})


@v2_route(blueprint, "/oauth_grants/<grant_id>", ["GET", "DELETE"], spellings=("/oauth/grants/<grant_id>",))
def grant_item(grant_id):
    state = sandbox_state()
    access.enforce(state)
    grant = access.owned(access.identify(state), state.store.get_grant(grant_id))
    if grant is not None and request.method == "DELETE":
        grant = state.store.revoke_grant(grant_id)
    if grant is None:
        raise WireError(404, f"No oauth_grant with id {grant_id!r} (it may have been revoked).", parameter="id")
    return json_response({"data": grant_json(grant)})

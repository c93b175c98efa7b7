"""``managed_accounts``: a manager account lists the accounts it manages and reads one, with its API key, as Telnyx
publishes them (docs/contract.md, "Managed accounts").

Only the manager's own API key may call them (``policy.access``: ``MANAGER_KEY``; a managed account's key or any
token: 403). The list takes ``page[number]`` / ``page[size]`` like the other lists, ``filter[email][contains]``,
``filter[organization_name][contains]`` (case-insensitive substrings), ``sort`` (``created_at`` default,
``-created_at``, ``email``, ``-email``) and ``include_cancelled_accounts`` (cancelled accounts are left out unless
``true``). A bad value is a 422 naming the parameter (``source.parameter``). The accounts live in
``store/accounts.py``; a fleet seed makes them (``store/fleet.py``).
"""

from __future__ import annotations

from flask import Blueprint, request

from telnyx_nb.sandbox.http.messages import json_response
from telnyx_nb.sandbox.http.routing import v2_route
from telnyx_nb.sandbox.http.state import sandbox_state
from telnyx_nb.sandbox.http.wire_errors import WireError
from telnyx_nb.sandbox.management.paging import LAST_PAGE
from telnyx_nb.sandbox.policy import access, schema, validation

blueprint = Blueprint("managed_accounts", __name__)

_TIME = {"type": "string", "format": "date-time"}
# The objects as web/openapi.py documents them (components.schemas).
OPENAPI_SCHEMAS = {
    "ManagedAccount": {
        "type": "object",
        "required": ["record_type", "id", "email", "api_user", "manager_account_id", "created_at", "updated_at"],
        "properties": {
            "record_type": {"const": "managed_account"}, "id": {"type": "string", "format": "uuid"},
            "email": {"type": "string"}, "api_user": {"type": "string"}, "manager_account_id": {"type": "string"},
            "organization_name": {"type": ["string", "null"]}, "rollup_billing": {"type": "boolean"},
            "managed_account_allow_custom_pricing": {"type": "boolean"}, "created_at": _TIME, "updated_at": _TIME,
        },
    },
}
OPENAPI_SCHEMAS["ManagedAccountWithKey"] = {
    "allOf": [{"$ref": "#/components/schemas/ManagedAccount"}, {
        "type": "object", "required": ["api_key", "api_token", "balance"],
        "properties": {"api_key": {"type": "string", "description": "the managed account's V2 API key"},
                       "api_token": {"type": "string"},
                       "balance": {"type": "string", "description": "a decimal amount, e.g. '0.00'"}}}]}


def managed_account_json(account: dict) -> dict:
    """The published managed_account object (list and retrieve alike)."""
    return {
        "record_type": "managed_account", "id": account["id"], "email": account["email"],
        "api_user": account["api_user"], "manager_account_id": account["manager_account_id"],
        "organization_name": account["organization_name"], "rollup_billing": bool(account["rollup_billing"]),
        "managed_account_allow_custom_pricing": bool(account["allow_custom_pricing"]),
        "created_at": account["created_at"], "updated_at": account["updated_at"],
    }


def _query() -> dict:
    """The checked query of the list; Telnyx answers a bad value with 422 (the managed-accounts document)."""
    try:
        return schema.check_query("managed_accounts", request.args)
    except WireError as exc:
        raise WireError(422, exc.detail, parameter=exc.parameter) from None


@v2_route(blueprint, "/managed_accounts", ["GET"])
def managed_accounts_collection():
    state = sandbox_state()
    access.enforce(state)
    values = _query()
    number, size = values["page[number]"], values["page[size]"]
    rows, total = state.store.list_accounts(
        email=values.get("filter[email][contains]"), organization=values.get("filter[organization_name][contains]"),
        sort=values["sort"], cancelled=values["include_cancelled_accounts"], page=min(number, LAST_PAGE), size=size)
    return json_response({"data": [managed_account_json(a) for a in rows],
                          "meta": validation.page_meta(number, size, total)})


@v2_route(blueprint, "/managed_accounts/<account_id>", ["GET"])
def managed_account_item(account_id):
    """One managed account with its V2 ``api_key``, ``api_token`` and ``balance`` (a decimal string)."""
    state = sandbox_state()
    access.enforce(state)
    account = state.store.account(account_id, secrets=True)
    if account is None:  # every stored account is the sandbox's own account's (the one manager)
        raise WireError(404, f"No managed_account with id {account_id!r} managed by this account.", parameter="id")
    body = {**managed_account_json(account), "api_key": account["api_key"], "api_token": account["api_token"],
            "balance": account["balance"]}
    # The answer holds the account's API key: no cache may keep it (as RFC 6749 section 5.1 asks of tokens).
    return json_response({"data": body}, 200, {"Cache-Control": "no-store", "Pragma": "no-cache"})

"""The Telnyx OAuth wire vocabulary, as the client side reads Telnyx's published contract — in one place.

Telnyx's OpenAPI documents for ``oauth_clients``, ``oauth_grants`` and discovery fix the names below: the enums
a body may carry, the page bounds of the list endpoints, which fields of ``oauth_client`` / ``oauth_grant`` are
always there and which may be ``null``, and the two error shapes a server may answer with. The records, the
DataFrames, the widgets and the audit import these names instead of keeping their own copies, so a change in the
contract is a change here. ``docs/contract.md`` describes the contract in prose; this module is what the client
code reads. It imports nothing heavy (no requests, no pandas), so any layer may use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeGuard

from telnyx_nb.core.errors import ConfigurationError

__all__ = [
    "AUTHORIZATION_CODE",
    "CLIENT_CREATE_OPTIONAL",
    "CLIENT_CREATE_REQUIRED",
    "CLIENT_CREDENTIALS",
    "CLIENT_FILTERS",
    "CLIENT_NULLABLE",
    "CLIENT_OBJECT_FIELDS",
    "CLIENT_OPTIONAL",
    "CLIENT_RECORD_TYPE",
    "CLIENT_REQUIRED",
    "CLIENT_SERVER_OWNED",
    "CLIENT_TYPES",
    "CLIENT_UPDATE_FIELDS",
    "CODE_CHALLENGE_METHODS",
    "CONFIDENTIAL",
    "DEFAULT_PAGE_SIZE",
    "ERROR_OBJECT_FIELDS",
    "ERROR_SOURCE_FIELDS",
    "GRANT_NULLABLE",
    "GRANT_OBJECT_FIELDS",
    "GRANT_RECORD_TYPE",
    "GRANT_REQUIRED",
    "GRANT_TYPES",
    "MAX_PAGE_SIZE",
    "MIN_PAGE_SIZE",
    "OAUTH_ERROR_FIELDS",
    "PAGE_META_FIELDS",
    "MANAGED_ACCOUNT_FIELDS",
    "MANAGED_ACCOUNT_FILTERS",
    "MANAGED_ACCOUNT_INCLUDE_CANCELLED",
    "MANAGED_ACCOUNT_RECORD_TYPE",
    "MANAGED_ACCOUNT_SECRETS",
    "MANAGED_ACCOUNT_SORT",
    "MANAGED_ACCOUNT_SORT_FIELDS",
    "PAGE_NUMBER",
    "PAGE_SIZE",
    "PUBLIC",
    "PUBLISHED_SCOPE_DESCRIPTIONS",
    "REFRESH_TOKEN",
    "REGISTRATION_FIELDS",
    "RESPONSE_TYPES",
    "SERVER_DEFAULT_PAGE_SIZE",
    "TOKEN_ENDPOINT_AUTH_METHODS",
    "TOKEN_TYPE_HINTS",
    "ErrorBody",
    "check_page_number",
    "check_page_size",
    "published_scopes",
    "read_error_body",
]

# -- enums ---------------------------------------------------------------------------------------------------
# allowed_grant_types of oauth_client, grant_type of POST /oauth/token (RFC 6749 §4.1.3, §4.4.2, §6)
GRANT_TYPES: tuple[str, ...] = ("client_credentials", "authorization_code", "refresh_token")
CLIENT_CREDENTIALS, AUTHORIZATION_CODE, REFRESH_TOKEN = GRANT_TYPES
# client_type of oauth_client (RFC 6749 §2.1)
CLIENT_TYPES: tuple[str, ...] = ("public", "confidential")
PUBLIC, CONFIDENTIAL = CLIENT_TYPES
RESPONSE_TYPES: tuple[str, ...] = ("code",)  # GET /oauth/authorize response_type, RFC 7591 response_types
TOKEN_ENDPOINT_AUTH_METHODS: tuple[str, ...] = ("none", "client_secret_basic", "client_secret_post")  # RFC 7591 §2
CODE_CHALLENGE_METHODS: tuple[str, ...] = ("S256", "plain")  # RFC 7636 §4.3
TOKEN_TYPE_HINTS: tuple[str, ...] = ("access_token", "refresh_token")  # RFC 7009 §2.1

# -- scopes ------------------------------------------------------------------------------------------------------
# What each scope Telnyx publishes means, in Telnyx's words: its OAuth security scheme names one scope, for both the
# authorization-code and the client-credentials flows. The metadata document (RFC 8414 §2 ``scopes_supported``)
# carries names only, so this is where a name gets its description. It is NOT what a picker offers: panels and the
# audit offer what the server's ``scopes_supported`` says, and a name missing here is "not published by Telnyx".
PUBLISHED_SCOPE_DESCRIPTIONS: dict[str, str] = {"admin": "Administrative access to Telnyx resources"}


def published_scopes(names: Any) -> tuple[str, ...]:
    """The names among ``names`` (e.g. a server's ``scopes_supported``) that Telnyx publishes, in their order —
    what a client should ask for when it means to work against a real Telnyx account too."""
    return tuple(n for n in dict.fromkeys(names or ()) if n in PUBLISHED_SCOPE_DESCRIPTIONS)

# -- pagination (GET /oauth_clients, GET /oauth_grants) -------------------------------------------------------
PAGE_NUMBER = "page[number]"  # integer >= 1, default 1
PAGE_SIZE = "page[size]"  # integer 1..100, default 20; a value out of range is a 4xx
MIN_PAGE_SIZE = 1
MAX_PAGE_SIZE = 100
SERVER_DEFAULT_PAGE_SIZE = 20  # what the server uses when page[size] is left out
# What this client asks for unless told otherwise: the documented maximum, so an account is read in the fewest
# requests the contract allows.
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE
PAGE_META_FIELDS: tuple[str, ...] = ("page_number", "page_size", "total_pages", "total_results")


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def check_page_size(value: Any, parameter: str = "page_size") -> int:
    """``value`` if it is a page size the contract allows (a whole number from 1 to 100), else
    ``ConfigurationError`` naming the parameter and the limit — before any request is sent."""
    if not _whole(value) or not MIN_PAGE_SIZE <= value <= MAX_PAGE_SIZE:
        raise ConfigurationError(
            f"{parameter} must be a whole number from {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE} (Telnyx documents "
            f"{PAGE_SIZE} as {MIN_PAGE_SIZE}–{MAX_PAGE_SIZE}), got {value!r}; leave it out for {DEFAULT_PAGE_SIZE}"
        )
    return value


def check_page_number(value: Any, parameter: str = "page_number") -> int:
    """``value`` if it is a page number the contract allows (a whole number >= 1), else ``ConfigurationError``."""
    if not _whole(value) or value < 1:
        raise ConfigurationError(f"{parameter} must be a whole number >= 1 ({PAGE_NUMBER}), got {value!r}")
    return value


# -- objects ---------------------------------------------------------------------------------------------------
CLIENT_RECORD_TYPE = "oauth_client"
GRANT_RECORD_TYPE = "oauth_grant"

# oauth_client: always present in an answer …
CLIENT_REQUIRED: tuple[str, ...] = ("record_type", "client_id", "name", "org_id", "user_id", "client_type",
                                    "require_pkce", "created_at", "updated_at")
# … present as lists when the server sends them …
CLIENT_OPTIONAL: tuple[str, ...] = ("allowed_grant_types", "allowed_scopes", "redirect_uris")
# … `string | null`; client_secret is also absent except when creating a confidential client
CLIENT_NULLABLE: tuple[str, ...] = ("client_secret", "logo_uri", "policy_uri", "tos_uri")
# not in the published object, yet filter[verified] exists: set by Telnyx, never by a body; absent → unknown
CLIENT_SERVER_OWNED: tuple[str, ...] = ("verified",)
CLIENT_OBJECT_FIELDS: tuple[str, ...] = CLIENT_REQUIRED + CLIENT_OPTIONAL + CLIENT_NULLABLE + CLIENT_SERVER_OWNED

# POST /oauth_clients body (additionalProperties: false)
CLIENT_CREATE_REQUIRED: tuple[str, ...] = ("name", "allowed_scopes", "client_type", "allowed_grant_types")
CLIENT_CREATE_OPTIONAL: tuple[str, ...] = ("redirect_uris", "require_pkce", "logo_uri", "policy_uri", "tos_uri")
# PUT /oauth_clients/{id} body (additionalProperties: false): the create fields minus client_type, all optional
CLIENT_UPDATE_FIELDS: tuple[str, ...] = ("name", "allowed_grant_types", "allowed_scopes", "redirect_uris",
                                         "require_pkce", "logo_uri", "policy_uri", "tos_uri")

# keyword of TelnyxOAuth.list_clients() → query parameter of GET /oauth_clients
CLIENT_FILTERS: dict[str, str] = {
    "client_type": "filter[client_type]",
    "name": "filter[name]",
    "name_contains": "filter[name][contains]",
    "client_id": "filter[client_id]",
    "grant_type": "filter[allowed_grant_types][contains]",
    "allowed_grant_types_contains": "filter[allowed_grant_types][contains]",
    "verified": "filter[verified]",
}

# oauth_grant
GRANT_REQUIRED: tuple[str, ...] = ("id", "record_type", "client_id", "scopes", "created_at")
GRANT_NULLABLE: tuple[str, ...] = ("last_used_at",)  # null: never used
GRANT_OBJECT_FIELDS: tuple[str, ...] = GRANT_REQUIRED + GRANT_NULLABLE

# POST /oauth/register body (RFC 7591 §2), all optional
REGISTRATION_FIELDS: tuple[str, ...] = ("client_name", "grant_types", "redirect_uris", "response_types", "scope",
                                        "token_endpoint_auth_method", "logo_uri", "policy_uri", "tos_uri")

# -- errors ----------------------------------------------------------------------------------------------------
# The published oauth_Error (400, 401, 404, 422 on every OAuth endpoint; RFC 6749 §5.2 on the RFC endpoints) …
OAUTH_ERROR_FIELDS: tuple[str, ...] = ("error", "error_description")
# … and Telnyx's general error list {"errors": [{code, title, detail, source: {pointer | parameter}}]}.
# A server may send either, or both in one body.
ERROR_OBJECT_FIELDS: tuple[str, ...] = ("code", "title", "detail", "source")
ERROR_SOURCE_FIELDS: tuple[str, ...] = ("pointer", "parameter")  # JSON pointer into the body / query parameter


@dataclass(frozen=True)
class ErrorBody:
    """What an error answer says, whichever shape it came in (all ``None``/empty when the body is neither)."""

    code: str | None = None
    title: str | None = None
    detail: str | None = None
    error: str | None = None
    error_description: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    pointers: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for an exception message: the first error object, the oauth_Error (when it adds anything),
        and the fields named (``/name``, ``page[size]``)."""
        parts = [self.code and f"[{self.code}]", self.title, self.detail]
        if self.error:
            parts.append(self.error)
        if self.error_description and self.error_description not in (self.detail, self.title):
            parts.append(self.error_description)
        text = ": ".join(p for p in parts if p)
        named = [p for p in dict.fromkeys(self.pointers) if p not in text]
        if named:
            text += f" (field{'s' if len(named) > 1 else ''} {', '.join(named)})"
        if len(self.errors) > 1:
            text += f" (+{len(self.errors) - 1} more error{'s' if len(self.errors) > 2 else ''})"
        return text


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def read_error_body(body: Any) -> ErrorBody:
    """Read an error answer in either published shape — ``oauth_Error`` ``{"error", "error_description"}`` (with
    ``invalid_fields`` on a registration error), Telnyx's ``{"errors": [...]}`` — or both at once. Anything else
    reads as an empty ``ErrorBody``."""
    if not isinstance(body, dict):
        return ErrorBody()
    raw_errors = body.get("errors")
    errors = [e for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
    pointers: list[str] = []
    for item in errors:
        source = item.get("source")
        if isinstance(source, dict):
            named = source.get("pointer") or source.get("parameter")
            if isinstance(named, str) and named:
                pointers.append(named)
    invalid_fields = body.get("invalid_fields")  # Telnyx's /oauth/register 400 lists the fields to fix here
    if isinstance(invalid_fields, list):
        pointers.extend(name for name in invalid_fields if isinstance(name, str) and name)
    first = errors[0] if errors else {}
    error = body.get("error") if isinstance(body.get("error"), str) else None
    return ErrorBody(
        code=_text(first.get("code")),
        title=_text(first.get("title")),
        detail=_text(first.get("detail")),
        error=error,
        error_description=_text(body.get("error_description")) if error or "error_description" in body else None,
        errors=errors,
        pointers=pointers,
    )


# -- managed accounts (GET /managed_accounts, GET /managed_accounts/{id}) ---------------------------------------
MANAGED_ACCOUNT_RECORD_TYPE = "managed_account"
# the listed object (every field the list answer carries); the single-account answer adds MANAGED_ACCOUNT_SECRETS
# and ``balance``
MANAGED_ACCOUNT_FIELDS: tuple[str, ...] = ("record_type", "id", "email", "api_user", "manager_account_id",
                                           "created_at", "updated_at", "organization_name", "rollup_billing",
                                           "managed_account_allow_custom_pricing")
MANAGED_ACCOUNT_SECRETS: tuple[str, ...] = ("api_key", "api_token")  # the managed account's own credentials
# keyword → query parameter of GET /managed_accounts
MANAGED_ACCOUNT_FILTERS: dict[str, str] = {
    "email_contains": "filter[email][contains]",
    "organization_name_contains": "filter[organization_name][contains]",
}
MANAGED_ACCOUNT_SORT = "sort"
MANAGED_ACCOUNT_SORT_FIELDS: tuple[str, ...] = ("created_at", "email")  # ascending; "-" first: descending
MANAGED_ACCOUNT_INCLUDE_CANCELLED = "include_cancelled_accounts"

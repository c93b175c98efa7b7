"""Lifetimes, supported grant types and client authentication methods, and the wording of OAuth errors.

One place for the numbers and words the Authlib wiring, the validation, the metadata document and the OpenAPI
document all share.
"""

from __future__ import annotations

ACCESS_TOKEN_LIFETIME = 3600  # seconds
REFRESH_TOKEN_LIFETIME = 30 * 86400
CODE_LIFETIME = 600  # RFC 6749 §4.1.2 recommends at most 10 minutes
CONSENT_LIFETIME = 600
# RFC 9700 §4.14.2: a spent refresh token presented again more than this many seconds after its redemption is a
# reuse: the whole family is revoked. Within it, the token is taken for the loser of a race between two legitimate
# requests (refused; the family lives). Default 0, strict: every reuse revokes. The trade-off of a grace (the option
# ``refresh_reuse_grace``): two tabs or a retry no longer log the user out, but a thief who redeems a stolen token
# first wins — the real client's later reuse inside the window is refused while the thief's family lives on.
REFRESH_REUSE_GRACE = 0.0
# What a stranger can make the sandbox hold (docs/security.md, "Junk tokens"; benchmarks/junk_tokens.py). The
# sandbox's own tokens are about 1 kB (an RS256 JWT) or 64 characters (a refresh token): anything longer is junk,
# refused before any verification or lookup.
MAX_TOKEN_LENGTH = 4096  # characters
MAX_BODY_BYTES = 64 * 1024  # a request body the app reads; the largest real one (a client) is a few kB
MAX_BUFFERED_BODY_BYTES = 1024 * 1024  # what the HTTP server buffers before the app refuses it (413 beyond)
MAX_HEADER_BYTES = 32 * 1024  # a request head (nginx's default is 4 x 8 kB): 431 beyond
# What a registered client may hold, on both paths (registration and management; docs/security.md): the answer
# echoes it, so these bound the answer too.
MAX_REDIRECT_URIS = 10
MAX_LIST_ITEMS = 10  # any other list of RFC 7591 metadata (contacts, grant_types, response_types)
GRANT_TYPES = ["authorization_code", "client_credentials", "refresh_token"]
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
REWORDED_ERRORS = ("invalid_client", "invalid_scope", "unsupported_response_type")
ERROR_DESCRIPTIONS = {
    "unsupported_grant_type": "grant_type must be one of: authorization_code, client_credentials, refresh_token.",
    "invalid_client": "Client authentication failed: send client_id and client_secret by HTTP Basic or in the "
                      "body, or client_id alone for a public client.",
    "invalid_grant": "The code or refresh token is invalid, expired, revoked or was issued to another client.",
    "invalid_scope": "The requested scope is not allowed for this client: ask only for scopes in the "
                     "client's allowed_scopes (space separated), which come from the server's scopes_supported "
                     "(Telnyx publishes only admin).",
    "unsupported_response_type": "response_type must be code (the only flow this server supports).",
    "invalid_request": "The request is missing a required parameter or has an invalid one.",
    "unsupported_token_type": "token_type_hint must be access_token or refresh_token.",
    "unauthorized_client": "This client is not allowed to use this grant type.",
    "access_denied": "The request was denied.",
    "invalid_client_metadata": "The client metadata is invalid.",
}

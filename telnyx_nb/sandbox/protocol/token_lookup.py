"""How introspection (RFC 7662) and revocation (RFC 7009) find a token: in the store, never by its signature alone,
so revoked grants, deleted clients and rotated refresh tokens count (Authlib's JWT introspection checks only the
signature)."""

from __future__ import annotations

from authlib.oauth2.rfc6749.errors import InvalidRequestError

from telnyx_nb.sandbox.policy.terms import AUTH_METHODS


class TokenLookup:
    """What introspection and revocation share: the accepted client authentications, the one required parameter,
    and the store lookup of a token of any kind."""

    CLIENT_AUTH_METHODS = AUTH_METHODS

    def check_params(self, request, client):
        # token_type_hint is only a hint (RFC 7662 section 2.1, RFC 7009 section 2.1): every kind of token is
        # searched whatever it says, so an unknown hint is ignored rather than refused (Authlib answers 401).
        if not request.form.get("token"):
            raise InvalidRequestError("token is required.")

    def query_token(self, token_string, token_type_hint):
        return self.server.find_token(token_string)

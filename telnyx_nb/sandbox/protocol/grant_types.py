"""The three token grants (RFC 6749 §4.1, §4.4, §6) and PKCE (RFC 7636) over the sandbox store.

- Each grant accepts HTTP Basic, body credentials and ``none``; ``none`` is honoured for public clients only
  (``SandboxClient.check_endpoint_auth_method``), since Authlib's ``none`` takes any client_id without a secret.
- ``CodeChallenge(required=True)`` covers ``none`` clients at the token endpoint only: ``ClientPKCE`` also enforces
  a client's ``require_pkce`` (and every public client) at the authorization endpoint (RFC 7636 §4.4.1,
  RFC 9700 §2.1.1).
- Codes and refresh tokens are looked up without side effects, then claimed atomically just before tokens are
  generated: a failed request changes nothing, and exactly one of several racing redemptions wins.
"""

from __future__ import annotations

from authlib.oauth2.base import invalid_error_characters
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidGrantError, InvalidRequestError, InvalidScopeError
from authlib.oauth2.rfc7636 import CodeChallenge

from telnyx_nb.sandbox.policy.terms import AUTH_METHODS
from telnyx_nb.sandbox.store.models import CodeRecord, SandboxUser, TokenRecord


class _StoreMixin:
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    @property
    def store(self):
        return self.server.store


class ClientPKCE(CodeChallenge):
    """RFC 7636 with the client's ``require_pkce`` (and every public client) enforced at the authorize step."""

    def validate_code_challenge(self, grant, redirect_uri):
        client = grant.request.client
        if not grant.request.payload.data.get("code_challenge") and (client.is_public
                                                                    or client.record["require_pkce"]):
            raise InvalidRequestError("This client requires PKCE: send 'code_challenge' and "
                                      "'code_challenge_method=S256' (RFC 7636 section 4.4.1).")
        return super().validate_code_challenge(grant, redirect_uri)


def unregistered_redirect_uri(redirect_uri: str) -> str:
    """What is wrong with a redirect URI the client did not register. Authlib quotes it into error_description and
    fails (ValueError, a 500) on characters that field may not hold (RFC 6749 section 4.1.2.1): the value is echoed
    only when it fits."""
    rule = "is not one of the client's registered redirect_uris (exact match, RFC 6749 section 3.1.2.3)."
    described = f"redirect_uri {redirect_uri} {rule}"
    return f"redirect_uri {rule}" if invalid_error_characters(described) else described


class AuthorizationCodeGrant(_StoreMixin, grants.AuthorizationCodeGrant):
    @staticmethod
    def validate_authorization_redirect_uri(request, client):
        redirect_uri = request.payload.redirect_uri
        if redirect_uri and not client.check_redirect_uri(redirect_uri):
            raise InvalidRequestError(unregistered_redirect_uri(redirect_uri))
        return grants.AuthorizationCodeGrant.validate_authorization_redirect_uri(request, client)

    def save_authorization_code(self, code, request):
        data = request.payload.data
        self.store.save_code(
            code, client_id=request.client.client_id, user_id=request.user.user_id,
            grant_id=request.user.grant_id, redirect_uri=data.get("redirect_uri"), scope=request.scope or "",
            code_challenge=data.get("code_challenge"),
            code_challenge_method=data.get("code_challenge_method") if data.get("code_challenge") else None,
            lifetime=self.server.config.code_ttl)

    def query_authorization_code(self, code, client):
        row = self.store.find_code(code)
        if row is None:
            return None
        if row["used_at"] is not None:
            # RFC 6749 §4.1.2: a code used twice is refused and what it issued is revoked — when its own client
            # replays it. Another client presenting it is refused without touching the owner's tokens (else
            # anyone who saw a spent code could log the user out).
            if row["client_id"] == client.client_id:
                self.store.claim_code(code, client.client_id)
            return None
        if row["client_id"] != client.client_id or row["expires_at"] <= self.store.clock.seconds():
            return None
        # Scopes the client lost between consent and redemption are not issued.
        granted = row["scope"].split()
        row["scope"] = " ".join(s for s in granted if s in client.record["allowed_scopes"])
        if granted and not row["scope"]:
            return None
        return CodeRecord(row)

    def authenticate_user(self, authorization_code):
        # The claim: of several racing redemptions exactly one gets here with a row back.
        row = self.store.claim_code(authorization_code.row["code"], self.request.client.client_id)
        if row is None:
            raise InvalidGrantError("The authorization code was already used or has expired.")
        return SandboxUser(row["user_id"], row["grant_id"], family=row["code_hash"])

    def delete_authorization_code(self, authorization_code):
        pass  # claimed in authenticate_user; kept (marked used) so a replay can be detected


class RefreshTokenGrant(_StoreMixin, grants.RefreshTokenGrant):
    INCLUDE_NEW_REFRESH_TOKEN = True  # rotation: every refresh returns a new refresh token

    def authenticate_refresh_token(self, refresh_token):
        row = self.store.token_status(refresh_token=refresh_token)
        if row is None:
            return None
        record = TokenRecord(row, "refresh_token", clock=self.store.clock)
        if record.is_expired():
            return None
        if record.is_revoked():
            if row["refresh_used"] and row["live"] and row["client_id"] == self.request.client.client_id:
                self._spent_refresh_presented(row)
            return None
        # RFC 6749 section 6: a refresh token keeps the scope originally granted (a narrower refresh narrows
        # the access token only); an omitted scope means all of it, and a later refresh may ask for it again.
        row["scope"] = self.store.family_scope(row["family"]) or row["scope"]
        record.presented = refresh_token
        return record

    def _spent_refresh_presented(self, row) -> None:
        """RFC 9700 §4.14.2: a rotated-out refresh token came back. Within ``refresh_reuse_grace`` seconds of its
        redemption it is taken for the loser of a race between two legitimate requests (refused, family kept);
        later it means two parties hold it, and the whole family (refresh and access tokens) is revoked."""
        since = self.store.clock.time() - float(row["refresh_used"])
        if since > self.server.config.refresh_reuse_grace:
            self.store.revoke_family(row["family"], row["jti"], "refresh token reuse")

    def authenticate_user(self, refresh_token):
        row = refresh_token.row
        return SandboxUser(row["user_id"], row["grant_id"], family=row["family"]) if row["user_id"] else None

    def issue_token(self, user, refresh_token):
        client = self.request.client
        requested = (self.request.payload.scope or refresh_token.get_scope() or "").split()
        # Scopes the client has since lost are dropped rather than failing the refresh (RFC 6749 section 6
        # lets the server narrow); checked before the claim so a refused request leaves the token usable.
        scope = " ".join(s for s in requested if s in client.record["allowed_scopes"])
        if requested and not scope:
            raise InvalidScopeError("None of this token's scopes is still allowed for the client.")
        # The claim: exactly one of several racing refreshes with the same token gets a new pair. A loser presented
        # a token that is spent now, as much as one that arrives a second later: the same reuse rule applies, or
        # racing the rightful holder would be a way past reuse detection.
        if self.store.claim_refresh(refresh_token.presented, client.client_id) is None:
            row = self.store.token_status(refresh_token=refresh_token.presented)
            if row is not None and row["refresh_used"] and row["live"] and row["client_id"] == client.client_id:
                self._spent_refresh_presented(row)
            raise InvalidGrantError("The refresh token was already used, revoked or has expired.")
        return self.generate_token(user=user, scope=scope or None,
                                   include_refresh_token=self.INCLUDE_NEW_REFRESH_TOKEN)

    def revoke_old_credential(self, refresh_token):
        pass  # already marked used by the claim in issue_token


class ClientCredentialsGrant(_StoreMixin, grants.ClientCredentialsGrant):
    pass

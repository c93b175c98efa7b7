"""Token endpoints (RFC 6749 §3.2, RFC 7662 introspection, RFC 7009 revocation), the JWKS and JWT checks, and
open registration (RFC 7591): a mixin of :class:`~telnyx_nb.api.client.TelnyxOAuth`; what it needs of the client
is declared by :class:`~telnyx_nb.api.session_protocol.OAuthSession`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from telnyx_nb.api.arguments import required
from telnyx_nb.api.send_loop import DEFAULT
from telnyx_nb.api.session_protocol import OAuthSession
from telnyx_nb.core import wire
from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.core.masking import remember
from telnyx_nb.core.records import JWKS, Introspection, Registration, TokenResponse, VerifiedJWT

if TYPE_CHECKING:  # joserfc loads only when a JWT is first verified
    from telnyx_nb.api.jwt import KeyCache

__all__ = ["TokenEndpoints"]


class TokenEndpoints(OAuthSession):
    """Issue, refresh, introspect and revoke tokens; fetch the keys and verify a JWT; register a client."""

    # ------------------------------------------------------------------------------------------------ tokens
    def issue_token(
        self,
        grant_type: str,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        **params: Any,
    ) -> TokenResponse:
        """``POST /oauth/token`` (RFC 6749 §3.2) with a form body; the client authenticates by HTTP Basic.

        Only client_credentials requests are replayed freely (a second token harms nothing); redeeming a code or
        refresh token is single-use (§4.1.2, §10.4) and is retried only when the server provably did nothing.
        """
        if grant_type not in wire.GRANT_TYPES:
            raise ConfigurationError(f"grant_type must be one of {wire.GRANT_TYPES}, got {grant_type!r}")
        auth, body = self._client_auth(client_id, client_secret)
        body["grant_type"] = grant_type
        for key, value in params.items():
            if value is None:
                continue
            body[key] = " ".join(value) if key == "scope" and isinstance(value, (list, tuple)) else str(value)
        remember(body.get("code"), body.get("refresh_token"), body.get("code_verifier"))
        data = self._json(
            "POST", "/oauth/token", data=body, auth=auth, idempotent=grant_type == "client_credentials"
        )
        return TokenResponse.from_json(data)  # its secrets are remembered for masking as it is read

    def client_credentials_token(self, scope: str | list[str] | None = None, **client: Any) -> TokenResponse:
        """A token for the client itself (RFC 6749 §4.4)."""
        return self.issue_token("client_credentials", scope=scope, **client)

    def exchange_code(
        self,
        code: str,
        *,
        redirect_uri: str,
        code_verifier: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> TokenResponse:
        """Redeem an authorization code (RFC 6749 §4.1.3) with its PKCE verifier (RFC 7636 §4.5)."""
        required(code, "code", "exchange_code() needs the code from the redirect (parse_redirect() returns it)")
        required(redirect_uri, "redirect_uri", "exchange_code() needs redirect_uri=, the one sent to /oauth/authorize "
                  "(RFC 6749 §4.1.3)")
        return self.issue_token(
            "authorization_code",
            client_id=client_id,
            client_secret=client_secret,
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
        )

    def refresh(
        self,
        refresh_token: str,
        *,
        scope: str | list[str] | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> TokenResponse:
        """Trade a refresh token for new tokens (RFC 6749 §6); the server may rotate the refresh token."""
        required(refresh_token, "refresh_token", "refresh() needs the refresh_token of an earlier token response")
        return self.issue_token(
            "refresh_token", client_id=client_id, client_secret=client_secret, refresh_token=refresh_token, scope=scope
        )

    def introspect(
        self, token: str, *, client_id: str | None = None, client_secret: str | None = None
    ) -> Introspection:
        """``POST /oauth/introspect`` (RFC 7662 §2.1): is ``token`` active, and for whom? Read-only: replayable.

        Authenticates as the client named in the call (HTTP Basic), else with the API key when one is configured
        (the account owner sees every token), else as the configured confidential client — which learns only
        about its own tokens (RFC 7662 §4). RFC 7662 §2.1 requires some authorization; a public client's bare
        client_id is the last resort.
        """
        if not token:
            raise ConfigurationError("introspect() needs the token to inspect")
        remember(token)
        secret = client_secret or (self.client_secret if (client_id or self.client_id) == self.client_id else None)
        extra: dict[str, str]
        if self.api_key and client_id is None and client_secret is None:
            auth, extra = DEFAULT, {}
        elif (client_id or self.client_id) and secret:
            auth, extra = self._client_auth(client_id, secret)
        elif self._send_loop.default_auth is not None:
            auth, extra = DEFAULT, {}
        else:
            auth, extra = self._client_auth(client_id, client_secret)
        data = self._json("POST", "/oauth/introspect", data={"token": token, **extra}, auth=auth, idempotent=True)
        return Introspection.from_json(data or {})

    def revoke_token(
        self,
        token: str,
        token_type_hint: str | None = None,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
    ) -> None:
        """``POST /oauth/revoke`` (RFC 7009 §2.1). Revoking twice is harmless (§2.2), so it is replayable."""
        if token_type_hint is not None and token_type_hint not in wire.TOKEN_TYPE_HINTS:
            raise ConfigurationError(
                "token_type_hint must be 'access_token', 'refresh_token' or None (RFC 7009 §2.1), "
                f"got {token_type_hint!r}"
            )
        remember(token)
        auth, body = self._client_auth(client_id, client_secret)
        body["token"] = token
        if token_type_hint:
            body["token_type_hint"] = token_type_hint
        self._json("POST", "/oauth/revoke", data=body, auth=auth, idempotent=True)

    # -------------------------------------------------------------------------------------------------- keys
    def jwks(self) -> JWKS:
        """``GET /oauth/jwks`` — the public keys that sign access tokens (RFC 7517 §5)."""
        jwks = JWKS.from_json(self._json("GET", "/oauth/jwks", auth=None) or {})
        return jwks

    def _key_cache(self) -> KeyCache:
        with self._keys_lock:
            if self._keys is None:
                from telnyx_nb.api.jwt import KeyCache

                self._keys = KeyCache(self.jwks)
            return self._keys

    @property
    def resource(self) -> str:
        """The resource identifier of the API this client calls: its base URL (``https://api.telnyx.com/v2``).

        RFC 9728 §3.1/§3.3: the protected-resource document at ``/.well-known/oauth-protected-resource/v2``
        must name exactly this URL as its ``resource``, and RFC 9068 §3 has access tokens for it carry it in
        ``aud`` (the sandbox does both). ``verify_jwt()`` expects it by default."""
        return self._send_loop.base_url

    def verify_jwt(
        self,
        token: str,
        *,
        audience: str | list[str] | None = None,
        issuer: str | None = None,
        leeway: int = 0,
        strict_typ: bool = False,
    ) -> VerifiedJWT:
        """Verify an access token: its ``typ`` (not another kind of token; ``strict_typ=True``: ``at+jwt`` only),
        its signature against the server's JWKS (keys cached by kid; an unknown kid refetches the set at most
        once per ``KeyCache.min_refetch_interval``), exp/nbf, ``iss`` (default: the server metadata's issuer)
        and ``aud`` (default: :attr:`resource`, the API this client calls — always checked).

        Raises :class:`JWTVerificationError` whose ``.reason`` names the failed check.
        """
        from telnyx_nb.api.jwt import verify

        required(token, "token", "verify_jwt() needs the access token (a compact JWT) to verify")
        if issuer is None:
            if self._metadata is None:
                self.authorization_server_metadata()
            assert self._metadata is not None
            issuer = self._metadata.issuer
        now = int(self.clock()) if self.clock is not None else None
        return verify(token, self._key_cache(), issuer=issuer, audience=self.resource if audience is None else audience,
                      leeway=leeway, now=now, strict_typ=strict_typ)

    # ------------------------------------------------------------------------------------------ registration
    def register_client(self, **metadata: Any) -> Registration:
        """``POST /oauth/register`` — open dynamic client registration (RFC 7591 §3.1). Never replayed blindly:
        a lost answer would otherwise register a second client."""
        unknown = sorted(set(metadata) - set(wire.REGISTRATION_FIELDS))
        if unknown:
            raise ConfigurationError(
                f"unknown registration field(s) {unknown}; RFC 7591 §2 fields accepted: "
                f"{list(wire.REGISTRATION_FIELDS)}"
            )
        body = {k: (" ".join(v) if k == "scope" and isinstance(v, (list, tuple)) else v) for k, v in metadata.items()}
        data = self._json("POST", "/oauth/register", json=body, auth=None, idempotent=False)
        return Registration.from_json(data)

"""The authorization-code flow and discovery (RFC 6749 §4.1, RFC 7636 PKCE, RFC 9207 ``iss``, RFC 8414/9728
metadata): a mixin of :class:`~telnyx_nb.api.client.TelnyxOAuth`; what it needs of the client is declared by
:class:`~telnyx_nb.api.session_protocol.OAuthSession`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from telnyx_nb.api import pkce as _pkce  # `pkce` is a keyword argument of authorization_url()
from telnyx_nb.api.arguments import required, segment
from telnyx_nb.api.error_mapping import explain
from telnyx_nb.api.session_protocol import OAuthSession
from telnyx_nb.core.errors import (
    APIError,
    AuthorizationDenied,
    AuthorizationFlowError,
    ConfigurationError,
    IssuerMismatch,
    NotFoundError,
    StateMismatch,
    TelnyxNBError,
)
from telnyx_nb.core.masking import remember
from telnyx_nb.core.records import AuthorizationRequest, AuthorizationServerMetadata, Consent, ProtectedResourceMetadata

__all__ = ["AuthorizationFlows", "AUTHORIZE_STATUSES", "CONSENT_STATUSES"]

# Telnyx's published statuses of the front channel and the consent endpoints, and what the user should do.
AUTHORIZE_STATUSES = {
    404: "Client not found: no OAuth client has this client_id; check it, or create the client first "
         "(create_client)",
    422: "Invalid redirect URI: redirect_uri is not one of the client's registered redirect_uris (exact match); "
         "use a registered one or add it with update_client(redirect_uris=...)",
    400: "the authorization request is invalid (response_type, scope or PKCE); the server names the parameter",
}
CONSENT_STATUSES = {
    422: "the consent token is unknown, already used or expired (each is single-use and short-lived): start again "
         "with begin_authorization()",
    404: "the consent token is unknown, already used or expired: start again with begin_authorization()",
}


class _class_or_instance:
    """A method callable on the class (``self`` is None) or on an instance, e.g. ``parse_redirect``."""

    def __init__(self, func: Callable[..., Any]) -> None:
        self.func = func
        self.__doc__ = func.__doc__

    def __get__(self, obj: Any, owner: Any = None) -> Callable[..., Any]:
        return functools.wraps(self.func)(functools.partial(self.func, obj))


class AuthorizationFlows(OAuthSession):
    """Discovery documents, the authorize URL, the consent screen and the redirect's checks."""

    # ------------------------------------------------------------------------------------------- discovery
    def _well_known(self, name: str) -> dict[str, Any]:
        # RFC 8414 §3 / RFC 9728 §3: the document lives at the host root for an issuer without a path; servers
        # reached through an overridden base URL (and the official SDK) also serve it under the base.
        urls = [self._send_loop.root(f"/.well-known/{name}"), self._send_loop.url(f"/.well-known/{name}")]
        last: NotFoundError | None = None
        for url in dict.fromkeys(urls):
            try:
                document: dict[str, Any] = self._json("GET", url, auth=None)
                return document
            except NotFoundError as exc:
                last = exc
        assert last is not None
        raise last

    def authorization_server_metadata(self) -> AuthorizationServerMetadata:
        """``GET /.well-known/oauth-authorization-server`` — RFC 8414 §3 authorization server metadata."""
        metadata = AuthorizationServerMetadata.from_json(self._well_known("oauth-authorization-server"))
        self._metadata = metadata
        return metadata

    def protected_resource_metadata(self) -> ProtectedResourceMetadata:
        """``GET /.well-known/oauth-protected-resource`` — RFC 9728 §3 protected resource metadata."""
        return ProtectedResourceMetadata.from_json(self._well_known("oauth-protected-resource"))

    # ---------------------------------------------------------------------------------- authorization code
    def authorization_url(
        self,
        client_id: str | None = None,
        redirect_uri: str | None = None,
        scope: str | list[str] | tuple[str, ...] | None = None,
        *,
        state: str | None = None,
        pkce: str | None = "S256",
        code_verifier: str | None = None,
    ) -> AuthorizationRequest:
        """Build the ``GET /oauth/authorize`` URL (RFC 6749 §4.1.1) with a fresh ``state`` (§10.12) and a PKCE
        pair (RFC 7636 §4.1–4.3; ``pkce="S256"`` by default, ``"plain"`` allowed, ``None`` for none).

        Keep the returned request: its ``state`` checks the redirect and its ``code_verifier`` redeems the code.
        """
        client_id = client_id or self.client_id
        if not client_id:
            raise ConfigurationError("authorization_url() needs client_id= (the OAuth client asking for consent)")
        if not redirect_uri:
            raise ConfigurationError("authorization_url() needs redirect_uri= (one registered on the client)")
        if pkce is not None and pkce not in _pkce.METHODS:
            raise ConfigurationError(f"pkce must be 'S256', 'plain' or None (RFC 7636 §4.2), got {pkce!r}")
        scope_text = " ".join(scope) if isinstance(scope, (list, tuple)) else scope
        state = state if state is not None else _pkce.generate_state()
        params: dict[str, str] = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
        if scope_text:
            params["scope"] = scope_text
        params["state"] = state
        verifier = challenge = None
        if pkce is not None:
            verifier = _pkce.validate_verifier(code_verifier) if code_verifier else _pkce.generate_verifier()
            challenge = _pkce.code_challenge(verifier, pkce)
            params["code_challenge"] = challenge
            params["code_challenge_method"] = pkce
            remember(verifier)
        url = self._send_loop.url("/oauth/authorize") + "?" + urlencode(params)
        return AuthorizationRequest(
            url=url,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope_text,
            state=state,
            code_verifier=verifier,
            code_challenge=challenge,
            code_challenge_method=pkce,
        )

    def begin_authorization(self, request: AuthorizationRequest | str) -> str:
        """Open the authorize URL as the signed-in user would (``GET /oauth/authorize``, RFC 6749 §4.1.1) and
        return the ``consent_token`` of the consent screen it redirects to.

        Raises :class:`AuthorizationDenied` when the server redirects straight back with ``error=`` (§4.1.2.1),
        and when it refuses to redirect at all: :class:`NotFoundError` (404, unknown client),
        :class:`ValidationError` (422, unregistered redirect URI; 400, another invalid request).
        """
        url = request.url if isinstance(request, AuthorizationRequest) else str(request)
        try:
            response = self._send_loop.request("GET", url, headers={"Accept": "text/html"}, allow_redirects=False)
        except APIError as exc:
            raise explain(exc, AUTHORIZE_STATUSES) from None
        location = response.headers.get("location")
        if not location:
            raise AuthorizationFlowError(
                f"GET /oauth/authorize answered {response.status_code} without a redirect to a consent screen",
                status=response.status_code,
            )
        query = parse_qs(urlsplit(location).query)
        if "consent_token" in query:
            token = query["consent_token"][0]
            remember(token)
            return token
        if "error" in query:
            expected = request.state if isinstance(request, AuthorizationRequest) else None
            self.parse_redirect(location, expected)  # raises AuthorizationDenied / StateMismatch
        raise AuthorizationFlowError(f"the authorize redirect carried no consent_token: {location}")

    def get_consent(self, consent_token: str) -> Consent:
        """``GET /oauth/consent/{consent_token}`` — what the consent screen shows (client, requested scopes)."""
        remember(consent_token)
        try:
            data = self._data("GET", f"/oauth/consent/{segment(consent_token, 'consent_token')}")
        except APIError as exc:  # 422 (Telnyx's published status) for an invalid consent token
            raise explain(exc, CONSENT_STATUSES) from None
        return Consent.from_json(data or {}, consent_token=consent_token)

    def decide_consent(self, consent_token: str, allowed: bool) -> str:
        """``POST /oauth/grants`` — allow or deny the consent; returns the redirect URI carrying ``code`` and
        ``state`` (or ``error=access_denied``, RFC 6749 §4.1.2.1). Consent tokens are single-use: never replayed.
        An unknown, used or expired consent token is a :class:`ValidationError` (422)."""
        if not isinstance(allowed, bool):
            raise ConfigurationError(f"allowed must be True or False, got {allowed!r}")
        self._require_management()
        remember(consent_token)
        try:
            body = self._json(
                "POST", "/oauth/grants", json={"allowed": allowed, "consent_token": consent_token}, idempotent=False
            )
        except APIError as exc:
            raise explain(exc, CONSENT_STATUSES) from None
        redirect: str | None = (body or {}).get("redirect_uri")
        if not redirect:
            raise AuthorizationFlowError("POST /oauth/grants answered without a redirect_uri")
        return redirect

    def _expected_issuer(self) -> tuple[str | None, bool]:
        """(issuer, whether the server promised ``iss`` in its authorization responses, RFC 9207 §3)."""
        if self._metadata is None:
            try:
                self.authorization_server_metadata()
            except TelnyxNBError:  # no discovery: an iss present must still be the API's host (Telnyx's issuer)
                return self._send_loop.root_url, False
        assert self._metadata is not None
        promised = self._metadata.raw.get("authorization_response_iss_parameter_supported") is True
        return self._metadata.issuer or self._send_loop.root_url, promised

    @_class_or_instance
    def parse_redirect(self, redirect_uri: str, expected_state: str | None, *,
                       expected_issuer: str | None = None) -> str:
        """The authorization ``code`` from the redirect (RFC 6749 §4.1.2), after checking ``iss`` (RFC 9207) and
        ``state`` (§10.12).

        On a session (``oauth.parse_redirect(...)``) the expected issuer is the server's (its RFC 8414 metadata);
        called on the class, only ``expected_issuer=`` is checked. Raises :class:`IssuerMismatch` when ``iss``
        names another server (or is missing though the server promised it), :class:`StateMismatch` when the
        state is not ours, :class:`AuthorizationDenied` for ``error=``.
        """
        required(redirect_uri, "redirect_uri", "parse_redirect() needs the URI the browser was redirected to")
        parts = urlsplit(redirect_uri)
        query = parse_qs(parts.query) or parse_qs(parts.fragment)
        promised = False
        if expected_issuer is None and self is not None:
            expected_issuer, promised = self._expected_issuer()
        issuer = query.get("iss", [None])[0]
        if issuer is None and promised:
            raise IssuerMismatch("the redirect carries no iss although the server sends it in every authorization "
                                 "response (RFC 9207 §2.4): refusing it")
        # RFC 9207 §2.4: simple string comparison (RFC 3986 §6.2.1), no trailing-slash normalising
        if issuer is not None and expected_issuer is not None and issuer != expected_issuer:
            raise IssuerMismatch(f"the redirect comes from the issuer {issuer!r}, not {expected_issuer!r} "
                                 "(RFC 9207 §2.4, mix-up defence): refusing it")
        state = query.get("state", [None])[0]
        if expected_state is not None and state != expected_state:
            raise StateMismatch(
                "the redirect's state does not match the one sent (RFC 6749 §10.12): refusing its code"
            )
        if "error" in query:
            error = query["error"][0]
            description = query.get("error_description", [None])[0]
            raise AuthorizationDenied(
                f"authorization failed: {error}" + (f" ({description})" if description else ""),
                error=error,
                error_description=description,
            )
        code = query.get("code", [None])[0]
        if not code:
            raise AuthorizationFlowError("the redirect carries neither code nor error (RFC 6749 §4.1.2)")
        remember(code)
        return code

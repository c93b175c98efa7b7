"""The management API: ``/oauth_clients`` and ``/oauth_grants`` (create, read, update, delete, one page or every
page): a mixin of :class:`~telnyx_nb.api.client.TelnyxOAuth`; what it needs of the client is declared by
:class:`~telnyx_nb.api.session_protocol.OAuthSession`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from telnyx_nb.api.arguments import names, segment
from telnyx_nb.api.pagination import fetch_all, iterate
from telnyx_nb.api.session_protocol import OAuthSession
from telnyx_nb.core import wire
from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.core.records import OAuthClient, OAuthGrant, Page

__all__ = ["ManagementAPI"]



class ManagementAPI(OAuthSession):
    """OAuth clients and grants of the account (API key or an admin token)."""

    # ----------------------------------------------------------------------------------------------- clients
    @staticmethod
    def _client_filters(filters: Mapping[str, Any]) -> dict[str, str]:
        params: dict[str, str] = {}
        for key, value in filters.items():
            if value is None:
                continue
            if key not in wire.CLIENT_FILTERS:
                raise ConfigurationError(
                    f"unknown client filter {key!r}; use one of {sorted(wire.CLIENT_FILTERS)} (GET /oauth_clients)"
                )
            if key == "client_type" and value not in wire.CLIENT_TYPES:
                raise ConfigurationError(f"client_type filter must be one of {list(wire.CLIENT_TYPES)}, got {value!r}")
            if key == "verified":
                if isinstance(value, str) and value.lower() in ("true", "false"):
                    value = value.lower() == "true"
                if not isinstance(value, bool):
                    raise ConfigurationError(f"verified filter must be True or False, got {value!r}")
            if isinstance(value, bool):
                value = "true" if value else "false"
            params[wire.CLIENT_FILTERS[key]] = str(value)
        return params

    @staticmethod
    def _page_params(page_number: int, page_size: int) -> dict[str, int]:
        """The page query of the list endpoints, refused before any request when outside the contract's bounds
        (``page[size]`` 1–100, ``page[number]`` >= 1): a real server answers 4xx to those."""
        return {wire.PAGE_NUMBER: wire.check_page_number(page_number),
                wire.PAGE_SIZE: wire.check_page_size(page_size)}

    def list_clients(
        self, *, page_number: int = 1, page_size: int = wire.DEFAULT_PAGE_SIZE, **filters: Any
    ) -> Page[OAuthClient]:
        """``GET /oauth_clients`` — one page of clients. Filters: ``client_type``, ``name``, ``name_contains``,
        ``client_id``, ``grant_type`` (allowed_grant_types contains), ``verified``."""
        self._require_management()
        params = {**self._page_params(page_number, page_size), **self._client_filters(filters)}
        body = self._json("GET", "/oauth_clients", params=params)
        return Page.from_json(body or {}, OAuthClient.from_json)

    def iter_clients(self, *, page_size: int = wire.DEFAULT_PAGE_SIZE, **filters: Any) -> Iterator[OAuthClient]:
        """Every client matching ``filters``, fetched page after page as you iterate."""
        self._client_filters(filters)  # validate before the first request
        wire.check_page_size(page_size)
        return iterate(lambda n: self.list_clients(page_number=n, page_size=page_size, **filters))

    def all_clients(
        self, *, page_size: int = wire.DEFAULT_PAGE_SIZE, progress: bool | None = None, **filters: Any
    ) -> list[OAuthClient]:
        """Every client matching ``filters``: page 1, then the rest concurrently (order preserved)."""
        self._client_filters(filters)
        wire.check_page_size(page_size)
        return fetch_all(
            lambda n: self.list_clients(page_number=n, page_size=page_size, **filters),
            max_workers=self.max_workers,
            progress=progress,
            description="clients",
        )

    def create_client(
        self,
        name: str,
        client_type: str,
        allowed_grant_types: list[str] | tuple[str, ...],
        allowed_scopes: list[str] | tuple[str, ...],
        *,
        redirect_uris: list[str] | tuple[str, ...] | None = None,
        require_pkce: bool | None = None,
        logo_uri: str | None = None,
        policy_uri: str | None = None,
        tos_uri: str | None = None,
    ) -> OAuthClient:
        """``POST /oauth_clients`` — create a client. The answer is the only one carrying ``client_secret``
        (confidential clients): keep it. Not replayed blindly (a lost answer would otherwise create two)."""
        if client_type not in wire.CLIENT_TYPES:
            raise ConfigurationError(f"client_type must be one of {list(wire.CLIENT_TYPES)}, got {client_type!r}")
        allowed_grant_types = names(allowed_grant_types, "allowed_grant_types")
        allowed_scopes = names(allowed_scopes, "allowed_scopes")
        if redirect_uris is not None:
            redirect_uris = [redirect_uris] if isinstance(redirect_uris, str) else redirect_uris
        bad = [g for g in allowed_grant_types if g not in wire.GRANT_TYPES]
        if bad:
            raise ConfigurationError(
                f"allowed_grant_types has unknown grant type(s) {bad}; use {list(wire.GRANT_TYPES)}"
            )
        body: dict[str, Any] = {
            "name": name,
            "client_type": client_type,
            "allowed_grant_types": list(allowed_grant_types),
            "allowed_scopes": list(allowed_scopes),
        }
        optional = dict(
            redirect_uris=list(redirect_uris) if redirect_uris is not None else None,
            require_pkce=require_pkce,
            logo_uri=logo_uri,
            policy_uri=policy_uri,
            tos_uri=tos_uri,
        )
        body.update({k: v for k, v in optional.items() if v is not None})
        return OAuthClient.from_json(self._data("POST", "/oauth_clients", json=body, idempotent=False))

    def get_client(self, client_id: str) -> OAuthClient:
        """``GET /oauth_clients/{id}``."""
        return OAuthClient.from_json(self._data("GET", f"/oauth_clients/{segment(client_id, 'client_id')}"))

    def update_client(self, client_id: str, **changes: Any) -> OAuthClient:
        """``PUT /oauth_clients/{id}`` — change any of ``wire.CLIENT_UPDATE_FIELDS`` (a PUT of the same body is
        idempotent)."""
        unknown = sorted(set(changes) - set(wire.CLIENT_UPDATE_FIELDS))
        if unknown:
            raise ConfigurationError(f"cannot update {unknown}; updatable fields: {list(wire.CLIENT_UPDATE_FIELDS)}")
        if not changes:
            raise ConfigurationError("update_client() needs at least one change among "
                                     f"{list(wire.CLIENT_UPDATE_FIELDS)}")
        body = {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}
        return OAuthClient.from_json(
            self._data("PUT", f"/oauth_clients/{segment(client_id, 'client_id')}", json=body)
        )

    def delete_client(self, client_id: str) -> None:
        """``DELETE /oauth_clients/{id}`` — the server also revokes the client's grants and tokens."""
        self._require_management()
        self._json("DELETE", f"/oauth_clients/{segment(client_id, 'client_id')}")

    # ------------------------------------------------------------------------------------------------ grants
    def list_grants(self, *, page_number: int = 1, page_size: int = wire.DEFAULT_PAGE_SIZE) -> Page[OAuthGrant]:
        """``GET /oauth_grants`` — one page of grants."""
        self._require_management()
        body = self._json("GET", "/oauth_grants", params=self._page_params(page_number, page_size))
        return Page.from_json(body or {}, OAuthGrant.from_json)

    def iter_grants(self, *, page_size: int = wire.DEFAULT_PAGE_SIZE) -> Iterator[OAuthGrant]:
        """Every grant, fetched page after page as you iterate."""
        wire.check_page_size(page_size)  # now, not at the first next()
        return iterate(lambda n: self.list_grants(page_number=n, page_size=page_size))

    def all_grants(self, *, page_size: int = wire.DEFAULT_PAGE_SIZE, progress: bool | None = None) -> list[OAuthGrant]:
        """Every grant: page 1, then the rest concurrently (order preserved)."""
        wire.check_page_size(page_size)
        return fetch_all(
            lambda n: self.list_grants(page_number=n, page_size=page_size),
            max_workers=self.max_workers,
            progress=progress,
            description="grants",
        )

    def get_grant(self, grant_id: str) -> OAuthGrant:
        """``GET /oauth_grants/{id}``."""
        return OAuthGrant.from_json(self._data("GET", f"/oauth_grants/{segment(grant_id, 'grant_id')}"))

    def revoke_grant(self, grant_id: str) -> OAuthGrant:
        """``DELETE /oauth_grants/{id}`` — revoke a grant (and every token issued under it); returns it (only its
        ``id`` when the revoking answer was lost and the retry found it already gone)."""
        data = self._data("DELETE", f"/oauth_grants/{segment(grant_id, 'grant_id')}")
        return OAuthGrant.from_json(data if isinstance(data, dict) else {"id": grant_id, "client_id": None})

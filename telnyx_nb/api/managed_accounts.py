"""Managed accounts: a manager account's fleet (``GET /managed_accounts``, ``GET /managed_accounts/{id}``), and a
client acting as one of them. A mixin of :class:`~telnyx_nb.api.client.TelnyxOAuth`; what it needs of the client is
declared by :class:`~telnyx_nb.api.session_protocol.OAuthSession`.

Only a manager account's API key may call these endpoints. The single-account answer carries the managed account's
own V2 API key (``api_key``): :meth:`ManagedAccountsAPI.for_managed_account` reads it once and hands back a client
that authenticates as that account — its OAuth clients and grants, its own rate-limit window — with the key masked
wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Self

import requests

from telnyx_nb.api.arguments import segment
from telnyx_nb.api.error_mapping import explain
from telnyx_nb.api.pagination import fetch_all, iterate
from telnyx_nb.api.session_protocol import OAuthSession
from telnyx_nb.core import wire
from telnyx_nb.core.errors import APIError, ArgumentTypeError, ConfigurationError
from telnyx_nb.core.records import ManagedAccount, Page

__all__ = ["ManagedAccountsAPI", "managed_account_params"]

PATH = "/managed_accounts"
# what a refusal of these endpoints means, and the fix (appended to the typed error's message)
_REFUSED = ("only a manager account's API key may read managed accounts: connect with the manager's key "
            "(a managed account's own key sees only its own OAuth clients and grants)")
_MEANINGS: dict[int, str] = {401: f"the API key was refused; {_REFUSED}", 403: _REFUSED}


def managed_account_params(*, sort: str | None = None, include_cancelled: bool = False,
                           **filters: Any) -> dict[str, str]:
    """The query of ``GET /managed_accounts`` from keyword filters (``email_contains``,
    ``organization_name_contains``), ``sort`` (``created_at`` or ``email``, ``-`` first for descending) and
    ``include_cancelled``; refused before any request when a name or value is not the contract's."""
    params: dict[str, str] = {}
    for key, value in filters.items():
        if value is None:
            continue
        if key not in wire.MANAGED_ACCOUNT_FILTERS:
            raise ConfigurationError(f"unknown managed-account filter {key!r}; use one of "
                                     f"{sorted(wire.MANAGED_ACCOUNT_FILTERS)} (GET /managed_accounts)")
        if not isinstance(value, str) or not value:
            raise ConfigurationError(f"{key} must be a non-empty string, got {value!r}")
        params[wire.MANAGED_ACCOUNT_FILTERS[key]] = value
    if sort is not None:
        if not isinstance(sort, str) or sort.removeprefix("-") not in wire.MANAGED_ACCOUNT_SORT_FIELDS:
            choices = [*wire.MANAGED_ACCOUNT_SORT_FIELDS, *(f"-{f}" for f in wire.MANAGED_ACCOUNT_SORT_FIELDS)]
            raise ConfigurationError(f"sort must be one of {choices}, got {sort!r}")
        params[wire.MANAGED_ACCOUNT_SORT] = sort
    if not isinstance(include_cancelled, bool):
        raise ArgumentTypeError(f"include_cancelled must be True or False, got {include_cancelled!r}")
    if include_cancelled:
        params[wire.MANAGED_ACCOUNT_INCLUDE_CANCELLED] = "true"
    return params


class ManagedAccountsAPI(OAuthSession):
    """The managed accounts of a manager account (its API key), and a client acting as one of them."""

    def _manager_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """``GET`` a managed-accounts path with the manager's credentials; a refusal names the fix."""
        self._require_management()
        try:
            return self._json("GET", path, params=params)
        except APIError as exc:
            raise explain(exc, _MEANINGS) from None

    def list_managed_accounts(self, *, page_number: int = 1, page_size: int = wire.DEFAULT_PAGE_SIZE,
                              sort: str | None = None, include_cancelled: bool = False,
                              **filters: Any) -> Page[ManagedAccount]:
        """``GET /managed_accounts`` — one page (published fields only: no ``api_key`` in a list answer)."""
        params = {wire.PAGE_NUMBER: wire.check_page_number(page_number),
                  wire.PAGE_SIZE: wire.check_page_size(page_size),
                  **managed_account_params(sort=sort, include_cancelled=include_cancelled, **filters)}
        return Page.from_json(self._manager_json(PATH, params) or {}, ManagedAccount.from_json)

    def iter_managed_accounts(self, *, page_size: int = wire.DEFAULT_PAGE_SIZE, sort: str | None = None,
                              include_cancelled: bool = False, **filters: Any) -> Iterator[ManagedAccount]:
        """Every managed account matching the filters, page after page as you iterate."""
        wire.check_page_size(page_size)
        managed_account_params(sort=sort, include_cancelled=include_cancelled, **filters)  # now, not at next()
        return iterate(lambda n: self.list_managed_accounts(page_number=n, page_size=page_size, sort=sort,
                                                            include_cancelled=include_cancelled, **filters))

    def managed_accounts(self, *, page_size: int = wire.DEFAULT_PAGE_SIZE, progress: bool | None = None,
                         sort: str | None = None, include_cancelled: bool = False,
                         **filters: Any) -> list[ManagedAccount]:
        """Every managed account matching the filters: page 1, then the rest concurrently (order preserved)."""
        wire.check_page_size(page_size)
        managed_account_params(sort=sort, include_cancelled=include_cancelled, **filters)
        return fetch_all(
            lambda n: self.list_managed_accounts(page_number=n, page_size=page_size, sort=sort,
                                                 include_cancelled=include_cancelled, **filters),
            max_workers=self.max_workers, progress=progress, description="managed accounts",
        )

    def managed_account(self, account_id: str) -> ManagedAccount:
        """``GET /managed_accounts/{id}`` — one managed account, with its ``api_key`` (masked in every repr)."""
        path = f"{PATH}/{segment(account_id, 'account_id')}"
        try:
            body = self._manager_json(path)
        except APIError as exc:
            if exc.status == 404:
                exc.message = f"{exc.message} — no managed account {account_id!r} under this manager account"
                exc.args = (exc.message,)
            raise
        data = body.get("data") if isinstance(body, dict) else body
        return ManagedAccount.from_json(data)

    def for_managed_account(self, account_id: str, *, session: requests.Session | None = None) -> Self:
        """A new client acting as managed account ``account_id``: its key, read once with :meth:`managed_account`;
        the same base URL, timeouts and retry policy; its own rate-limit window (another credential's) and pool.
        Its ``acting_as`` is the account (``repr`` and ``target`` show the key masked). ``session``: the
        ``requests.Session`` it sends through (closed with it), e.g. a new in-process one for an in-process sandbox.

        Raises ``NotFoundError`` naming the id when the manager has no such account, ``PermissionDeniedError`` /
        ``AuthenticationError`` with the fix when this client's key is not a manager's, and ``APIError`` when the
        answer carries no key."""
        account = self.managed_account(account_id)
        if not account.api_key:
            raise APIError(f"the managed account {account_id!r} came back without its api_key: "
                           "GET /managed_accounts/{id} must carry it to act as the account")
        return self._as_managed_account(account, session=session)

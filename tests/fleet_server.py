"""A scripted manager account with managed accounts, over real HTTP (``canned_server.serve``): the published
managed-accounts wire and, per account key, that account's OAuth clients and grants — with accounts that fail in
the ways a fleet audit must survive (key refused, account gone, a server that keeps answering 5xx).

Not the sandbox: it answers only what a client test needs, so the API module and the fleet audit are tested before
(and besides) the sandbox's own fleet seed.
"""

from __future__ import annotations

import contextlib
import json
import threading
from urllib.parse import parse_qs, urlsplit

from canned_server import serve

MANAGER_KEY = "KEY" + "M" * 55


def account_key(n: int) -> str:
    return "KEY" + f"{n:04d}".rjust(55, "A")


class Fleet:
    """``accounts`` managed accounts (ids ``acct-00``…), each with ``grants_per_account`` grants of one unverified
    public client; ``refused`` (their keys answer 401), ``gone`` (retrieve answers 404) and ``broken`` (their
    grants answer 503 every time) are sets of account numbers. ``seen`` records ``(path, key)`` of each request."""

    def __init__(self, accounts=5, grants_per_account=3, *, refused=(), gone=(), broken=()):
        self.ids = [f"acct-{n:02d}" for n in range(accounts)]
        self.grants_per_account = grants_per_account
        self.refused, self.gone, self.broken = set(refused), set(gone), set(broken)
        self.seen: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def listed(self, n: int) -> dict:
        return {"record_type": "managed_account", "id": self.ids[n], "email": f"owner{n}@example.com",
                "api_user": f"owner{n}@example.com", "manager_account_id": "manager-1",
                "organization_name": f"Org {n}", "rollup_billing": n % 2 == 0,
                "managed_account_allow_custom_pricing": False,
                "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-02-01T00:00:00Z"}

    def __call__(self, method, path, headers):
        parts = urlsplit(path)
        key = (headers.get("Authorization") or "").removeprefix("Bearer ")
        with self.lock:
            self.seen.append((parts.path, key))
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path.startswith("/v2/managed_accounts"):
            return self.manager(parts.path, key, query)
        owner = next((n for n in range(len(self.ids)) if account_key(n) == key), None)
        if owner is None or owner in self.refused:
            return answer(401, errors("10009", "Authentication failed", "The API key is not valid"))
        if parts.path == "/v2/oauth_clients":
            return answer(200, page([client(owner)], query))
        if parts.path == "/v2/oauth_grants":
            if owner in self.broken:
                return answer(503, errors("10011", "Service unavailable", "try again later"))
            grants = [grant(owner, g) for g in range(self.grants_per_account)]
            return answer(200, page(grants, query))
        return answer(404, errors("10005", "Resource not found", "no such path"))

    def manager(self, path, key, query):
        if key != MANAGER_KEY:
            if key in {account_key(n) for n in range(len(self.ids))}:
                return answer(403, errors("10010", "Forbidden", "only a manager account may do this"))
            return answer(401, errors("10009", "Authentication failed", "The API key is not valid"))
        if path == "/v2/managed_accounts":
            return answer(200, page([self.listed(n) for n in range(len(self.ids))], query))
        account_id = path.rsplit("/", 1)[-1]
        if account_id not in self.ids or self.ids.index(account_id) in self.gone:
            return answer(404, errors("10005", "Resource not found", "managed account not found"))
        n = self.ids.index(account_id)
        return answer(200, {"data": {**self.listed(n), "api_key": account_key(n), "api_token": f"tok-{n}" * 4,
                                     "balance": {"amount": "10.00", "currency": "USD"}}})


def client(n: int) -> dict:
    return {"record_type": "oauth_client", "client_id": f"client-{n}", "name": f"App of org {n}",
            "client_type": "public", "verified": False, "require_pkce": False,
            "allowed_grant_types": ["authorization_code"], "allowed_scopes": ["admin"],
            "redirect_uris": ["https://app.example.com/cb"], "org_id": f"org-{n}", "user_id": f"user-{n}",
            "created_at": "2025-01-01T00:00:00Z", "updated_at": "2025-01-01T00:00:00Z"}


def grant(n: int, g: int) -> dict:
    return {"record_type": "oauth_grant", "id": f"grant-{n}-{g}", "client_id": f"client-{n}", "scopes": ["admin"],
            "created_at": "2025-01-01T00:00:00Z", "last_used_at": None}


def page(items: list, query: dict) -> dict:
    size = int(query.get("page[size]", 20))
    number = int(query.get("page[number]", 1))
    total_pages = max(1, -(-len(items) // size))
    return {"data": items[(number - 1) * size: number * size],
            "meta": {"page_number": number, "page_size": size, "total_pages": total_pages,
                     "total_results": len(items)}}


def errors(code: str, title: str, detail: str) -> dict:
    return {"errors": [{"code": code, "title": title, "detail": detail}]}


def answer(status: int, body: dict) -> tuple[int, dict, bytes]:
    return status, {}, json.dumps(body).encode()


@contextlib.contextmanager
def fleet_server(fleet: Fleet):
    """The fleet's ``/v2`` base URL while the block runs."""
    with serve(fleet) as base_url:
        yield base_url

"""Demo and synthetic account data for the sandbox: plain Python records, no Flask, no Authlib, no store.

``demo_dataset(now)`` builds a small, realistic account with known weak spots, so the audit and the notebooks have
something real to find. Like a real Telnyx account it knows one scope, ``admin`` (the only one Telnyx publishes):
every client allows it and every grant holds it. What varies is what varies on a real account: ages and last use,
public and confidential clients, PKCE on or off, redirect URIs (loopback, https, plain http, private-use schemes),
verified or not, grant types, several grants per client, and a deleted client whose grants were left behind
(orphans). It is deterministic: one seeded ``random.Random`` draws every id, secret and age,
and every timestamp is an offset from ``now``. Ids do not depend on ``now`` (only ages do), so two sandboxes seeded
at different moments hold the same clients and grants. The secrets drawn here are placeholders: the sandbox
replaces them with fresh random ones when it seeds a database, since a secret anyone can recompute opens any
sandbox that listens beyond loopback.

``PLANTED`` says exactly which objects each audit rule must flag in the demo data (with the audit's default
thresholds: a grant is stale after 90 days; an unused grant younger than 7 days is not yet flagged). No planted
age lies within 10 days of a threshold, so a test that audits a few minutes after seeding sees the same thing::

    PLANTED[rule] == {"object_type": "client" | "grant",
                      "ids": frozenset of client_id / grant id the rule flags,
                      "client_names": frozenset of the names of the clients involved}

``synthetic_dataset(n_grants, now)`` builds large accounts for benchmarks (a million grants in a few seconds).
"""

from __future__ import annotations

import gc
import random
import string
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError
from telnyx_nb.sandbox.policy.terms import GRANT_TYPES

__all__ = [
    "DEMO_CLIENT_NAME",
    "DEMO_REDIRECT_URIS",
    "PLANTED",
    "demo_variant",
    "demo_dataset",
    "synthetic_dataset",
]

DEMO_CLIENT_NAME = "Telnyx NB Demo"
# Loopback redirect URIs for the notebooks' authorization-code flow (plain HTTP is allowed on loopback,
# RFC 8252 §7.3).
# The Authorize panel's loopback listener port (telnyx_nb/widgets/loopback.py), not JupyterLab's 8888: the
# browser's redirect must reach the kernel's listener, not land on a JupyterLab 404.
DEMO_REDIRECT_URIS = ["http://127.0.0.1:8976/callback", "http://localhost:8976/callback"]

_DEMO_SEED = 20240601
_SYNTHETIC_SEED = 7
_SECRET_ALPHABET = string.ascii_letters + string.digits + "-_"
_DAY = 86400  # seconds
# Telnyx publishes one scope: every client of a real account allows it, every grant holds it.
_ADMIN = ["admin"]

# Ages (days before `now`) chosen well away from the audit's default thresholds (stale: 90 days; never-used
# grace: 7 days).
_FRESH_LAST_USED = (0, 80)
_STALE_LAST_USED = (100, 520)
_NEVER_USED_MIN_AGE = 17
_MAX_AGE = 540  # 18 months

_HTTPS_ONLY = ["authorization_code", "refresh_token"]
# One row per client, in the order the store receives them. `grants` plans that client's grants: n, and the
# share that is stale or never used. `deleted`: the client is drawn (its id is fixed) but not stored, so its
# grants are orphans — what a client deleted behind the API's back leaves on an account.
_CLIENT_PLAN: list[dict[str, Any]] = [
    dict(name=DEMO_CLIENT_NAME, client_type="confidential", verified=True, require_pkce=True,
         allowed_grant_types=GRANT_TYPES, redirect_uris=DEMO_REDIRECT_URIS,
         site="https://telnyx-nb.example.org", age=2, grants=None),
    dict(name="Acme Dispatch", client_type="confidential", verified=True, require_pkce=True,
         allowed_grant_types=_HTTPS_ONLY, redirect_uris=["https://dispatch.acme.example/oauth/callback"],
         site="https://dispatch.acme.example", age=540, grants=dict(n=60, stale=0.2, never=0.1)),
    dict(name="Bright Billing", client_type="confidential", verified=True, require_pkce=True,
         allowed_grant_types=["authorization_code", "client_credentials", "refresh_token"],
         redirect_uris=["https://billing.bright.example/callback"],
         site="https://billing.bright.example", age=500, grants=dict(n=35, stale=0.1, never=0.05)),
    dict(name="CallFlow Mobile", client_type="public", verified=True, require_pkce=True,
         allowed_grant_types=_HTTPS_ONLY,
         # a private-use URI scheme for a native app is fine (RFC 8252 §7.1)
         redirect_uris=["com.callflow.mobile:/oauth2redirect", "https://callflow.example.com/oauth/callback"],
         site="https://callflow.example.com", age=530, grants=dict(n=70, stale=0.25, never=0.1)),
    dict(name="Ops Console", client_type="confidential", verified=True, require_pkce=True,
         allowed_grant_types=GRANT_TYPES, redirect_uris=["https://ops.internal.example.com/oauth/callback"],
         site="https://ops.internal.example.com", age=520, grants=dict(n=20, stale=0.1)),
    dict(name="Legacy Fax Bridge", client_type="confidential", verified=False, require_pkce=False,
         allowed_grant_types=_HTTPS_ONLY, redirect_uris=["http://fax-bridge.example.net/oauth/callback"],
         site="http://fax-bridge.example.net", age=540, grants=dict(n=25, stale=0.8, never=0.1)),
    dict(name="Partner Portal (staging)", client_type="confidential", verified=False, require_pkce=True,
         allowed_grant_types=_HTTPS_ONLY,
         redirect_uris=["http://staging.partner.example.com/oauth/callback",
                        "https://partner.example.com/oauth/callback"],
         site="https://partner.example.com", age=300, grants=dict(n=12, stale=0.3)),
    dict(name="Hookshot", client_type="confidential", verified=True, require_pkce=True,
         allowed_grant_types=_HTTPS_ONLY,
         redirect_uris=["https://*.hookshot.example.org/callback", "https://hookshot.example.org/callback#done"],
         site="https://hookshot.example.org", age=400, grants=dict(n=18, stale=0.15, never=0.1)),
    dict(name="Kiosk Display", client_type="public", verified=True, require_pkce=True,
         allowed_grant_types=["authorization_code", "client_credentials"],
         redirect_uris=["https://kiosk.example.com/callback"],
         site="https://kiosk.example.com", age=250, grants=dict(n=10, stale=0.1)),
    dict(name="Reporting Sync", client_type="confidential", verified=True, require_pkce=True,
         allowed_grant_types=_HTTPS_ONLY, redirect_uris=["https://reports.example.com/callback"],
         site="https://reports.example.com", age=510, grants=dict(n=30, stale=0.2, never=0.05)),
    dict(name="Reporting Sync", client_type="confidential", verified=True, require_pkce=True,
         allowed_grant_types=["authorization_code", "client_credentials", "refresh_token"],
         redirect_uris=["https://reports-v2.example.com/callback"],
         site="https://reports-v2.example.com", age=200, grants=dict(n=15, stale=0.2)),
    dict(name="AI Transcriber", client_type="confidential", verified=True, require_pkce=True,
         allowed_grant_types=_HTTPS_ONLY, redirect_uris=["https://transcribe.example.ai/oauth/callback"],
         site="https://transcribe.example.ai", age=450, grants=dict(n=40, stale=0.15, never=0.15)),
    dict(name="Field Tech (Android)", client_type="public", verified=True, require_pkce=False,
         allowed_grant_types=_HTTPS_ONLY, redirect_uris=["com.fieldtech.app:/oauth/callback"],
         site="https://fieldtech.example.com", age=480, grants=dict(n=14, stale=0.2)),
    dict(name="Old CRM Connector", client_type="confidential", verified=True, require_pkce=True,
         allowed_grant_types=_HTTPS_ONLY, redirect_uris=["https://crm-connector.example.com/callback"],
         site="https://crm-connector.example.com", age=535, deleted=True, grants=dict(n=6, stale=0.5)),
    dict(name="Sandbox Playground", client_type="public", verified=False, require_pkce=True,
         allowed_grant_types=_HTTPS_ONLY,
         redirect_uris=["http://localhost:3000/callback", "http://127.0.0.1:3000/callback"],
         site=None, age=60, grants=None),
]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _secret(rng: random.Random) -> str:
    return "".join(rng.choices(_SECRET_ALPHABET, k=48))


def _ago(now: datetime, seconds: int) -> datetime:
    return now - timedelta(seconds=seconds)


def _check_now(now: datetime) -> datetime:
    if not isinstance(now, datetime):
        raise ArgumentTypeError("now: pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)")
    if now.tzinfo is None:
        raise ConfigurationError("now: pass a timezone-aware datetime, e.g. datetime.now(timezone.utc)")
    return now.astimezone(UTC)


def _client_record(rng: random.Random, plan: dict, now: datetime, org_id: str, owner: str) -> dict:
    created = rng.randint(plan["age"] * _DAY - _DAY // 2, plan["age"] * _DAY)
    updated = rng.randint(0, min(created, 30 * _DAY))
    site = plan["site"]
    return {
        "client_id": _uuid(rng),
        "name": plan["name"],
        "client_type": plan["client_type"],
        "verified": plan["verified"],
        "require_pkce": plan["require_pkce"],
        "allowed_grant_types": list(plan["allowed_grant_types"]),
        "allowed_scopes": list(_ADMIN),
        "redirect_uris": list(plan["redirect_uris"]),
        "logo_uri": f"{site}/logo.png" if site else None,
        "policy_uri": f"{site}/privacy" if site else None,
        "tos_uri": f"{site}/terms" if site else None,
        "org_id": org_id,
        "user_id": owner,
        "created_at": _ago(now, created),
        "updated_at": _ago(now, updated),
        "secret": _secret(rng) if plan["client_type"] == "confidential" else None,
    }


def _grant_ages(rng: random.Random, usage: str, client_age: int) -> tuple[int, int | None]:
    """(created, last used) in seconds before now for a grant of a client ``client_age`` seconds old."""
    if usage == "stale":
        last_used_age = rng.randint(_STALE_LAST_USED[0] * _DAY, min(_STALE_LAST_USED[1] * _DAY, client_age - 5 * _DAY))
        return rng.randint(last_used_age + _DAY, client_age - _DAY), last_used_age
    if usage == "never":
        return rng.randint(_NEVER_USED_MIN_AGE * _DAY, client_age - _DAY), None
    created_age = rng.randint(2 * _DAY, client_age - _DAY)
    return created_age, rng.randint(0, min(_FRESH_LAST_USED[1] * _DAY, created_age))


def _generate(now: datetime, seed: int = _DEMO_SEED) -> tuple[list[dict], list[dict], dict[str, dict]]:
    rng = random.Random(seed)
    org_id = _uuid(rng)
    users = [_uuid(rng) for _ in range(6)]
    clients: list[dict] = []
    grants: list[dict] = []
    hits: dict[str, set[int]] = {k: set() for k in ("stale", "never", "orphan")}

    for plan in _CLIENT_PLAN:
        client = _client_record(rng, plan, now, org_id, users[0])
        if not plan.get("deleted"):
            clients.append(client)
        spec = plan["grants"]
        if not spec:
            continue
        client_age = int((now - client["created_at"]).total_seconds())
        for _ in range(spec["n"]):
            roll = rng.random()
            usage = ("stale" if roll < spec.get("stale", 0)
                     else "never" if roll < spec.get("stale", 0) + spec.get("never", 0)
                     else "fresh")
            created_age, last_used_age = _grant_ages(rng, usage, client_age)
            grant = {
                "id": _uuid(rng),
                "client_id": client["client_id"],
                "user_id": rng.choice(users),
                "scopes": list(_ADMIN),
                "created_at": _ago(now, created_age),
                "last_used_at": None if last_used_age is None else _ago(now, last_used_age),
            }
            index = len(grants)
            grants.append(grant)
            if usage in ("stale", "never"):
                hits[usage].add(index)
            if plan.get("deleted"):
                hits["orphan"].add(index)

    planted = _planted(clients, grants, hits)
    return clients, grants, planted


def _planted(clients: list[dict], grants: list[dict], hits: dict[str, set[int]]) -> dict[str, dict]:
    by_id = {c["client_id"]: c for c in clients}
    with_grants = {g["client_id"] for g in grants}

    def grant_set(indexes: set[int]) -> dict:
        chosen = [grants[i] for i in sorted(indexes)]
        return {"object_type": "grant", "ids": frozenset(g["id"] for g in chosen),  # an orphan's client has no name
                "client_names": frozenset(by_id[g["client_id"]]["name"] for g in chosen if g["client_id"] in by_id)}

    def client_set(chosen: list[dict]) -> dict:
        return {"object_type": "client", "ids": frozenset(c["client_id"] for c in chosen),
                "client_names": frozenset(c["name"] for c in chosen)}

    def named(*names: str) -> list[dict]:
        return [c for c in clients if c["name"] in names]

    return {
        "stale_grant": grant_set(hits["stale"]),
        "never_used_grant": grant_set(hits["never"]),
        "orphan_grant": grant_set(hits["orphan"]),
        # admin-only, as Telnyx publishes: no grant can hold more than its client, and admin is the account's
        # baseline (said once), not a finding per grant. Custom catalogs test these two rules.
        "grant_scope_exceeds_client": grant_set(set()),
        "admin_scope_grant": grant_set(set()),
        "client_without_grants": client_set([c for c in clients if c["client_id"] not in with_grants]),
        "public_client_credentials": client_set(named("Kiosk Display")),
        "auth_code_without_pkce": client_set(named("Legacy Fax Bridge", "Field Tech (Android)")),
        "non_https_redirect_uri": client_set(named("Legacy Fax Bridge", "Partner Portal (staging)")),
        "redirect_uri_wildcard_or_fragment": client_set(named("Hookshot")),
        "unverified_client_with_grants": client_set(
            [c for c in named("Legacy Fax Bridge", "Partner Portal (staging)") if c["client_id"] in with_grants]),
        "duplicate_client_name": client_set(named("Reporting Sync")),
    }


def demo_dataset(now: datetime) -> tuple[list[dict], list[dict]]:
    """The demo account as ``(clients, grants)``; the first client is the demo client (it holds no grants)."""
    clients, grants, _ = _generate(_check_now(now))
    return clients, grants


def demo_variant(seed: int, now: datetime) -> tuple[list[dict], list[dict]]:
    """An account like the demo's (same plan of clients and weak spots) with ids, ages and users drawn from
    ``seed``: what each managed account of a fleet starts from (``store/fleet.py``)."""
    clients, grants, _ = _generate(_check_now(now), seed)
    return clients, grants


def synthetic_dataset(n_grants: int, now: datetime) -> tuple[list[dict], list[dict]]:
    """A large account for benchmarks: the demo client first, then one client per 200 grants (at least 5).

    Grants spread uniformly over the last 18 months; a tenth were never used. Every client allows ``admin`` and
    every grant holds it (one shared list), as on a real Telnyx account. Grant time stamps are ISO 8601
    strings (the store's format), drawn with numpy in one go: a million grants take a few seconds.
    """
    import numpy as np

    if not isinstance(n_grants, int) or isinstance(n_grants, bool):
        raise ArgumentTypeError("n_grants: pass a whole number >= 0, e.g. synthetic_dataset(10000, now)")
    if n_grants < 0:
        raise ConfigurationError("n_grants: pass a whole number >= 0, e.g. synthetic_dataset(10000, now)")
    now = _check_now(now)
    rng = random.Random(_SYNTHETIC_SEED)
    org_id = _uuid(rng)
    users = [_uuid(rng) for _ in range(50)]
    clients = [_client_record(rng, _CLIENT_PLAN[0], now, org_id, users[0])]
    for i in range(max(5, n_grants // 200)):
        public = i % 4 == 3
        plan = dict(name=f"Synthetic App {i + 1:04d}", client_type="public" if public else "confidential",
                    verified=i % 7 != 0, require_pkce=i % 9 != 4,
                    allowed_grant_types=["authorization_code", "refresh_token"],
                    redirect_uris=[f"https://app{i + 1}.example.com/callback"],
                    site=f"https://app{i + 1}.example.com", age=_MAX_AGE)
        clients.append(_client_record(rng, plan, now, org_id, users[0]))
    apps = clients[1:]
    draw = np.random.default_rng(_SYNTHETIC_SEED)
    owner = draw.integers(0, len(apps), n_grants)
    created_age = draw.integers(_DAY, _MAX_AGE * _DAY, n_grants, endpoint=True)
    last_used_age = (draw.random(n_grants) * (created_age + 1)).astype(np.int64)
    never = draw.random(n_grants) < 0.1
    now_ms = np.datetime64(now.replace(tzinfo=None), "ms")
    created = _iso_strings(now_ms - created_age.astype("timedelta64[s]"))
    last_used = _iso_strings(now_ms - last_used_age.astype("timedelta64[s]"))
    ids = _uuid_strings(draw, n_grants)
    user_ids = draw.integers(0, len(users), n_grants)
    scopes = list(_ADMIN)  # one list shared by every grant, as grants_df() shares equal lists
    grants = []
    collecting = gc.isenabled()
    gc.disable()  # a million small dicts would otherwise trigger a collection every few thousand
    try:
        for i, app, user, never_used in zip(range(n_grants), owner.tolist(), user_ids.tolist(), never.tolist()):
            grants.append({
                "id": ids[i],
                "client_id": apps[app]["client_id"],
                "user_id": users[user],
                "scopes": scopes,
                "created_at": created[i],
                "last_used_at": None if never_used else last_used[i],
            })
    finally:
        if collecting:
            gc.enable()
    return clients, grants


def _iso_strings(moments) -> list[str]:
    """numpy datetime64[ms] (UTC) → the store's ISO 8601 text (``2026-01-01T00:00:00.000Z``)."""
    import numpy as np

    return [f"{text}Z" for text in np.datetime_as_string(moments, unit="ms")]


def _uuid_strings(draw, n: int) -> list[str]:
    """``n`` random version-4 UUIDs as text, in ascending order, drawn from a numpy Generator (vectorised)."""
    import numpy as np

    raw = draw.integers(0, 256, (n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    hexes = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    chars = np.empty((n, 36), dtype=np.uint8)
    digits = np.stack([hexes[raw >> 4], hexes[raw & 0x0F]], axis=2).reshape(n, 32)
    chars[:, [8, 13, 18, 23]] = ord("-")
    chars[:, [i for i in range(36) if i not in (8, 13, 18, 23)]] = digits
    # sorted: the store loads rows in primary-key order, and sorted input costs its sort nothing
    return np.sort(chars.view("S36").ravel()).astype(str).tolist()


# Fixed reference moment: what is planted does not depend on `now` (ids are drawn before and apart from ages).
PLANTED: dict[str, dict] = _generate(datetime(2026, 1, 1, tzinfo=UTC))[2]

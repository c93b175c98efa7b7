"""Filling a new database: the chosen seed's clients and grants, and the settings that remember it.

Seeds: ``"demo"`` (the demo account of ``demo.py``), ``"empty"``, ``"grants=N"`` (a synthetic account), or
``"accounts=N,grants=M"`` (the demo account as the manager of N managed accounts: ``fleet.py``). Seeding
a database that already holds data adds nothing twice (ids are deterministic). When a seed first filled the
database is kept in its settings (``seeded_at``), because the demo's ages are counted from that moment; ``explore``
says how long ago that was (``describe_age``).
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

DEMO_CLIENT_SETTING = "demo_client"
SEEDED_AT_SETTING = "seeded_at"


def seed_store(store, seed: str, now: datetime) -> None:
    """Insert the chosen seed; ids already present are skipped, so reseeding adds nothing twice."""
    if seed == "empty":
        return
    from telnyx_nb.sandbox.store.demo import demo_dataset, synthetic_dataset
    from telnyx_nb.sandbox.store.fleet import parse_fleet_seed, seed_fleet

    if store.is_empty():  # a database seeded before this was recorded stays "unknown", not "just now"
        store.set_setting_once(SEEDED_AT_SETTING, now.isoformat(timespec="seconds"))
    fleet = parse_fleet_seed(seed) is not None
    if seed == "demo" or fleet:
        clients, grants = demo_dataset(now)
    else:
        clients, grants = synthetic_dataset(int(seed.split("=", 1)[1]), now)
    for client in clients:  # ids are deterministic, secrets never are: a published secret would open any sandbox
        if client.get("secret"):
            client["secret"] = secrets.token_urlsafe(36)
    if clients and store.get_setting(DEMO_CLIENT_SETTING) is None:
        demo_client = clients[0]
        store.set_setting_once(DEMO_CLIENT_SETTING, json.dumps([demo_client["client_id"], demo_client.get("secret")]))
        store.set_setting_once("org_id", demo_client["org_id"])
        store.set_setting_once("user_id", demo_client["user_id"])
    store.insert_clients(clients)
    store.insert_grants(grants)
    if fleet:
        seed_fleet(store, seed, now)


def seeded_at(store) -> datetime | None:
    """When a seed filled this database (None: the empty seed, or a database seeded before it was recorded)."""
    value = store.get_setting(SEEDED_AT_SETTING)
    return datetime.fromisoformat(value) if value else None


def demo_credentials(store) -> tuple[str | None, str | None]:
    """(demo client id, its secret) as the seed kept them, or (None, None)."""
    demo = store.get_setting(DEMO_CLIENT_SETTING)
    return tuple(json.loads(demo)) if demo else (None, None)


def describe_age(moment: datetime | None, now: datetime | None = None) -> str:
    """``'seeded 2026-11-30 10:00 UTC (3 days ago)'`` — what ``explore`` says about the demo data."""
    if moment is None:
        return "seeded at an unknown time (before telnyx-nb recorded it)"
    now = now or datetime.now(UTC)
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        ago = "just now"
    elif seconds < 7200:
        ago = f"{seconds // 60} minutes ago"
    elif seconds < 2 * 86400:
        ago = f"{seconds // 3600} hours ago"
    else:
        ago = f"{seconds // 86400} days ago"
    return f"seeded {moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({ago})"

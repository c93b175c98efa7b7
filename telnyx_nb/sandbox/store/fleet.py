"""The fleet seed: ``"accounts=N,grants=M"`` makes the sandbox's own account a manager of N managed accounts.

The own account holds the demo data (so the demo client and the printed API key work as with ``"demo"``). Each
managed account is drawn from its index alone (``random.Random`` seeded with it), so ``accounts=50`` is the first
50 of ``accounts=200`` and two sandboxes with one seed hold the same accounts, clients and grants: ids, emails,
organisations, ages, statuses. Each has the demo account's variety of clients (``demo.demo_variant``) and about M
grants drawn from the demo's plan (stale, never used, orphaned, ...). Every 8th account (from the 6th) has nothing;
every 12th (from the 8th) is disabled and every 12th (from the 12th) cancelled. What is never deterministic: the
API keys, API tokens and client secrets (random on every seeding, like the demo's secrets: a published secret
would open every sandbox).
"""

from __future__ import annotations

import random
import re
import secrets
import string
import uuid
from datetime import datetime, timedelta

from telnyx_nb.sandbox.store.accounts import MANAGER_SETTING
from telnyx_nb.sandbox.store.tables import iso

FLEET_SEED = re.compile(r"^accounts=(\d{1,5})(?:,grants=(\d{1,5}))?$")
DEFAULT_GRANTS = 20
_KEY_ALPHABET = string.ascii_letters + string.digits + "_-"
_FIRST = ("Acme", "Blue", "Cobalt", "Delta", "Echo", "Fjord", "Granite", "Harbor", "Iris", "Juniper")
_SECOND = ("Telecom", "Voice", "Logistics", "Health", "Retail", "Labs", "Media", "Systems", "Travel", "Energy")


def parse_fleet_seed(seed: str) -> tuple[int, int] | None:
    """``"accounts=N,grants=M"`` → (N, M); M defaults to 20. None for any other seed."""
    match = FLEET_SEED.match(seed)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or DEFAULT_GRANTS)


def new_account_key() -> str:
    """A managed account's API key, in Telnyx's shape like the sandbox's own (``KEY`` + 55 of ``[0-9A-Za-z_-]``)."""
    return "KEY" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(55))


def manager_account_id() -> str:
    return str(uuid.UUID(int=random.Random("telnyx-nb fleet manager").getrandbits(128), version=4))


def status_of(index: int) -> str:
    return "disabled" if index % 12 == 7 else "cancelled" if index % 12 == 11 else "active"


def is_empty_account(index: int) -> bool:
    return index % 8 == 5


def fleet_dataset(n_accounts: int, n_grants: int, now: datetime) -> tuple[list[dict], list[dict], list[dict]]:
    """(accounts, clients, grants) of a fleet; clients and grants carry their ``account_id``."""
    from telnyx_nb.sandbox.store.demo import demo_variant

    manager = manager_account_id()
    accounts, clients, grants = [], [], []
    for index in range(n_accounts):
        rng = random.Random(f"telnyx-nb fleet account {index}")
        account = _account(rng, index, manager, now)
        accounts.append(account)
        if is_empty_account(index):
            continue
        own_clients, own_grants = demo_variant(rng.getrandbits(64), now)
        for record in own_clients:
            record["account_id"] = account["id"]
        clients += own_clients
        grants += [{**grant, "account_id": account["id"]} for grant in _resize(rng, own_grants, n_grants)]
    return accounts, clients, grants


def _account(rng: random.Random, index: int, manager: str, now: datetime) -> dict:
    first, second = _FIRST[index % len(_FIRST)], _SECOND[(index // len(_FIRST)) % len(_SECOND)]
    organisation = f"{first} {second} {index + 1:04d}"
    email = f"admin@{first.lower()}-{second.lower()}-{index + 1}.example.com"
    created = now - timedelta(seconds=rng.randint(30 * 86400, 900 * 86400))
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "email": email, "api_user": email,
        "organization_name": organisation, "manager_account_id": manager, "created_at": iso(created),
        "updated_at": iso(created + timedelta(seconds=rng.randint(0, 20 * 86400))),
        "rollup_billing": int(index % 3 == 0), "allow_custom_pricing": int(index % 4 == 1),
        "status": status_of(index), "balance": f"{rng.randint(0, 250_000) / 100:.2f}",
        "api_key": new_account_key(), "api_token": secrets.token_urlsafe(24),
    }


def _resize(rng: random.Random, grants: list[dict], target: int) -> list[dict]:
    """About ``target`` grants in the demo's mix: a sample of them, or all of them and copies under new ids."""
    if target <= len(grants):
        chosen = sorted(rng.sample(range(len(grants)), target))
        return [grants[i] for i in chosen]
    extra = [{**rng.choice(grants), "id": str(uuid.UUID(int=rng.getrandbits(128), version=4))}
             for _ in range(target - len(grants))]
    return grants + extra


def seed_fleet(store, seed: str, now: datetime) -> int:
    """Add the managed accounts of a fleet seed with their clients and grants (ids already present are skipped).
    Returns the accounts added. The caller has seeded the own account (the manager's) with the demo data."""
    n_accounts, n_grants = parse_fleet_seed(seed)
    accounts, clients, grants = fleet_dataset(n_accounts, n_grants, now)
    for client in clients:  # as for the demo: ids are deterministic, secrets never are
        if client.get("secret"):
            client["secret"] = secrets.token_urlsafe(36)
    store.set_setting_once(MANAGER_SETTING, manager_account_id())
    added = store.insert_accounts(accounts)
    store.insert_clients(clients)
    store.insert_grants(grants)
    return added

"""The fleet audit: every managed account of a manager account, audited in one run, as one set of frames.

    from telnyx_nb.audit.fleet import audit_fleet
    fleet = audit_fleet(manager)             # or audit(manager, accounts="managed"), or accounts=[id, …]
    fleet.accounts                           # one row per account: grants, findings, worst risk, failed?
    fleet.findings, fleet.grants             # every account's, with account_id and organization_name first
    fleet.clients                            # every account's OAuth clients, keyed the same way
    fleet.failures                           # accounts that could not be read: stage and reason

Per account (on a pool of ``max_accounts_in_flight`` threads): ``retrieve`` its key with the manager's
(``TelnyxOAuth.for_managed_account``: a client of its own, so its own ``x-ratelimit-*`` window paces it), ``read``
its clients and grants with that key, then ``audit`` them with the same rules, the same clock and the same
published scopes as every other account (:func:`telnyx_nb.audit.rules.audit` on frames, with the per-grant risk of
:mod:`telnyx_nb.audit.risk`). The threads only retrieve and read; the calling thread runs the rules, once per batch
of finished accounts (those read while the last batch ran, up to ``BATCH``) over their frames keyed by account
(the rules' pandas cost is per call, and threads running them would queue on one GIL), then splits the findings and
scored grants back per account — the same as auditing each alone. Batches only when the server publishes only
admin scopes (the admin baseline then does not depend on which grants are judged together); a batch that raises is
audited account by account.
An account that fails at any stage — its key refused (a disabled or cancelled account answers 401), gone (404), a
server error left after the retry budget — becomes one row of ``failures`` with the stage
and the (masked) reason; the other accounts finish regardless. Only each account's frames are kept (never its raw
JSON), and they are concatenated once at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pandas as pd

from telnyx_nb import frames

# rules first: it registers the rule families in their order (grant rules, then client rules); risk.py would load
# client_rules first and change the order RULES lists them in
from telnyx_nb.audit.rules import AuditResult, Thresholds, _published_scopes, audit, find_issues  # isort: skip
from telnyx_nb.audit.baseline import admin_baseline  # isort: skip
from telnyx_nb.audit.levels import LEVELS  # isort: skip
from telnyx_nb.audit.risk import with_risk  # isort: skip
from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError
from telnyx_nb.core.masking import mask_text

__all__ = ["ACCOUNT_COLUMNS", "FAILURE_COLUMNS", "FLEET_KEYS", "STAGES", "AccountAudit", "FleetAuditResult",
           "audit_fleet"]

FLEET_KEYS = ("account_id", "organization_name")  # the first columns of the fleet's findings and grants
ACCOUNT_COLUMNS = ("account_id", "organization_name", "grants", "findings", "worst_risk_level", "worst_risk_score",
                   "failed")
FAILURE_COLUMNS = ("account_id", "organization_name", "stage", "reason")
STAGES = ("retrieve", "read", "audit")  # where an account's audit stopped: its key, its clients/grants, the rules


@dataclass
class FleetAuditResult:
    """One audit of many managed accounts: the roll-up, every account's findings and grants, and the failures."""

    accounts: pd.DataFrame  # ACCOUNT_COLUMNS: riskiest account first, the failed ones last
    findings: pd.DataFrame  # FLEET_KEYS + the findings columns
    grants: pd.DataFrame  # FLEET_KEYS + the grants columns with their risk, riskiest first
    failures: pd.DataFrame  # FAILURE_COLUMNS, by account_id
    clients: pd.DataFrame  # FLEET_KEYS + the clients columns
    thresholds: Thresholds
    target: str = "a manager account"
    base_url: str | None = None

    @property
    def partial(self) -> bool:
        """True when some account could not be audited (``failures`` says which and why)."""
        return not self.failures.empty

    def summary(self) -> pd.DataFrame:
        """Findings counted per account, severity and rule."""
        return (self.findings.groupby(["account_id", "severity", "rule"], observed=True).size()
                .rename("findings").reset_index())

    def _repr_html_(self) -> str:  # a notebook shows the roll-up
        return self.accounts._repr_html_()


@dataclass
class AccountAudit:
    """What one account left behind: its audit's frames (no JSON, no client), or where and why it failed."""

    account_id: str
    organization_name: str | None
    result: AuditResult | None = None
    stage: str | None = None
    reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.result is None


def _account_ids(accounts: Any) -> list[str] | None:
    """``None`` (every managed account) or the ids asked for, in order, each once; refused before any request."""
    if accounts is None or accounts == "managed":
        return None
    if isinstance(accounts, str) or not isinstance(accounts, Iterable):
        raise ArgumentTypeError(f"accounts: pass None (every managed account) or a list of managed account ids, "
                                f"got {accounts!r}")
    ids = list(accounts)
    bad = [a for a in ids if not isinstance(a, str) or not a.strip() or "/" in a]
    if bad:
        raise ConfigurationError(f"accounts: each must be a managed account id (a non-empty string without '/'), "
                                 f"got {bad[:3]!r}")
    return list(dict.fromkeys(ids))


@dataclass
class _Read:
    """An account whose clients and grants were read, waiting for the rules (the frames are dropped once audited)."""

    account: AccountAudit
    clients: pd.DataFrame | None = None
    grants: pd.DataFrame | None = None


def _read_one(manager: Any, account_id: str, name: str | None,
              session_factory: Callable[[], Any] | None, progress: bool = False) -> _Read:
    """Retrieve one account's key and read its clients and grants (the worker threads' share: I/O only, the
    rules run in the calling thread); any failure is caught here and said with its stage, so the fleet goes on.
    ``progress``: a bar of its own for this account (key, clients, grants), gone once the account is read."""
    read = _Read(AccountAudit(account_id, name))
    stage, client = "retrieve", None
    bar = _account_bar(account_id, progress)
    try:
        session = session_factory() if session_factory is not None else None
        client = manager.for_managed_account(account_id, session=session)
        if read.account.organization_name is None:  # ids given: the name comes with the key
            read.account.organization_name = client.acting_as.organization_name
        stage = "read"
        _step(bar)
        read.clients = client.clients_df(progress=False)
        _step(bar)
        read.grants = client.grants_df(with_clients=False, progress=False)
        _step(bar)
    except Exception as exc:  # noqa: BLE001 — one account's failure, whatever it is, must not stop the fleet
        read.account.stage, read.account.reason = stage, mask_text(f"{type(exc).__name__}: {exc}")
    finally:
        if client is not None:
            client.close()
        if bar is not None:
            bar.close()
    return read


def _account_bar(account_id: str, progress: bool) -> Any:
    """One account's bar, beside the fleet's, on a terminal; ``leave=False``: it goes when the account is read.
    In a notebook only the fleet's bar shows: a widget per account would flicker by eight at a time and leave
    hundreds of closed widget models in the saved notebook."""
    if not progress:
        return None
    from tqdm.auto import tqdm
    from tqdm.notebook import tqdm_notebook

    if issubclass(tqdm, tqdm_notebook):
        return None
    return tqdm(total=3, desc=f"account {account_id}", unit="step", leave=False)


def _step(bar: Any) -> None:
    if bar is not None:
        bar.update(1)


BATCH = 25  # at most this many finished accounts' frames go through the rules in one call


def _batchable(t: Thresholds) -> bool:
    """Accounts may share one run of the rules only when the admin baseline does not depend on which grants are
    audited together: the server publishes only admin scopes (Telnyx: ``admin``). Otherwise each runs alone."""
    published = set(t.scopes_supported or ())
    return bool(published) and published <= set(t.admin_scopes)


def _audit_alone(read: _Read, t: Thresholds) -> None:
    try:
        read.account.result = audit(read.clients, read.grants, stale_days=t.stale_days,
                                    never_used_grace_days=t.never_used_grace_days, admin_scopes=t.admin_scopes,
                                    now=t.now, scopes_supported=t.scopes_supported)
    except Exception as exc:  # noqa: BLE001 — as in _read_one: this account fails, the fleet goes on
        read.account.stage, read.account.reason = "audit", mask_text(f"{type(exc).__name__}: {exc}")
    read.clients = read.grants = None


def _owners(clients: pd.DataFrame, grants: pd.DataFrame) -> pd.Series:
    """object id (client or grant id) → its account; raises when an id appears in two accounts (the rules match
    grants to clients by id, so such a batch cannot be judged as one)."""
    pairs = pd.concat([pd.DataFrame({"id": clients["client_id"].astype(str), "account": clients["account_id"]}),
                       pd.DataFrame({"id": grants["id"].astype(str), "account": grants["account_id"]})])
    pairs = pairs.drop_duplicates()
    if pairs["id"].duplicated().any():
        raise ValueError("an id is shared by two accounts of the batch")
    return pairs.set_index("id")["account"]


def _audit_batch(batch: list[_Read], t: Thresholds) -> None:
    """The rules and the risk once over many accounts' frames keyed by account (their pandas cost is per call,
    not per row), each account then given its own findings and scored grants: the same as auditing it alone.
    A batch that raises is audited account by account, so the failure lands on its account at stage ``audit``."""
    batch = [r for r in batch if r.clients is not None and r.grants is not None]
    if len(batch) < 2 or not _batchable(t):
        for r in batch:
            _audit_alone(r, t)
        return
    try:
        clients = pd.concat([_keyed(r.clients, r.account) for r in batch], ignore_index=True)
        grants = pd.concat([_keyed(r.grants, r.account) for r in batch], ignore_index=True)
        ts = replace(t, _shared={})  # this batch's own cache of shared work
        findings = find_issues(clients, grants, stale_days=t.stale_days, never_used_grace_days=t.never_used_grace_days,
                               admin_scopes=t.admin_scopes, now=t.now, scopes_supported=t.scopes_supported)
        scored = with_risk(clients, grants, ts, findings).drop(columns=list(FLEET_KEYS[1:]))
        owner = findings["object_id"].astype(str).map(_owners(clients, grants))
        if owner.isna().any():
            raise ValueError("a finding names an object of no account")
        by_findings = dict(tuple(findings.groupby(owner.to_numpy(), sort=False)))
        by_grants = dict(tuple(scored.groupby(scored["account_id"].to_numpy(), sort=False)))
    except Exception:  # noqa: BLE001 — find the account that fails by auditing each alone
        for r in batch:
            _audit_alone(r, t)
        return
    for r in batch:
        g = by_grants.get(r.account.account_id, scored.iloc[:0]).drop(columns="account_id").reset_index(drop=True)
        f = by_findings.get(r.account.account_id, findings.iloc[:0]).reset_index(drop=True)
        at = replace(t, _shared={})
        r.account.result = AuditResult(r.clients, g, f, at, baseline=admin_baseline(r.grants, at))
        r.clients = r.grants = None


def _keyed(frame: pd.DataFrame, account: AccountAudit) -> pd.DataFrame:
    keys = pd.DataFrame({"account_id": pd.Series([account.account_id] * len(frame), dtype="string"),
                         "organization_name": pd.Series([account.organization_name] * len(frame), dtype="string")})
    return pd.concat([keys, frame.reset_index(drop=True)], axis=1)


def _roll_up(done: Sequence[AccountAudit]) -> pd.DataFrame:
    rows = []
    for a in done:
        r = a.result
        worst = r.grants["risk_score"].max() if r is not None and len(r.grants) else None
        rows.append({"account_id": a.account_id, "organization_name": a.organization_name,
                     "grants": len(r.grants) if r is not None else None,
                     "findings": len(r.findings) if r is not None else None,
                     "worst_risk_level": r.grants["risk_level"].max() if worst is not None else None,
                     "worst_risk_score": worst, "failed": a.failed})
    frame = pd.DataFrame(rows, columns=list(ACCOUNT_COLUMNS)).astype({
        "account_id": "string", "organization_name": "string", "grants": "Int64", "findings": "Int64",
        "worst_risk_score": "Int64", "failed": "boolean"})
    frame["worst_risk_level"] = pd.Categorical(frame["worst_risk_level"], categories=LEVELS, ordered=True)
    order = frame.assign(_failed=frame["failed"].astype(bool), _score=-frame["worst_risk_score"].astype("Float64"))
    order = order.sort_values(["_failed", "_score", "account_id"], na_position="last", kind="stable").index
    return frame.loc[order].reset_index(drop=True)


def _combine(done: Sequence[AccountAudit], t: Thresholds) -> dict[str, pd.DataFrame]:
    """The fleet's findings, grants, clients and failures, each concatenated once (an empty audit gives the
    columns and dtypes when no account could be read)."""
    empty = AccountAudit("", None, audit(frames.empty_frame(frames.CLIENT_COLUMNS),
                                     frames.empty_frame(frames.GRANT_COLUMNS), now=t.now))
    read = [empty, *(a for a in done if not a.failed)]

    def joined(part: str) -> pd.DataFrame:
        return pd.concat([_keyed(getattr(a.result, part), a) for a in read], ignore_index=True)

    fleet_findings, fleet_grants = joined("findings"), joined("grants")
    fleet_findings = fleet_findings.sort_values(["severity", "account_id", "rule"], kind="stable",
                                                ignore_index=True)
    fleet_grants = fleet_grants.sort_values(["risk_score", "account_id"], ascending=[False, True], kind="stable",
                                            ignore_index=True)
    failures = pd.DataFrame([(a.account_id, a.organization_name, a.stage, a.reason) for a in done if a.failed],
                            columns=list(FAILURE_COLUMNS)).astype("string")
    return {"findings": fleet_findings, "grants": fleet_grants, "clients": joined("clients"),
            "failures": failures.sort_values("account_id", ignore_index=True)}


def _names(oauth: Any, ids: list[str] | None, include_cancelled: bool) -> dict[str, str | None]:
    """The accounts of this run by id, with their names when listed (ids given: the name comes with each key)."""
    if ids is not None:
        return dict.fromkeys(ids)
    listed = oauth.managed_accounts(progress=False, include_cancelled=include_cancelled)
    return {a.id: a.organization_name for a in listed}


def _already_done(names: Mapping[str, str | None], done: Mapping[str, AccountAudit] | None) -> dict:
    """The accounts of this run that ``done`` already holds audited: neither failed ones (a rerun retries them) nor
    ones no longer listed (the fleet changed since) are kept."""
    return {account_id: account for account_id, account in (done or {}).items()
            if account_id in names and not account.failed}


def _fleet_bar(total: int, progress: bool) -> Any:
    if not progress:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="managed accounts", unit="account")


def _read_and_audit(oauth: Any, todo: Mapping[str, str | None], t: Thresholds,
                    session_factory: Callable[[], Any] | None, in_flight: int,
                    finished: Callable[[AccountAudit], None], progress: bool = False) -> None:
    """Read the accounts on a pool of threads; audit them here, in batches of those read while the last batch ran
    (checkpoints never wait for a full one), then hand each to ``finished``, audited or failed."""
    batch_size = BATCH if _batchable(t) else 1
    pending: list[_Read] = []

    def flush() -> None:
        _audit_batch(pending, t)
        for r in pending:
            finished(r.account)
        pending.clear()

    pool = ThreadPoolExecutor(max_workers=max(1, min(in_flight, len(todo) or 1)),
                              thread_name_prefix="telnyx-nb-account")
    try:
        remaining = {pool.submit(_read_one, oauth, account_id, name, session_factory, progress)
                     for account_id, name in todo.items()}
        while remaining:
            ready, remaining = wait(remaining, return_when=FIRST_COMPLETED)
            for future in ready:
                pending.append(future.result())
                if len(pending) >= batch_size:
                    flush()
            flush()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def audit_fleet(
    oauth: Any,
    accounts: Any = None,
    *,
    max_accounts_in_flight: int = 8,
    progress: bool = True,
    include_cancelled: bool = False,
    session_factory: Callable[[], Any] | None = None,
    stale_days: int = 90,
    never_used_grace_days: int = 7,
    admin_scopes: Iterable[str] = ("admin",),
    now: datetime | None = None,
    done: Mapping[str, AccountAudit] | None = None,
    on_account_done: Callable[[AccountAudit], None] | None = None,
) -> FleetAuditResult:
    """Audit every managed account of ``oauth`` (a manager account's ``TelnyxOAuth``), or the ids in ``accounts``.

    ``max_accounts_in_flight`` accounts are read at once, each paced by its own rate-limit window; ``progress``
    shows a bar for the fleet and one per account being read (``tqdm.auto``: widgets in a notebook). A failing
    account is a row of ``failures``; the listing of the accounts itself failing (not a manager's key) raises,
    as nothing was audited.
    ``include_cancelled``: list cancelled accounts too (their keys are refused: each becomes a failure).
    ``session_factory``: makes each account's ``requests.Session`` (default: a new pooled one), e.g.
    ``sandbox.requests_session`` for an in-process sandbox.
    ``done``: accounts already audited (by id, e.g. loaded from a ``--state`` checkpoint): each one still listed is
    taken as it is, not fetched again (a failed one is retried). ``on_account_done``: called in the calling thread
    with each account this run finished, audited or failed (the CLI checkpoints the audited ones and prints a line).
    """
    ids = _account_ids(accounts)
    if not isinstance(max_accounts_in_flight, int) or isinstance(max_accounts_in_flight, bool) \
            or max_accounts_in_flight < 1:
        raise ConfigurationError(f"max_accounts_in_flight must be a whole number >= 1, got {max_accounts_in_flight!r}")
    if not callable(getattr(oauth, "for_managed_account", None)):
        raise ArgumentTypeError(f"oauth: pass a manager account's TelnyxOAuth, not {type(oauth).__name__}")
    names = _names(oauth, ids, include_cancelled)
    t = Thresholds(stale_days, never_used_grace_days, tuple(admin_scopes), now, _published_scopes(oauth))
    t = replace(t, now=t.at().to_pydatetime())  # one clock for every account
    finished = _already_done(names, done)
    todo = {account_id: name for account_id, name in names.items() if account_id not in finished}
    bar = _fleet_bar(len(names), progress)
    if bar is not None and finished:
        bar.update(len(finished))
    finished_list = list(finished.values())

    def finished_one(account: AccountAudit) -> None:
        finished_list.append(account)
        if on_account_done is not None:
            on_account_done(account)
        if bar is not None:
            bar.update(1)

    try:
        _read_and_audit(oauth, todo, t, session_factory, max_accounts_in_flight, finished_one, progress)
    finally:
        if bar is not None:
            bar.close()
    parts = _combine(finished_list, t)
    return FleetAuditResult(_roll_up(finished_list), thresholds=t,
                            target=str(getattr(oauth, "target", "a manager account")),
                            base_url=getattr(oauth, "base_url", None), **parts)

"""``telnyx-nb audit --managed-accounts`` and ``telnyx-nb snapshot --managed-accounts``: the whole fleet of a manager
account in one run, resumable with ``--state DIR`` (:mod:`telnyx_nb.audit.fleet_state`).

Each finished account prints one line on stderr (a tqdm bar instead when stderr is a terminal) and, with
``--state``, is checkpointed at once; run again with the same ``--state`` after a crash or a kill, only the
accounts not yet done are fetched. Accounts that failed are listed at the end on stderr, one line each (reasons
masked), and are retried by a rerun.

Exit status (:func:`exit_help`): 0 every account audited and nothing matched ``--fail-on``; 1 ``--fail-on`` matched;
3 partial: some accounts failed, the others are reported; 2 nothing audited. ``--fail-on`` wins over partial: a
risk found in the accounts read is certain whatever the failed ones hold, and is what a CI gate must stop on; the
failures are still listed on stderr, and a rerun with the same ``--state`` fetches only them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from telnyx_nb.core.settings import explain
from telnyx_nb.terminal import echo, table_cell

__all__ = ["exit_help", "add_fleet_arguments", "check_fleet_arguments", "run_fleet", "EXIT_PARTIAL"]

EXIT_PARTIAL = 3


def exit_help(fail_on: bool = True) -> str:
    """The exit statuses of a fleet run, for ``--help`` (``fail_on``: the command has ``--fail-on``)."""
    one = (";\n             1 --fail-on matched (even when some accounts failed: a risk found is certain, so it "
           "wins over partial)") if fail_on else ""
    return (f"with --managed-accounts: 0 every account done{' and nothing matched --fail-on' if fail_on else ''}"
            f"{one};\n             3 partial: some accounts failed (listed on stderr, one line each), the others "
            "are reported;\n             2 nothing done (not a manager key, no managed accounts, every account "
            "failed,\n             a --state of another server or other options, usage)")


def _ids(value: str) -> list[str]:
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not ids:
        raise argparse.ArgumentTypeError(f"{value!r}: give managed account ids separated by commas, e.g. id1,id2")
    return list(dict.fromkeys(ids))


def _in_flight(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number, e.g. 8") from None
    if not 1 <= n <= 64:
        raise argparse.ArgumentTypeError(f"{n}: pass 1 to 64 accounts in flight")
    return n


def add_fleet_arguments(parser: argparse.ArgumentParser) -> None:
    fleet = parser.add_argument_group("fleet (a manager account's managed accounts)")
    fleet.add_argument("--managed-accounts", action="store_true",
                       help="run over every managed account of the manager key in the environment")
    fleet.add_argument("--accounts", type=_ids, default=None, metavar="ID,ID",
                       help="only these managed accounts (with --managed-accounts)")
    fleet.add_argument("--include-cancelled", action="store_true",
                       help="list cancelled accounts too (their keys are refused: each is a failure)")
    fleet.add_argument("--max-in-flight", type=_in_flight, default=8, metavar="N",
                       help="accounts read at once (default 8), each paced by its own rate limit")
    fleet.add_argument("--state", type=Path, default=None, metavar="DIR",
                       help="checkpoint each finished account in DIR; run again with the same DIR to fetch only "
                            "the accounts not yet done (same server and options only)")


def check_fleet_arguments(args: argparse.Namespace, command: str) -> int | None:
    """The fleet options mean nothing without ``--managed-accounts``: a usage error (exit 2), not a silent no-op."""
    given = [name for name, on in (("--accounts", args.accounts is not None), ("--state", args.state is not None),
                                   ("--include-cancelled", args.include_cancelled),
                                   ("--max-in-flight", args.max_in_flight != 8)) if on]
    if given and not args.managed_accounts:
        echo(f"telnyx-nb {command}: {', '.join(given)}: only with --managed-accounts; add it to run over the fleet",
             file=sys.stderr)
        return 2
    return None


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The options that shape the result, pinned in a --state manifest (not --out, --fail-on or --max-in-flight)."""
    return {"accounts": sorted(args.accounts) if args.accounts else None,
            "include_cancelled": bool(args.include_cancelled),
            "stale_days": getattr(args, "stale_days", 90), "never_used_days": getattr(args, "never_used_days", 7)}


def _who(account_id: str, name) -> str:
    """An account as a progress or failure line names it: its id and (terminal-safe) name, '?' when unknown."""
    return f"{account_id} ({table_cell(name) if isinstance(name, str) and name else '?'})"


class _Lines:
    """The per-account progress line (plain text on stderr: ids and masked reasons, names made terminal-safe)."""

    def __init__(self, state, total_done: int, plain: bool) -> None:
        self.state, self.n, self.plain = state, total_done, plain

    def __call__(self, account) -> None:
        if self.state is not None and not account.failed:
            self.state.save(account)
        self.n += 1
        if not self.plain:
            return
        who = _who(account.account_id, account.organization_name)
        if account.failed:
            echo(f"[{self.n}] {who}: failed at {account.stage}", file=sys.stderr, flush=True)
        else:
            r = account.result
            echo(f"[{self.n}] {who}: {len(r.grants)} grants, {len(r.findings)} findings", file=sys.stderr,
                 flush=True)


def _audit(api, args: argparse.Namespace):
    """The fleet audit with the checkpoint hooks; returns the result or an exit status."""
    from datetime import UTC, datetime

    from telnyx_nb.audit.fleet import audit_fleet
    from telnyx_nb.audit.fleet_state import FleetState

    state, done, now = None, {}, datetime.now(UTC)
    if args.state is not None:
        state = FleetState.open(args.state, server=str(api.base_url), options=_options(args), now=now)
        now = state.started_at
    if state is not None:
        from telnyx_nb.audit.rules import Thresholds

        done = state.load(Thresholds(now=now))
        if done:
            echo(f"resumed: {len(done)} accounts from {args.state}; fetching the others", file=sys.stderr)
    tty = sys.stderr.isatty()
    return audit_fleet(api, args.accounts, max_accounts_in_flight=args.max_in_flight, progress=tty,
                       include_cancelled=args.include_cancelled, now=now, done=done,
                       on_account_done=_Lines(state, len(done), plain=not tty),
                       stale_days=getattr(args, "stale_days", 90),
                       never_used_grace_days=getattr(args, "never_used_days", 7))


def run_fleet(args: argparse.Namespace, command: str, write, fails=None) -> int:
    """Connect, audit the fleet (resuming from ``--state``), call ``write(result)`` (an exit status when it could
    not write, else None), say the failures, and return the exit status (``fails(result)``: --fail-on matched)."""
    import telnyx_nb
    from telnyx_nb.audit.fleet_state import StateMismatch
    from telnyx_nb.core.errors import TelnyxNBError

    try:
        api = telnyx_nb.connect()
    except TelnyxNBError as exc:
        echo(f"telnyx-nb {command}: {explain(exc)}", file=sys.stderr)
        return 2
    try:
        echo(f"{command.capitalize()} of the managed accounts of {api.target_and_choice}", file=sys.stderr)
        result = _audit(api, args)
    except StateMismatch as exc:
        echo(f"telnyx-nb {command}: --state {args.state}: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        echo(f"telnyx-nb {command}: --state {args.state}: cannot write ({exc.strerror or exc}); pick a writable "
             "directory", file=sys.stderr)
        return 2
    except TelnyxNBError as exc:
        echo(f"telnyx-nb {command}: {explain(exc)} (is it a manager account's key?)", file=sys.stderr)
        return 2
    finally:
        api.close()
    return _finish(result, command, write, fails)


def _finish(result, command: str, write, fails) -> int:
    audited = int((~result.accounts["failed"].astype(bool)).sum())
    echo(f"{audited} of {len(result.accounts)} accounts audited: {len(result.grants)} grants, "
         f"{len(result.findings)} findings", file=sys.stderr)
    for row in result.failures.itertuples(index=False):
        echo(f"failed: {_who(row.account_id, row.organization_name)} at {row.stage}: "
             f"{table_cell(row.reason)}", file=sys.stderr)
    if audited == 0:
        echo(f"telnyx-nb {command}: nothing audited (no managed account could be read)", file=sys.stderr)
        return 2
    status = write(result)
    if status is not None:
        return status
    if fails is not None and fails(result):
        return 1
    return EXIT_PARTIAL if result.partial else 0

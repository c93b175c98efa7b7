"""``telnyx-nb snapshot``: write the account's clients and grants as Parquet, then say what changed.

    telnyx-nb snapshot --out DIR
    telnyx-nb snapshot --managed-accounts --out DIR [--accounts ID,ID] [--max-in-flight N] [--state DIR]

Writes ``DIR/clients/date=YYYY-MM-DD/snapshot-<stamp>.parquet`` and the same under ``DIR/grants``
(``telnyx_nb.audit.snapshots``), then prints the changes since the previous snapshot in DIR, if there is one.
Where to connect follows ``telnyx_nb.connect()`` (``--help`` lists the variables, :mod:`telnyx_nb.core.settings`).
Exit status: 0 written; 2 nothing written (bad setting, connection or authentication failure, unwritable DIR).
``--managed-accounts`` snapshots every managed account of a manager key (``snapshots.write_fleet_snapshot``:
partitioned by account and date), resumable with ``--state`` (:mod:`telnyx_nb.audit.fleet_cli`), and adds status 3:
partial (some accounts failed; the others are written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from telnyx_nb.audit.fleet_cli import add_fleet_arguments, check_fleet_arguments, exit_help, run_fleet
from telnyx_nb.core.settings import WHERE_HELP, explain
from telnyx_nb.terminal import echo

__all__ = ["add_arguments", "run", "print_changes"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = WHERE_HELP + "\nexit status: 0 written; 2 nothing written\n" + exit_help(fail_on=False)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="snapshot directory (created if needed; earlier snapshots in it are kept)")
    add_fleet_arguments(parser)


def print_changes(changes, *, limit: int = 50) -> None:
    """A count per kind of change, then the first ``limit`` rows."""
    if changes.empty:
        echo("no changes")
        return
    counts = changes["change"].value_counts(sort=False)
    echo(", ".join(f"{int(n)} {kind}" for kind, n in counts.items() if n))
    from telnyx_nb.audit.sanitize import terminal_safe

    shown = terminal_safe(changes.head(limit).fillna(""))  # names are third parties' choice: cells cleaned first
    echo(shown.to_string(index=False, max_colwidth=60))
    if len(changes) > limit:
        echo(f"… and {len(changes) - limit} more")


def run(args: argparse.Namespace) -> int:
    usage = check_fleet_arguments(args, "snapshot")
    if usage is not None:
        return usage
    if args.managed_accounts:
        return run_fleet(args, "snapshot", lambda result: _write_fleet(result, args.out))
    import telnyx_nb
    from telnyx_nb.audit.snapshots import diff, list_snapshots, load_snapshot, snapshot
    from telnyx_nb.core.errors import TelnyxNBError

    try:
        previous = load_snapshot(args.out) if list_snapshots(args.out) else None
        api = telnyx_nb.connect()
    except (TelnyxNBError, OSError) as exc:
        echo(f"telnyx-nb snapshot: {explain(exc)}", file=sys.stderr)
        return 2
    try:
        echo(f"Snapshot of {api.target_and_choice}", file=sys.stderr)
        taken = snapshot(api, args.out)
    except TelnyxNBError as exc:
        echo(f"telnyx-nb snapshot: {explain(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        echo(f"telnyx-nb snapshot: --out {args.out}: cannot write ({exc.strerror or exc}); pick a writable "
             "directory", file=sys.stderr)
        return 2
    finally:
        api.close()
    echo(f"{len(taken.clients)} clients, {len(taken.grants)} grants at {taken.taken_at.isoformat()}",
         file=sys.stderr)
    for path in taken.paths.values():
        echo(f"wrote {path}")
    if previous is not None:
        echo(f"since the snapshot of {previous.taken_at.isoformat()}:")
        print_changes(diff(previous, taken))
    return 0


def _write_fleet(result, out: Path) -> int | None:
    """The fleet's clients and grants, partitioned by account and date; an exit status when nothing was written."""
    from telnyx_nb.audit import snapshots

    if not hasattr(snapshots, "write_fleet_snapshot"):
        echo("telnyx-nb snapshot: this build cannot write fleet snapshots yet (snapshots.write_fleet_snapshot)",
             file=sys.stderr)
        return 2
    try:
        written = snapshots.write_fleet_snapshot(result, out)
    except OSError as exc:
        echo(f"telnyx-nb snapshot: --out {out}: cannot write ({exc.strerror or exc}); pick a writable directory",
             file=sys.stderr)
        return 2
    echo(f"wrote {len(written)} files under {out}")
    return None

"""``telnyx-nb snapshot``: write the account's clients and grants as Parquet, then say what changed.

    telnyx-nb snapshot --out DIR

Writes ``DIR/clients/date=YYYY-MM-DD/snapshot-<stamp>.parquet`` and the same under ``DIR/grants``
(``telnyx_nb.audit.snapshots``), then prints the changes since the previous snapshot in DIR, if there is one.
Where to connect follows ``telnyx_nb.connect()`` (``--help`` lists the variables, :mod:`telnyx_nb.core.settings`).
Exit status: 0 written; 2 nothing written (bad setting, connection or authentication failure, unwritable DIR).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from telnyx_nb.core.settings import WHERE_HELP, explain
from telnyx_nb.terminal import echo

__all__ = ["add_arguments", "run", "print_changes"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = WHERE_HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="snapshot directory (created if needed; earlier snapshots in it are kept)")


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

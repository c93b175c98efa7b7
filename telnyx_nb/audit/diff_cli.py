"""``telnyx-nb diff``: what changed between two snapshots.

    telnyx-nb diff DIR              # the last two snapshots in DIR
    telnyx-nb diff OLD_DIR NEW_DIR  # the latest snapshot of each
    telnyx-nb diff DIR --out changes.csv|.parquet

Exit status: 0 compared (changes or not); 2 nothing to compare (missing directory, fewer than two snapshots).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from telnyx_nb.spreadsheet import write_csv
from telnyx_nb.terminal import echo

__all__ = ["add_arguments", "run"]


def _out(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise argparse.ArgumentTypeError(f"{value!r}: use a .csv or .parquet file name, e.g. changes.csv")
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", type=Path, metavar="DIR", help="snapshot directory (alone: its last two snapshots)")
    parser.add_argument("new", type=Path, nargs="?", metavar="NEW_DIR", help="a second snapshot directory")
    parser.add_argument("--out", type=_out, metavar="FILE", help="write the changes as .csv or .parquet")


def run(args: argparse.Namespace) -> int:
    from telnyx_nb.audit.snapshot_cli import print_changes
    from telnyx_nb.audit.snapshots import diff

    try:
        changes = diff(args.old, args.new)
    except (OSError, ValueError, IndexError) as exc:
        echo(f"telnyx-nb diff: {exc}", file=sys.stderr)
        return 2
    if args.out:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            if args.out.suffix.lower() == ".csv":
                write_csv(changes, args.out)  # quoted, no formulas, no row breaks (telnyx_nb.spreadsheet)
            else:
                changes.to_parquet(args.out, index=False)
        except OSError as exc:
            echo(f"telnyx-nb diff: --out {args.out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
            return 2
        echo(f"wrote {args.out}")
    print_changes(changes)
    return 0

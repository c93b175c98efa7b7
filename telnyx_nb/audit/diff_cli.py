"""``telnyx-nb diff``: what changed between two snapshots, of one account or of a fleet.

    telnyx-nb diff DIR              # the last two snapshots in DIR
    telnyx-nb diff OLD_DIR NEW_DIR  # the latest snapshot of each
    telnyx-nb diff DIR --out changes.csv|.parquet
    telnyx-nb diff --fleet DIR [--account ID] [--since YYYY-MM-DD]   # each account of a fleet's snapshots

A fleet directory (``write_fleet_snapshot``: ``DIR/runs`` beside ``DIR/clients/account_id=…``) is recognised
without ``--fleet`` too. Its changes carry ``account_id`` and ``organization_name`` first: each account read in the
latest run, its latest snapshot against the one before (``--since``: its last one before that day, UTC).
Exit status: 0 compared (changes or not); 2 nothing to compare (missing directory, fewer than two snapshots, an
account not in the latest run).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from telnyx_nb.spreadsheet import write_csv
from telnyx_nb.terminal import echo

__all__ = ["add_arguments", "run"]


def _out(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in (".csv", ".parquet"):
        raise argparse.ArgumentTypeError(f"{value!r}: use a .csv or .parquet file name, e.g. changes.csv")
    return path


def _day(value: str) -> pd.Timestamp:
    try:
        moment = pd.Timestamp(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: use a date such as 2026-12-01 (UTC)") from None
    return moment if moment.tzinfo is not None else moment.tz_localize("UTC")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("old", type=Path, nargs="?", metavar="DIR",
                        help="snapshot directory (alone: its last two snapshots)")
    parser.add_argument("new", type=Path, nargs="?", metavar="NEW_DIR", help="a second snapshot directory")
    parser.add_argument("--fleet", type=Path, metavar="DIR",
                        help="a fleet's snapshot directory (telnyx-nb snapshot --managed-accounts): every account")
    parser.add_argument("--account", metavar="ID", help="with a fleet: this managed account only")
    parser.add_argument("--since", type=_day, metavar="DATE",
                        help="with a fleet: against each account's last snapshot before DATE (UTC)")
    parser.add_argument("--out", type=_out, metavar="FILE", help="write the changes as .csv or .parquet")


def _is_fleet(directory: Path | None) -> bool:
    return directory is not None and (directory / "runs").is_dir() and (directory / "grants").is_dir() \
        and any((directory / "grants").glob("account_id=*"))


def _compare(args: argparse.Namespace) -> pd.DataFrame:
    """The changes, from a fleet (``--fleet``, or a DIR laid out as one) or one account's snapshots."""
    from telnyx_nb.audit.snapshots import diff, fleet_diff

    fleet = args.fleet or (args.old if args.new is None and _is_fleet(args.old) else None)
    if fleet is not None:
        if args.new is not None or (args.fleet and args.old is not None):
            raise ValueError("--fleet DIR compares the runs in one directory: drop the other DIR")
        changes = fleet_diff(fleet, account=args.account, since=args.since)
        skipped = Counter(changes.attrs.get("not_compared", {}).values())
        if skipped:
            echo("account(s) not compared: " + "; ".join(f"{n} {why}" for why, n in skipped.items()), file=sys.stderr)
        return changes
    if args.old is None:
        raise ValueError("name a snapshot directory: telnyx-nb diff DIR, or telnyx-nb diff --fleet DIR")
    if args.account or args.since is not None:
        raise ValueError("--account and --since apply to a fleet's snapshots (--fleet DIR)")
    return diff(args.old, args.new)


def _write(changes: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        write_csv(changes, out)  # quoted, no formulas, no row breaks (telnyx_nb.spreadsheet)
    else:
        changes.to_parquet(out, index=False)


def run(args: argparse.Namespace) -> int:
    from telnyx_nb.audit.snapshot_cli import print_changes

    try:
        changes = _compare(args)
    except (OSError, ValueError, IndexError, KeyError) as exc:
        echo(f"telnyx-nb diff: {exc}", file=sys.stderr)
        return 2
    if args.out:
        try:
            _write(changes, args.out)
        except OSError as exc:
            echo(f"telnyx-nb diff: --out {args.out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
            return 2
        echo(f"wrote {args.out}")
    if "account_id" in changes and not changes.empty:
        echo(f"{changes['account_id'].nunique()} account(s) changed")
    print_changes(changes)
    return 0

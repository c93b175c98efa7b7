"""``telnyx-nb audit``: audit the account headlessly (cron, CI) and write a report.

    telnyx-nb audit [--out report.html|.csv|.parquet] [--stale-days N] [--never-used-days N] [--fail-on high]

Where to connect follows ``telnyx_nb.connect()``: Telnyx credentials in the environment → the real API;
``TELNYX_NB_SANDBOX`` → that sandbox; otherwise a throwaway in-process sandbox with demo data.

Exit status: 0 done; 1 ``--fail-on`` found a finding that severe; 2 no audit (bad setting, connection or
authentication failure, unwritable ``--out``); argparse's usage errors also exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from telnyx_nb.settings import WHERE_HELP
from telnyx_nb.terminal import echo

__all__ = ["add_arguments", "run"]

_SUFFIXES = (".html", ".htm", ".csv", ".parquet")


def _days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of days, e.g. 90") from None
    if days < 0:
        raise argparse.ArgumentTypeError(f"{days} days: pass 0 or more")
    return days


def _out(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in _SUFFIXES:
        raise argparse.ArgumentTypeError(f"{value!r}: use a .html, .csv or .parquet file name, e.g. report.html")
    return path


EPILOG = WHERE_HELP + """
exit status: 0 done; 1 --fail-on matched a finding; 2 no audit (bad setting, connection or authentication
             failure, unwritable --out)"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--out", type=_out, metavar="FILE",
                        help="write report.html (self-contained), or findings as .csv/.parquet with the clients "
                             "and grants frames beside it; without it the findings are printed")
    parser.add_argument("--stale-days", type=_days, default=90, metavar="N",
                        help="a grant unused for more than N days is stale (default 90)")
    parser.add_argument("--never-used-days", type=_days, default=7, metavar="N",
                        help="flag a never-used grant once it is older than N days (default 7)")
    parser.add_argument("--fail-on", choices=["high", "medium", "low"], default=None,
                        help="exit with status 1 when there is a finding of this severity or worse (for CI)")


def run(args: argparse.Namespace) -> int:
    import telnyx_nb
    from telnyx_nb.audit.report import write_report
    from telnyx_nb.audit.rules import SEVERITIES, audit
    from telnyx_nb.errors import TelnyxNBError

    try:
        api = telnyx_nb.connect()
    except TelnyxNBError as exc:  # messages are already masked
        echo(f"telnyx-nb audit: {exc}", file=sys.stderr)
        return 2
    try:
        echo(f"Auditing {api.target}", file=sys.stderr)
        result = audit(api, stale_days=args.stale_days, never_used_grace_days=args.never_used_days,
                       progress=False)
    except TelnyxNBError as exc:
        echo(f"telnyx-nb audit: {exc}", file=sys.stderr)
        return 2
    finally:
        api.close()  # also stops an in-process sandbox that connect() started
    findings = result.findings
    counts = findings["severity"].astype(str).value_counts()
    echo(f"{len(result.clients)} clients, {len(result.grants)} grants, {len(findings)} findings ("
         + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in SEVERITIES) + ")", file=sys.stderr)
    if args.out:
        try:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            written = write_report(result, args.out)
        except OSError as exc:
            echo(f"telnyx-nb audit: --out {args.out}: cannot write ({exc.strerror or exc}); "
                 "pick a writable path", file=sys.stderr)
            return 2
        for path in written:
            echo(f"wrote {path}")
    else:
        from telnyx_nb.audit.sanitize import terminal_safe

        # names are third parties' choice: no escape sequence of theirs reaches the terminal
        shown = terminal_safe(findings[["severity", "rule", "client_name", "object_id", "detail"]])
        echo(shown.to_string(index=False, max_colwidth=70) if len(shown) else "no findings")
    if args.fail_on:
        worst = SEVERITIES[: SEVERITIES.index(args.fail_on) + 1]
        if findings["severity"].astype(str).isin(worst).any():
            return 1
    return 0

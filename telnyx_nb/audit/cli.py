"""``telnyx-nb audit``: audit the account headlessly (cron, CI) and write a report.

    telnyx-nb audit [--out report.html|.csv|.parquet|revoke-first.json] [--stale-days N] [--never-used-days N]
                    [--fail-on high|medium|low|risk:critical|risk:high|risk:medium]
    telnyx-nb audit --managed-accounts [--accounts ID,ID] [--max-in-flight N] [--state DIR] [--out ...] [...]

Where to connect follows ``telnyx_nb.connect()``: Telnyx credentials in the environment → the real API;
``TELNYX_NB_SANDBOX`` → that sandbox; otherwise a throwaway in-process sandbox with demo data.

It says the account's scope baseline once (on Telnyx every grant holds ``admin``) and lists the grants to revoke
first, riskiest first (``telnyx_nb.audit.risk``); ``telnyx-nb revoke --from report.html`` acts on that list
(:mod:`telnyx_nb.audit.revoke_cli`). ``--fail-on high`` (``medium``, ``low``) fails on a finding of that
severity or worse, as before; ``--fail-on risk:high`` (``risk:critical``, ``risk:medium``) on a grant whose risk is
that level or worse.

Exit status: 0 done; 1 ``--fail-on`` found a finding that severe or a grant that risky; 2 no audit (bad setting,
connection or authentication failure, unwritable ``--out``); argparse's usage errors also exit 2.
``--managed-accounts`` audits a manager's whole fleet (:mod:`telnyx_nb.audit.fleet_cli`), and adds status 3: partial.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from telnyx_nb.audit.fleet_cli import add_fleet_arguments, check_fleet_arguments, exit_help, run_fleet
from telnyx_nb.core.settings import WHERE_HELP, explain
from telnyx_nb.terminal import echo

__all__ = ["add_arguments", "run"]

_SUFFIXES = (".html", ".htm", ".csv", ".parquet", ".json")


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
        raise argparse.ArgumentTypeError(f"{value!r}: use a .html, .csv, .parquet or .json file name, e.g. "
                                         "report.html")
    return path


FAIL_ON = ["high", "medium", "low", "risk:critical", "risk:high", "risk:medium"]
EPILOG = WHERE_HELP + """
exit status: 0 done; 1 --fail-on matched a finding (high|medium|low: a finding that severe or worse) or a grant
             (risk:critical|risk:high|risk:medium: a grant that risky or worse); 2 no audit (bad setting,
             connection or authentication failure, unwritable --out)
""" + exit_help(fail_on=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--out", type=_out, metavar="FILE",
                        help="write report.html (self-contained), or findings as .csv/.parquet with the clients "
                             "and grants frames beside it, or revoke-first.json (the list telnyx-nb revoke --from "
                             "reads; a report.html carries it too); without it the findings are printed")
    parser.add_argument("--stale-days", type=_days, default=90, metavar="N",
                        help="a grant unused for more than N days is stale (default 90)")
    parser.add_argument("--never-used-days", type=_days, default=7, metavar="N",
                        help="flag a never-used grant once it is older than N days (default 7)")
    parser.add_argument("--fail-on", choices=FAIL_ON, default=None, metavar="LEVEL",
                        help="exit with status 1 (for CI) when there is a finding of this severity or worse "
                             "(high, medium, low), or a grant of this risk or worse (risk:critical, risk:high, "
                             "risk:medium)")
    add_fleet_arguments(parser)


def run(args: argparse.Namespace) -> int:
    usage = check_fleet_arguments(args, "audit")
    if usage is not None:
        return usage
    if args.managed_accounts:
        return run_fleet(args, "audit", lambda result: _write_fleet(result, args.out),
                         lambda result: _fails(result, args.fail_on))
    import telnyx_nb
    from telnyx_nb.audit.report import write_report
    from telnyx_nb.audit.rules import SEVERITIES, audit
    from telnyx_nb.core.errors import TelnyxNBError

    try:
        api = telnyx_nb.connect()
    except TelnyxNBError as exc:  # messages are already masked
        echo(f"telnyx-nb audit: {explain(exc)}", file=sys.stderr)
        return 2
    throwaway = getattr(api, "_owns_sandbox", False)  # gone when this command ends: nothing left to revoke on it
    try:
        echo(f"Auditing {api.target_and_choice}", file=sys.stderr)
        result = audit(api, stale_days=args.stale_days, never_used_grace_days=args.never_used_days,
                       progress=False)
    except TelnyxNBError as exc:
        echo(f"telnyx-nb audit: {explain(exc)}", file=sys.stderr)
        return 2
    finally:
        api.close()  # also stops an in-process sandbox that connect() started
    findings = result.findings
    counts = findings["severity"].astype(str).value_counts()
    echo(f"{len(result.clients)} clients, {len(result.grants)} grants, {len(findings)} findings ("
          + ", ".join(f"{int(counts.get(s, 0))} {s}" for s in SEVERITIES) + ")", file=sys.stderr)
    if result.baseline:
        echo(result.baseline.sentence(), file=sys.stderr)
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
        if args.out.suffix.lower() in (".html", ".htm", ".json") and len(result.revoke_first()) and not throwaway:
            echo(f"to revoke its \"Revoke these first\" list: telnyx-nb revoke --from {shlex.quote(str(args.out))} "
                 "(a dry run; add --apply to revoke)", file=sys.stderr)
    else:
        _print(result)
    return 1 if _fails(result, args.fail_on) else 0


def _print(result) -> None:
    """The grants to revoke first, then every finding; names are third parties' choice, so no escape sequence of
    theirs reaches the terminal."""
    from telnyx_nb.audit.sanitize import terminal_safe

    first = result.revoke_first()
    if len(first):
        echo("Revoke these first (to act on them: --out report.html, then telnyx-nb revoke --from report.html):")
        echo(terminal_safe(first).to_string(index=False, max_colwidth=110))
        echo()
    shown = terminal_safe(result.findings[["severity", "rule", "client_name", "object_id", "detail"]])
    echo(shown.to_string(index=False, max_colwidth=70) if len(shown) else "no findings")


def _fails(result, fail_on: str | None) -> bool:
    """Does ``--fail-on`` match: a finding that severe or worse, or (``risk:LEVEL``) a grant that risky or worse?"""
    from telnyx_nb.audit.rules import SEVERITIES

    if not fail_on:
        return False
    if fail_on.startswith("risk:"):
        return bool((result.grants["risk_level"] >= fail_on.split(":", 1)[1]).any())
    worst = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
    return bool(result.findings["severity"].astype(str).isin(worst).any())


def _write_fleet(result, out: Path | None) -> int | None:
    """The fleet's report (.html), or its grants frame with account_id (.csv, .parquet); without --out, the
    accounts ranked by their worst grant. An exit status when nothing could be written."""
    from telnyx_nb.audit.sanitize import terminal_safe

    if out is None:
        echo(terminal_safe(result.accounts).to_string(index=False, max_colwidth=60) if len(result.accounts)
             else "no accounts")
        return None
    suffix = out.suffix.lower()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".csv":
            from telnyx_nb.spreadsheet import write_csv

            write_csv(result.grants, out)
        elif suffix == ".parquet":
            result.grants.to_parquet(out, index=False)
        elif suffix in (".html", ".htm"):
            from telnyx_nb.audit import report

            if not hasattr(report, "save_fleet_html"):
                echo(f"telnyx-nb audit: --out {out}: this build has no fleet HTML report; use --out a .csv or "
                     ".parquet file", file=sys.stderr)
                return 2
            report.save_fleet_html(result, out)
        else:
            echo(f"telnyx-nb audit: --out {out}: a fleet audit writes .html, .csv or .parquet", file=sys.stderr)
            return 2
    except OSError as exc:
        echo(f"telnyx-nb audit: --out {out}: cannot write ({exc.strerror or exc}); pick a writable path",
             file=sys.stderr)
        return 2
    echo(f"wrote {out}")
    return None

"""``telnyx-nb revoke``: revoke the grants an audit report listed under "Revoke these first", safely.

    telnyx-nb revoke --from report.html                 # dry run: what would be revoked, and why; changes nothing
    telnyx-nb revoke --from report.html --apply         # revoke them
    telnyx-nb revoke --from revoke-first.json --risk critical --grant ID …   # only part of the list

It acts on the report's list and nothing else: ``--risk`` and ``--grant`` only narrow it. Before anything is
revoked (and in the dry run too) each grant is read again; one that changed since the report (used again, other
scopes, another client) is skipped, one already gone is reported as such, and a failed revocation does not stop
the rest (the loop is :func:`telnyx_nb.audit.remediate.revoke_each`, the one notebook 03's ``APPLY`` runs). It
connects like ``telnyx-nb audit`` and refuses a server other than the one the report audited, and an account other
than the one it audited (every account of the real API shares one URL: another key's grants are not these).

Exit status: 0 every listed grant is (or in a dry run would be) revoked, or was already gone; 1 a grant could not
be revoked or read again (the others were done; run it again); 3 a grant changed since the report and was left
alone (audit again); 2 nothing done (no or damaged selection, another server or account, bad setting, connection or
authentication failure); argparse's usage errors also exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from telnyx_nb.audit.levels import LEVELS
from telnyx_nb.core.settings import WHERE_HELP, explain
from telnyx_nb.terminal import echo

__all__ = ["EXIT_CHANGED", "EXIT_FAILED", "add_arguments", "run"]

EXIT_FAILED = 1  # a revoke (or the re-read before it) failed: the others were done
EXIT_CHANGED = 3  # a grant changed since the report: left alone
EPILOG = WHERE_HELP + """
       revoke acts only on the server and account the report audited: set the variables the audit ran with
exit status: 0 every listed grant is (dry run: would be) revoked, or was already gone; 1 a grant could not be
             revoked or read again (the others were done: run it again); 3 a grant changed since the report and
             was left alone (audit again); 2 nothing done (no or damaged selection, another server or account
             than the report's, bad setting, connection or authentication failure)"""


def _source(value: str) -> Path:
    path = Path(value)
    if path.suffix.lower() not in (".html", ".htm", ".json"):
        raise argparse.ArgumentTypeError(f"{value!r}: pass the report.html (or revoke-first.json) that "
                                         "telnyx-nb audit --out wrote")
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--from", dest="source", type=_source, required=True, metavar="FILE",
                        help="the audit report (report.html) or selection (revoke-first.json) whose "
                             "\"Revoke these first\" list to act on")
    parser.add_argument("--apply", action="store_true",
                        help="revoke for real; without it this is a dry run that changes nothing")
    parser.add_argument("--risk", choices=LEVELS, metavar="LEVEL",
                        help="only the listed grants of this risk or worse (critical, high, medium, low)")
    parser.add_argument("--grant", action="append", default=[], metavar="ID",
                        help="only this listed grant (repeat for several); a grant not in the list is an error")


def run(args: argparse.Namespace) -> int:
    from telnyx_nb.core.errors import TelnyxNBError

    try:
        document, targets = _selected(args)
    except (TelnyxNBError, OSError) as exc:
        echo(_one_line(exc), file=sys.stderr)
        return 2
    if targets.empty:
        echo(f"{args.source}: nothing to revoke (the report lists no grant above low risk"
             + (", or none matching --risk/--grant" if args.risk or args.grant else "") + ")", file=sys.stderr)
        return 0
    return _act(args, document, targets)


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"telnyx-nb revoke: --from {exc.filename}: {exc.strerror or exc}"
    return f"telnyx-nb revoke: {explain(exc).strip().splitlines()[0]}"


def _selected(args: argparse.Namespace):
    """The selection in ``--from``, narrowed by ``--risk`` and ``--grant`` (which never add a grant)."""
    from telnyx_nb.audit import selection
    from telnyx_nb.core.errors import ConfigurationError

    document = selection.read(args.source)
    targets = selection.frame(document)
    unknown = [g for g in args.grant if g not in set(targets["grant_id"])]
    if unknown:
        raise ConfigurationError(f"grant: {unknown[0]} is not in {args.source}'s list; revoke only acts on what the "
                                 "report listed (copy the id from its \"Revoke these first\")")
    if args.grant:
        targets = targets[targets["grant_id"].isin(args.grant)]
    if args.risk:
        floor = LEVELS.index(args.risk)
        targets = targets[targets["risk_level"].map(lambda level: LEVELS.index(level) >= floor
                                                     if level in LEVELS else False).astype(bool)]
    return document, targets.reset_index(drop=True)


def _act(args: argparse.Namespace, document: dict, targets) -> int:
    import telnyx_nb
    from telnyx_nb.audit import remediate, selection
    from telnyx_nb.core.errors import TelnyxNBError

    try:
        api = telnyx_nb.connect()
    except TelnyxNBError as exc:
        echo(f"telnyx-nb revoke: {explain(exc)}", file=sys.stderr)
        return 2
    try:
        refusal = _other_server(api, document, args.source)
        if refusal:
            echo(f"telnyx-nb revoke: {refusal}", file=sys.stderr)
            return 2
        mode = "Revoking" if args.apply else "Dry run (nothing is changed; --apply revokes)"
        echo(f"{mode}: {len(targets)} grant(s) listed in {args.source} (audit of {document['generated_at']}), "
             f"on {api.target_and_choice}", file=sys.stderr)
        outcomes = remediate.revoke_each(targets, api, dry_run=not args.apply, check=selection.differences)
    finally:
        api.close()
    _print(outcomes)
    echo(remediate.summarize(outcomes), file=sys.stderr)
    if not args.apply and (outcomes["outcome"] == "would revoke").any():
        echo(f"to revoke them: {_command(args)} --apply", file=sys.stderr)
    return _status(outcomes)


def _other_server(api, document: dict, source: Path) -> str | None:
    """Why this connection must not act on ``document``'s grants, or None: the report audited another server, or
    another account (another API key, or another managed account) of the same server."""
    if getattr(api, "_owns_sandbox", False):
        return (f"no target set, so this would be a new throwaway demo sandbox, not the server {source} audited: "
                "set TELNYX_NB_SANDBOX (or TELNYX_API_KEY) as when the audit ran")
    audited = document.get("base_url")
    if audited and audited.rstrip("/") != str(api.base_url).rstrip("/"):
        return (f"{source} audited {audited}, but this connects to {api.base_url}: set the same TELNYX_* "
                "variables as when the audit ran, or audit this server first")
    from telnyx_nb.audit.selection import credential

    audited_as, acting_as = document.get("credential"), credential(api)
    if audited_as and audited_as != acting_as:  # one base URL serves every account: its grants are not this one's
        return (f"{source} audited the account of {audited_as}, but this connects with "
                f"{acting_as or 'no API key'}: set the API key the audit ran with, or audit this account first")
    return None


def _command(args: argparse.Namespace) -> str:
    import shlex

    parts = ["telnyx-nb", "revoke", "--from", shlex.quote(str(args.source))]
    if args.risk:
        parts += ["--risk", args.risk]
    for grant in args.grant:
        parts += ["--grant", shlex.quote(grant)]
    return " ".join(parts)


def _print(outcomes) -> None:
    """One block per grant: the full id on a line of its own (to copy), then who, how risky, why, and what
    happened. Names are third parties' choice: no escape sequence of theirs reaches the terminal."""
    from telnyx_nb.audit.sanitize import terminal_safe

    shown = terminal_safe(outcomes[["grant_id", "client_name", "risk_level", "risk_score", "reason", "outcome",
                                    "detail"]])
    for row in shown.itertuples(index=False):
        echo(f"{row.outcome}: {row.grant_id}")
        echo(f"  client {row.client_name} · risk {row.risk_level} ({row.risk_score}) · {row.reason}")
        echo(f"  {row.detail}")


def _status(outcomes) -> int:
    """The documented exit status of these outcomes (see the module docstring)."""
    kinds = set(outcomes["outcome"].astype(str))
    if "failed" in kinds:
        return EXIT_FAILED
    if "skipped" in kinds:
        return EXIT_CHANGED
    return 0

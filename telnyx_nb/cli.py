"""The ``telnyx-nb`` console script: one subcommand per job, each defined next to the code it drives.

A subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``; it is imported only when chosen,
so ``telnyx-nb --help`` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback

from telnyx_nb.core.errors import TelnyxNBError

SUBCOMMANDS = {
    "sandbox": ("telnyx_nb.sandbox.cli", "run the embedded Telnyx OAuth sandbox on loopback"),
    "audit": ("telnyx_nb.audit.cli", "audit OAuth clients and grants; write an HTML/CSV/Parquet report"),
    "snapshot": ("telnyx_nb.audit.snapshot_cli", "write the account's clients and grants as Parquet; show what "
                 "changed since the last snapshot"),
    "diff": ("telnyx_nb.audit.diff_cli", "what changed between two snapshots (grants, scopes, clients)"),
    "revoke": ("telnyx_nb.audit.revoke_cli", "revoke the grants an audit report lists under \"Revoke these first\" "
               "(a dry run unless --apply)"),
    "explore": ("telnyx_nb.explore", "run the sandbox with demo data and JupyterLab on notebooks/"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="telnyx-nb", description="Telnyx OAuth 2.0 toolkit for Jupyter.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        sub_parser.set_defaults(_module=module_name)
        # Arguments are registered only for the chosen command; see main().
    return parser


# an optional package a command may need → the extra that installs it
EXTRAS = {"pyarrow": "parquet", "duckdb": "history", "jupyterlab": "explore", "voila": "explore"}


def failure(command: str, exc: BaseException) -> str:
    """The one line a failed command prints: no traceback for what the user can fix (a missing optional package,
    a setting, a file, a server that does not answer), and the fix named."""
    from telnyx_nb.core.settings import explain

    if isinstance(exc, ImportError):
        name = (exc.name or "").split(".")[0]
        if name and name != "telnyx_nb":  # our own module failing to import is a bug, not a missing package
            extra = EXTRAS.get(name)
            fix = f"pip install 'telnyx-nb[{extra}]' (make explore installs it)" if extra else f"pip install {name}"
            return f"telnyx-nb {command}: {name} is not installed in this Python: {fix}"
    if isinstance(exc, OSError) and exc.filename:
        return f"telnyx-nb {command}: {exc.filename}: {exc.strerror or exc}"
    lines = explain(exc).strip().splitlines()
    return f"telnyx-nb {command}: {lines[0] if lines else type(exc).__name__}"


def main(argv: list[str] | None = None) -> int:
    """Run a subcommand. Its exit status is its own (0 done; audit's 1: --fail-on matched; revoke's 1 and 3: a grant
    failed or changed); an error that escapes it is one line on stderr and status 2 (nothing done), never a
    traceback's 1, which `telnyx-nb audit` reserves for --fail-on."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or argv[0] not in SUBCOMMANDS:
        parser.parse_args(argv)  # prints help or a usage error
        return 2
    module = importlib.import_module(SUBCOMMANDS[argv[0]][0])
    sub_parser = argparse.ArgumentParser(prog=f"telnyx-nb {argv[0]}", description=SUBCOMMANDS[argv[0]][1])
    module.add_arguments(sub_parser)
    args = sub_parser.parse_args(argv[1:])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        return 130  # Ctrl-C: the shell's convention, and quietly
    except (TelnyxNBError, ImportError, OSError) as exc:
        print(failure(argv[0], exc), file=sys.stderr)
        return 2
    except Exception:  # a bug: its traceback is what a report needs; the status still says "nothing done"
        traceback.print_exc()
        print(f"telnyx-nb {argv[0]}: unexpected error (a bug in telnyx-nb: the traceback above says where)",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""The ``telnyx-nb`` console script: one subcommand per job, each defined next to the code it drives.

A subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``; it is imported only when chosen,
so ``telnyx-nb --help`` stays quick.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = {
    "sandbox": ("telnyx_nb.sandbox.cli", "run the embedded Telnyx OAuth sandbox on loopback"),
    "audit": ("telnyx_nb.audit.cli", "audit OAuth clients and grants; write an HTML/CSV/Parquet report"),
    "snapshot": ("telnyx_nb.audit.snapshot_cli", "write the account's clients and grants as Parquet; show what "
                 "changed since the last snapshot"),
    "diff": ("telnyx_nb.audit.diff_cli", "what changed between two snapshots (grants, scopes, clients)"),
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


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv and argv[0] in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[argv[0]][0])
        sub_parser = argparse.ArgumentParser(prog=f"telnyx-nb {argv[0]}", description=SUBCOMMANDS[argv[0]][1])
        module.add_arguments(sub_parser)
        args = sub_parser.parse_args(argv[1:])
        return int(module.run(args) or 0)
    parser.parse_args(argv)  # prints help or a usage error
    return 2


if __name__ == "__main__":
    sys.exit(main())

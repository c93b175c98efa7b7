"""Mutation testing of the code that decides who gets in and what is retried, revoked or flagged (mutmut 3).

    python scripts/mutate.py [MODULE ...] [--max-children N]      (or: make mutate MODULES="pkce jwt")

Each module runs in its own scratch copy of the project (``build/mutate/<module>/``) with a ``[tool.mutmut]``
section naming only that source file and only the fast test files that cover it, so a run is small and the
modules can be checked one at a time on a busy 2-core machine. mutmut then runs, for each mutant, only the tests
that called the mutated function. The score printed per module is the share of non-equivalent mutants killed:
``(killed + timeout) / (total - equivalent)``; mutants listed in ``scripts/mutate_equivalent.txt`` (with the reason
each one cannot change behaviour) are the equivalent ones. Survivors not in that list are printed: each one is a
one-line change to deciding code that no test notices.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / "build" / "mutate"
EQUIVALENT_FILE = ROOT / "scripts" / "mutate_equivalent.txt"

# module → (source file or files, the fast test files that cover it)
MODULES: dict[str, tuple[str | list[str], list[str]]] = {
    "pkce": ("telnyx_nb/api/pkce.py", ["tests/test_api_oauth.py", "tests/test_api_pkce.py"]),
    "jwt": ("telnyx_nb/api/jwt.py", ["tests/test_api_oauth.py", "tests/test_api_jwt.py", "tests/test_mutants_jwt.py"]),
    "transport": ("telnyx_nb/api/transport.py",
                  ["tests/test_api_retries.py", "tests/test_api_retry_rules.py", "tests/test_api_errors.py",
                   "tests/test_mutants_transport.py"]),
    "masking": ("telnyx_nb/masking.py", ["tests/test_api_masking.py", "tests/test_mutants_masking.py"]),
    # the audit rules: their registry and thresholds, the two families of rules, and the driver that runs them.
    # Frames only: test_audit_live.py checks the same planted cases through a sandbox, which made each mutant's
    # run start one (651 mutants would not finish in an evening on these machines)
    "rules": (["telnyx_nb/audit/registry.py", "telnyx_nb/audit/grant_rules.py", "telnyx_nb/audit/client_rules.py",
               "telnyx_nb/audit/rules.py"],
              ["tests/test_audit_rules.py", "tests/test_audit_thresholds.py", "tests/audit/test_rule_edges.py",
               "tests/audit/test_audit_errors.py"]),
    "plots": ("telnyx_nb/audit/plots.py", ["tests/test_audit_plots.py", "tests/audit/test_plots_numbers.py"]),
    "store": ("telnyx_nb/sandbox/store.py",
              ["tests/test_sandbox_concurrency.py", "tests/test_sandbox_flow.py", "tests/test_sandbox_lifetimes.py"]),
    "grants": ("telnyx_nb/sandbox/grants.py",
               ["tests/test_sandbox_flow.py", "tests/test_sandbox_lifetimes.py"]),
    "endpoints": ("telnyx_nb/sandbox/endpoints.py",
                  ["tests/test_sandbox_endpoints.py", "tests/test_sandbox_flow.py"]),
    "validation": ("telnyx_nb/sandbox/validation.py",
                   ["tests/test_sandbox_bad_input.py", "tests/test_api_management.py"]),
    # who may call what (the caller x endpoint policy), the request-body schemas, the redirect URI rules
    "access": ("telnyx_nb/sandbox/access.py", ["tests/test_hardening_access.py", "tests/test_sandbox_endpoints.py"]),
    "schema": ("telnyx_nb/sandbox/schema.py", ["tests/test_sandbox_bad_input.py", "tests/test_api_management.py"]),
    "redirects": ("telnyx_nb/sandbox/redirects.py",
                  ["tests/test_sandbox_bad_input.py", "tests/test_hardening_web.py"]),
}
DEFAULT_MODULES = ["pkce", "jwt", "transport", "masking", "rules", "access", "store", "grants", "schema", "redirects",
                   "endpoints", "validation"]

KILLED = {"killed", "timeout", "caught by type check"}
_RESULT_LINE = re.compile(r"^\s*(\S+): (.+)$")


def equivalent_mutants() -> dict[str, str]:
    """Mutant name → why it is equivalent, from scripts/mutate_equivalent.txt (``name  # reason`` lines)."""
    found: dict[str, str] = {}
    if EQUIVALENT_FILE.exists():
        for line in EQUIVALENT_FILE.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                name, _, reason = line.partition("#")
                found[name.strip()] = reason.strip()
    return found


def prepare(module: str) -> Path:
    """A scratch copy of the project whose mutmut configuration names this module and its tests only."""
    source, tests = MODULES[module]
    sources = [source] if isinstance(source, str) else source
    missing = [t for t in tests if not (ROOT / t).exists()]
    tests = [t for t in tests if t not in missing]
    if missing:
        print(f"[{module}] note: test files not found, skipped: {missing}")
    where = SCRATCH / module
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "artifacts")
    shutil.copytree(ROOT / "telnyx_nb", where / "telnyx_nb", ignore=ignore)
    shutil.copytree(ROOT / "tests", where / "tests", ignore=ignore)
    shutil.copy2(ROOT / "conftest.py", where / "conftest.py")
    config = (ROOT / "pyproject.toml").read_text()
    config += (
        "\n[tool.mutmut]\n"
        'source_paths = ["telnyx_nb"]\n'
        f"only_mutate = {sources!r}\n"
        'also_copy = ["conftest.py"]\n'
        f"pytest_add_cli_args_test_selection = {tests!r}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-q"]\n'
        "timeout_multiplier = 5.0\n"
        "timeout_constant = 10.0\n"
        "use_git_change_detection = false\n"
        "debug = true\n"  # the log then shows pytest's own output when a run goes wrong
    ).replace("'", '"')
    (where / "pyproject.toml").write_text(config)
    return where


def run(module: str, max_children: int) -> dict[str, str]:
    where = prepare(module)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(where / "mutants")  # subprocesses (the CLI sandbox) import the mutated copy too
    env.pop("MUTANT_UNDER_TEST", None)
    source, tests = MODULES[module]
    source = source if isinstance(source, str) else " ".join(source)
    print(f"[{module}] mutating {source} against {' '.join(tests)}", flush=True)
    log = where / "mutmut.log"
    (where / "mutants").mkdir()
    for _try in range(2):
        # mutmut's first run in a fresh copy can fail to import the root conftest from the mutants/ folder it has
        # just written (Python's import cache saw the folder empty); the second run, over the same mutants, works.
        with open(log, "a") as out:
            subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children)],
                           cwd=where, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        listing = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=where, env=env,
                                 capture_output=True, text=True, check=False).stdout
        results = {}
        for line in listing.splitlines():
            match = _RESULT_LINE.match(line)
            if match:
                results[match.group(1)] = match.group(2).strip()
        if any(status != "not checked" for status in results.values()):
            break
    if not results:
        print(f"[{module}] mutmut produced no results; see {log}")
    return results


def score(module: str, results: dict[str, str], equivalent: dict[str, str]) -> tuple[float | None, list[str]]:
    killed = sum(1 for s in results.values() if s in KILLED)
    timeout = sum(1 for s in results.values() if s == "timeout")
    equiv = [n for n, s in results.items() if s not in KILLED and n in equivalent]
    survivors = sorted(n for n, s in results.items() if s not in KILLED and n not in equivalent)
    survived = sum(1 for n in survivors if results[n] == "survived")
    counted = len(results) - len(equiv)
    pct = 100.0 * killed / counted if counted else None
    shown = f"{pct:5.1f} %" if pct is not None else "  n/a"
    print(f"{module:<11} {shown}  killed {killed - timeout:4d}  timeout {timeout:3d}  survived {survived:3d}  "
          f"other {len(survivors) - survived:3d}  equivalent {len(equiv):3d}  total {len(results):4d}", flush=True)
    return pct, [f"{n}: {results[n]}" for n in survivors]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*",
                        help=f"any of {', '.join(MODULES)} (default: {' '.join(DEFAULT_MODULES)})")
    parser.add_argument("--max-children", type=int, default=int(os.environ.get("MUTATE_JOBS", "2")))
    args = parser.parse_args(argv)
    modules = args.modules or DEFAULT_MODULES
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"unknown module(s) {unknown}; choose from {', '.join(MODULES)}")
    equivalent = equivalent_mutants()
    report = []
    for module in modules:
        results = run(module, args.max_children)
        report.append((module, results))
    print("\nmutation score (non-equivalent mutants killed):")
    all_survivors = []
    for module, results in report:
        _pct, survivors = score(module, results, equivalent)
        all_survivors += survivors
    if all_survivors:
        print("\nsurvivors (not listed as equivalent in scripts/mutate_equivalent.txt):")
        for line in all_survivors:
            print("  " + line)
        print("  (inspect one: cd build/mutate/<module> && python -m mutmut show <name>)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

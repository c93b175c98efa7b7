"""Mutation testing of the code that decides who gets in and what is retried, revoked or flagged (mutmut 3).

    python scripts/mutate.py [MODULE ...] [--max-children N]      (or: make mutate MODULES="pkce jwt")

Each module runs in its own scratch copy of the project (``build/mutate/<module>/``) with a ``[tool.mutmut]``
section naming only that source file and only the fast test files that cover it, so a run is small and the
modules can be checked one at a time on a busy 2-core machine. mutmut then runs, for each mutant, only the tests
that called the mutated function. The score printed per module is the share of non-equivalent mutants killed:
``(killed + timeout) / (total - equivalent)``; mutants listed in ``scripts/mutate_equivalent.txt`` (with the reason
each one cannot change behaviour) are the equivalent ones. Survivors not in that list are printed: each one is a
one-line change to deciding code that no test notices. A module listed in ``FUNCTIONS`` is run and scored over
those functions only (the store: its claims, token lookups, revocations and token saving, not its list queries).
"""

from __future__ import annotations

import argparse
import fnmatch
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
    "pkce": ("telnyx_nb/api/pkce.py", ["tests/api/test_oauth.py", "tests/api/test_pkce.py"]),
    "jwt": ("telnyx_nb/api/jwt.py", ["tests/api/test_oauth.py", "tests/api/test_jwt.py",
                                     "tests/api/test_jwt_verification_edges.py", "tests/api/test_jwt_defaults.py"]),
    # the one CSV writer and the one terminal printer (issue 22): what third parties' text may do to a file or a screen
    "spreadsheet": ("telnyx_nb/spreadsheet.py",
                    ["tests/audit/test_hostile_names.py", "tests/api/test_client_under_attack.py"]),
    "terminal": ("telnyx_nb/terminal.py",
                 ["tests/audit/test_hostile_names.py", "tests/api/test_client_under_attack.py"]),
    # which redirect the Authorize panel's listener accepts, and who may start a hub sign-in
    "loopback": ("telnyx_nb/widgets/loopback.py",
                 ["tests/widgets/test_loopback_guards.py", "tests/widgets/test_loopback.py",
                  "tests/widgets/test_loopback_start_page.py"]),
    # the plugin's in-process transports: routing, and refusing once closed or torn down
    "transports": ("telnyx_nb/sandbox/web/in_process.py",
                   ["tests/testing/test_fixture_teardown.py", "tests/sandbox/test_in_process.py"]),
    "send_loop": ("telnyx_nb/api/send_loop.py",
                  ["tests/api/test_retries.py", "tests/api/test_retry_rules.py", "tests/core/test_errors.py",
                   "tests/api/test_send_loop_edges.py", "tests/api/test_transport_layers.py",
                   "tests/api/test_rate_limited_paging.py",  # the loop paces the base URL's server only
                   "tests/api/test_client_under_attack.py",  # a DELETE whose answer was lost
                   "tests/api/test_client_secrets.py"]),  # a header http.client refuses, raised as ours
    "auth": ("telnyx_nb/api/auth.py",
             ["tests/api/test_auth_flow.py", "tests/api/test_transport_layers.py", "tests/api/test_oauth.py"]),
    # the retry decisions alone (what is retried, the waits, Retry-After, the budget) and the response → exception map
    "retry": ("telnyx_nb/api/retry.py",
              ["tests/api/test_retry_policy.py", "tests/api/test_retry_rules.py", "tests/api/test_send_loop_edges.py"]),
    "error_mapping": ("telnyx_nb/api/error_mapping.py",
                      ["tests/core/test_errors.py", "tests/api/test_send_loop_edges.py",
                       "tests/api/test_retry_rules.py",  # a 429's retry_after: Retry-After, else x-ratelimit-reset
                       "tests/api/test_oauth.py"]),  # explain(): the published meaning of a status, appended
    "request_log": ("telnyx_nb/api/request_log.py",
                    ["tests/api/test_request_log.py", "tests/api/test_retries.py", "tests/api/test_send_loop_edges.py",
                     "tests/api/test_transport_layers.py"]),
    "masking": ("telnyx_nb/core/masking.py", ["tests/core/test_masking.py", "tests/core/test_masking_edges.py"]),
    "rules": (["telnyx_nb/audit/registry.py", "telnyx_nb/audit/grant_rules.py", "telnyx_nb/audit/client_rules.py",
               "telnyx_nb/audit/rules.py"],
              ["tests/audit/test_rules.py", "tests/audit/test_thresholds.py", "tests/audit/test_rule_edges.py",
               "tests/audit/test_audit_errors.py", "tests/audit/test_risk_weights.py"]),
    "risk": (["telnyx_nb/audit/risk.py", "telnyx_nb/audit/baseline.py"],
             ["tests/audit/test_risk_weights.py", "tests/audit/test_thresholds.py"]),
    "plots": ("telnyx_nb/audit/plots.py", ["tests/audit/test_plots.py", "tests/audit/test_plots_numbers.py"]),
    "store": ("telnyx_nb/sandbox/store/database.py",
              ["tests/sandbox/test_concurrency.py", "tests/sandbox/test_flow.py", "tests/sandbox/test_lifetimes.py",
               "tests/sandbox/test_token_attacks.py", "tests/sandbox/test_grants_rules.py",
               "tests/sandbox/test_store_claims.py", "tests/sandbox/test_store.py"]),
    "grants": ("telnyx_nb/sandbox/protocol/grant_types.py",
               ["tests/sandbox/test_redirect_uri_rules.py",  # a consent decided after the client dropped the URI
                "tests/sandbox/test_flow.py", "tests/sandbox/test_lifetimes.py", "tests/sandbox/test_token_attacks.py",
                "tests/sandbox/test_concurrency.py", "tests/sandbox/test_grants_rules.py"]),
    "endpoints": (["telnyx_nb/sandbox/protocol/token_lookup.py", "telnyx_nb/sandbox/protocol/introspection.py",
                   "telnyx_nb/sandbox/protocol/revocation.py", "telnyx_nb/sandbox/protocol/registration.py"],
                  ["tests/sandbox/test_endpoints.py", "tests/sandbox/test_flow.py",
                   "tests/sandbox/test_registration_metadata.py", "tests/sandbox/test_token_attacks.py",
                   "tests/sandbox/test_web_attacks.py", "tests/sandbox/test_grants_rules.py",
                   "tests/sandbox/test_access_table.py", "tests/sandbox/test_access_matrix_edges.py",
                   "tests/sandbox/test_bad_input.py", "tests/sandbox/test_in_process.py",
                   "tests/sandbox/test_fleet_isolation.py",  # introspection tells an account nothing of another's
                   "tests/sandbox/test_rfc_details.py"]),  # the RFCs' finer points: an introspection is never cached
    "validation": ("telnyx_nb/sandbox/policy/validation.py",
                   ["tests/sandbox/test_bad_input.py", "tests/api/test_management.py",
                    "tests/sandbox/test_registration_metadata.py", "tests/sandbox/test_registration_limits.py"]),
    # who may call what (the caller x endpoint policy), the request-body schemas, the redirect URI rules
    "access": ("telnyx_nb/sandbox/policy/access.py",
               ["tests/sandbox/test_access_table.py", "tests/sandbox/test_endpoints.py",
                "tests/sandbox/test_access_matrix_edges.py",
                # the accounts of a fleet: which account a caller acts for, and what it sees of the others
                "tests/sandbox/test_fleet_isolation.py", "tests/sandbox/test_managed_accounts.py"]),
    "schema": ("telnyx_nb/sandbox/policy/schema.py",
               ["tests/sandbox/test_validation.py",  # its answers word for word, pointer and field, no server
                "tests/sandbox/test_bad_input.py", "tests/api/test_management.py",
                "tests/sandbox/test_redirect_uri_rules.py",  # the management API's redirect URI refusals
                "tests/sandbox/test_managed_accounts.py"]),  # the managed-accounts list's parameters
    "redirects": ("telnyx_nb/sandbox/policy/redirects.py",
                  ["tests/sandbox/test_bad_input.py", "tests/sandbox/test_web_attacks.py", "tests/sandbox/test_access_table.py",
                   "tests/sandbox/test_token_attacks.py", "tests/sandbox/test_redirect_uri_rules.py",
                   "tests/sandbox/test_registration_limits.py"]),
    # what a stranger can make the sandbox hold: the token shape check and the verified-token cache
    "keys": ("telnyx_nb/sandbox/protocol/keys.py",
             ["tests/sandbox/test_resource_bounds.py", "tests/sandbox/test_signing_keys.py",
              "tests/sandbox/test_credential_compare.py"]),
    # the Host check (host[:port] only, the allow-list) and the consent form's same-origin check
    "hosts": ("telnyx_nb/sandbox/http/hosts.py",
              ["tests/sandbox/test_host_forms.py", "tests/sandbox/test_web_attacks.py",
               "tests/sandbox/test_hub_proxy_host_check.py", "tests/sandbox/test_sandbox_config.py"]),
    "registration_policy": ("telnyx_nb/sandbox/policy/registration.py",
                            ["tests/sandbox/test_registration_limits.py", "tests/sandbox/test_redirect_uri_rules.py",
                             "tests/sandbox/test_registration_metadata.py", "tests/sandbox/test_sandbox_config.py"]),
    # the sandbox's per-credential rate limit (who is refused with 429) and the client's pacing of a limited API
    "ratelimit": ("telnyx_nb/sandbox/policy/rate_limits.py",
                  ["tests/sandbox/test_rate_limits.py",
                   "tests/sandbox/test_fleet_isolation.py"]),  # each managed account's key has a budget of its own
    "pacing": ("telnyx_nb/api/pacing.py", ["tests/api/test_pacing.py", "tests/api/test_rate_limited_paging.py"]),
}
# Modules scored over some of their functions only (the rest is not run): the store's claims, token lookups,
# revocations and token saving (born revoked or not) decide who gets in; its list queries, bulk loading and connection setup do not (and a run of all
# ~1,100 store mutants takes hours on a shared 2-core machine).
FUNCTIONS: dict[str, list[str]] = {
    # what issue 22 added: closing and retiring (the routing and WSGI translation are exercised by the plugin's
    # acceptance project, which runs in a subprocess mutmut cannot credit)
    "transports": ["retire", "close", "check_open"],
    "store": ["claim_consent", "claim_code", "claim_refresh", "token_status", "revoke_token", "revoke_family",
              "check_secret", "save_token"],
}
DEFAULT_MODULES = ["pkce", "jwt", "send_loop", "retry", "error_mapping", "masking", "rules", "risk", "access", "store",
                   "grants", "schema", "redirects", "endpoints", "validation", "keys", "hosts", "registration_policy",
                   "ratelimit", "pacing"]

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
    shutil.copytree(ROOT / "docs", where / "docs", ignore=ignore)  # test_access_table reads docs/security.md
    shutil.copy2(ROOT / "conftest.py", where / "conftest.py")
    config = (ROOT / "pyproject.toml").read_text()
    config += (
        "\n[tool.mutmut]\n"
        'source_paths = ["telnyx_nb"]\n'
        f"only_mutate = {sources!r}\n"
        'also_copy = ["conftest.py", "docs"]\n'
        f"pytest_add_cli_args_test_selection = {tests!r}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:randomly", "-q"]\n'
        "timeout_multiplier = 5.0\n"
        "timeout_constant = 10.0\n"
        "use_git_change_detection = false\n"
        "debug = true\n"  # the log then shows pytest's own output when a run goes wrong
    ).replace("'", '"')
    (where / "pyproject.toml").write_text(config)
    return where


def function_patterns(module: str) -> list[str]:
    """mutmut mutant-name patterns for the scored functions of ``module`` (none: every function)."""
    # names look like telnyx_nb.sandbox.store.database.xǁStoreǁclaim_code__mutmut_3 (methods) or ….x_digest__mutmut_1
    return [f"*[ǁ_]{name}__mutmut_*" for name in FUNCTIONS.get(module, [])]


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
            subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children),
                            *function_patterns(module)],
                           cwd=where, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        listing = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=where, env=env,
                                 capture_output=True, text=True, check=False).stdout
        results = {}
        for line in listing.splitlines():
            match = _RESULT_LINE.match(line)
            if match and (module not in FUNCTIONS or any(fnmatch.fnmatchcase(match.group(1), pattern)
                                                         for pattern in function_patterns(module))):
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

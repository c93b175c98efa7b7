"""``telnyx-nb sandbox``: run the sandbox in the foreground until SIGINT/SIGTERM.

Without ``--json`` it prints where it listens and the credentials to use; with ``--json`` it prints exactly one
JSON line on stdout (``{"base_url", "api_key", "demo_client_id", "demo_client_secret"}``, plus ``"scope_catalog":
"custom"`` and ``"scopes"`` when ``--scopes``/``--scopes-file`` replaced Telnyx's published catalog) and nothing
else, so a script can read it. On SIGINT or SIGTERM it stops accepting, finishes in-flight requests and exits 0.
``--reset`` deletes the file database first and seeds it afresh (the demo after notebook 03 revoked its stale
grants); ``--no-serve`` prepares the database, says what it holds and exits (``make reset-demo``).

Exit status: 0 stopped (or prepared) cleanly; 1 could not start (the port is taken, the database is unusable);
2 a bad setting (argparse's usage errors too). Each error is one line on stderr.
"""

from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
import threading
from pathlib import Path

from telnyx_nb.sandbox.policy.rate_limits import DEFAULT_REGISTRATION_RATE
from telnyx_nb.sandbox.policy.terms import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    CONSENT_LIFETIME,
    REFRESH_TOKEN_LIFETIME,
)

DEFAULT_PORT = 8765
API_KEY_VARIABLE = "TELNYX_NB_SANDBOX_API_KEY"


def default_db_path() -> Path:
    """A file in the user's data directory, so a restart keeps every client, grant and key."""
    from platformdirs import user_data_path

    return user_data_path("telnyx-nb", appauthor=False) / "sandbox.sqlite3"


def default_db() -> str:
    return str(default_db_path())


def _whole(low: int, high: int | None, rule: str):
    """An argparse type: a whole number from ``low`` to ``high`` (no upper bound when None), else ``rule``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"use {rule}, not {text!r}")
        return value
    return parse


_port = _whole(0, 65535, "a number from 0 (any free port) to 65535")
_seconds = _whole(1, None, "a whole number of seconds, at least 1")
_threads = _whole(1, 256, "a whole number of threads from 1 to 256")


def _seed(text: str) -> str:
    from telnyx_nb.sandbox.config import SEED_PATTERN

    if not SEED_PATTERN.match(text):
        raise argparse.ArgumentTypeError(f"use demo, empty, grants=N (e.g. grants=10000) or accounts=N,grants=M "
                                         f"(a fleet, e.g. accounts=50,grants=100), not {text!r}")
    return text


def _rate(text: str) -> str:
    from telnyx_nb.sandbox.policy.rate_limits import parse_rate

    try:
        parse_rate(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[-1]) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT,
                        help=f"port (default {DEFAULT_PORT}; 0 = any free port)")
    parser.add_argument("--db", default=None, help="SQLite file, or :memory: for a throwaway database "
                                                   "(default: sandbox.sqlite3 in the user data directory)")
    parser.add_argument("--seed", type=_seed, default="demo",
                        help="demo (default), empty, grants=N, or accounts=N,grants=M (a manager account with N "
                             "managed accounts of about M grants each)")
    parser.add_argument("--reset", action="store_true",
                        help="delete the database first and seed it afresh (brings the demo back to its start)")
    parser.add_argument("--no-serve", action="store_true",
                        help="set up (with --reset: reseed) the database, print where it is, and exit")
    parser.add_argument("--api-key", default=None,
                        help=f"use this API key instead of the stored one (better: set {API_KEY_VARIABLE}, which "
                             "other users cannot read from the process list)")
    parser.add_argument("--public-url", action="append", default=[], metavar="URL",
                        help="an address a proxy serves the sandbox under (e.g. Binder's .../proxy/8765/); its "
                             "host is accepted in the Host header (repeatable; others get 421)")
    parser.add_argument("--proxy-prefix", default=None, metavar="PREFIX",
                        help="the Jupyter server's hub path (binder/start passes $JUPYTERHUB_SERVICE_PREFIX): a "
                             "request that jupyter-server-proxy forwards to this port (X-Forwarded-Context "
                             "PREFIXproxy/PORT) may carry the hub's Host; only with a loopback --host")
    parser.add_argument("--scopes", default=None, metavar="SCOPES",
                        help="publish a custom scope catalog instead of Telnyx's (which is admin only): space- or "
                             "comma-separated names, e.g. \"admin messaging numbers:read\" (labelled not Telnyx's)")
    parser.add_argument("--scopes-file", default=None, metavar="FILE",
                        help="a custom scope catalog file: JSON (a list of names or {name: description}) or text "
                             "(one 'name description' a line); labelled not Telnyx's")
    parser.add_argument("--registrable-scopes", default=None, metavar="SCOPES",
                        help="space- or comma-separated scopes open registration (RFC 7591) may ask for "
                             "(default: every scope of the catalog)")
    parser.add_argument("--json", action="store_true", help="print exactly one JSON line with the credentials")
    parser.add_argument("--rate-limit", type=_rate, default=None, metavar="RATE",
                        help="limit each credential (API key, client, token, else address) to RATE requests, e.g. "
                             "20/s or 1200/min; answers then carry x-ratelimit-* headers and 429 past the limit "
                             "(default: off)")
    parser.add_argument("--registration-rate-limit", type=_rate, default=DEFAULT_REGISTRATION_RATE, metavar="RATE",
                        help="open registration (RFC 7591) per source address, e.g. 20/min (the default); 'off' "
                             "turns it off")
    parser.add_argument("--access-token-ttl", type=_seconds, default=ACCESS_TOKEN_LIFETIME, metavar="SECONDS",
                        help=f"access token lifetime (default {ACCESS_TOKEN_LIFETIME}; short ones help test expiry)")
    parser.add_argument("--threads", type=_threads, default=8, metavar="N",
                        help="requests served at once (waitress threads, default 8); a concurrent client needs "
                             "at least as many as it has workers")
    parser.add_argument("--refresh-token-ttl", type=_seconds, default=REFRESH_TOKEN_LIFETIME, metavar="SECONDS",
                        help=f"refresh token lifetime (default {REFRESH_TOKEN_LIFETIME})")
    parser.add_argument("--code-ttl", type=_seconds, default=CODE_LIFETIME, metavar="SECONDS",
                        help=f"authorization code lifetime (default {CODE_LIFETIME})")
    parser.add_argument("--consent-ttl", type=_seconds, default=CONSENT_LIFETIME, metavar="SECONDS",
                        help=f"consent page lifetime (default {CONSENT_LIFETIME})")


def run(args: argparse.Namespace) -> int:
    from telnyx_nb.sandbox.store.seeding import describe_age
    from telnyx_nb.sandbox.web.server import exposure_warning

    db = args.db or default_db()
    if args.scopes is not None and args.scopes_file is not None:
        print("telnyx-nb sandbox: give --scopes or --scopes-file, not both", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    sandbox = _start(args, db)
    if isinstance(sandbox, int):  # the exit status of a start that failed (the reason is printed)
        return sandbox
    if args.no_serve:
        sandbox.stop()
        done = "reset and seeded" if args.reset else "ready"
        print(f"Sandbox database {done}: {db} ({args.seed} data, {describe_age(sandbox.seeded_at)})", flush=True)
        return 0
    warning = exposure_warning(args.host)
    if warning:  # stderr: --json keeps stdout to its one line
        print(f"telnyx-nb sandbox: {warning}", file=sys.stderr, flush=True)
    if args.json and sandbox.config.scopes.custom:
        print(f"telnyx-nb sandbox: scopes: {sandbox.config.scopes.label()}", file=sys.stderr, flush=True)
    try:
        print(sandbox.json_line() if args.json else _banner(sandbox, args, db), flush=True)  # one write
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    if not args.json:
        print("Sandbox stopped.", file=sys.stderr)
    return 0


def _start(args: argparse.Namespace, db: str):
    """The started sandbox, or the exit status of a start that failed, with the reason printed to stderr."""
    import os
    from pathlib import Path

    from telnyx_nb.sandbox.web.server import Sandbox

    api_key = args.api_key or os.environ.get(API_KEY_VARIABLE) or None
    scopes = Path(args.scopes_file) if args.scopes_file is not None else args.scopes
    try:
        return Sandbox(host=args.host, port=0 if args.no_serve else args.port, db=db, seed=args.seed,
                       api_key=api_key, reset=args.reset, access_token_ttl=args.access_token_ttl,
                       refresh_token_ttl=args.refresh_token_ttl, threads=args.threads,
                       code_ttl=args.code_ttl, consent_ttl=args.consent_ttl, public_urls=tuple(args.public_url),
                       proxy_prefix=args.proxy_prefix, scopes=scopes, registrable_scopes=args.registrable_scopes,
                       rate_limit=args.rate_limit, registration_rate_limit=args.registration_rate_limit).start()
    except OSError as exc:
        if exc.filename:  # the database's file or folder, not the port
            print(f"telnyx-nb sandbox: --db {db}: {exc.strerror or exc} ({exc.filename}). Choose another --db, or "
                  "--db :memory: for a throwaway one.", file=sys.stderr)
            return 1
        print(f"telnyx-nb sandbox: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
              "Choose another --port (0 picks a free one).", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"telnyx-nb sandbox: {exc}", file=sys.stderr)
        return 2
    except sqlite3.DatabaseError as exc:
        print(f"telnyx-nb sandbox: {db} is not a usable SQLite database ({exc}). Choose another --db, or "
              "--db :memory: for a throwaway one.", file=sys.stderr)
        return 1


def _banner(sandbox, args: argparse.Namespace, db: str) -> str:
    """What a person reads on start: where it listens, what it holds, and the credentials to use it."""
    from telnyx_nb.sandbox.store.seeding import describe_age

    lines = [f"Telnyx OAuth sandbox listening on {sandbox.base_url}",
             f"  scopes:             {sandbox.config.scopes.label()}",
             f"  database:           {db}",
             f"  data:               {args.seed}, {describe_age(sandbox.seeded_at)}"
             + ("" if args.reset else " (--reset starts it over)"),
             f"  API key:            {sandbox.api_key}"]
    if sandbox.demo_client_id:
        lines += [f"  demo client_id:     {sandbox.demo_client_id}",
                  f"  demo client_secret: {sandbox.demo_client_secret}"]
    if sandbox.config.rate_limit:
        lines.append(f"  rate limit:         {sandbox.config.rate_limit} per credential")
    lines += [f"  export TELNYX_NB_SANDBOX='{sandbox.json_line()}'", "Press Ctrl-C to stop."]
    return "\n".join(lines)

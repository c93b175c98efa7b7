"""How much a served sandbox grows under junk tokens: the memory a stranger can pin without any credential.

The load of the outside review (issue 22): ``--bearer`` requests carrying a different ``--bearer-kb`` kB junk
Bearer token each (three base64url segments, the shape of a JWT) on a management route, then ``--introspect``
RFC 7662 introspections of a different ``--introspect-kb`` kB junk token each, authenticated as the public demo
client would be (HTTP Basic with the demo client's id and secret). Every loop is bounded and talks to 127.0.0.1
only. The sandbox is ``telnyx-nb sandbox`` in a subprocess (as users run it); the figure is the growth of its
resident set (``VmRSS`` of /proc, Linux) from after a warm-up to after the load, in MiB, and the statuses seen.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/junk_tokens.py [--bearer 300] [--bearer-kb 200]
        [--introspect 300] [--introspect-kb 1000]

The goal (docs/security.md, "Junk tokens"): the default load grows the process by less than 64 MiB; the script
exits 1 when it does not. Measured on the fix's machine: 360.5 MiB before the fix, 1.3 MiB after.
"""

from __future__ import annotations

import argparse
import base64
import collections
import secrets
import sys
import time

import requests
from sandbox import start_served, stop_served  # benchmarks/sandbox.py: the served sandbox, started and stopped

GOAL_MIB = 64


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc (this benchmark reads Linux's /proc)")


def junk_token(kb: int) -> str:
    """A unique JWT-shaped string of about ``kb`` kB: three base64url segments."""
    third = max(1, kb * 1000 // 3)
    return ".".join(secrets.token_urlsafe(third * 3 // 4)[:third] for _ in range(3))


def run_load(info: dict, args) -> dict[str, collections.Counter]:
    base = info["base_url"]
    basic = base64.b64encode(f"{info['demo_client_id']}:{info['demo_client_secret']}".encode()).decode()
    seen = {"bearer": collections.Counter(), "introspect": collections.Counter()}
    with requests.Session() as session:
        for _ in range(args.bearer):
            try:
                response = session.get(f"{base}/oauth_clients", timeout=30,
                                       headers={"Authorization": f"Bearer {junk_token(args.bearer_kb)}"})
                seen["bearer"][response.status_code] += 1
            except requests.ConnectionError:
                seen["bearer"]["connection closed"] += 1
        for _ in range(args.introspect):
            try:
                response = session.post(f"{base}/oauth/introspect", data={"token": junk_token(args.introspect_kb)},
                                        headers={"Authorization": f"Basic {basic}"}, timeout=30)
                seen["introspect"][response.status_code] += 1
            except requests.ConnectionError:
                seen["introspect"]["connection closed"] += 1
    return seen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bearer", type=int, default=300, help="junk Bearer requests (default 300)")
    parser.add_argument("--bearer-kb", type=int, default=200, help="size of each junk Bearer token (default 200)")
    parser.add_argument("--introspect", type=int, default=300, help="junk introspections (default 300)")
    parser.add_argument("--introspect-kb", type=int, default=1000, help="size of each introspected token (1000)")
    args = parser.parse_args(argv)
    process, info = start_served()
    try:
        warm = requests.get(info["base_url"] + "/oauth_clients", timeout=10,
                            headers={"Authorization": f"Bearer {info['api_key']}"})
        assert warm.status_code == 200, warm.text
        before = rss_mib(process.pid)
        started = time.monotonic()
        seen = run_load(info, args)
        elapsed = time.monotonic() - started
        time.sleep(1)  # let in-flight work finish before reading the resident set
        after = rss_mib(process.pid)
    finally:
        stop_served(process)
    growth = after - before
    print(f"junk tokens: {args.bearer} Bearer x {args.bearer_kb} kB, {args.introspect} introspections x "
          f"{args.introspect_kb} kB in {elapsed:.1f} s")
    for phase, counts in seen.items():
        print(f"  {phase:10} statuses: {dict(counts)}")
    print(f"  RSS before {before:.1f} MiB, after {after:.1f} MiB: grew {growth:.1f} MiB "
          f"(goal < {GOAL_MIB} MiB: {'met' if growth < GOAL_MIB else 'NOT met'})")
    return 0 if growth < GOAL_MIB else 1  # make bench stops on a regression


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: every grant of a large account into a DataFrame — telnyx-nb vs the official SDK vs a plain loop.

    .venv/bin/python benchmarks/frames.py [--grants 10000] [--delayed-grants 5000] [--delay 0.1] [--repeat 5]
                                          [--page-size 100] [--workers 8] [--sandbox-threads 8]

Two cases, each against its own sandbox in its own process (``telnyx-nb sandbox --json --port 0 --db :memory:
--seed grants=N --threads T``, so the server does not share this process's GIL):

1. *local*: ``--grants`` grants (10,000), answers as fast as the sandbox can give them;
2. *realistic*: ``--delayed-grants`` grants (5,000), every list request (``GET /v2/oauth_grants`` and
   ``GET /v2/oauth_clients``) held ``--delay`` seconds (100 ms) by the sandbox's fault injection
   (``POST /_sandbox/faults`` with ``delay``) — about what a round trip to the real API costs.

Both sides ask for the documented maximum page size (100). Contenders, same run, interleaved:

* ``telnyx-nb grants_df`` ``TelnyxOAuth.grants_df(with_clients=False)``: page 1, then the rest on ``--workers``
  threads; typed dtypes. The same data as the SDK row — the headline ratio.
* ``telnyx-nb + clients``  ``grants_df()`` joined with every client's name/type (fetched alongside).
* ``official SDK``        ``telnyx.Telnyx(api_key=…, base_url=…)``: auto-pagination of ``oauth_grants.list`` into
  ``pd.DataFrame([g.model_dump() …])``.
* ``requests loop``       one ``requests.Session``, pages one after another, ``pd.DataFrame(rows)``.

Wall time is the median (and minimum) of ``--repeat`` rounds, contenders rotated each round; peak Python memory
(local case only) comes from a separate ``tracemalloc`` run of each (it does not see Arrow buffers). Concurrency
only shows if the sandbox serves at least ``--workers`` requests at once: ``--sandbox-threads`` (waitress threads)
defaults to the same number as the client's workers.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pandas as pd
import requests

from telnyx_nb.api.pagination import MAX_WORKERS
from telnyx_nb.core.wire import MAX_PAGE_SIZE

LIST_PATHS = ("/v2/oauth_grants", "/v2/oauth_clients")
TARGETS = {"local": 0.35, "realistic": 0.2}  # telnyx-nb grants_df / official SDK, by median wall time


def start_sandbox(n_grants: int, threads: int) -> tuple[subprocess.Popen, dict[str, Any]]:
    command = [sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db", ":memory:",
               "--seed", f"grants={n_grants}", "--threads", str(threads)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit(f"sandbox did not start: {proc.stderr.read()[-2000:]}")
    return proc, json.loads(line)


def stop_sandbox(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def arm_delay(info: dict[str, Any], delay: float) -> None:
    """Hold every list request ``delay`` seconds (re-armed before each run, so a count never runs out)."""
    root = info["base_url"].rsplit("/v2", 1)[0]
    headers = {"Authorization": f"Bearer {info['api_key']}"}
    requests.delete(f"{root}/_sandbox/faults", headers=headers, timeout=10).raise_for_status()
    for path in LIST_PATHS:
        body = {"path": path, "method": "GET", "count": 10_000, "delay": delay}
        requests.post(f"{root}/_sandbox/faults", json=body, headers=headers, timeout=10).raise_for_status()


def contenders(info: dict[str, Any], page_size: int, workers: int) -> dict[str, Callable[[], pd.DataFrame]]:
    import telnyx

    from telnyx_nb import TelnyxOAuth

    base_url, api_key = info["base_url"], info["api_key"]
    ours = TelnyxOAuth(api_key, base_url=base_url, max_workers=workers)
    sdk = telnyx.Telnyx(api_key=api_key, base_url=base_url)
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_key}"

    def telnyx_nb_grants() -> pd.DataFrame:
        return ours.grants_df(with_clients=False, progress=False, page_size=page_size)

    def telnyx_nb_joined() -> pd.DataFrame:
        return ours.grants_df(with_clients=True, progress=False, page_size=page_size)

    def official_sdk() -> pd.DataFrame:
        return pd.DataFrame([g.model_dump() for g in sdk.oauth_grants.list(page_size=page_size)])

    def requests_loop() -> pd.DataFrame:
        rows: list[dict[str, Any]] = []
        number = 1
        while True:
            response = session.get(f"{base_url}/oauth_grants",
                                   params={"page[number]": number, "page[size]": page_size}, timeout=30)
            response.raise_for_status()
            body = response.json()
            rows.extend(body["data"])
            if number >= body["meta"]["total_pages"]:
                return pd.DataFrame(rows)
            number += 1

    return {
        "telnyx-nb grants_df": telnyx_nb_grants,
        "telnyx-nb + clients": telnyx_nb_joined,
        "official SDK": official_sdk,
        "requests loop": requests_loop,
    }


def run_case(name: str, args: argparse.Namespace, n_grants: int, delay: float | None) -> float:
    """Time every contender on one sandbox; print the table; return telnyx-nb grants_df / SDK by median."""
    proc, info = start_sandbox(n_grants, args.sandbox_threads)
    try:
        runs = contenders(info, args.page_size, args.workers)
        before = (lambda: arm_delay(info, delay)) if delay else (lambda: None)
        for fn in runs.values():  # warm up: connections, imports, server caches
            before()
            fn()
        times: dict[str, list[float]] = {contender: [] for contender in runs}
        rows: dict[str, int] = {}
        names = list(runs)
        for round_number in range(args.repeat):
            # interleaved and rotated, so load drift and "who ran just before" hit every contender alike
            shift = round_number % len(names)
            for contender in names[shift:] + names[:shift]:
                fn = runs[contender]
                before()
                gc.collect()  # nobody pays for the previous contender's garbage
                started = time.perf_counter()
                frame = fn()
                times[contender].append(time.perf_counter() - started)
                rows[contender] = len(frame)
                del frame
        peaks: dict[str, float] = {}
        if not delay:
            for contender, fn in runs.items():
                tracemalloc.start()
                fn()
                peaks[contender] = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
    finally:
        stop_sandbox(proc)

    sdk = statistics.median(times["official SDK"])
    sdk_best = min(times["official SDK"])
    held = f"every list request delayed {delay * 1000:.0f} ms" if delay else "no added delay"
    print(f"\n[{name}] {n_grants} grants, page size {args.page_size}, {held}, median of {args.repeat} runs, "
          f"client workers {args.workers}, sandbox threads {args.sandbox_threads}, {os.cpu_count()} CPUs")
    print(f"{'contender':<22}{'rows':>7}{'median s':>10}{'min s':>8}{'median/SDK':>12}{'min/SDK':>9}{'peak MiB':>10}")
    for contender in runs:
        median = statistics.median(times[contender])
        best = min(times[contender])
        peak = f"{peaks[contender]:>10.1f}" if contender in peaks else f"{'-':>10}"
        print(f"{contender:<22}{rows[contender]:>7}{median:>10.3f}{best:>8.3f}{median / sdk:>12.2f}"
              f"{best / sdk_best:>9.2f}{peak}")
    ratio = statistics.median(times["telnyx-nb grants_df"]) / sdk
    joined = statistics.median(times["telnyx-nb + clients"]) / sdk
    print(f"[{name}] grants_df / official SDK = {ratio:.2f} by median (target <= {TARGETS[name]}); "
          f"with clients joined {joined:.2f}")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=10_000, help="grants in the local case")
    parser.add_argument("--delayed-grants", type=int, default=5_000, help="grants in the realistic case")
    parser.add_argument("--delay", type=float, default=0.1, help="seconds each list request is held (realistic)")
    parser.add_argument("--page-size", type=int, default=MAX_PAGE_SIZE)
    parser.add_argument("--workers", type=int, default=MAX_WORKERS, help="telnyx-nb's concurrent page fetches")
    parser.add_argument("--sandbox-threads", type=int, default=None, help="waitress threads (default: --workers)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--case", choices=("both", "local", "realistic"), default="both")
    args = parser.parse_args(argv)
    if args.sandbox_threads is None:
        args.sandbox_threads = args.workers

    ratios: dict[str, float] = {}
    if args.case in ("both", "local"):
        ratios["local"] = run_case("local", args, args.grants, None)
    if args.case in ("both", "realistic"):
        ratios["realistic"] = run_case("realistic", args, args.delayed_grants, args.delay)
    print()
    for name, ratio in ratios.items():
        verdict = "meets" if ratio <= TARGETS[name] else "MISSES"
        print(f"{name:<10} grants_df takes {ratio:.0%} of the official SDK's wall time "
              f"({verdict} the target of {TARGETS[name]:.0%})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

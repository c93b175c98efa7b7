"""Benchmark: every grant of a large account into a DataFrame — telnyx-nb vs the official SDK vs a plain loop.

    .venv/bin/python benchmarks/frames.py [--grants 10000] [--page-size 100] [--repeat 3]

The sandbox runs in its own process (``telnyx-nb sandbox --json --port 0 --db :memory: --seed grants=N``) so the
server does not share this process's GIL. Contenders, same page size, same run, interleaved:

* ``telnyx-nb``    ``TelnyxOAuth.grants_df(with_clients=False)``: page 1, then the rest concurrently; typed dtypes.
* ``+ clients``    ``grants_df()`` joined with every client's name/type (fetched alongside) — what notebooks call.
* ``official SDK`` ``telnyx.Telnyx(api_key=…, base_url=…)``: auto-pagination of ``oauth_grants.list`` into
  ``pd.DataFrame([g.model_dump() …])``.
* ``requests loop`` one ``requests.Session``, pages one after another, ``pd.DataFrame(rows)``.

Wall time is the median (and minimum) of ``--repeat`` rounds, contenders rotated each round; peak Python memory
comes from a separate ``tracemalloc`` run of each (tracing slows code down, so it never overlaps a timed run; it
does not see Arrow buffers, which back pandas' string columns).
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
from typing import Any, Callable

import pandas as pd
import requests


def start_sandbox(n_grants: int) -> tuple[subprocess.Popen, dict[str, Any]]:
    command = [sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db", ":memory:",
               "--seed", f"grants={n_grants}"]
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


def contenders(info: dict[str, Any], page_size: int) -> dict[str, Callable[[], pd.DataFrame]]:
    import telnyx

    from telnyx_nb import TelnyxOAuth

    base_url, api_key = info["base_url"], info["api_key"]
    ours = TelnyxOAuth(api_key, base_url=base_url)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grants", type=int, default=10_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)

    proc, info = start_sandbox(args.grants)
    try:
        runs = contenders(info, args.page_size)
        for fn in runs.values():  # warm up: connections, imports, server caches
            fn()
        times: dict[str, list[float]] = {name: [] for name in runs}
        rows: dict[str, int] = {}
        names = list(runs)
        for round_number in range(args.repeat):
            # interleaved and rotated, so load drift and "who ran just before" hit every contender alike
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                fn = runs[name]
                gc.collect()  # nobody pays for the previous contender's garbage
                started = time.perf_counter()
                frame = fn()
                times[name].append(time.perf_counter() - started)
                rows[name] = len(frame)
                del frame
        peaks: dict[str, float] = {}
        for name, fn in runs.items():
            tracemalloc.start()
            fn()
            peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    finally:
        stop_sandbox(proc)

    sdk = statistics.median(times["official SDK"])
    sdk_best = min(times["official SDK"])
    print(f"{args.grants} grants, page size {args.page_size}, median of {args.repeat} runs, "
          f"sandbox in a separate process, {os.cpu_count()} CPUs")
    print(f"{'contender':<22}{'rows':>7}{'median s':>10}{'min s':>8}{'median/SDK':>12}{'min/SDK':>9}{'peak MiB':>10}")
    for name in runs:
        median = statistics.median(times[name])
        best = min(times[name])
        print(f"{name:<22}{rows[name]:>7}{median:>10.3f}{best:>8.3f}{median / sdk:>12.2f}{best / sdk_best:>9.2f}"
              f"{peaks[name]:>10.1f}")
    ours = statistics.median(times["telnyx-nb grants_df"])
    ours_best = min(times["telnyx-nb grants_df"])
    print(f"telnyx-nb grants_df takes {ours / sdk:.0%} of the official SDK's wall time by median, "
          f"{ours_best / sdk_best:.0%} by best run (target: at most 50%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

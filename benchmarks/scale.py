"""Benchmark: the cost of an account from 1k to 1M grants — seeding, reading, auditing, and paging.

    .venv/bin/python benchmarks/scale.py [--sizes 1000 10000 100000] [--million] [--repeat 15]

For each size N a sandbox runs in its own process (``telnyx-nb sandbox --json --port 0 --db :memory:
--seed grants=N``), and a fresh client process reads and audits it, so each size's peak RSS is its own:

* **seed**: from starting the sandbox process to its ``--json`` line (interpreter start, ``synthetic_dataset``,
  one-transaction insert, index build) — and the part of it spent generating and inserting, as the sandbox's
  own ``Store`` does it, measured in this process beforehand, with its CPU time (what load does not inflate);
* **grants_df()**: ``TelnyxOAuth.grants_df()`` (clients joined, page size 100) wall time, rows per second, and
  the client process's peak RSS (``ru_maxrss``, including Arrow buffers);
* **audit**: ``find_issues`` over those frames;
* **paging**: median latency of page 1 and of the last page, asked in turn after a full read (the last page seeks
  from a remembered boundary), and the last page cold (the server's first far jump: OFFSET walks the covering
  index once, then the boundary is remembered).

The ratios are what travel between machines: ``time/row`` against the 10k run (goal ≤ 1.5× at 1M) and
``last/page-1`` (goal ≤ 2×). On a shared machine the absolute numbers move with the load (uptime is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime

import requests


def start_sandbox(n: int) -> tuple[subprocess.Popen, dict, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    command = [sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db", ":memory:",
               "--seed", f"grants={n}"]
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = proc.stdout.readline()
    ready = time.perf_counter() - started
    if not line:
        proc.kill()
        raise SystemExit(f"the sandbox did not start for {n} grants")
    return proc, json.loads(line), ready


def seed_in_process(n: int) -> tuple[float, float]:
    """(generate, insert) seconds for n grants, as the sandbox seeds them."""
    from telnyx_nb.sandbox.store.database import Store
    from telnyx_nb.sandbox.store.demo import synthetic_dataset

    started, cpu = time.perf_counter(), time.process_time()
    clients, grants = synthetic_dataset(n, datetime.now(UTC))
    generated = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(os.path.join(tmp, "seed.sqlite3"))
        store.insert_clients(clients)
        store.insert_grants(grants)
        inserted = time.perf_counter()
        store.close()
    return generated - started, inserted - generated, time.process_time() - cpu


def latency(session: requests.Session, base: str, numbers: list[int], repeat: int) -> list[float]:
    """Median milliseconds of GET /oauth_grants?page[number]=N (page size 100) for each N, the pages asked in
    turn so that load on a shared machine falls on all of them alike."""
    times: dict[int, list[float]] = {n: [] for n in numbers}
    for _ in range(repeat):
        for number in numbers:
            started = time.perf_counter()
            response = session.get(f"{base}/oauth_grants", params={"page[number]": number, "page[size]": 100},
                                   timeout=120)
            times[number].append(time.perf_counter() - started)
            response.raise_for_status()
    return [statistics.median(times[n]) * 1000 for n in numbers]


def child(line: str) -> None:
    """In a fresh process: read every grant into a frame and audit it; print one JSON line of figures."""
    from telnyx_nb import TelnyxOAuth
    from telnyx_nb.audit import find_issues

    with TelnyxOAuth.from_sandbox(line) as api:
        started = time.perf_counter()
        grants = api.grants_df(progress=False)
        read = time.perf_counter() - started
        clients = api.clients_df(progress=False)
    started = time.perf_counter()
    findings = find_issues(clients, grants)
    audited = time.perf_counter() - started
    print(json.dumps({"rows": len(grants), "grants_df": read, "audit": audited, "findings": len(findings),
                      "frame_mib": grants.memory_usage(deep=True).sum() / 2**20,
                      "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def measure(n: int, repeat: int) -> dict:
    generate, insert, seed_cpu = seed_in_process(n)
    proc, credentials, ready = start_sandbox(n)
    try:
        base = credentials["base_url"]
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {credentials['api_key']}"
        last = max(1, -(-n // 100))
        latency(session, base, [1], 3)  # connection and first-request warm-up
        (cold_last,) = latency(session, base, [last], 1)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
        out = subprocess.run([sys.executable, __file__, "--child", json.dumps(credentials)], capture_output=True,
                             text=True, env=env, check=True)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        first, warm_last = latency(session, base, [1, last], repeat)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"n": n, "generate": generate, "insert": insert, "seed_cpu": seed_cpu, "ready": ready, "page1_ms": first,
            "last_cold_ms": cold_last, "last_warm_ms": warm_last, **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 grants (minutes; ~2 GiB)")
    parser.add_argument("--repeat", type=int, default=15, help="requests per latency median")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    sizes = list(args.sizes) + ([1_000_000] if args.million else [])
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    header = (f"{'grants':>9} {'seed':>7} {'(gen+ins)':>11} {'cpu':>6} {'grants_df':>9} {'rows/s':>8} {'µs/row':>7} "
              f"{'×10k':>5} {'RSS MiB':>8} {'frame':>6} {'audit':>6} {'page 1':>7} {'last':>7} {'cold':>7} "
              f"{'last/p1':>7}")
    print(header)
    results = []
    for n in sizes:
        r = measure(n, args.repeat)
        results.append(r)
        per_row = r["grants_df"] / max(1, r["rows"]) * 1e6
        base = next((x for x in results if x["n"] == 10000), None)
        ratio = per_row / (base["grants_df"] / base["rows"] * 1e6) if base else float("nan")
        print(f"{n:>9,} {r['ready']:>6.1f}s {r['generate']:>5.1f}+{r['insert']:<5.1f}s {r['seed_cpu']:>5.1f}s "
              f"{r['grants_df']:>8.2f}s {r['rows'] / r['grants_df']:>8,.0f} {per_row:>7.1f} {ratio:>5.2f} "
              f"{r['rss_mib']:>8.0f} "
              f"{r['frame_mib']:>6.0f} {r['audit']:>5.2f}s {r['page1_ms']:>5.1f}ms {r['last_warm_ms']:>5.1f}ms "
              f"{r['last_cold_ms']:>5.1f}ms {r['last_warm_ms'] / r['page1_ms']:>7.2f}", flush=True)


if __name__ == "__main__":
    main()

"""Benchmark: ``grants_df()`` of 5,000 grants through a 20 requests/second limit, against the limit's floor.

    .venv/bin/python benchmarks/ratelimit.py [--grants 5000] [--rate 20/s] [--repeat 3]

A sandbox runs in its own process (``telnyx-nb sandbox --json --port 0 --db :memory: --seed grants=N
--rate-limit RATE``), so the client's threads and the server's do not share one interpreter. Each run reads every
grant (clients joined, page size 100, 8 paging threads) with a fresh ``TelnyxOAuth`` on the API key, and counts
its requests and its 429 answers in the request log. Between runs the client waits out the window, so every run
starts with a full one.

* **floor**: requests ÷ limit — what any client that keeps to the limit needs at least, given the requests it
  makes (fixed windows let a first burst through, so a run can beat it slightly);
* **paced**: the client as shipped (``api/pacing.py``: waits for the window's reset before it is spent);
* **unpaced**: the same client with pacing off, which meets the limit as 429s and waits them out through the
  retry policy — the peer that shows what pacing buys;
* **unlimited**: the same read on a sandbox without a limit, for what the limit itself costs.

Goals: the paced run's median within 1.2× of the floor, and at most 2 answers of 429 in any paced run.
The ratios are what travel between machines; the load average is printed, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telnyx_nb import TelnyxOAuth  # noqa: E402
from telnyx_nb.sandbox.policy.rate_limits import parse_rate  # noqa: E402


def start_sandbox(grants: int, rate: str | None) -> tuple[subprocess.Popen, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    env["PYTHONPATH"] = str(ROOT)
    command = [sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db", ":memory:",
               "--seed", f"grants={grants}"]
    if rate:
        command += ["--rate-limit", rate]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit(f"the sandbox did not start ({' '.join(command)})")
    return proc, json.loads(line)


def read_once(info: dict, *, paced: bool) -> tuple[float, int, int, int]:
    """(seconds, requests, 429 answers, rows) of one grants_df() with a fresh client."""
    records: list = []
    with TelnyxOAuth.from_sandbox(info) as client:
        if not paced:
            client._send_loop.pacer = None
        client._send_loop.add_listener(records.append)
        started = time.perf_counter()
        frame = client.grants_df(progress=False)
        seconds = time.perf_counter() - started
    return seconds, len(records), sum(r.status == 429 for r in records), len(frame)


def runs(info: dict, repeat: int, *, paced: bool, pause: float) -> list[tuple[float, int, int, int]]:
    results = []
    for _ in range(repeat):
        time.sleep(pause)  # a full window for every run
        results.append(read_once(info, paced=paced))
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grants", type=int, default=5000)
    parser.add_argument("--rate", default="20/s")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    rate = parse_rate(args.rate)
    pause = rate.period + 0.1
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; grants_df() of {args.grants:,} grants, "
          f"limit {rate}, median of {args.repeat} runs each")

    proc, info = start_sandbox(args.grants, str(rate))
    try:
        paced = runs(info, args.repeat, paced=True, pause=pause)
        unpaced = runs(info, args.repeat, paced=False, pause=pause)
    finally:
        proc.terminate()
        proc.wait(10)
    proc, info = start_sandbox(args.grants, None)
    try:
        unlimited = runs(info, args.repeat, paced=True, pause=0)
    finally:
        proc.terminate()
        proc.wait(10)

    requests_made = statistics.median(r[1] for r in paced)
    floor = requests_made / rate.limit * rate.period
    print(f"requests per run {requests_made:.0f} (rows {paced[0][3]:,}); floor = requests ÷ limit = {floor:.2f} s")
    print(f"{'':10} {'median':>8} {'× floor':>8} {'429s per run':>14} {'requests':>9}")
    for name, results in (("paced", paced), ("unpaced", unpaced), ("unlimited", unlimited)):
        median = statistics.median(r[0] for r in results)
        refusals = ",".join(str(r[2]) for r in results)
        print(f"{name:10} {median:7.2f}s {median / floor:7.2f}× {refusals:>14} "
              f"{statistics.median(r[1] for r in results):9.0f}")
    ratio = statistics.median(r[0] for r in paced) / floor
    worst = max(r[2] for r in paced)
    within = ratio <= 1.2 and worst <= 2 and all(r[3] == args.grants for r in paced)
    print(f"goal: paced within 1.2× of the floor ({ratio:.2f}×) with at most 2 answers of 429 (worst run {worst})"
          f" — {'met' if within else 'NOT MET'}")
    if not math.isfinite(ratio):
        return 1
    return 0 if within else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark: the fleet audit (``audit_fleet``) against auditing the same managed accounts one by one, through a
rate limit, and at 1,000 accounts.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/fleet.py [--quick] [--accounts 200] [--grants 100] [--sample 20]
        [--big-accounts 1000] [--big-grants 20] [--delay 0.05] [--rate 20/s] [--in-flight 8]

Each sandbox is ``telnyx-nb sandbox --json --db :memory: --seed accounts=N,grants=M --threads 32`` in a process of
its own (32 server threads, so the sandbox never queues the requests a slow network would keep in flight: the
real API does not serve 8 at a time either). Three figures, one run, ratios against a peer on this machine:

1. **Latency**: every request delayed ``--delay`` (50 ms) by the sandbox's fault injector — one delay fault per path
   either side requests (``POST /_sandbox/faults``, any credential, count 10,000; the script checks afterwards how
   many requests each fault slowed). The fleet audit (``audit_fleet(manager, progress=False)``, listing included)
   ÷ the peer: ``telnyx-nb audit`` in a subprocess per account, one after another, with that account's key in
   ``TELNYX_API_KEY`` and ``TELNYX_BASE_URL`` at the sandbox (the keys read beforehand through
   ``managed_account(id)``, not timed, never printed). 200 subprocesses take minutes, so ``--sample`` accounts
   (drawn with a fixed seed from the listed ones) run and their time is scaled to the fleet: the output says so.
   Goal: ≤ 0.15.
2. **Rate limit**: the same fleet on a sandbox limited to ``--rate`` (20/s) per credential, no delay. Every attempt
   is counted client-side (a response hook on the manager's session and on each account's, via
   ``session_factory``). Goals: answers of 429 ≤ 1 % of requests, and the time ≤ 1.3× the floor
   ``max(M ÷ R, A ÷ (R × in-flight))``: M the manager's requests (listing, metadata, one key per account) on its
   one window, A all the accounts' own requests, each account on its own window but at most ``--in-flight``
   accounts at once, so those lanes can carry no more than R each.
3. **Scale**: 1,000 accounts × 20 grants, audited in a child process: its peak resident set (``ru_maxrss``) under
   1 GiB, and ``report.render_fleet_html(result)`` under 10 s when the tree has it.

The machine may be shared: the load average is printed before and after, and the CPU time of the client and of
the sandbox per figure (which side was busy). Exit 1 when a goal is missed (``make bench`` stops there).

Measured when it was written (2 shared cores, load average 7–10): ratio 0.044, no 429 in 538 requests, 1.74× the
floor (16.3 s for 9.35 s: FAIL), peak 305 MiB at 1,000 accounts (audited in 79 s). The client's CPU is the bottleneck
(13.3 s of the 16.3 s; the sandbox used 1.1 s): ``audit_fleet`` runs the rules once per account, and their cost is per
call (≈ 70–80 ms of pandas overhead for 20 grants or 100), all under one GIL. Running them over batches of accounts'
frames at once (same findings and risk, checked) gave 0.030, 1.20× and 28.5 s on the same machine.

After ``audit_fleet`` did that (threads only read; the calling thread runs the rules once per batch of the accounts
read while the last batch ran, up to 25, and splits the results per account), same machine, load average 1.5–1.8:
ratio 0.035, no 429 in 538 requests, 1.07× the floor (10.0 s for 9.35 s: PASS; client CPU 5.8 s), peak 310 MiB at
1,000 accounts (audited in 23.5 s, was 79 s).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telnyx_nb import TelnyxOAuth  # noqa: E402
from telnyx_nb.audit.fleet import audit_fleet  # noqa: E402
from telnyx_nb.sandbox.policy.rate_limits import parse_rate  # noqa: E402

GIB = 1024 ** 3
FAULT_COUNT = 10_000  # the most one fault may be armed for


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def start_sandbox(seed: str, rate: str | None = None) -> tuple[subprocess.Popen, dict]:
    command = [sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db", ":memory:",
               "--seed", seed, "--threads", "32"]
    if rate:
        command += ["--rate-limit", rate]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=clean_env())
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit(f"the sandbox did not start ({' '.join(command)})")
    return proc, json.loads(line)


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user + system) of this process (its threads included, its children not), or of process ``pid``
    from /proc (Linux; 0 elsewhere): says whether the client or the sandbox was the busy side."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop_sandbox(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Tally:
    """Every HTTP attempt, by who sent it (``manager`` or an account's session) and its status; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    def hook(self, who: str):
        def on_response(response, *args, **kwargs):
            with self._lock:
                self.requests[who] += 1
                self.refused[who] += response.status_code == 429
        return on_response

    def session_factory(self):
        """A pooled session per account (as the send loop makes its own), counting under its own name."""
        def make() -> requests.Session:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=4, pool_maxsize=16, max_retries=0)
            session.mount("http://", adapter)
            session.hooks["response"].append(self.hook(f"account {id(session)}"))
            return session
        return make


def manager_client(info: dict, tally: Tally | None = None) -> TelnyxOAuth:
    manager = TelnyxOAuth(info["api_key"], base_url=info["base_url"], is_sandbox=True)
    if tally is not None:
        manager._send_loop.session.hooks["response"].append(tally.hook("manager"))
    return manager


# --- 1. every request 50 ms late: the fleet against one `telnyx-nb audit` per account -----------------------------

def root_url(info: dict) -> str:
    """The sandbox's origin (its base URL without ``/v2``): where ``/_sandbox/faults`` lives."""
    parts = urlsplit(info["base_url"])
    return f"{parts.scheme}://{parts.netloc}"


def arm_delays(info: dict, account_ids: list[str], delay: float) -> list[str]:
    """A delay fault on every path the fleet audit and ``telnyx-nb audit`` request (whatever the credential)."""
    prefix = urlsplit(info["base_url"]).path.rstrip("/")
    paths = ["/.well-known/oauth-authorization-server", f"{prefix}/.well-known/oauth-authorization-server",
             f"{prefix}/managed_accounts", f"{prefix}/oauth_clients", f"{prefix}/oauth_grants",
             *(f"{prefix}/managed_accounts/{a}" for a in account_ids)]
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {info['api_key']}"
        for path in paths:
            fault = {"path": path, "count": FAULT_COUNT, "delay": delay}
            answer = session.post(f"{root_url(info)}/_sandbox/faults", json=fault, timeout=30)
            answer.raise_for_status()
    return paths


def delayed_so_far(info: dict, paths: list[str]) -> int:
    """Requests the armed delay faults have slowed so far (a fault spent to the last is gone from the list)."""
    armed = requests.get(f"{root_url(info)}/_sandbox/faults", headers={"Authorization": f"Bearer {info['api_key']}"},
                         timeout=30).json()["data"]
    left = {f["path"]: f["count"] for f in armed}
    return sum(FAULT_COUNT - left.get(p, 0) for p in paths)


def cli_audit(info: dict, key: str) -> float:
    env = {**clean_env(), "TELNYX_API_KEY": key, "TELNYX_BASE_URL": info["base_url"]}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "audit"], env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=300, check=False)
    return time.perf_counter() - started


def latency_figure(args) -> dict:
    proc, info = start_sandbox(f"accounts={args.accounts},grants={args.grants}")
    try:
        with manager_client(info) as manager:
            listed = [a.id for a in manager.managed_accounts(progress=False)]
            every = [a.id for a in manager.managed_accounts(progress=False, include_cancelled=True)]
            sample = random.Random(24).sample(listed, min(args.sample or len(listed), len(listed)))
            keys = [manager.managed_account(a).api_key for a in sample]  # read before the delay; never printed
        paths = arm_delays(info, every, args.delay)
        tally = Tally()
        with manager_client(info, tally) as manager:
            cpu, server_cpu, started = cpu_seconds(), cpu_seconds(proc.pid), time.perf_counter()
            result = audit_fleet(manager, progress=False, max_accounts_in_flight=args.in_flight,
                                 session_factory=tally.session_factory())
            fleet = time.perf_counter() - started
            cpu, server_cpu = cpu_seconds() - cpu, cpu_seconds(proc.pid) - server_cpu
        fleet_delayed = delayed_so_far(info, paths)
        one_by_one = [cli_audit(info, key) for key in keys]
        cli_delayed = delayed_so_far(info, paths) - fleet_delayed
    finally:
        stop_sandbox(proc)
    peer = sum(one_by_one) * len(listed) / len(one_by_one)
    return {"fleet": fleet, "peer": peer, "sampled": len(one_by_one), "listed": len(listed),
            "per_cli": sum(one_by_one) / len(one_by_one), "requests": sum(tally.requests.values()),
            "fleet_delayed": fleet_delayed, "cli_delayed": cli_delayed, "failed": len(result.failures),
            "grants": len(result.grants), "cpu": cpu, "server_cpu": server_cpu}


# --- 2. 20 requests/second per credential, no delay ---------------------------------------------------------------

def rate_figure(args) -> dict:
    rate = parse_rate(args.rate)
    proc, info = start_sandbox(f"accounts={args.accounts},grants={args.grants}", str(rate))
    try:
        tally = Tally()
        with manager_client(info, tally) as manager:
            cpu, server_cpu, started = cpu_seconds(), cpu_seconds(proc.pid), time.perf_counter()
            result = audit_fleet(manager, progress=False, max_accounts_in_flight=args.in_flight,
                                 session_factory=tally.session_factory())
            seconds = time.perf_counter() - started
            cpu, server_cpu = cpu_seconds() - cpu, cpu_seconds(proc.pid) - server_cpu
    finally:
        stop_sandbox(proc)
    per_second = rate.limit / rate.period
    m = tally.requests["manager"]
    a = sum(n for who, n in tally.requests.items() if who != "manager")
    lanes = min(args.in_flight, max(1, len(result.accounts)))
    floor = max(m / per_second, a / (per_second * lanes))
    total = m + a
    return {"seconds": seconds, "floor": floor, "manager": m, "accounts_requests": a, "requests": total,
            "refused": sum(tally.refused.values()), "manager_refused": tally.refused["manager"], "lanes": lanes,
            "rate": str(rate), "failed": len(result.failures), "cpu": cpu, "server_cpu": server_cpu,
            "per_second": per_second}


# --- 3. 1,000 accounts: memory and the report, in a child process --------------------------------------------------

def scale_child(info: dict, in_flight: int, server_pid: int) -> dict:
    """Run in the child: audit the fleet, then render its report; peak RSS and timings as one JSON line."""
    from telnyx_nb.audit import report

    render = getattr(report, "render_fleet_html", None)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    with manager_client(info) as manager:
        cpu, server_cpu, started = cpu_seconds(), cpu_seconds(server_pid), time.perf_counter()
        result = audit_fleet(manager, progress=False, max_accounts_in_flight=in_flight)
        audited = time.perf_counter() - started
        cpu, server_cpu = cpu_seconds() - cpu, cpu_seconds(server_pid) - server_cpu
    rendered = html_bytes = None
    if render is not None:
        started = time.perf_counter()
        html_bytes = len(render(result).encode())
        rendered = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"before": before, "peak": peak, "audited": audited, "cpu": cpu, "server_cpu": server_cpu,
            "rendered": rendered, "html_bytes": html_bytes, "accounts": len(result.accounts),
            "grants": len(result.grants), "failed": len(result.failures)}


def scale_figure(args) -> dict:
    proc, info = start_sandbox(f"accounts={args.big_accounts},grants={args.big_grants}")
    try:
        child = subprocess.run([sys.executable, __file__, "--scale-child", json.dumps(info),
                                "--in-flight", str(args.in_flight), "--server-pid", str(proc.pid)],
                               env=clean_env(), capture_output=True, text=True, timeout=1800, check=False)
    finally:
        stop_sandbox(proc)
    if child.returncode != 0:
        raise SystemExit(f"the scale child failed:\n{child.stderr[-2000:]}")
    return json.loads(child.stdout.strip().splitlines()[-1])


# --- the table ----------------------------------------------------------------------------------------------------

def row(figure: str, value: str, target: str, passed: bool | None) -> bool | None:
    verdict = "n/a" if passed is None else ("PASS" if passed else "FAIL")
    print(f"{figure:44} {value:>16} {target:>12}  {verdict}")
    return passed


def cpu_text(figures: dict) -> str:
    return f"CPU: client {figures['cpu']:.1f} s, sandbox {figures['server_cpu']:.1f} s"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} cores"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50×100 (5 sampled), 200×20: about a minute")
    parser.add_argument("--accounts", type=int, help="managed accounts of figures 1 and 2 (default 200; quick 50)")
    parser.add_argument("--grants", type=int, default=100)
    parser.add_argument("--sample", type=int, help="accounts audited one by one (0: all), scaled (20; quick 5)")
    parser.add_argument("--big-accounts", type=int, help="managed accounts of figure 3 (default 1000; quick 200)")
    parser.add_argument("--big-grants", type=int, default=20)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--rate", default="20/s")
    parser.add_argument("--in-flight", type=int, default=8, help="max_accounts_in_flight (the default)")
    parser.add_argument("--scale-child", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_child:
        print(json.dumps(scale_child(json.loads(args.scale_child), args.in_flight, args.server_pid)))
        return 0
    for name, full, quick in (("accounts", 200, 50), ("sample", 20, 5), ("big_accounts", 1000, 200)):
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    print(f"load average {load()} at the start; fleet {args.accounts}×{args.grants}, "
          f"max_accounts_in_flight={args.in_flight}", flush=True)
    lat = latency_figure(args)
    print(f"1. delay {args.delay * 1000:.0f} ms: fleet {lat['fleet']:.1f} s ({lat['requests']} requests, "
          f"{lat['fleet_delayed']} delayed; {lat['grants']:,} grants, {lat['failed']} accounts failed; "
          f"{cpu_text(lat)}); "
          f"telnyx-nb audit {lat['per_cli']:.2f} s per account, {lat['sampled']} of {lat['listed']} run "
          f"({lat['cli_delayed']} requests delayed) and scaled ×{lat['listed'] / lat['sampled']:.1f} "
          f"→ {lat['peer']:.0f} s", flush=True)
    rl = rate_figure(args)
    print(f"2. limit {rl['rate']} per credential: {rl['seconds']:.1f} s; {rl['requests']} requests (manager "
          f"{rl['manager']}, accounts {rl['accounts_requests']}), 429s {rl['refused']} (manager "
          f"{rl['manager_refused']}); {cpu_text(rl)}; floor = max({rl['manager']} ÷ {rl['per_second']:g}, "
          f"{rl['accounts_requests']} ÷ ({rl['per_second']:g} × {rl['lanes']})) = {rl['floor']:.2f} s", flush=True)
    big = scale_figure(args)
    print(f"3. {args.big_accounts}×{args.big_grants}: audited in {big['audited']:.1f} s ({big['grants']:,} grants, "
          f"{big['failed']} accounts failed; {cpu_text(big)}); RSS {big['before'] / 2**20:.0f} MiB after imports, peak "
          f"{big['peak'] / 2**20:.0f} MiB", flush=True)
    if big["rendered"] is None:
        print("   report: not available in this tree (report.render_fleet_html)")
    print()
    print(f"{'figure':44} {'value':>16} {'target':>12}  verdict")
    verdicts = [
        row("fleet ÷ one-by-one telnyx-nb audit (50 ms)", f"{lat['fleet'] / lat['peer']:.3f}", "≤ 0.15",
            lat["fleet"] / lat["peer"] <= 0.15),
        row(f"429s ÷ requests ({rl['rate']} per credential)", f"{100 * rl['refused'] / rl['requests']:.2f} %",
            "≤ 1 %", rl["refused"] <= 0.01 * rl["requests"]),
        row("time ÷ floor of the limits", f"{rl['seconds'] / rl['floor']:.2f}×", "≤ 1.3×",
            rl["seconds"] <= 1.3 * rl["floor"]),
        row(f"peak RSS, {args.big_accounts} accounts", f"{big['peak'] / 2**20:.0f} MiB", "< 1024 MiB",
            big["peak"] < GIB),
        row("render_fleet_html", "not available" if big["rendered"] is None else f"{big['rendered']:.2f} s",
            "< 10 s", None if big["rendered"] is None else big["rendered"] < 10),
    ]
    print(f"\nload average {load()} at the end")
    return 1 if False in verdicts else 0


if __name__ == "__main__":
    raise SystemExit(main())

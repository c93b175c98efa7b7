"""What one request costs through the in-process transports, against loopback HTTP and Flask's test client.

One sandbox, one client at a time, the same two requests each way: a client-credentials token (HTTP Basic, form
body) and an RFC 7662 introspection of one token.

1. **Floor**: Flask's test client on the sandbox's app — the app's own work, no transport at all.
2. **In-process**: ``sandbox.requests_session()`` (the ``requests`` adapter) and ``httpx.Client(transport=
   sandbox.httpx_transport())`` — no socket, no thread.
3. **Loopback**: a keep-alive ``requests.Session`` to the same sandbox served by waitress on 127.0.0.1.

Then the pytest fixture's set-up (a fresh store from the pool's snapshot, session key reused) and its first build,
and what the plugin adds to a pytest run that uses none of its fixtures (collection time, with and without).
Requests are timed one at a time, the contenders taking turns in blocks (``--block`` timed calls after
``--warm`` untimed ones, see ``in_blocks`` for why), bounded by ``--requests`` timed calls each and ``--seconds``;
each cost is the median of its calls, so a shared machine's load spikes hit every contender alike and move the
medians little. Goals: in-process within 1.3× of
the floor, at least 3× faster than loopback, set-up under 50 ms.

    .venv/bin/python benchmarks/transport.py [--requests 1000] [--block 50] [--warm 20] [--seconds 90]
                                             [--setups 50] [--collections 5]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telnyx_nb.testing.harness import SandboxHarness  # noqa: E402
from telnyx_nb.testing.plugin import SandboxPool  # noqa: E402


def in_blocks(calls: dict, rounds: int, block: int, warm: int, seconds: float) -> tuple[dict, int]:
    """(median seconds per call of each ``calls[key]()``, timed calls of each), the contenders taking turns in
    blocks: per round each makes ``warm`` untimed calls, then ``block`` timed ones; at most ``rounds`` rounds or
    ``seconds``.

    Why blocks, not one call each in turn: a loopback call leaves the CPU idle while it waits on the socket, and
    the calls right after an idle run slower (a cooled core, caches refilled). Alternating call by call charged that
    to whichever contender came next: the in-process ones measured 1.39 ms a token next to loopback and 1.07 ms
    without it. The untimed warm-up calls absorb it; taking turns by block still spreads a shared machine's load
    spikes over every contender."""
    times: dict = {key: [] for key in calls}
    deadline = time.perf_counter() + seconds
    for _ in range(rounds):
        for key, send in calls.items():
            for _ in range(warm):
                send()
            for _ in range(block):
                started = time.perf_counter()
                send()
                times[key].append(time.perf_counter() - started)
        if time.perf_counter() > deadline:
            break
    return {key: statistics.median(values) for key, values in times.items()}, len(next(iter(times.values())))


def clients(sb):
    """name → (issue(), introspect()) callables for each way of reaching the sandbox."""
    import httpx

    basic = "Basic " + base64.b64encode(f"{sb.demo_client_id}:{sb.demo_client_secret}".encode()).decode()
    form = {"grant_type": "client_credentials"}
    flask = sb.app.test_client()
    token = flask.post("/v2/oauth/token", data=form, headers={"Authorization": basic}).get_json()["access_token"]
    check = {"token": token}

    def ok(answer, status=200):
        code = getattr(answer, "status_code", None)
        assert code == status, code
        return answer

    in_process = sb.requests_session()
    over_httpx = httpx.Client(transport=sb.httpx_transport())
    sb.serve()
    loopback = requests.Session()
    url = sb.base_url
    auth = {"Authorization": basic}
    return {
        "floor (Flask test client)": (
            lambda: ok(flask.post("/v2/oauth/token", data=form, headers=auth)),
            lambda: ok(flask.post("/v2/oauth/introspect", data=check, headers=auth))),
        "in-process requests adapter": (
            lambda: ok(in_process.post(f"{url}/oauth/token", data=form, headers=auth)),
            lambda: ok(in_process.post(f"{url}/oauth/introspect", data=check, headers=auth))),
        "in-process httpx transport": (
            lambda: ok(over_httpx.post(f"{url}/oauth/token", data=form, headers=auth)),
            lambda: ok(over_httpx.post(f"{url}/oauth/introspect", data=check, headers=auth))),
        "loopback HTTP (waitress)": (
            lambda: ok(loopback.post(f"{url}/oauth/token", data=form, headers=auth, timeout=10)),
            lambda: ok(loopback.post(f"{url}/oauth/introspect", data=check, headers=auth, timeout=10))),
    }


def fixture_setup(pool: SandboxPool, runs: int) -> tuple[float, float]:
    """(first build, median fresh-store set-up) in seconds, as the ``telnyx_sandbox`` fixture does it."""
    started = time.perf_counter()
    SandboxHarness(pool.fresh(seed="demo")).close()
    first = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        harness = SandboxHarness(pool.fresh(seed="demo"))
        harness.close()
        times.append(time.perf_counter() - started)
    return first, statistics.median(times)


def entry_point_installed(env) -> bool:
    """Whether pytest finds the plugin's pytest11 entry point here (an install, or an egg-info on the path)."""
    probe = ("from importlib.metadata import entry_points; "
             "print(any(e.value == 'telnyx_nb.testing.plugin' for e in entry_points(group='pytest11')))")
    answer = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True)
    return answer.stdout.strip() == "True"


def plugin_import_cost() -> tuple[float, list[str]]:
    """Seconds to import the plugin module once pytest is loaded, and the modules that import adds."""
    probe = ("import sys, time, pytest; before = set(sys.modules); t = time.perf_counter(); "
             "import telnyx_nb.testing.plugin; print(time.perf_counter() - t); "
             "print(' '.join(sorted(set(sys.modules) - before)))")
    answer = subprocess.run([sys.executable, "-c", probe], env=dict(os.environ, PYTHONPATH=str(ROOT)),
                            capture_output=True, text=True, check=True)
    seconds, modules = answer.stdout.splitlines()
    return float(seconds), modules.split()


def collection_time(with_plugin: bool, repeat: int) -> float:
    """Best-of-``repeat`` wall time of ``pytest --collect-only`` on a project of 200 trivial tests."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "conftest.py").write_text("")
        Path(folder, "test_plain.py").write_text("".join(f"def test_{i}():\n    pass\n" for i in range(200)))
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        args = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
        if with_plugin:
            args += [] if entry_point_installed(env) else ["-p", "telnyx_nb.testing.plugin"]
        else:
            args += ["-p", "no:telnyx_nb"]
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(args, cwd=folder, env=env, capture_output=True, check=True, timeout=120)
            best = min(best, time.perf_counter() - started)
        return best


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="timed requests of each kind and way (default 1000)")
    parser.add_argument("--block", type=int, default=50, help="timed requests per turn (default 50)")
    parser.add_argument("--warm", type=int, default=20, help="untimed requests before each turn (default 20)")
    parser.add_argument("--seconds", type=float, default=90.0, help="time limit for all turns (default 90 s)")
    parser.add_argument("--setups", type=int, default=50, help="fixture set-ups to time (default 50)")
    parser.add_argument("--collections", type=int, default=5, help="pytest collections to time each way")
    args = parser.parse_args(argv)

    pool = SandboxPool()
    try:
        first, setup = fixture_setup(pool, args.setups)
        sb = pool.new(seed="demo")
        try:
            ways = clients(sb)
            calls = {(name, what): send for name, pair in ways.items()
                     for what, send in zip(("token", "introspect"), pair, strict=True)}
            rounds = max(1, -(-args.requests // args.block))
            cost, timed = in_blocks(calls, rounds, args.block, args.warm, args.seconds)
        finally:
            sb.stop()
    finally:
        pool.close()

    floor = "floor (Flask test client)"
    print(f"per-request cost, median of {timed} timed requests of each kind each way (turns of {args.block} after "
          f"{args.warm} untimed), one client:")
    print(f"{'':32} {'token':>10} {'introspect':>11}   vs floor (token / introspect)")
    for name in ways:
        token, intro = cost[(name, "token")], cost[(name, "introspect")]
        ratio = f"{token / cost[(floor, 'token')]:.2f}× / {intro / cost[(floor, 'introspect')]:.2f}×"
        print(f"{name:32} {token * 1000:8.2f}ms {intro * 1000:9.2f}ms   {ratio}")
    loop = "loopback HTTP (waitress)"
    for name in ("in-process requests adapter", "in-process httpx transport"):
        for what in ("token", "introspect"):
            within = cost[(name, what)] / cost[(floor, what)]
            faster = cost[(loop, what)] / cost[(name, what)]
            verdict = "ok" if within <= 1.3 and faster >= 3 else "MISSED"
            print(f"  {name}, {what}: {within:.2f}× the floor (goal ≤ 1.3), {faster:.1f}× faster than loopback "
                  f"(goal ≥ 3) — {verdict}")
    for name in ("in-process requests adapter", "in-process httpx transport"):
        for what in ("token", "introspect"):
            added = cost[(name, what)] - cost[(floor, what)]
            looped = cost[(loop, what)] - cost[(floor, what)]
            print(f"  transport overhead over the floor, {what}: {name} {added * 1000:+.2f} ms, loopback "
                  f"{looped * 1000:+.2f} ms")
    print(f"fixture set-up (fresh store from the snapshot, session key reused): median {setup * 1000:.1f} ms over "
          f"{args.setups} (goal < 50 ms); first build of a seed {first * 1000:.0f} ms")
    seconds, added = plugin_import_cost()
    print(f"loading the plugin module after pytest: {seconds * 1000:.2f} ms, adds the modules {added}")
    plain, plugged = collection_time(False, args.collections), collection_time(True, args.collections)
    print(f"pytest --collect-only of 200 plain tests, best of {args.collections}: {plain * 1000:.0f} ms without the "
          f"plugin, {plugged * 1000:.0f} ms with it ({(plugged - plain) * 1000:+.0f} ms, within the noise of a "
          "pytest start)")


if __name__ == "__main__":
    main()

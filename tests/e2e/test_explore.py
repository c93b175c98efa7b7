"""`make explore` runs `telnyx-nb explore`: it says which database and how old the demo is, prints a shell
`export` that `telnyx-nb audit` can use, prints the JupyterLab URL only once JupyterLab answers, in ten lines at
most with no warning; a second start on the same database points at the running one; one Ctrl-C (SIGINT) stops
both servers, exit 0."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from oauth_helpers import readline_within
from server_helpers import free_port

REPO = Path(__file__).resolve().parents[2]


def _wait_for_lines(stream, count: int, deadline: float) -> list[str]:
    lines: list[str] = []
    while len(lines) < count and time.monotonic() < deadline:
        try:
            line = readline_within(stream, max(0.1, deadline - time.monotonic()), what="line from telnyx-nb explore")
        except AssertionError:
            break
        if not line:
            break
        lines.append(line.strip())
    return lines


def _read_start(stream, deadline: float) -> list[str]:
    """Everything explore says (stdout and stderr) up to its last start line, "Press Ctrl-C to stop both."."""
    lines: list[str] = []
    while time.monotonic() < deadline:
        got = _wait_for_lines(stream, 1, deadline)
        if not got:
            break
        lines += got
        if got[0].startswith("Press Ctrl-C"):
            break
    return lines


def _line(lines: list[str], prefix: str) -> str:
    found = [line for line in lines if line.startswith(prefix)]
    assert found, f"no {prefix!r} line in {lines}"
    return found[0]


def test_explore_serves_sandbox_and_jupyterlab_and_ctrl_c_stops_both(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    env.pop("TELNYX_NB_SANDBOX", None)
    command = [
        sys.executable, "-m", "telnyx_nb.cli", "explore",
        "--port", str(free_port()), "--sandbox-port", str(free_port()), "--notebooks", str(REPO / "notebooks"),
    ]
    # stderr too: JupyterLab's log and Python's warnings land there, and the person reads both
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        lines = _read_start(process.stdout, time.monotonic() + 120)
        # a quiet start: what a person needs, no JupyterLab info log, no 403 from the readiness poll, no warning
        assert lines and lines[-1].startswith("Press Ctrl-C"), lines
        assert len(lines) <= 10, "\n".join(lines)
        noisy = [line for line in lines if re.search(r"warning|\[W |\[E |\b403 (?:GET|POST|HEAD|PUT|PATCH|DELETE) |Traceback", line, re.IGNORECASE)]
        assert not noisy, "\n".join(lines)

        sandbox_line = _line(lines, "Sandbox:")
        sandbox_url = re.search(r"Sandbox:\s+(\S+)", sandbox_line).group(1)
        assert str(tmp_path) in sandbox_line, "the default database lives in the user's data directory"
        demo = _line(lines, "Demo data:")
        assert demo.startswith("Demo data:  seeded ") and "just now" in demo and "--reset" in demo
        exported = shlex.split(_line(lines, "Shell:").split("export ", 1)[1])[0]
        name, _, value = exported.partition("=")
        assert name == "TELNYX_NB_SANDBOX" and json.loads(value)["base_url"] == sandbox_url
        lab_url = re.search(r"JupyterLab:\s+(\S+)", _line(lines, "JupyterLab:")).group(1)

        assert requests.get(sandbox_url + "/oauth/jwks", timeout=10).json()["keys"]
        answer = requests.get(lab_url, timeout=10)  # printed only once it answers: no waiting here
        assert answer.status_code == 200 and "JupyterLab" in answer.text

        # the printed export is all a shell needs to audit this sandbox
        shell_env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
        shell_env.update(TELNYX_NB_SANDBOX=value, TELNYX_API_KEY="   ")  # a blank key must not switch targets
        audited = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "audit"], env=shell_env,
                                 capture_output=True, text=True, timeout=120)
        assert audited.returncode == 0, audited.stderr
        assert f"Auditing sandbox at {sandbox_url}" in audited.stderr

        # a second explore on the same database starts nothing: it says so and points at the running one
        again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert f"already running on {tmp_path}" in again.stdout and "nothing new started" in again.stdout
        assert f"JupyterLab: {lab_url}" in again.stdout and f"Sandbox:    {sandbox_url}" in again.stdout
        # … and refuses to reset the database under it
        reset = subprocess.run(command + ["--reset"], env=env, capture_output=True, text=True, timeout=60)
        assert reset.returncode == 2 and "--reset refused" in reset.stderr, reset.stderr
        assert requests.get(sandbox_url + "/oauth/jwks", timeout=10).json()["keys"]

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        for url in (sandbox_url + "/oauth/jwks", lab_url):
            try:
                requests.get(url, timeout=2)
            except requests.ConnectionError:
                continue
            raise AssertionError(f"{url} still answers after Ctrl-C")
        assert not list(tmp_path.rglob("*.explore.json")), "a stopped explore leaves no lock behind"
    finally:
        if process.poll() is None:  # a failed assertion: Ctrl-C first, so explore stops its JupyterLab too
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_jupyterlab_terminals_get_the_sandbox_and_this_venv_on_path():
    from telnyx_nb.explore import lab_environment

    env = lab_environment('{"base_url": "http://127.0.0.1:1/v2"}',
                          {"PATH": "/usr/bin:/bin", "TELNYX_NB_SANDBOX_API_KEY": "KEYleftover"})
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert env["PATH"].endswith("/usr/bin:/bin")
    assert env["TELNYX_NB_SANDBOX"] == '{"base_url": "http://127.0.0.1:1/v2"}'
    assert "TELNYX_NB_SANDBOX_API_KEY" not in env


def _dead_pid() -> int:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_explore_lock_points_at_a_live_explore_and_takes_over_a_dead_ones(tmp_path):
    from telnyx_nb import explore_lock

    db = tmp_path / "sandbox.sqlite3"
    lock_file = explore_lock.lock_path(db)
    lock_file.write_text(json.dumps({"pid": os.getppid(), "sandbox_url": "http://127.0.0.1:1/v2",
                                     "lab_url": "http://127.0.0.1:2/lab?token=t"}))
    held = explore_lock.claim(db)
    assert held == explore_lock.Running(pid=os.getppid(), sandbox_url="http://127.0.0.1:1/v2",
                                        lab_url="http://127.0.0.1:2/lab?token=t")

    lock_file.write_text(json.dumps({"pid": _dead_pid()}))  # a crashed explore's lock
    mine = explore_lock.claim(db)
    assert isinstance(mine, explore_lock.ExploreLock)
    assert json.loads(lock_file.read_text()) == {"pid": os.getpid()}
    assert lock_file.stat().st_mode & 0o077 == 0, "the lock will hold JupyterLab's token: owner only"
    mine.update(lab_url="http://127.0.0.1:3/lab?token=secret")
    assert lock_file.stat().st_mode & 0o077 == 0
    assert json.loads(lock_file.read_text())["lab_url"].endswith("token=secret")

    lock_file.write_text(json.dumps({"pid": os.getppid()}))  # someone else's claim now: release leaves it alone
    mine.release()
    assert lock_file.exists()
    lock_file.write_text(json.dumps({"pid": os.getpid()}))
    mine.release()
    assert not lock_file.exists()
    assert isinstance(explore_lock.claim(":memory:"), explore_lock.ExploreLock)  # never shared: no file
    assert not Path(":memory:.explore.json").exists()

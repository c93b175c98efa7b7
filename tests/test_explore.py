"""`make explore` runs `telnyx-nb explore`: both servers answer, and one Ctrl-C (SIGINT) stops both, exit 0."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from oauth_helpers import readline_within

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    """A port that was free a moment ago. Released before use, but harmlessly: `telnyx-nb explore` moves on to
    the next free port when its preferred one is taken, and the test reads the URLs it prints."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def test_explore_serves_sandbox_and_jupyterlab_and_ctrl_c_stops_both(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), PYTHONUNBUFFERED="1")
    env.pop("DISPLAY", None)
    env.pop("TELNYX_NB_SANDBOX", None)
    command = [
        sys.executable, "-m", "telnyx_nb.cli", "explore",
        "--port", str(_free_port()), "--sandbox-port", str(_free_port()), "--notebooks", str(REPO / "notebooks"),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        lines = _wait_for_lines(process.stdout, 3, time.monotonic() + 60)
        sandbox_url = re.search(r"Sandbox:\s+(\S+)", lines[0]).group(1)
        lab_url = re.search(r"JupyterLab:\s+(\S+)", lines[1]).group(1)
        assert str(tmp_path) in lines[0], "the default database lives in the user's data directory"

        assert requests.get(sandbox_url + "/oauth/jwks", timeout=10).json()["keys"]
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = requests.get(lab_url, timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "JupyterLab never answered"
                time.sleep(0.5)
        assert answer.status_code == 200 and "JupyterLab" in answer.text

        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        for url in (sandbox_url + "/oauth/jwks", lab_url):
            try:
                requests.get(url, timeout=2)
            except requests.ConnectionError:
                continue
            raise AssertionError(f"{url} still answers after Ctrl-C")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

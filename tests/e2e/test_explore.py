"""`make explore` runs `telnyx-nb explore`: it says which database and how old the demo is, prints a shell
`export` that `telnyx-nb audit` can use, prints the JupyterLab URL only once JupyterLab answers, and one Ctrl-C
(SIGINT) stops both servers, exit 0."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
from oauth_helpers import readline_within

REPO = Path(__file__).resolve().parents[2]


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
        lines = _wait_for_lines(process.stdout, 5, time.monotonic() + 120)
        sandbox_url = re.search(r"Sandbox:\s+(\S+)", lines[0]).group(1)
        assert str(tmp_path) in lines[0], "the default database lives in the user's data directory"
        assert lines[1].startswith("Demo data:  seeded ") and "just now" in lines[1] and "--reset" in lines[1]
        exported = shlex.split(lines[2].split("export ", 1)[1])[0]
        name, _, value = exported.partition("=")
        assert name == "TELNYX_NB_SANDBOX" and json.loads(value)["base_url"] == sandbox_url
        lab_url = re.search(r"JupyterLab:\s+(\S+)", lines[3]).group(1)

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


def test_jupyterlab_terminals_get_the_sandbox_and_this_venv_on_path():
    from telnyx_nb.explore import lab_environment

    env = lab_environment('{"base_url": "http://127.0.0.1:1/v2"}',
                          {"PATH": "/usr/bin:/bin", "TELNYX_NB_SANDBOX_API_KEY": "KEYleftover"})
    assert env["PATH"].split(os.pathsep)[0] == str(Path(sys.executable).parent)
    assert env["PATH"].endswith("/usr/bin:/bin")
    assert env["TELNYX_NB_SANDBOX"] == '{"base_url": "http://127.0.0.1:1/v2"}'
    assert "TELNYX_NB_SANDBOX_API_KEY" not in env

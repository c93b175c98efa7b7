"""``telnyx-nb explore``: the sandbox with demo data and JupyterLab on ``notebooks/``, stopped together by Ctrl-C.

The sandbox keeps its data in the default file database, so clients and grants made while exploring survive a
restart; it says on start which file that is and how old its demo data is, and ``--reset`` starts the demo over.
Notebooks find the sandbox through ``TELNYX_NB_SANDBOX`` (see ``telnyx_nb.connect``); the same line is printed as
an ``export`` for a shell, and JupyterLab's terminals get it plus this Python's ``bin`` on ``PATH``, so
``telnyx-nb audit`` works there as it is. The JupyterLab URL is printed once JupyterLab answers.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from telnyx_nb import settings
from telnyx_nb.terminal import echo

LAB_START_TIMEOUT = 120.0  # seconds; a cold first start (building caches) is slow, a warm one takes a few


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notebooks", default="notebooks", help="folder JupyterLab opens (default: notebooks)")
    parser.add_argument("--port", type=int, default=8888, help="JupyterLab port; the next free one if taken")
    parser.add_argument("--sandbox-port", type=int, default=8765, help="sandbox port; any free one if taken")
    parser.add_argument("--db", default=None, help="sandbox database (default: a file in the user data dir)")
    parser.add_argument("--reset", action="store_true",
                        help="delete the sandbox database first and seed the demo afresh")
    parser.add_argument("--no-browser", action="store_true", help="never open a browser")


def _free_port(preferred: int) -> int:
    """The preferred port when it is free, else the first free one above it (JupyterLab's own habit)."""
    for port in range(preferred, preferred + 50):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    return 0


def _has_display() -> bool:
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _stop_on_sigterm(signum, frame):
    """Treat SIGTERM like Ctrl-C, so both servers stop the same way."""
    raise KeyboardInterrupt


def lab_environment(sandbox_line: str, environ: dict | None = None) -> dict:
    """JupyterLab's environment: the sandbox for notebooks and terminals, this venv's ``bin`` first on ``PATH``."""
    env = dict(os.environ if environ is None else environ)
    env[settings.SANDBOX] = sandbox_line
    env.pop(settings.SANDBOX_API_KEY, None)  # the line carries the key; a leftover one must not stand beside it
    bin_dir = str(Path(sys.executable).parent)
    path = env.get("PATH", "")
    if bin_dir not in path.split(os.pathsep):
        env["PATH"] = bin_dir + (os.pathsep + path if path else "")
    return env


def wait_until_answers(url: str, process: subprocess.Popen, timeout: float = LAB_START_TIMEOUT) -> bool:
    """Poll ``url`` until it answers (any HTTP status), the process exits, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(url, timeout=2)
            return True
        except requests.RequestException:
            time.sleep(0.2)
    return False


def run(args: argparse.Namespace) -> int:
    from telnyx_nb.sandbox.server import Sandbox, describe_age

    sandbox_kwargs = {"seed": "demo", "port": _free_port(args.sandbox_port), "reset": args.reset}
    if args.db:
        sandbox_kwargs["db"] = args.db
    else:
        from telnyx_nb.sandbox.cli import default_db_path

        sandbox_kwargs["db"] = str(default_db_path())
    sandbox = Sandbox(**sandbox_kwargs).start()
    port = _free_port(args.port)
    token = secrets.token_urlsafe(24)
    env = lab_environment(sandbox.json_line())
    command = [
        sys.executable, "-m", "jupyterlab",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={Path(args.notebooks).resolve()}",
    ]
    if args.no_browser or not _has_display():
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root; Jupyter refuses without it
    reset_hint = "just reset" if args.reset else "`telnyx-nb explore --reset` or `make reset-demo` starts it over"
    echo(f"Sandbox:    {sandbox.base_url}   (database: {sandbox_kwargs['db']})", flush=True)
    echo(f"Demo data:  {describe_age(sandbox.seeded_at)}; {reset_hint}", flush=True)
    echo(f"Shell:      export TELNYX_NB_SANDBOX={shlex.quote(sandbox.json_line())}", flush=True)
    # JupyterLab runs in its own session so that the terminal's Ctrl-C reaches only us: its own SIGINT handler
    # would ask "Shutdown this Jupyter server (y/[n])?" and carry on. We stop it with SIGTERM instead.
    started = time.monotonic()
    lab = subprocess.Popen(command, env=env, start_new_session=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (nohup, &)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        if wait_until_answers(f"http://127.0.0.1:{port}/api/status", lab):
            echo(f"JupyterLab: http://127.0.0.1:{port}/lab?token={token}   "
                 f"(answered after {time.monotonic() - started:.1f} s)", flush=True)
            echo("Press Ctrl-C to stop both.", flush=True)
        elif lab.poll() is None:
            echo(f"JupyterLab did not answer on port {port} within {LAB_START_TIMEOUT:.0f} s; see its log above. "
                 "Press Ctrl-C to stop.", flush=True)
        return lab.wait()
    except KeyboardInterrupt:
        lab.send_signal(signal.SIGTERM)
        try:
            lab.wait(timeout=10)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            lab.kill()
        return 0
    finally:
        sandbox.stop()

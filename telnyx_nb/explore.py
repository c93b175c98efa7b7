"""``telnyx-nb explore``: the sandbox with demo data and JupyterLab on ``notebooks/``, stopped together by Ctrl-C.

The sandbox keeps its data in the default file database, so clients and grants made while exploring survive a
restart; it says on start which file that is and how old its demo data is, and ``--reset`` starts the demo over.
Notebooks find the sandbox through ``TELNYX_NB_SANDBOX`` (see ``telnyx_nb.connect``); the same line is printed as
an ``export`` for a shell, and JupyterLab's terminals get it plus this Python's ``bin`` on ``PATH``, so
``telnyx-nb audit`` works there as it is. The JupyterLab URL is printed once JupyterLab answers; JupyterLab logs only
warnings and errors, so a warm start says what a person needs in a few lines. One explore per database: a second
start on the same database points at the running one instead of starting a second sandbox (``explore_lock``).
"""

from __future__ import annotations

import argparse
import importlib.util
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

from telnyx_nb import explore_lock
from telnyx_nb.core import settings
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


def wait_until_answers(url: str, process: subprocess.Popen, timeout: float = LAB_START_TIMEOUT,
                       headers: dict | None = None) -> bool:
    """Poll ``url`` until it answers (any HTTP status), the process exits, or ``timeout`` passes. ``headers``
    carries JupyterLab's token: without it each poll is logged as a 403 warning next to the URL line."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(url, timeout=2, headers=headers)
            return True
        except requests.RequestException:
            time.sleep(0.2)
    return False


def lab_command(port: int, token: str, notebooks: str, *, browser: bool) -> list[str]:
    """JupyterLab on loopback with our token, every Jupyter application logging only warnings and errors (their
    per-extension info lines would bury the URL), through :mod:`telnyx_nb.lab_launcher` (no stray
    DeprecationWarning about ``ServerApp.token``)."""
    command = [
        sys.executable, "-m", "telnyx_nb.lab_launcher",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={Path(notebooks).resolve()}",
        "--Application.log_level=WARN",
    ]
    if not browser:
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root; Jupyter refuses without it
    return command


def _answers(url: str | None) -> bool:
    try:
        return url is not None and requests.get(url, timeout=3).status_code < 500
    except requests.RequestException:
        return False


def _claim(db: str):
    """This process's lock on ``db``, or the explore already serving it (a lock whose sandbox no longer answers
    belongs to a process that reused the pid: forgotten, and claimed afresh)."""
    held = explore_lock.claim(db)
    if isinstance(held, explore_lock.Running) and held.sandbox_url and not _answers(held.sandbox_url + "/oauth/jwks"):
        explore_lock.forget(db)
        held = explore_lock.claim(db)
    return held


def _report_running(running: explore_lock.Running, db: str, reset: bool) -> int:
    """Say that another explore serves ``db`` and where; nothing new is started (2 when --reset was asked)."""
    echo(f"telnyx-nb explore is already running on {db} (pid {running.pid}): reusing it, nothing new started.")
    if running.lab_url:
        echo(f"JupyterLab: {running.lab_url}")
    if running.sandbox_url:
        echo(f"Sandbox:    {running.sandbox_url}")
    if not running.lab_url:
        echo("It is still starting: its terminal prints the JupyterLab URL in a moment.")
    if reset:
        echo("telnyx-nb explore: --reset refused: it would delete the database under the running sandbox; stop "
              "that explore first (Ctrl-C in its terminal)", file=sys.stderr)
        return 2
    echo("To start afresh, stop that one first (Ctrl-C in its terminal); for a second explorer, pass --db OTHER.")
    return 0


def _shell_hint() -> str | None:
    """How to run ``telnyx-nb`` from a plain shell, when this venv's ``bin`` is not on its ``PATH``."""
    bin_dir = Path(sys.executable).parent
    if str(bin_dir) in os.environ.get("PATH", "").split(os.pathsep):
        return None
    return f"Commands:   {bin_dir / 'telnyx-nb'} audit   (or `source {bin_dir / 'activate'}`, then telnyx-nb …)"


def run(args: argparse.Namespace) -> int:
    if importlib.util.find_spec("jupyterlab") is None:
        echo("telnyx-nb explore: JupyterLab is not installed in this Python: pip install 'telnyx-nb[explore]' "
              "(or run `make explore`)", file=sys.stderr)
        return 2
    from telnyx_nb.sandbox.cli import default_db_path

    db = args.db or str(default_db_path())
    held = _claim(db)
    if isinstance(held, explore_lock.Running):
        return _report_running(held, db, args.reset)
    try:
        return _serve(args, db, held)
    finally:
        held.release()


def _serve(args: argparse.Namespace, db: str, lock: explore_lock.ExploreLock) -> int:
    from telnyx_nb.sandbox.store.seeding import describe_age
    from telnyx_nb.sandbox.web.server import Sandbox

    sandbox = Sandbox(seed="demo", port=_free_port(args.sandbox_port), reset=args.reset, db=db).start()
    lock.update(sandbox_url=sandbox.base_url)
    port = _free_port(args.port)
    token = secrets.token_urlsafe(24)
    command = lab_command(port, token, args.notebooks, browser=not args.no_browser and _has_display())
    reset_hint = "just reset" if args.reset else "`telnyx-nb explore --reset` or `make reset-demo` starts it over"
    echo(f"Sandbox:    {sandbox.base_url}   (database: {db})", flush=True)
    echo(f"Demo data:  {describe_age(sandbox.seeded_at)}; {reset_hint}", flush=True)
    echo(f"Shell:      export TELNYX_NB_SANDBOX={shlex.quote(sandbox.json_line())}", flush=True)
    hint = _shell_hint()
    if hint:
        echo(hint, flush=True)
    # JupyterLab runs in its own session so that the terminal's Ctrl-C reaches only us: its own SIGINT handler
    # would ask "Shutdown this Jupyter server (y/[n])?" and carry on. We stop it with SIGTERM instead.
    started = time.monotonic()
    lab = subprocess.Popen(command, env=lab_environment(sandbox.json_line()), start_new_session=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (nohup, &)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        if wait_until_answers(f"http://127.0.0.1:{port}/api/status", lab,
                              headers={"Authorization": f"token {token}"}):
            lab_url = f"http://127.0.0.1:{port}/lab?token={token}"
            lock.update(lab_url=lab_url)
            echo(f"JupyterLab: {lab_url}   (answered after {time.monotonic() - started:.1f} s)", flush=True)
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

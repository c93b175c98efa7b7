"""``telnyx-nb explore``: the sandbox with demo data and JupyterLab on ``notebooks/``, stopped together by Ctrl-C.

The sandbox keeps its data in the default file database, so clients and grants made while exploring survive a
restart. Notebooks find the sandbox through ``TELNYX_NB_SANDBOX`` (see ``telnyx_nb.connect``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--notebooks", default="notebooks", help="folder JupyterLab opens (default: notebooks)")
    parser.add_argument("--port", type=int, default=8888, help="JupyterLab port; the next free one if taken")
    parser.add_argument("--sandbox-port", type=int, default=8765, help="sandbox port; any free one if taken")
    parser.add_argument("--db", default=None, help="sandbox database (default: a file in the user data dir)")
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


def run(args: argparse.Namespace) -> int:
    from telnyx_nb.sandbox.server import Sandbox

    sandbox_kwargs = {"seed": "demo", "port": _free_port(args.sandbox_port)}
    if args.db:
        sandbox_kwargs["db"] = args.db
    else:
        from telnyx_nb.sandbox.cli import default_db_path

        sandbox_kwargs["db"] = str(default_db_path())
    sandbox = Sandbox(**sandbox_kwargs).start()
    port = _free_port(args.port)
    token = secrets.token_urlsafe(24)
    env = dict(os.environ, TELNYX_NB_SANDBOX=sandbox.json_line())
    command = [
        sys.executable, "-m", "jupyterlab",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={Path(args.notebooks).resolve()}",
    ]
    if args.no_browser or not _has_display():
        command.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers and CI machines often run as root; Jupyter refuses without it
    print(f"Sandbox:    {sandbox.base_url}   (database: {sandbox_kwargs['db']})", flush=True)
    print(f"JupyterLab: http://127.0.0.1:{port}/lab?token={token}", flush=True)
    print("Press Ctrl-C to stop both.", flush=True)
    # JupyterLab runs in its own session so that the terminal's Ctrl-C reaches only us: its own SIGINT handler
    # would ask "Shutdown this Jupyter server (y/[n])?" and carry on. We stop it with SIGTERM instead.
    lab = subprocess.Popen(command, env=env, start_new_session=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (nohup, &)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
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

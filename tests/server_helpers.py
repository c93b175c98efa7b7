"""Servers a test starts as child processes (Voila, a Jupyter server, ``telnyx-nb explore``): a free loopback port,
readiness by TCP connect, and stopping the whole process group (a server's kernels included)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

from oauth_helpers import wait_for


def free_port() -> int:
    """A loopback port that was free a moment ago. Released before use, so another process may take it first:
    servers that move on to the next free port when their own is taken are told it as a preference."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen, log: Path, *, timeout: float, what: str) -> None:
    """Until something accepts a TCP connection on 127.0.0.1:``port``: readiness without an HTTP request (which
    would make Voila start a kernel of its own). Fails with the end of ``log`` when ``process`` exits first or
    ``timeout`` seconds pass."""
    def listening() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    try:
        wait_for(listening, timeout=timeout, every=0.2, what=f"{what} to listen on 127.0.0.1:{port}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}:\n{log.read_text()[-3000:]}") from None


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (started with ``start_new_session=True``), SIGKILL after 20 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

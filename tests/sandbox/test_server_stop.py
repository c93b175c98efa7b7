"""Stopping a sandbox always releases its port and threads, even when its wake-up pipe is gone.

Waitress wakes its event loop through a pipe; a file descriptor closed twice elsewhere in the process can close
that pipe under the server. ``stop()`` must then close the sockets itself rather than raise ``EBADF`` from a test's
teardown (it did, once, in CI) and leave the port and the loop thread behind.
"""

from __future__ import annotations

import logging
import os
import socket

import pytest
import requests


def refused(sb) -> bool:
    with socket.socket() as probe:
        probe.settimeout(2)
        try:
            probe.connect(("127.0.0.1", sb.port))
        except ConnectionRefusedError:
            return True
        return False


def served(sb) -> bool:
    return requests.get(f"{sb.base_url}/oauth/jwks", timeout=10).status_code == 200


def test_a_stopped_sandbox_refuses_connections_and_ends_its_loop_thread(make_sandbox):
    sb = make_sandbox(seed="empty")
    assert served(sb)
    loop = sb._thread
    sb.stop()
    assert refused(sb) and not loop.is_alive()


@pytest.mark.parametrize("how", ["closed by the server", "its descriptor closed elsewhere"])
def test_stop_without_a_wake_up_pipe_still_closes_everything(make_sandbox, caplog, how):
    sb = make_sandbox(seed="empty")
    keep_alive = requests.Session()
    assert keep_alive.get(f"{sb.base_url}/oauth/jwks", timeout=10).status_code == 200  # an open connection too
    server, loop = sb._server, sb._thread
    if how == "closed by the server":
        server.trigger.close()
    else:  # the number now names nothing: writing to it fails with EBADF, as after a foreign close
        server.trigger.trigger = 10**6
    with caplog.at_level(logging.WARNING, logger="telnyx_nb.sandbox"):
        sb.stop()
    assert refused(sb) and not loop.is_alive()
    assert not server._map, "connections left open"
    assert server.trigger.thunks == [], "a wake-up request would run later on a dead loop"
    assert "wake-up pipe" in caplog.text
    with pytest.raises(requests.ConnectionError):
        keep_alive.get(f"{sb.base_url}/oauth/jwks", timeout=10)


def test_a_closed_wake_up_pipe_is_not_written_to_when_its_number_names_another_file(make_sandbox, tmp_path):
    """Once the pipe is closed its descriptor number is free, and the next file opened gets it: stopping must not
    write the loop's wake-up byte into that file."""
    sb = make_sandbox(seed="empty")
    trigger = sb._server.trigger
    number = trigger.trigger
    trigger.close()
    other = tmp_path / "someone-elses-file"
    opened = _open_until_numbered(other, number)  # the file now holds the pipe's old number, as reuse would
    try:
        sb.stop()
    finally:
        os.close(opened)
    assert other.read_bytes() == b""


def _open_until_numbered(path, number: int) -> int:
    """Open ``path`` until the kernel hands out ``number`` (it gives the lowest free one), keeping the others open
    meanwhile; never closes a descriptor this test does not own (``dup2`` would, were another thread to take the
    number first)."""
    held = []
    try:
        for _ in range(256):
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            if fd == number:
                return fd
            held.append(fd)
            if fd > number:
                break
    finally:
        for fd in held:
            os.close(fd)
    pytest.skip(f"descriptor {number} was taken by something else first")

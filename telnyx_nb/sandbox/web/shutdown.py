"""Stopping a waitress server gracefully, and surely.

Waitress runs one event loop per server; anything done to its sockets must run on that loop's thread, which is
woken through a pipe (the server's *trigger*). A graceful stop closes the listening socket first, waits for the
requests in flight, then closes every connection. If the trigger's pipe has been closed under us (a file
descriptor closed twice elsewhere in the process, or the loop shutting the pipe after reading its end of file),
waking the loop fails with ``EBADF``: the stop then closes the sockets from the calling thread instead of raising,
so a sandbox always releases its port and threads.
"""

from __future__ import annotations

import logging
import threading
import time

_log = logging.getLogger("telnyx_nb.sandbox")


def shut_down(server, loop_thread: threading.Thread | None, timeout: float) -> None:
    """Stop accepting, let in-flight requests finish (up to ``timeout`` seconds), then close every connection,
    end the loop thread and the worker threads."""
    from waitress import wasyncore

    stopped_listening = threading.Event()

    def stop_listening():
        wasyncore.dispatcher.close(server)  # the listening socket only; the trigger stays
        stopped_listening.set()

    if _on_loop_thread(server, stop_listening):
        stopped_listening.wait(timeout)
    else:
        wasyncore.dispatcher.close(server)
    _wait_until_idle(server, timeout)
    if not _on_loop_thread(server, lambda: wasyncore.close_all(server._map)):
        wasyncore.close_all(server._map, ignore_all=True)  # the loop ends when it finds its map empty
    if loop_thread is not None:
        loop_thread.join(timeout)
    server.task_dispatcher.shutdown(timeout=timeout)


def _on_loop_thread(server, thunk) -> bool:
    """Have the loop thread run ``thunk``; False (and a warning) if the loop can no longer be woken.

    A trigger that closed itself is not pulled at all: its descriptor number may belong to another file by now."""
    trigger = server.trigger
    if trigger._closed:
        _log.warning("the sandbox's wake-up pipe was closed; closing its sockets from this thread")
        return False
    try:
        trigger.pull_trigger(thunk)
    except OSError as error:
        with trigger.lock:
            trigger.thunks.clear()
        _log.warning("the sandbox's wake-up pipe could not be written (%s); closing its sockets from this thread",
                     error.strerror or error)
        return False
    return True


def _wait_until_idle(server, timeout: float) -> None:
    """Until ``timeout``: wait while a worker runs a task, a task is queued, or a connection has a request or
    unsent output."""
    from waitress.channel import HTTPChannel

    deadline = time.monotonic() + timeout
    dispatcher = server.task_dispatcher
    while time.monotonic() < deadline:
        channels = [c for c in list(server._map.values()) if isinstance(c, HTTPChannel)]
        busy = dispatcher.active_count or dispatcher.queue or any(c.requests or c.total_outbufs_len for c in channels)
        if not busy:
            return
        time.sleep(0.02)

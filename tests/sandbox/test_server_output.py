"""The sandbox prints nothing of its own to stderr under load: in a Jupyter kernel, stderr lands in the notebook.

Waitress warns "Task queue depth is N" whenever a request waits for a busy worker; with no logging set up (a kernel,
a script), Python's last-resort handler prints that warning to stderr. A fleet audit in notebook 05 did exactly that.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import logging, threading, requests
    from telnyx_nb.sandbox import Sandbox

    debug = []
    class Keep(logging.Handler):
        def emit(self, record):
            debug.append(record.getMessage())
    queue_log = logging.getLogger("telnyx_nb.sandbox.queue")
    queue_log.setLevel(logging.DEBUG)
    queue_log.addHandler(Keep())
    queue_log.propagate = False

    sb = Sandbox(seed="empty", db=":memory:", threads=1).start()
    key = {"Authorization": f"Bearer {sb.api_key}"}
    requests.post(f"{sb.root_url}/_sandbox/faults", headers=key, timeout=10,
                  json={"path": "/v2/oauth/jwks", "count": 4, "delay": 0.3}).raise_for_status()
    answers = []
    calls = [threading.Thread(target=lambda: answers.append(
        requests.get(f"{sb.base_url}/oauth/jwks", timeout=10).status_code)) for _ in range(4)]
    for call in calls:
        call.start()
    for call in calls:
        call.join()
    sb.stop()
    print(sorted(answers), any("Task queue depth" in m for m in debug))
""")


def test_requests_waiting_for_a_worker_print_nothing_to_stderr():
    run = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["[200,", "200,", "200,", "200]", "True"], run.stdout  # the requests queued
    assert run.stderr == ""

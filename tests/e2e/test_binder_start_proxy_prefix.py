"""binder/start on a stock Binder (``JUPYTERHUB_SERVICE_PREFIX`` set, no public URL) starts the sandbox so that
jupyter-server-proxy's requests for its port are served with the hub's ``Host``, and nothing else with a foreign
``Host``. The command binder/start becomes is a probe run in the same environment a kernel gets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hub_proxy_helpers import HUB, PREFIX

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, os, urllib.error, urllib.request
from urllib.parse import urlsplit
base = json.loads(os.environ["TELNYX_NB_SANDBOX"])["base_url"]
port = urlsplit(base).port
def status(headers):
    request = urllib.request.Request(base + "/.well-known/oauth-authorization-server", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code
context = os.environ["JUPYTERHUB_SERVICE_PREFIX"].rstrip("/") + f"/proxy/{port}"
hub = os.environ["PROBE_HUB"]
print(status({"Host": hub, "X-Forwarded-Context": context}), status({"Host": hub}))
"""


def test_binder_start_serves_the_hubs_host_through_the_proxy_only(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELNYX_", "JUPYTERHUB_"))}
    env.update(JUPYTERHUB_SERVICE_PREFIX=PREFIX, TMPDIR=str(tmp_path), PROBE_HUB=HUB,
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}")
    process = subprocess.Popen([str(ROOT / "binder" / "start"), sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=120)
    finally:  # start execs the probe and leaves the sandbox in its process group
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    assert process.returncode == 0, stderr[-3000:]
    assert stdout.split() == ["200", "421"], (stdout, stderr[-2000:])

"""Everything a user runs, against a sandbox that limits each credential to 20 requests a second as a rate-limited
Telnyx account would: the audit CLI, ``grants_df``/``clients_df``, and every notebook end to end (executed, not
compared: tests/notebooks/ compares outputs). What this guards is that nothing fails *because of* the limit: the
client paces itself by the ``x-ratelimit-*`` headers and waits out a 429 for its reset.

Each notebook gets its own fresh rate-limited demo sandbox (they write), reached by its kernel through
``TELNYX_NB_SANDBOX`` as in tests/notebooks/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from telnyx_nb import TelnyxOAuth

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
LIMIT = "20/s"
RATE_LIMIT_SIGNS = ("RateLimitError", "Too many requests", "10011", "429")


def clean_env(sandbox) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env["TELNYX_NB_SANDBOX"] = sandbox.json_line()
    return env


def test_the_audit_cli_runs_clean_through_the_limit(make_sandbox, tmp_path):
    sb = make_sandbox(seed="grants=2000", rate_limit=LIMIT)
    done = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "audit", "--out", "report.html"],
                          env=clean_env(sb), capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report.html").stat().st_size > 0
    assert sb.rate_limits.general.refused <= 2, "the CLI's reads were refused: it did not pace itself"


def test_frames_read_every_row_through_the_limit(make_sandbox):
    sb = make_sandbox(seed="grants=2000", rate_limit=LIMIT)
    with TelnyxOAuth.from_sandbox(sb) as client:
        grants = client.grants_df(progress=False)
        clients = client.clients_df(progress=False)
    assert len(grants) == 2000 and set(grants["client_id"]) <= set(clients["client_id"])
    assert sb.rate_limits.general.refused <= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_runs_through_the_limit(path, make_sandbox):
    sb = make_sandbox(seed="demo", rate_limit=LIMIT)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute(env=clean_env(sb))
    except CellExecutionError as error:
        text = str(error)
        assert not any(sign in text for sign in RATE_LIMIT_SIGNS), f"{path.name} failed on the rate limit:\n{text}"
        raise
    assert sb.rate_limits.general.refused <= 2, f"{path.name}: {sb.rate_limits.general.refused} answers of 429"

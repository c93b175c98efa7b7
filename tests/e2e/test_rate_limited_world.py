"""Everything a user runs, against a sandbox that limits each credential to 20 requests a second as a rate-limited
Telnyx account would: the audit CLI and ``grants_df``/``clients_df`` (every notebook runs through the same limit
with only an API key in tests/notebooks/test_notebooks.py). What this guards is that nothing fails *because of* the
limit: the client paces itself by the ``x-ratelimit-*`` headers and waits out a 429 for its reset.
"""

from __future__ import annotations

import os
import subprocess
import sys

from telnyx_nb import TelnyxOAuth

LIMIT = "20/s"


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

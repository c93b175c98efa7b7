"""Schemathesis with every check (`st run --checks all`) over the sandbox's own /v2/openapi.json: no 5xx, no
status, header, content type or body the document does not describe, no schema-valid request refused
(positive_data_acceptance) and no schema-invalid one accepted (negative_data_acceptance). The served document is
exactly as strict as the server.

Run through Schemathesis's own CLI, every phase (examples, coverage, fuzzing, stateful), deterministic and bounded
(20 examples per operation and mode, about 40 s on loopback). A failure or an error (an Unsatisfiable schema
included) fails the test. The RFC-mandated exceptions live in tests/sandbox/schemathesis.toml with their reasons.
A longer local run: `st --config-file tests/sandbox/schemathesis.toml run http://127.0.0.1:PORT/v2/openapi.json
--checks all -H "Authorization: Bearer KEY" --max-time 120`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("schemathesis")

CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = Path(sys.executable).with_name("st")


@pytest.fixture(scope="module")
def sb():
    from telnyx_nb.sandbox.web.server import Sandbox

    with Sandbox(seed="demo") as sandbox:
        yield sandbox


def test_every_operation_is_exactly_as_strict_as_the_document(sb):
    command = [str(ST), "--config-file", str(CONFIG), "run", f"{sb.base_url}/openapi.json", "--checks", "all",
               "-H", f"Authorization: Bearer {sb.api_key}", "--max-examples", "20", "--generation-deterministic",
               # one worker: with two, some hash seeds (PYTHONHASHSEED) leave Schemathesis spinning until the
               # timeout (seen with seed 1); one worker finishes in ~15 s whatever the seed
               "--workers", "1", "--continue-on-failure", "--no-color",
               # arming faults makes the next requests fail on purpose (tests/api/test_retries.py covers them)
               "--exclude-path", "/_sandbox/faults"]
    result = subprocess.run(command, check=False, capture_output=True, text=True, timeout=540)
    output = result.stdout + result.stderr
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested and int(tested.group(1)) >= 30, f"the document should list every route:\n{output[-3000:]}"
    assert result.returncode == 0, output[output.find("FAILURES"):][:12000] or output[-6000:]

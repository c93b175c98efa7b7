"""The bottom floor stands alone: the sandbox's errors and the masking load nothing of the client, and the secret
names masking hides without any record loaded are the ones the records declare."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def fresh(code: str) -> dict:
    """Run ``code`` in a fresh interpreter importing this tree; it prints one JSON object."""
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_raising_and_printing_a_sandbox_configuration_error_loads_no_module_of_the_api():
    seen = fresh(
        "import json, sys\n"
        "from telnyx_nb.sandbox import Sandbox\n"
        "try:\n"
        "    Sandbox(seed='no-such-seed-client_secret=abcdef123456')\n"
        "except Exception as exc:\n"
        "    text = str(exc); kind = type(exc).__name__; print(exc)\n"
        "print(json.dumps({'kind': kind, 'text': text,\n"
        "                  'api': sorted(m for m in sys.modules if m.startswith('telnyx_nb.api'))}))\n"
    )
    assert seen["kind"] == "ConfigurationError"
    assert "abcdef123456" not in seen["text"]  # masked by a name declared in core, not learnt from the client
    assert seen["api"] == []


def test_masking_alone_hides_every_secret_field_the_records_declare():
    seen = fresh(
        "import json, sys\n"
        "from telnyx_nb.core import masking\n"
        "alone = sorted(masking.secret_names())\n"
        "loaded = [m for m in sys.modules if m.startswith('telnyx_nb.') and m not in\n"
        "          ('telnyx_nb.core', 'telnyx_nb.core.masking')]\n"
        "from telnyx_nb.core import records\n"
        "print(json.dumps({'alone': alone, 'declared': sorted(records.secret_field_names()), 'loaded': loaded,\n"
        "                  'after': sorted(masking.secret_names())}))\n"
    )
    assert seen["loaded"] == []  # masking imports nothing of telnyx_nb
    assert set(seen["declared"]) <= set(seen["alone"])
    assert seen["after"] == seen["alone"]  # loading the records adds no name masking did not already hide

"""Every notebook runs top to bottom against the sandbox and reproduces its committed outputs (pytest-notebook).

Each notebook's kernel gets its own fresh demo sandbox through ``TELNYX_NB_SANDBOX`` (pytest-notebook's
``exec_env``): notebooks 02–04 create, update, revoke and delete, so sharing the session sandbox would make the
outcome depend on test order and would spoil the planted cases other tests read. The demo data is deterministic
relative to the sandbox's start time, so a fresh sandbox gives the same tables every run.

Volatile values (ids, timestamps, ports, masked token stubs, widget model ids, durations) are normalised by the
``nbreg`` ``diff_replace`` / ``diff_ignore`` entries in each notebook's own metadata — the notebook says what in
it may vary. Regenerate the stored outputs with ``make regen-notebooks`` (``pytest tests/test_notebooks.py
--nb-force-regen``; pytest-notebook reports those runs as FAILED by design); regeneration strips the saved widget
state, which would otherwise store widget values.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from test_notebook_secrets import NOTEBOOKS, scan_notebook

# Widget state gets new ids every run and holds widget values; kernel/language versions vary by machine.
ALWAYS_IGNORED = ("/metadata/widgets", "/metadata/language_info", "/metadata/kernelspec")


def _strip_saved_widget_state(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    if notebook.metadata.pop("widgets", None) is not None:
        nbformat.write(notebook, path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_reproduces_its_stored_outputs(path, nb_regression, make_sandbox):
    sandbox = make_sandbox(seed="demo", db=":memory:")
    nb_regression.exec_env = {"TELNYX_NB_SANDBOX": sandbox.json_line()}
    nb_regression.diff_ignore = tuple(nb_regression.diff_ignore) + ALWAYS_IGNORED
    nb_regression.exec_timeout = max(nb_regression.exec_timeout or 0, 120)
    try:
        result = nb_regression.check(str(path))
    finally:
        if nb_regression.force_regen:
            _strip_saved_widget_state(path)

    # The outputs this run produced carry none of this sandbox's credentials, nor anything secret-shaped.
    executed = json.loads(json.dumps(result.nb_final))
    executed.get("metadata", {}).pop("widgets", None)  # never stored (see above)
    text = json.dumps(executed)
    for name in ("api_key", "demo_client_secret"):
        assert getattr(sandbox, name) not in text, f"{path.name} printed the sandbox's {name} unmasked"
    findings = scan_notebook(executed)
    assert not findings, f"{path.name} printed secret-shaped strings:\n" + "\n".join(findings)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_only_an_api_key(path, make_sandbox):
    """The real-API path: credentials from TELNYX_API_KEY + TELNYX_BASE_URL, as a Telnyx user would set them, with
    no sandbox description and no default OAuth client (01 then borrows a temporary client). The server is a
    sandbox on loopback, so the sandbox-only steps (consent approval) still run."""
    sandbox = make_sandbox(seed="demo", db=":memory:")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update(TELNYX_API_KEY=sandbox.api_key, TELNYX_BASE_URL=sandbox.base_url)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    first = next(o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream")
    assert f"API key {sandbox.api_key[:4]}" in first.text  # connected with the key, and says so (masked)
    assert sandbox.api_key not in json.dumps(notebook)

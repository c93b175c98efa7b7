"""Notebook 03 run twice on one sandbox, as a newcomer does: its revoke cell says what happened in words both times
("12 revoked", then "nothing new to revoke"), never an empty ``{}``."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[2]


def _revoke_cell_output(sb) -> str:
    notebook = nbformat.read(REPO / "notebooks" / "03_audit_grants.ipynb", as_version=4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update(TELNYX_NB_SANDBOX=sb.json_line(), PYTHONPATH=str(REPO))
    NotebookClient(notebook, timeout=180, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO / "notebooks")}}).execute(env=env)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("APPLY = "))
    return "".join(o.get("text", "") for o in cell.outputs)


def test_running_notebook_03_twice_says_what_it_revoked_and_then_that_nothing_is_new(make_sandbox):
    from telnyx_nb.sandbox.store.demo import PLANTED

    sb = make_sandbox()
    stale = len(PLANTED["stale_grant"]["ids"])
    first = _revoke_cell_output(sb)
    assert first == (f"first run:  {stale} revoked\n"
                     f"second run: nothing new to revoke: all {stale} grants were already revoked\n")
    second = _revoke_cell_output(sb)
    assert second.startswith("nothing new to revoke: no grant is stale any more") and "{}" not in second

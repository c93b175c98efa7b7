"""Committed notebooks render before they run: nbconvert (no kernel — what GitHub, nbviewer and Binder's first paint
do) finds the saved widget state of every widget view still stored — progress bars, which show as they ended
instead of "Loading widget…" or a frozen text bar. Panels store no widget view at all: their outputs hold a static
stored view instead (test_stored_views.py). The saved state holds every model a view needs, and only masked values
(the secret scan in test_notebook_secrets.py walks /metadata/widgets too)."""

from __future__ import annotations

import json
import re
from datetime import UTC

import nbformat
import pytest
from nbconvert import HTMLExporter
from test_notebook_secrets import NOTEBOOKS, scan_notebook

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"


def _views(notebook) -> list[str]:
    return [output["data"][VIEW]["model_id"]
            for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if VIEW in output.get("data", {})]


def _saved_state(notebook) -> dict:
    return notebook.metadata.get("widgets", {}).get(STATE, {}).get("state", {})


def _closure(state: dict, model_id: str) -> set[str]:
    """Every model id a view of ``model_id`` needs (its children, layouts, styles …, recursively)."""
    needed, todo = set(), [model_id]
    while todo:
        current = todo.pop()
        if current in needed:
            continue
        needed.add(current)
        todo += re.findall(r"IPY_MODEL_([0-9a-f]{32})", json.dumps(state.get(current, {})))
    return needed


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_renders_its_panels_without_a_kernel(path):
    notebook = nbformat.read(path, as_version=4)
    views = _views(notebook)
    if not views:
        pytest.skip(f"{path.name} shows no widgets")
    state = _saved_state(notebook)
    assert state, f"{path.name} has widget views but no saved widget state: renderers show 'Loading widget…'"
    for model_id in views:
        missing = _closure(state, model_id) - set(state)
        assert not missing, f"{path.name}: the view of {model_id} needs models that were not saved: {missing}"

    html, _ = HTMLExporter().from_notebook_node(notebook)
    rendered_views = re.findall(r'<script type="application/vnd\.jupyter\.widget-view\+json">\s*(\{.*?\})\s*</script>',
                                html, flags=re.S)
    assert sorted(json.loads(v)["model_id"] for v in rendered_views) == sorted(views)
    assert f'<script type="{STATE}">' in html  # the state the embedded widget manager renders from
    assert "Loading widget" not in html
    for model_id in views:  # a panel's place holds its view, not its text fallback (e.g. "Explorer(target=…)")
        fallback = next(o["data"]["text/plain"] for c in notebook.cells if c.cell_type == "code"
                        for o in c.get("outputs", []) if o.get("data", {}).get(VIEW, {}).get("model_id") == model_id)
        assert f"<pre>{fallback}" not in html


def _demo_ports() -> set[str]:
    """Ports the demo data itself names (its clients' loopback redirect URIs): fixed, not run-specific."""
    from datetime import datetime

    from telnyx_nb.sandbox.store.demo import demo_dataset

    clients, _ = demo_dataset(datetime.now(UTC))
    return {m for c in clients for uri in c["redirect_uris"] for m in re.findall(r"127\.0\.0\.1:(\d+)", uri)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_widget_state_is_masked_and_stable(path):
    notebook = nbformat.read(path, as_version=4)
    state = notebook.metadata.get("widgets")
    if not state:
        pytest.skip(f"{path.name} saves no widget state")
    assert not scan_notebook({"metadata": {"widgets": state}})
    text = json.dumps(state) + json.dumps([c.get("outputs", []) for c in notebook.cells])
    fixed = {"8765", "8976"} | set(re.findall(r"127\.0\.0\.1:(\d+)", "".join(c.source for c in notebook.cells)))
    fixed |= _demo_ports()
    ports = set(re.findall(r"127\.0\.0\.1:(\d+)", text))
    assert ports <= fixed, f"run-specific ports stored: {ports - fixed}"
    assert not re.search(r"KEY[A-Za-wyz0-9_-]\u2026", text), "masked API keys differ run to run: normalise them"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_saved_widget_state_has_no_secret_revealed(path):
    """The panels keep secrets masked in their models unless Reveal is pressed: none may be saved pressed."""
    state = _saved_state(nbformat.read(path, as_version=4))
    pressed = [model_id for model_id, model in state.items()
               if model.get("model_name") == "ToggleButtonModel"
               and "secrets" in str(model.get("state", {}).get("description", "")) and model["state"].get("value")]
    assert not pressed, f"{path.name} saved a pressed Reveal toggle: {pressed}"

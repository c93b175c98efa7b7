"""Committed notebooks show every panel before anything runs: each panel's output holds its stored view (static,
masked HTML with the "Stored view" banner), and no widget view that a kernel-less front end would draw from a dead
saved model (JupyterLab, for a trusted notebook) or could not draw at all (nbconvert offline, GitHub, nbviewer).

How a panel's output is made and why the widget view is left out of the committed file: telnyx_nb/widgets/stored.py
and ``_keep_stored_views`` in test_notebooks.py.
"""

from __future__ import annotations

import re

import nbformat
import pytest
from nbconvert import HTMLExporter
from test_notebook_secrets import NOTEBOOKS, scan_notebook

from telnyx_nb.widgets.stored import BANNER, BANNER_CLASS, CSS_CLASS

VIEW = "application/vnd.jupyter.widget-view+json"
PANELS = ("Explorer", "TokenPanel", "IntrospectionPanel", "JWKSPanel", "AuthorizePanel", "ClientsPanel",
          "GrantsPanel", "DiscoveryPanel")
# The panels each notebook displays, in order: a cell that stops showing one (or shows it without its stored view)
# fails here, not silently on GitHub.
EXPECTED = {
    "00_explorer": ["Explorer"],
    "01_quickstart": ["TokenPanel", "IntrospectionPanel", "JWKSPanel"],
    "02_clients": ["ClientsPanel"],
    "03_audit_grants": ["GrantsPanel"],
    "04_authorization_code_pkce": ["AuthorizePanel"],
    "05_fleet_audit": [],
}
_PANEL_CALL = re.compile(r"\b(" + "|".join(PANELS) + r")\(")


def _panel_outputs(notebook) -> list[tuple[int, dict]]:
    """(cell index, output) for every output of a panel: its text says which panel (the stored view's first word,
    or, for an output made before stored views, ipywidgets' repr)."""
    found = []
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            text = str(output.get("data", {}).get("text/plain", ""))
            if text.split(" ", 1)[0].split("(", 1)[0] in PANELS:
                found.append((index, output))
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_panel_output_is_its_stored_view(path):
    notebook = nbformat.read(path, as_version=4)
    outputs = _panel_outputs(notebook)
    shown = [output["data"]["text/plain"].split(" ", 1)[0] for _, output in outputs]
    assert shown == EXPECTED[path.stem], f"{path.name}: panels stored {shown}, expected {EXPECTED[path.stem]}"
    for index, output in outputs:
        data = output["data"]
        markup = str(data.get("text/html", ""))
        where = f"{path.name} cell {index} ({data['text/plain'].split(' ', 1)[0]})"
        assert CSS_CLASS in markup and BANNER_CLASS in markup and BANNER in markup, f"{where}: no stored view"
        assert BANNER in data["text/plain"], where
        assert VIEW not in data, f"{where}: a widget view is stored (it renders a dead copy, or nothing, unrun)"
        assert "<button" not in markup and "onclick" not in markup, f"{where}: something to press"
        assert "expires in" not in markup, f"{where}: a countdown frozen at the moment of the run"
        assert not scan_notebook(output), f"{where}: secret-shaped values:\n" + "\n".join(scan_notebook(output))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_that_makes_a_panel_stores_one(path):
    """From the code side: a cell whose last line shows a panel, or that display()s one, has a stored view."""
    notebook = nbformat.read(path, as_version=4)
    stored = {index for index, _ in _panel_outputs(notebook)}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.strip().splitlines() if line and not line.startswith("#")]
        last = lines[-1] if lines else ""
        shows = bool(_PANEL_CALL.search(last)) or last.startswith("display(") or (
            re.fullmatch(r"[a-z_]+_panel", last.strip()) is not None)
        if shows and _PANEL_CALL.search(cell.source):
            assert index in stored, f"{path.name} cell {index} shows a panel but stores no stored view"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_nbconvert_html_shows_the_stored_views_offline(path):
    """``jupyter nbconvert --to html``: each panel's place holds its stored view as HTML, not a widget script that
    would need the CDN."""
    notebook = nbformat.read(path, as_version=4)
    page, _ = HTMLExporter().from_notebook_node(notebook)
    views = re.findall(rf"<div class=[\"']{CSS_CLASS} telnyx-nb-stored-(\w+)[\"']", page)
    assert views == EXPECTED[path.stem]
    assert page.count(BANNER) == len(views)
    scripts = re.findall(r'<script type="application/vnd\.jupyter\.widget-view\+json">(.*?)</script>', page, re.S)
    assert not any(panel in script for script in scripts for panel in PANELS)

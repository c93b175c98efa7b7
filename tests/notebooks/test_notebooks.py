"""Every notebook runs top to bottom against the sandbox and reproduces its committed outputs (pytest-notebook).

Each notebook's kernel gets its own fresh demo sandbox through ``TELNYX_NB_SANDBOX`` (pytest-notebook's
``exec_env``): notebooks 02–04 create, update, revoke and delete, so sharing the session sandbox would make the
outcome depend on test order and would spoil the planted cases other tests read. The demo data is deterministic
relative to the sandbox's start time, so a fresh sandbox gives the same tables every run.

Volatile values (ids, timestamps, ports, masked token stubs, widget model ids, durations) are normalised by the
``nbreg`` ``diff_replace`` / ``diff_ignore`` entries in each notebook's own metadata — the notebook says what in
it may vary. Regenerate the stored outputs with ``make regen-notebooks`` (``pytest tests/notebooks/test_notebooks.py
--nb-force-regen``; pytest-notebook reports those runs as FAILED by design). A panel's output is committed as its
stored view only (static, masked HTML: :func:`_keep_stored_views`); the progress bars keep their widget view and
saved widget state (``/metadata/widgets``), so GitHub, nbviewer and nbconvert show both as they ended instead of
"Loading widget…"; the saved state is masked, and the secret scan covers it. Before it is written, what differs run
to run for no reason is normalised
(:func:`normalise_for_commit`): this run's sandbox port becomes the default 8765, masked stubs keep only their
kind (``KEYx…xx``, ``eyJ0…xx``), the sandbox's fresh signing-key values (kid, modulus, thumbprint) become named
placeholders, and widget model ids are renamed by order of creation.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from test_notebook_secrets import NOTEBOOKS, scan_notebook

# Widget state gets new ids every run (its values are checked by the render test); kernel/language versions vary.
# A panel's widget view is live-only: the committed output keeps its stored view instead (_keep_stored_views).
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
ALWAYS_IGNORED = ("/metadata/widgets", "/metadata/language_info", "/metadata/kernelspec",
                  f"/cells/*/outputs/*/data/{WIDGET_VIEW}")
STORED_VIEW_CLASS = "telnyx-nb-stored-view"  # telnyx_nb.widgets.stored.CSS_CLASS
# A panel's tables show times to the minute (the notebooks' own DATETIME pattern, which runs after this one, needs
# seconds: times with seconds are left to it)
STORED_VIEW_REPLACE = (("/cells/*/outputs", r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}\b(?!:)", "DATETIME"),)
STORED_SANDBOX_PORT = 8765  # what `make explore` uses: stored outputs show the port a reader will see
_MASKED_STUB = re.compile(r"(?<![A-Za-z0-9_.~+/=-])([A-Za-z0-9_.~+/-]{1,4})\u2026([A-Za-z0-9_-]{0,2})")


def _stable_stub(match: re.Match) -> str:
    """``KEYJ…2u`` → ``KEYx…xx``, ``QHvB…Uq`` → ``xxxx…xx``; a JWT's ``eyJ0…`` (its fixed header) stays. Lengths stay,
    so the nbreg MASKED pattern reads the stored and the fresh stub alike."""
    prefix, suffix = match.group(1), match.group(2)
    kept = 3 if prefix.startswith("KEY") else 4 if prefix.startswith("eyJ") else 0
    return prefix[:kept] + "x" * (len(prefix) - kept) + "\u2026" + "x" * len(suffix)


def normalise_for_commit(value, sandbox_port: int, replacements: dict[str, str] | None = None):
    """``value`` (a notebook, or any part of one) with this run's sandbox port, masked stubs and ``replacements``
    (this run's signing-key values) made stable."""
    if isinstance(value, dict):
        return type(value)({k: normalise_for_commit(v, sandbox_port, replacements) for k, v in value.items()})
    if isinstance(value, list):
        return [normalise_for_commit(v, sandbox_port, replacements) for v in value]
    if isinstance(value, str):
        for host in ("127.0.0.1", "localhost"):
            value = value.replace(f"{host}:{sandbox_port}", f"{host}:{STORED_SANDBOX_PORT}")
            value = value.replace(f"{host}%3A{sandbox_port}", f"{host}%3A{STORED_SANDBOX_PORT}")  # in an iss=…
        for old, new in (replacements or {}).items():
            value = value.replace(old, new)
        return _MASKED_STUB.sub(_stable_stub, value)
    return value


def _signing_key_placeholders(sandbox) -> dict[str, str]:
    """The sandbox's public signing-key values (new every run, random-looking): kid, modulus, thumbprint."""
    from telnyx_nb import TelnyxOAuth

    with TelnyxOAuth.from_sandbox(sandbox) as client:
        keys = client.jwks_df()
        raw = client.jwks().raw.get("keys", [])
    placeholders = {}
    for number, (kid, thumbprint) in enumerate(zip(keys["kid"], keys["thumbprint"]), start=1):
        placeholders[str(kid)] = f"sandbox-key-{number}"
        if isinstance(thumbprint, str):
            placeholders[thumbprint] = f"thumbprint-of-sandbox-key-{number}"
    for number, key in enumerate(raw, start=1):
        if key.get("n"):
            placeholders[key["n"]] = f"(modulus of sandbox-key-{number}, base64url)"
    return placeholders


def _stable_model_ids(notebook, name: str) -> None:
    """Keep only the widget models the stored views need, renamed by the order a reader meets them (views in
    output order, then their children depth-first): ids are random per run, and the file stores its keys sorted,
    so neither creation order nor the old ids would be stable."""
    saved = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    state = saved.get("state")
    if not state:
        return
    reference = re.compile(r"IPY_MODEL_([0-9a-f]{32})")
    order: list[str] = []

    def visit(model_id: str) -> None:
        if model_id in order or model_id not in state:
            return
        order.append(model_id)
        for child in reference.findall(json.dumps(state[model_id], sort_keys=True)):
            visit(child)

    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view:
                visit(view["model_id"])
    saved["state"] = {model_id: state[model_id] for model_id in order}  # unreachable models: nothing shows them
    renamed = {old: hashlib.md5(f"{name}:{index}".encode()).hexdigest() for index, old in enumerate(order)}
    if not renamed:
        return
    pattern = re.compile("|".join(map(re.escape, renamed)))
    text = pattern.sub(lambda m: renamed[m.group(0)], json.dumps(nbformat.from_dict(notebook)))
    fresh = nbformat.reads(text, as_version=4)
    notebook.cells, notebook.metadata = fresh.cells, fresh.metadata


def _keep_stored_views(notebook) -> None:
    """A panel's committed output keeps its stored view (text/html, text/plain) and drops its widget view, and so
    the panel's saved widget state: a model saved from a run is a dead copy — JupyterLab, given a trusted
    notebook, would draw it with live-looking buttons and a frozen countdown, and nbconvert would prefer it to the
    stored view and draw nothing offline (its widget script comes from a CDN). Running the cell brings the widget
    back. Outputs without a stored view (progress bars) keep their widget view and state."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []) if cell.cell_type == "code" else ():
            data = output.get("data", {})
            if WIDGET_VIEW in data and STORED_VIEW_CLASS in str(data.get("text/html", "")):
                del data[WIDGET_VIEW]


def _prepare_for_commit(path: Path, sandbox) -> None:
    notebook = nbformat.read(path, as_version=4)
    _keep_stored_views(notebook)
    _stable_model_ids(notebook, path.stem)
    state = notebook.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    if "widgets" in notebook.metadata and not state.get("state"):
        del notebook.metadata["widgets"]  # no widget view left to draw
    replacements = _signing_key_placeholders(sandbox)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = nbformat.from_dict(normalise_for_commit(cell.outputs, sandbox.port, replacements))
    if "widgets" in notebook.metadata:
        notebook.metadata.widgets = nbformat.from_dict(normalise_for_commit(notebook.metadata.widgets,
                                                                            sandbox.port, replacements))
    nbformat.write(notebook, path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_reproduces_its_stored_outputs(path, nb_regression, make_sandbox):
    sandbox = make_sandbox(seed="demo", db=":memory:")
    nb_regression.exec_env = {"TELNYX_NB_SANDBOX": sandbox.json_line()}
    # Regenerating always rewrites the file, so the saved widget state is refreshed even when outputs match.
    ignored = ALWAYS_IGNORED if not nb_regression.force_regen else tuple(p for p in ALWAYS_IGNORED
                                                                          if p != "/metadata/widgets")
    nb_regression.diff_ignore = tuple(nb_regression.diff_ignore) + ignored
    # stored views show the sandbox's signing key (kid, modulus, thumbprint): new every run, named when committed
    nb_regression.diff_replace = tuple(nb_regression.diff_replace) + STORED_VIEW_REPLACE + tuple(
        ("/cells/*/outputs", re.escape(value), name) for value, name in _signing_key_placeholders(sandbox).items())
    nb_regression.exec_timeout = max(nb_regression.exec_timeout or 0, 120)
    try:
        result = nb_regression.check(str(path))
    finally:
        if nb_regression.force_regen:
            _prepare_for_commit(path, sandbox)

    # The outputs this run produced, widget state included, carry none of this sandbox's credentials, nor
    # anything secret-shaped.
    executed = json.loads(json.dumps(result.nb_final))
    assert executed["metadata"].get("widgets") or "widget-view" not in json.dumps(executed["cells"])
    text = json.dumps(executed)
    for name in ("api_key", "demo_client_secret"):
        assert getattr(sandbox, name) not in text, f"{path.name} printed the sandbox's {name} unmasked"
    # public signing-key values (kid, modulus) look random: scanned as they would be committed, i.e. named
    findings = scan_notebook(normalise_for_commit(executed, sandbox.port, _signing_key_placeholders(sandbox)))
    assert not findings, f"{path.name} printed secret-shaped strings:\n" + "\n".join(findings)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_with_only_an_api_key_through_the_rate_limit(path, make_sandbox):
    """The real-API path: credentials from TELNYX_API_KEY + TELNYX_BASE_URL, as a Telnyx user would set them, with
    no sandbox description and no default OAuth client (01 then borrows a temporary client), on a server that limits
    each credential to 20 requests a second as a rate-limited Telnyx account does: nothing may fail *because of*
    the limit (the client paces itself by the ``x-ratelimit-*`` headers and waits out a 429 for its reset). The
    server is a sandbox on loopback, so the sandbox-only steps (consent approval) still run."""
    sandbox = make_sandbox(seed="demo", db=":memory:", rate_limit="20/s")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    env.update(TELNYX_API_KEY=sandbox.api_key, TELNYX_BASE_URL=sandbox.base_url)
    notebook = nbformat.read(path, as_version=4)
    try:
        NotebookClient(notebook, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute(env=env)
    except CellExecutionError as error:
        signs = ("RateLimitError", "Too many requests", "10011", "429")
        assert not any(sign in str(error) for sign in signs), f"{path.name} failed on the rate limit:\n{error}"
        raise
    assert sandbox.rate_limits.general.refused <= 2, f"{path.name}: {sandbox.rate_limits.general.refused} 429s"
    first = next(o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream")
    assert f"API key {sandbox.api_key[:4]}" in first.text  # connected with the key, and says so (masked)
    assert sandbox.api_key not in json.dumps(notebook)

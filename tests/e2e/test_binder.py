"""A Binder launch, simulated without docker: what repo2docker does with binder/, step by step.

1. a copy of the repository as Binder clones it (tracked files, plus new files not ignored, so a working tree
   under test is what gets built);
2. a fresh virtual environment on Python 3.11 (binder/runtime.txt) with binder/requirements.txt installed from
   the repository root, as repo2docker runs ``pip install -r``. The simulation installs with uv when the test
   environment has it: the same requirements file and the same exact pins (binder/constraints.txt pins every
   package, checked below), in about a second where pip takes some forty; without uv it runs pip;
3. ``binder/postBuild``;
4. ``binder/start <command>`` — here the command executes notebooks with ``jupyter nbconvert --execute`` instead
   of serving them, with ``JUPYTERHUB_SERVICE_PREFIX`` set as on a hub, so the links the notebooks print must go
   through jupyter-server-proxy. It executes the two whose Binder run differs from a local one: 04 prints the
   consent link (through the hub's proxy here) and 03 takes snapshots (pyarrow and duckdb from Binder's install).
   Every notebook runs in JupyterLab from the explore install (the same lock) in tests/e2e/test_newcomer_path.py
   and headless in tests/notebooks/.

The full simulation is slow (a fresh install): it is marked ``binder``; deselect with ``-m "not binder"``.
A quicker test proves the consent link the notebook prints works through jupyter-server-proxy, as on Binder.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from hub_proxy_helpers import running_jupyter_server

ROOT = Path(__file__).resolve().parents[2]
HUB_PREFIX = "/user/binder-sim/"


def _copy_repository(dest: Path) -> None:
    """Copy what a clone would hold: files git tracks, plus new ones not ignored (a working tree under test)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def _run(command, *, cwd, env, timeout, what):
    done = subprocess.run(command, cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True)
    assert done.returncode == 0, f"{what} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


def test_runtime_pins_python_311():
    # pandas 3 needs 3.11; repo2docker's default is older
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"


def test_binder_installs_exact_versions_from_the_constraints_file():
    """Binder (and the simulation below) install what the suite ran with: requirements point pip at
    binder/constraints.txt (written by scripts/binder_constraints.py), which pins every package exactly."""
    requirements = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    assert "-c constraints.txt" in [line.strip() for line in requirements]
    pins = [line for line in (ROOT / "binder" / "constraints.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    names = {line.split("==")[0] for line in pins}
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9._-]*==[0-9][^\s=]*", line) for line in pins), pins
    assert {"flask", "authlib", "pandas", "jupyterlab", "voila", "jupyter-server-proxy", "ipywidgets"} <= names


def _binder_constraints():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import binder_constraints
    finally:
        sys.path.pop(0)
    return binder_constraints


def _lock_pins(name: str) -> dict[str, str]:
    return _binder_constraints().pins((ROOT / "requirements" / name).read_text())


def test_binder_installs_what_make_explore_installs_from_the_same_lock():
    """One list of versions: `make explore` installs the explore lock, Binder its copy in binder/constraints.txt
    (scripts/binder_constraints.py; `make lock` refreshes both). Both hold what notebook 03 and `telnyx-nb snapshot`
    need (pyarrow, duckdb), and every explore pin is the test lock's, so CI tests the versions a newcomer gets."""
    binder_constraints = _binder_constraints()
    explore = _lock_pins("explore.txt")
    assert (ROOT / "binder" / "constraints.txt").read_text() == binder_constraints.render(explore), \
        "binder/constraints.txt is out of date: run `make lock` (or `make binder-constraints`)"
    assert {"pyarrow", "duckdb", "jupyterlab", "voila", "jupyter-server-proxy"} <= explore.keys()
    tested = _lock_pins("test.txt")
    assert {name: tested.get(name) for name in explore} == explore, "explore pins a version the test lock does not"
    assert [line.strip() for line in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
            if line.strip().startswith(".")] == [".[explore]"]


def test_every_lock_keeps_within_what_held_back_allows():
    """requirements/held-back.txt caps a package the locks hold back (with its reason above it); `make lock` reads
    it, and the test lock, the explore lock and Binder's constraints all keep within the caps."""
    from packaging.requirements import Requirement

    lines = (ROOT / "requirements" / "held-back.txt").read_text().splitlines()
    held = [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]
    assert held, "nothing held back: delete requirements/held-back.txt and its -c in the Makefile"
    for index, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert lines[index - 1].startswith("#"), f"held-back.txt: {line!r} needs its reason above it"
    assert "-c $(LOCKS)/held-back.txt" in (ROOT / "Makefile").read_text()
    binder = _binder_constraints().pins((ROOT / "binder" / "constraints.txt").read_text())
    for name, pinned in (("test.txt", _lock_pins("test.txt")), ("explore.txt", _lock_pins("explore.txt")),
                         ("binder/constraints.txt", binder)):
        for requirement in held:
            version = pinned.get(requirement.name)
            assert version is None or requirement.specifier.contains(version), \
                f"{name} pins {requirement.name}=={version}, outside {requirement} (requirements/held-back.txt)"


def test_make_installs_each_set_from_its_lock_with_uv_or_pip():
    makefile = (ROOT / "Makefile").read_text()
    assert "$(INSTALL) -c $(LOCKS)/explore.txt -e '.[explore]'" in makefile
    assert "$(INSTALL) -c $(LOCKS)/test.txt -e '.[test]'" in makefile
    assert '/uv" pip install' in makefile and "-m pip install --quiet" in makefile  # uv, pip where uv cannot be had
    assert "\nlock:" in makefile


def test_binder_scripts_are_executable():
    for name in ("postBuild", "start"):
        assert os.access(ROOT / "binder" / name, os.X_OK), f"binder/{name} must be executable (chmod +x)"


@pytest.mark.binder
def test_simulated_binder_launch_executes_the_notebooks_binder_changes(tmp_path):
    repo = tmp_path / "repo"
    _copy_repository(repo)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)

    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("TELNYX_", "VIRTUAL_ENV", "PYTHON", "JUPYTER", "PYTEST"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(tmp_path / "home")  # nothing from the developer's ~/.jupyter or ~/.local leaks in
    env["JUPYTERHUB_SERVICE_PREFIX"] = HUB_PREFIX
    env["MPLBACKEND"] = "Agg"
    # keep pip's download cache between runs: only the install target is fresh
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")

    # no .pyc at install (repo2docker's pip writes them, a third of a pip install here): Python writes them on
    # import anyway, and nothing the launch checks depends on them
    uv = Path(sys.executable).with_name("uv")
    install = ([str(uv), "pip", "install", "--quiet", "--python", str(venv / "bin" / "python")] if uv.exists()
               else ["python", "-m", "pip", "install", "--quiet", "--no-compile"])
    _run([*install, "-r", "binder/requirements.txt"], cwd=repo, env=env, timeout=900,
         what="installing binder/requirements.txt")
    _run(["binder/postBuild"], cwd=repo, env=env, timeout=300, what="binder/postBuild")

    out = tmp_path / "executed"
    notebooks = ["notebooks/03_audit_grants.ipynb", "notebooks/04_authorization_code_pkce.ipynb"]
    assert all((repo / name).exists() for name in notebooks), notebooks
    command = ["binder/start", "jupyter", "nbconvert", "--to", "notebook", "--execute",
               "--ExecutePreprocessor.timeout=180", "--output-dir", str(out), *notebooks]
    # start becomes nbconvert (exec) and leaves the sandbox running in its process group: end that group after.
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=900)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, f"binder/start … nbconvert failed:\n{stdout[-3000:]}\n{stderr[-6000:]}"

    ready = re.search(r"sandbox ready at (http://127\.0\.0\.1:(\d+)/v2)", stderr)
    assert ready, f"binder/start did not report the sandbox:\n{stderr[-2000:]}"
    port = ready.group(2)

    for name in notebooks:
        executed = json.loads((out / Path(name).name).read_text())
        outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
        errors = [o for o in outputs if o["output_type"] == "error"]
        assert not errors, f"{name}: {errors[0]['ename']}: {errors[0]['evalue']}"
        first_text = next("".join(o.get("text", "")) for o in outputs if o["output_type"] == "stream")
        # the first thing each notebook says is which target it talks to: the sandbox binder/start launched
        assert "sandbox" in first_text.lower() and f":{port}/" in first_text, f"{name}: {first_text!r}"

    # the consent link is reachable from the user's browser: through the hub's proxy, not the container's loopback
    flow = json.loads((out / "04_authorization_code_pkce.ipynb").read_text())
    printed = json.dumps(flow["cells"])
    assert f"{HUB_PREFIX}proxy/{port}/" in printed, "04 must link the consent page through jupyter-server-proxy"


def _notebook_function(notebook: str, name: str):
    """Define ``name`` from the notebook's own cell, so the test checks the code users run."""
    cells = json.loads((ROOT / "notebooks" / notebook).read_text())["cells"]
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or f"def {name}(" not in source:
            continue
        tree = ast.parse(source)
        definition = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
        namespace: dict = {}
        exec(compile("import os\nfrom urllib.parse import urlsplit\n" + ast.get_source_segment(source, definition),
                     notebook, "exec"), namespace)
        return namespace[name]
    raise AssertionError(f"{notebook} no longer defines {name}()")


@pytest.fixture(scope="module")
def hub_server(tmp_path_factory):
    """A Jupyter server on the repository, under a hub-style prefix, as Binder runs it (jupyter-server-proxy and
    Voila are server extensions there). Its kernels inherit the session sandbox's TELNYX_NB_SANDBOX."""
    with running_jupyter_server(HUB_PREFIX, ROOT, tmp_path_factory.mktemp("hub-home")) as url:
        yield url


def test_consent_link_works_through_jupyter_server_proxy(hub_server, make_sandbox, monkeypatch):
    from telnyx_nb import TelnyxOAuth

    sandbox = make_sandbox()
    oauth = TelnyxOAuth.from_sandbox(sandbox)
    redirect_uri = "http://127.0.0.1:8765/callback"
    app = oauth.create_client(name="proxy check", client_type="public", allowed_grant_types=["authorization_code"],
                              allowed_scopes=["admin"], redirect_uris=[redirect_uri], require_pkce=True)
    request = oauth.authorization_url(app.client_id, redirect_uri, scope="admin")

    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", HUB_PREFIX)
    link = _notebook_function("04_authorization_code_pkce.ipynb", "browser_url")(request.url)
    assert link.startswith(f"{HUB_PREFIX}proxy/{urlsplit(sandbox.base_url).port}/"), link

    browser = requests.Session()
    page = browser.get(hub_server + link, timeout=30)  # follows authorize → consent page
    assert page.status_code == 200 and "consent-form" in page.text, page.text[:500]
    assert urlsplit(page.url).path.startswith(f"{HUB_PREFIX}proxy/"), f"left the proxy: {page.url}"
    consent_token = parse_qs(urlsplit(page.url).query)["consent_token"][0]

    decision = browser.post(page.url, data={"decision": "allow", "consent_token": consent_token},
                            allow_redirects=False, timeout=30)  # the page's form posts to itself
    assert decision.status_code == 303, decision.text[:500]
    code = oauth.parse_redirect(decision.headers["Location"], request.state)
    tokens = oauth.exchange_code(code, redirect_uri=redirect_uri, code_verifier=request.code_verifier,
                                 client_id=app.client_id)
    assert oauth.introspect(tokens.access_token).active


def test_voila_badge_renders_the_explorer(hub_server):
    # The README's Voila badge opens urlpath=voila/render/notebooks/00_explorer.ipynb
    page = requests.get(f"{hub_server}{HUB_PREFIX}voila/render/notebooks/00_explorer.ipynb", timeout=180)
    assert page.status_code == 200, page.text[:1000]
    assert "Talking to: sandbox at http://127.0.0.1:" in page.text
    assert "application/vnd.jupyter.widget-view+json" in page.text  # the Explorer itself
    assert "Traceback" not in page.text and "application/vnd.jupyter.stderr" not in page.text  # no failed cell
    assert "oauth = telnyx_nb.connect()" not in page.text  # Voila shows outputs, not code

"""The newcomer's path (issue 25), once, end to end: a clean clone, ``make explore``'s install into the clone's own
venv, ``telnyx-nb explore`` from there, and then what a new user does in chromium and in a shell.

- the documented CLI commands from the clone's venv against the explore's sandbox: ``telnyx-nb snapshot``,
  ``telnyx-nb audit --out`` to HTML, CSV and Parquet (the HTML report opened in chromium: its revoke list);
- every notebook in notebooks/ opened in JupyterLab as committed (its stored views on screen), then Run All,
  saved, and not one cell left unrun or with an error output; notebook 03 revokes the demo's stale grants;
- ``telnyx-nb snapshot`` again and ``telnyx-nb diff``: the revocations show up as removed grants;
- the consent page for a demo client (its logo fails to load offline: the initial shows).

Screenshots go to tests/artifacts/newcomer/. The clone is of the repository's committed HEAD (uncommitted changes
are not in it). The install uses the installer's cache as it is (warm, it takes seconds); the cold-cache start is
measured by benchmarks/cold_start.py, not here. Slow (a few minutes on two cores): it runs once in the suite.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
import requests
from oauth_helpers import readline_within
from server_helpers import free_port, stop_group
from test_browser import CHROMIUM, CHROMIUM_ARGS, WAIT_MS, _require_chromium

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts" / "newcomer"
INSTALL_LIMIT = 600  # seconds for `make .venv/.installed-explore`: seconds with a warm cache, minutes cold
START_LIMIT = 180  # seconds for explore to print the JupyterLab URL on a loaded 2-core machine
RUN_LIMIT = 240  # seconds for one notebook's Run All
# variables of the developer's shell or of `make test` that would leak into the newcomer's: the clone's venv
# must import the clone, and its make is a fresh one
LEAKY = ("PYTHONPATH", "VIRTUAL_ENV", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PYTHONHOME")


def _newcomer_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in LEAKY and not k.startswith("TELNYX_")}
    # the demo database and Jupyter's runtime files under XDG_DATA_HOME; JupyterLab's settings and workspaces too,
    # so neither the developer's settings change what the test sees nor the test's clicks change theirs
    env.update(XDG_DATA_HOME=str(home), PYTHONUNBUFFERED="1", JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
               JUPYTERLAB_SETTINGS_DIR=str(home / "lab-settings"), JUPYTERLAB_WORKSPACES_DIR=str(home / "lab-workspaces"))
    env.pop("DISPLAY", None)
    # "Would you like to get notified about official Jupyter news?" answered No, as a person would at once: its
    # toast would cover part of every screenshot
    news = home / "lab-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false"}))
    return env


def _clone_and_install(tmp_path: Path, env: dict[str, str]) -> Path:
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout: the newcomer's path starts from a clone")
    clone = tmp_path / "telnyx-nb"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    install = subprocess.run(["make", "--no-print-directory", ".venv/.installed-explore"], cwd=clone, env=env,
                             capture_output=True, text=True, timeout=INSTALL_LIMIT)
    assert install.returncode == 0, install.stdout[-3000:] + install.stderr[-3000:]
    return clone


def _start_explore(clone: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str, str]:
    """``telnyx-nb explore`` from the clone's venv; returns the process, the JupyterLab URL and the export value."""
    command = [str(clone / ".venv/bin/telnyx-nb"), "explore", "--no-browser",
               "--port", str(free_port()), "--sandbox-port", str(free_port())]
    process = subprocess.Popen(command, cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + START_LIMIT
    try:
        while not any(line.startswith("JupyterLab:") for line in lines):
            line = readline_within(process.stdout, max(0.1, deadline - time.monotonic()), what="explore's URL line")
            assert line, f"explore exited ({process.poll()}) before its URL:\n" + "".join(lines)
            lines.append(line)
    except AssertionError:
        stop_group(process)
        raise
    # JupyterLab's log goes to the same pipe: keep reading it, so a full pipe never blocks the server
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
    text = "".join(lines)
    lab_url = re.search(r"^JupyterLab:\s+(\S+)", text, re.MULTILINE).group(1)
    exported = shlex.split(re.search(r"^Shell:\s+export (.+)$", text, re.MULTILINE).group(1))[0]
    return process, lab_url, exported.partition("=")[2]


def _cli(clone: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(clone / ".venv/bin/telnyx-nb"), *args], cwd=clone, env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, f"telnyx-nb {' '.join(args)} exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done


def _problems(notebook: Path) -> list[str]:
    """Every code cell not run, and every error output, of a saved notebook."""
    found = []
    for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if cell.execution_count is None:
            found.append(f"cell {index} did not run: {cell.source[:80]!r}")
        for output in cell.outputs:
            if output.output_type == "error":
                found.append(f"cell {index}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr" and "Traceback" in output.text:
                found.append(f"cell {index} (stderr): {output.text[-500:]}")
    return found


# how many code cells JupyterLab shows as waiting or running ([*])
PENDING = """() => [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
    .filter(p => p.textContent.includes('*')).length"""


def _open_notebook(page, lab: str, token: str, notebook: Path) -> None:
    """Open the notebook from JupyterLab's file browser, as a person does, and wait until its kernel is idle."""
    page.locator(".jp-DirListing-item", has_text=notebook.name).first.dblclick()
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.wait_for(timeout=WAIT_MS)
    deadline = time.monotonic() + WAIT_MS / 1000
    while time.monotonic() < deadline:
        if _kernel_state(lab, token, notebook) == "idle":
            return
        time.sleep(0.5)
    pytest.fail(f"{notebook.name}: its kernel did not start within {WAIT_MS / 1000:.0f} s")


def _close_notebook(page, lab: str, token: str) -> None:
    """Close its tab and shut its kernel down: one kernel at a time on a 2-core machine."""
    _menu(page, "File", "Close Tab")
    page.locator(".jp-NotebookPanel").first.wait_for(state="detached", timeout=WAIT_MS)
    headers = {"Authorization": f"token {token}"}
    for session in requests.get(f"{lab}/api/sessions", headers=headers, timeout=30).json():
        requests.delete(f"{lab}/api/sessions/{session['id']}", headers=headers, timeout=30)


def _kernel_state(lab: str, token: str, notebook: Path) -> str | None:
    sessions = requests.get(f"{lab}/api/sessions", headers={"Authorization": f"token {token}"}, timeout=30).json()
    states = [s["kernel"]["execution_state"] for s in sessions if s["path"].endswith(notebook.name)]
    return states[0] if states else None


def _no_dialog(page, notebook: Path, step: str) -> None:
    """A dialog in the way (a kernel that died, a save conflict) fails the test with its text and a screenshot."""
    dialogs = page.locator(".jp-Dialog")
    if dialogs.count():
        page.screenshot(path=str(ARTIFACTS / f"{notebook.stem}_dialog.png"))
        pytest.fail(f"{notebook.name}, {step}: JupyterLab shows a dialog: {dialogs.first.inner_text()!r}")


def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-item", has_text=menu).first.click()
    page.locator(".lm-Menu-item:visible", has_text=re.compile(rf"^{item}")).first.click()


def _screenshot_panels(page, name: str) -> None:
    """The notebook's top, and each cell that shows a panel (scrolled to it)."""
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    panels = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell",
                          has_text=re.compile(r"telnyx_nb\.\w*(Panel|Explorer)\("))
    for index in range(panels.count()):
        _settled_screenshot(panels.nth(index), ARTIFACTS / f"{name}_panel{index + 1}.png")


def _settled_screenshot(locator, path: Path) -> None:
    """Scroll to the element and wait until it stops moving: JupyterLab lays out the cells above it only as they
    come into view, and a screenshot taken meanwhile shows whichever cell has moved into its place."""
    box = None
    for _ in range(20):
        locator.scroll_into_view_if_needed()
        time.sleep(0.3)
        now = locator.bounding_box()
        if now == box:
            break
        box = now
    locator.screenshot(path=str(path))


def _run_all_and_save(page, lab: str, token: str, notebook: Path) -> None:
    """Run > Run All Cells, wait until no cell waits or runs ([*]) and the kernel is idle, File > Save."""
    _no_dialog(page, notebook, "before Run All")
    _menu(page, "Run", "Run All Cells")
    deadline = time.monotonic() + RUN_LIMIT
    quiet = 0  # consecutive checks with nothing pending and the kernel idle
    while quiet < 2:
        if time.monotonic() > deadline:
            pytest.fail(f"{notebook.name}: Run All did not finish within {RUN_LIMIT} s: {page.evaluate(PENDING)}")
        time.sleep(1)
        idle = page.evaluate(PENDING) == 0 and _kernel_state(lab, token, notebook) == "idle"
        quiet = quiet + 1 if idle else 0
    _no_dialog(page, notebook, "after Run All")
    broken = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output",
                          has_text=re.compile("Error displaying widget|Traceback"))
    assert not broken.count(), f"{notebook.name}: {broken.first.inner_text()[:2000]}"
    before = notebook.stat().st_mtime_ns
    _menu(page, "File", "Save Notebook")
    deadline = time.monotonic() + 30
    while notebook.stat().st_mtime_ns == before and time.monotonic() < deadline:
        time.sleep(0.3)
    _no_dialog(page, notebook, "saving")
    assert notebook.stat().st_mtime_ns != before, f"{notebook.name}: JupyterLab did not save it"


def _screenshot_revoke_list(browser, report: Path) -> None:
    """The HTML report the CLI wrote, opened from disk in a tab of its own: its "Revoke these first" section."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(report.as_uri(), timeout=WAIT_MS)
    revoke_first = page.locator("section", has=page.locator("h2", has_text="Revoke these first")).first
    expect(revoke_first.locator("tbody tr").first).to_be_visible(timeout=WAIT_MS)
    revoke_first.screenshot(path=str(ARTIFACTS / "report_revoke_list.png"))
    page.close()


def _open_lab(page, lab_url: str) -> None:
    """JupyterLab's start page (the token becomes a cookie), its file browser listed."""
    page.goto(lab_url, timeout=WAIT_MS)
    page.locator(".jp-DirListing-item").first.wait_for(timeout=WAIT_MS)


def _consent_screenshot(page, sandbox_json: str) -> None:
    """The consent page as a person meets it: a demo client with a logo (which does not load offline)."""
    from telnyx_nb import TelnyxOAuth

    with TelnyxOAuth.from_sandbox(sandbox_json) as oauth:
        clients = oauth.clients_df()
        usable = clients[clients["logo_uri"].notna()
                         & clients["allowed_grant_types"].map(lambda g: "authorization_code" in g)
                         & clients["redirect_uris"].map(bool)].iloc[0]
        request = oauth.authorization_url(usable["client_id"], usable["redirect_uris"][0], scope="admin")
    page.goto(request.url, timeout=WAIT_MS)
    page.locator("#consent-form").wait_for(timeout=WAIT_MS)
    page.screenshot(path=str(ARTIFACTS / "consent_page.png"), full_page=True)


def _first_commands(clone: Path, shell: dict[str, str], out: Path) -> None:
    """A snapshot and the audit in every format, before notebook 03 revokes the stale grants."""
    _cli(clone, shell, "snapshot", "--out", str(out / "snapshots"))
    for suffix in ("html", "csv", "parquet"):
        _cli(clone, shell, "audit", "--out", str(out / f"report.{suffix}"))
        assert (out / f"report.{suffix}").stat().st_size > 0


def _run_notebook(page, lab: str, token: str, notebook: Path) -> list[str]:
    _open_notebook(page, lab, token, notebook)
    _screenshot_panels(page, f"{notebook.stem}_stored")  # as committed: the stored views
    _run_all_and_save(page, lab, token, notebook)
    _screenshot_panels(page, f"{notebook.stem}_run")
    problems = _problems(notebook)
    _close_notebook(page, lab, token)
    return problems


def test_a_newcomer_clones_installs_runs_every_notebook_and_the_documented_commands(tmp_path):
    _require_chromium()
    from playwright.sync_api import sync_playwright

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    timings: dict[str, float] = {}  # seconds per step, written beside the screenshots (the test's cost)
    started = time.monotonic()

    def lap(step: str) -> None:
        timings[step] = round(time.monotonic() - started - sum(timings.values()), 1)
        (ARTIFACTS / "timings.json").write_text(json.dumps(timings, indent=1))

    env = _newcomer_env(tmp_path / "home")
    clone = _clone_and_install(tmp_path, env)
    lap("clone and install")
    explore, lab_url, sandbox_json = _start_explore(clone, env)
    lap("explore to its URL")
    shell = {**env, "TELNYX_NB_SANDBOX": sandbox_json}  # the `export` line explore printed
    out = tmp_path / "out"
    lab, token = lab_url.split("/lab?token=")
    notebooks = sorted((clone / "notebooks").glob("*.ipynb"))
    first_audit = [n for n in notebooks if n.name.startswith("03_")][:1]  # it revokes: the commands go before
    failures: dict[str, list[str]] = {}
    try:
        # the shell commands run while the browser works on the notebooks before 03 (two cores, mostly waiting)
        with ThreadPoolExecutor(max_workers=1) as pool, sync_playwright() as p:
            commands = pool.submit(_first_commands, clone, shell, out)
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1400})
                _open_lab(page, lab_url)
                for notebook in notebooks:
                    if notebook in first_audit:
                        commands.result()
                        _screenshot_revoke_list(browser, out / "report.html")
                    failures[notebook.name] = _run_notebook(page, lab, token, notebook)
                    lap(notebook.name)
                commands.result()
                _consent_screenshot(page, sandbox_json)
                lap("consent page")
            finally:
                browser.close()
        assert len(failures) == len(notebooks) >= 5, sorted(failures)
        assert not any(failures.values()), json.dumps(failures, indent=1)

        _cli(clone, shell, "snapshot", "--out", str(out / "snapshots"))
        changes = _cli(clone, shell, "diff", str(out / "snapshots"), "--out", str(out / "changes.csv"))
        assert (out / "changes.csv").stat().st_size > 0, changes.stdout
        assert "grant revoked" in changes.stdout, changes.stdout  # notebook 03's revocations, between the snapshots
        lap("snapshot and diff")
        (ARTIFACTS / "diff.txt").write_text(changes.stdout)
        shutil.copy(out / "changes.csv", ARTIFACTS)
        shutil.copy(out / "report.html", ARTIFACTS)
    finally:
        stop_group(explore)

"""The Explorer in a real browser: Voila serves tests/e2e/browser_explorer.ipynb, Playwright drives Debian's chromium.

Issue a token, introspect it, verify it against the JWKS, and sign in through the real consent page (the Authorize
tab's loopback listener catches the redirect) — by clicking, as a person would — and save screenshots
under tests/artifacts/ (git-ignored). The Voila kernel gets ``TELNYX_NB_SANDBOX`` for a demo sandbox of its
own (the sign-in writes a grant; the session's shared sandbox stays read-only) and talks to it over HTTP.

Needs /usr/bin/chromium (``apt-get install chromium``); a downloaded Playwright browser build is never used.
Without chromium the test skips, unless ``TELNYX_NB_REQUIRE_BROWSER=1`` (set by .ci/run), where it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from server_helpers import free_port, stop_group, wait_listening

pytestmark = pytest.mark.browser

HERE = Path(__file__).resolve().parent
NOTEBOOK = HERE / "browser_explorer.ipynb"
ARTIFACTS = HERE.parent / "artifacts"  # tests/artifacts, beside every folder
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
STARTUP_LIMIT = 120  # seconds for Voila to listen; generous on a loaded 2-core machine
WAIT_MS = 90_000  # per UI step: the first one includes kernel start and imports
# The visible table's scroll box: how many body rows lie wholly inside it, and whether it scrolls sideways.
TABLE_IN_VIEW = """() => {
  const box = [...document.querySelectorAll('.tnb-scroll')].find(b => b.offsetParent !== null);
  const frame = box.getBoundingClientRect();
  const rows = [...box.querySelectorAll('tr')].filter(tr => tr.querySelector('td'));
  const inView = rows.filter(tr => {
    const r = tr.getBoundingClientRect();
    return r.top >= frame.top - 1 && r.bottom <= frame.bottom + 1;
  });
  // cut off at the right: the table reaches past an ancestor that clips (or scrolls) its overflow
  const right = box.querySelector('table').getBoundingClientRect().right;
  let clipped = [];
  for (let el = box.parentElement; el; el = el.parentElement) {
    if (getComputedStyle(el).overflowX !== 'visible' && right > el.getBoundingClientRect().right + 1) {
      clipped.push(el.className || el.tagName);
    }
  }
  return {rows: rows.length, rows_in_view: inView.length, scroll_width: box.scrollWidth,
          client_width: box.clientWidth, clipped_by: clipped};
}"""


def _require_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    message = (f"{CHROMIUM} not found: install Debian's chromium with `apt-get install chromium` "
               "(never `playwright install`)")
    if os.environ.get("TELNYX_NB_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def _serve_voila(notebook: Path, sandbox_json: str, log: Path):
    """Voila serving ``notebook`` on a free loopback port, its kernels connected to ``sandbox_json``; stopped on
    exit. Yields the page's URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "voila", str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--VoilaConfiguration.extension_denylist=nbdime-jupyterlab",
        "--show_tracebacks=True",
    ]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=notebook.parent, stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "TELNYX_NB_SANDBOX": sandbox_json},
                                   start_new_session=True)
    try:
        wait_listening(port, process, log, timeout=STARTUP_LIMIT, what="voila")
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_group(process)


@pytest.fixture
def voila(tmp_path, make_sandbox):
    """A Voila server for the fixture notebook on a free loopback port, on a sandbox of its own (the consent
    round trip writes a grant, and the session's sandbox is read-only); stopped after the test."""
    _require_chromium()  # before starting anything
    own = make_sandbox(seed="demo")
    with _serve_voila(NOTEBOOK, own.json_line(), tmp_path / "voila.log") as url:
        yield url


def test_issue_introspect_verify_in_the_browser(voila):
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 2200})
            context.grant_permissions(["clipboard-read", "clipboard-write"])  # for "Copy as curl"
            page = context.new_page()
            page.goto(voila, timeout=WAIT_MS)
            expect(page.get_by_text("Telnyx OAuth Explorer")).to_be_visible(timeout=WAIT_MS)

            def visible_button(name: str):
                return page.locator("button:visible", has_text=name).first

            def open_tab(title: str) -> None:
                page.locator(".lm-TabBar-tab", has_text=title).first.click()

            # Token tab (open first): issue a client_credentials token
            expect(page.get_by_text("✓ Load scopes from discovery metadata")).to_be_visible(timeout=WAIT_MS)
            visible_button("Issue").click()
            expect(page.get_by_text("expires in").first).to_be_visible(timeout=WAIT_MS)
            countdown = page.get_by_text("expires in").first
            first_reading = countdown.inner_text()
            expect(countdown).not_to_have_text(first_reading, timeout=15_000)  # the background timer ticks
            expect(page.get_by_text("JWT claims").first).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=str(ARTIFACTS / "explorer_token.png"), full_page=True)

            # masked until the user reveals it, and masked again after
            access_row_header = page.locator("th:visible", has_text="access_token").first
            access_cell = access_row_header.locator("xpath=following-sibling::td[1]")
            assert "…" in access_cell.inner_text()
            visible_button("Show secrets").click()
            expect(access_cell).to_have_text(re.compile(r"^eyJ[\w-]+\.[\w-]+\.[\w-]+$"), timeout=WAIT_MS)
            token = access_cell.inner_text()
            visible_button("Hide secrets").click()
            expect(access_cell).to_contain_text("…", timeout=WAIT_MS)
            assert token not in page.inner_text("body")

            # Introspection tab: the token is already in the box
            open_tab("Introspection")
            visible_button("Introspect").click()
            expect(page.get_by_text("✓ active")).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=str(ARTIFACTS / "explorer_introspection.png"), full_page=True)

            # JWKS tab: verify the same token against the key set
            open_tab("JWKS")
            # the tab loads its keys when first opened, with its buttons disabled meanwhile: a click landing
            # in that window would be swallowed, as it would be for a person
            expect(page.get_by_text("✓ Load JWKS")).to_be_visible(timeout=WAIT_MS)
            visible_button("Verify").click()
            expect(page.get_by_text("✓ valid").first).to_be_visible(timeout=WAIT_MS)
            page.locator(".lm-AccordionPanel-title:visible, .jupyter-widget-Collapse-header:visible",
                         has_text="Request log").first.click()
            expect(page.locator("textarea:visible").first).to_have_value(re.compile(r"^curl "), timeout=WAIT_MS)
            page.locator("button.tnb-copy:visible").first.click()
            copied = page.evaluate("navigator.clipboard.readText()")
            assert copied.startswith("curl ") and "/oauth/jwks" in copied
            page.screenshot(path=str(ARTIFACTS / "explorer_jwks.png"), full_page=True)

            # the data tabs load when first opened; each shows 10+ rows without scrolling, short ids in full on
            # hover and on the clipboard, and no column cut off at the right
            def check_table() -> None:
                table = page.evaluate(TABLE_IN_VIEW)
                assert table["rows_in_view"] >= 10, table
                assert table["scroll_width"] <= table["client_width"] and not table["clipped_by"], \
                    f"columns cut off: {table}"
                cell = page.locator(".tnb-scroll:visible td.tnb-id").first
                full = cell.get_attribute("title")
                assert len(full) > 9 and cell.locator("code").inner_text() == full[:8] + "…"
                cell.locator("button.tnb-copy-id").click()
                assert page.evaluate("navigator.clipboard.readText()") == full

            open_tab("Clients")
            expect(page.get_by_text("Telnyx NB Demo").first).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=str(ARTIFACTS / "explorer_clients.png"), full_page=True)
            check_table()
            open_tab("Grants")
            expect(page.get_by_text("least recently used first")).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=str(ARTIFACTS / "explorer_grants.png"), full_page=True)
            check_table()
            open_tab("Discovery")  # before the consent round trip: every tab has its screenshot even if it fails
            expect(page.get_by_text("RFC 9728").first).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=str(ARTIFACTS / "explorer_discovery.png"), full_page=True)
            open_tab("Authorize")
            expect(page.get_by_text("✓ Load scopes and redirect URIs")).to_be_visible(timeout=WAIT_MS)
            visible_button("Build URL").click()
            expect(page.get_by_text("1 · Authorization URL")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_text("is waiting for the redirect")).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=str(ARTIFACTS / "explorer_authorize.png"), full_page=True)

            # the consent round trip, as a person does it: click the link, Allow on the consent page; the
            # kernel's loopback listener receives the redirect and the panel exchanges the code
            with context.expect_page(timeout=WAIT_MS) as opened:
                page.locator("a:visible", has_text="/oauth/authorize?").first.click()
            consent = opened.value
            expect(consent.locator("#consent-form")).to_be_visible(timeout=WAIT_MS)
            consent.screenshot(path=str(ARTIFACTS / "consent_page.png"), full_page=True)
            consent.locator("#allow").click()
            expect(consent.get_by_text("Approved")).to_be_visible(timeout=WAIT_MS)
            assert "code=" not in consent.inner_text("body")
            consent.screenshot(path=str(ARTIFACTS / "consent_approved.png"), full_page=True)
            consent.close()
            expect(page.get_by_text("4 · Token response")).to_be_visible(timeout=WAIT_MS)
            expect(page.get_by_text("✓ Exchange code for tokens")).to_be_visible(timeout=WAIT_MS)
            page.screenshot(path=str(ARTIFACTS / "explorer_authorize_tokens.png"), full_page=True)
            _check_authorize_layout(page)

            body = page.inner_text("body")
            assert "Traceback" not in body
            assert "failed" not in body.lower()
        finally:
            browser.close()


def _check_authorize_layout(page) -> None:
    """Every step button shows its whole label, and the scope picker shows ``admin``'s whole label (its published
    description and the ⚠ that points at the warning under the picker)."""
    cut = page.evaluate("""() => [...document.querySelectorAll('button:not(.tnb-copy):not(.tnb-copy-id)')]
        .filter(b => b.offsetParent !== null && b.scrollWidth > b.clientWidth + 1).map(b => b.innerText)""")
    assert not cut, f"button labels cut off: {cut}"
    picker = page.evaluate(r"""() => {
        const risky = o => /Administrative\saccess\sto\sTelnyx\sresources\s+⚠/.test(o.textContent);  // \s: nbsp too
        const select = [...document.querySelectorAll('select')].find(s => s.getBoundingClientRect().width > 0
            && [...s.options].some(risky));
        const option = [...select.options].find(risky);
        const ctx = document.createElement('canvas').getContext('2d');
        ctx.font = getComputedStyle(select).font;
        return {text: ctx.measureText(option.textContent).width, client: select.clientWidth,
                label: option.textContent};
    }""")
    assert picker["text"] <= picker["client"] - 4, f"the admin label overflows its picker: {picker}"


# the sandbox CLI's key for the reset test: pinned, so the kernel's TELNYX_NB_SANDBOX stays valid across the reset
RESET_TEST_KEY = "KEY" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRS"
AUDIT_NOTEBOOK = HERE.parents[1] / "notebooks" / "03_audit_grants.ipynb"  # the repository's notebooks/
STALE = re.compile(r"stale_grant: (\d+) grants")


def _start_sandbox_cli(db: Path, port: int, log: Path) -> tuple[subprocess.Popen, str]:
    """``telnyx-nb sandbox --db DB --port PORT --json`` as a user runs it; returns the process and its JSON line."""
    command = [str(Path(sys.executable).with_name("telnyx-nb")), "sandbox", "--db", str(db), "--port", str(port),
               "--json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=open(log, "ab"), text=True,
                               env={**os.environ, "TELNYX_NB_SANDBOX_API_KEY": RESET_TEST_KEY},
                               start_new_session=True)
    line = process.stdout.readline().strip()
    if not line:
        stop_group(process)
        pytest.fail(f"telnyx-nb sandbox printed no JSON line:\n{log.read_text()[-3000:]}")
    return process, line


def test_reset_brings_the_stale_grants_back_in_the_browser(tmp_path):
    """Issue 12's major 1, as a user meets it: notebook 03 (served by Voila, in chromium) revokes the demo's stale
    grants; ``telnyx-nb sandbox --reset`` (what ``make reset-demo`` runs) on the same
    database, and the page shows the stale findings again."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    db, port, log = tmp_path / "demo.sqlite3", free_port(), tmp_path / "sandbox.log"
    sandbox, line = _start_sandbox_cli(db, port, log)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with _serve_voila(AUDIT_NOTEBOOK, line, tmp_path / "voila.log") as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1600})

                def run_notebook() -> tuple[int, str]:
                    """Open the page (Voila runs every cell), wait for the last cell's output; the stale count."""
                    page.goto(url, timeout=WAIT_MS)
                    page.get_by_text("snapshot_at").first.wait_for(timeout=4 * WAIT_MS)  # the last cell's table
                    body = page.inner_text("body")
                    assert "Traceback" not in body, body[-3000:]
                    page.get_by_text(STALE).first.scroll_into_view_if_needed()  # the screenshot shows the count
                    return int(STALE.search(body).group(1)), body

                first, body = run_notebook()
                assert first > 0 and f"stale findings: {first} → 0" in body  # the tutorial's payoff: revoked
                page.screenshot(path=str(ARTIFACTS / "reset_first_run.png"), full_page=False)
                # a second run now finds nothing stale (the demo is used up, the problem a reset solves): shown
                # headless in tests/notebooks/test_demo_reset.py, not again here

                stop_group(sandbox)
                reset = subprocess.run([str(Path(sys.executable).with_name("telnyx-nb")), "sandbox", "--reset",
                                        "--no-serve", "--db", str(db)], capture_output=True, text=True,
                                       env={**os.environ, "TELNYX_NB_SANDBOX_API_KEY": RESET_TEST_KEY}, timeout=120)
                assert reset.returncode == 0 and "reset and seeded" in reset.stdout, reset.stderr
                sandbox, line_after = _start_sandbox_cli(db, port, log)
                same = ("base_url", "api_key")  # the open notebook's settings still hold (the demo client is new)
                assert [json.loads(line_after)[k] for k in same] == [json.loads(line)[k] for k in same]

                after_reset, _ = run_notebook()
                assert after_reset == first  # the stale findings are back
                page.screenshot(path=str(ARTIFACTS / "reset_after_reset.png"), full_page=False)
            finally:
                browser.close()
    finally:
        stop_group(sandbox)


def test_audit_report_roll_up_sorts_filters_and_pages_in_the_browser(sandbox, tmp_path):
    """The HTML report, opened from disk (offline): the grants to revoke first open it, the per-client roll-up
    follows the summary, a header click sorts, the filter box narrows, and the per-grant table pages."""
    _require_chromium()
    from playwright.sync_api import expect, sync_playwright

    from telnyx_nb import TelnyxOAuth
    from telnyx_nb.audit import audit
    from telnyx_nb.audit.report import write_report

    with TelnyxOAuth.from_sandbox(sandbox) as api:
        report = write_report(audit(api, progress=False), tmp_path / "report.html")[0]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.goto(report.as_uri(), timeout=WAIT_MS)
            # the report opens with what to revoke first (full grant ids), the baseline said once above it
            expect(page.locator("section").first.locator("h2")).to_have_text("Revoke these first")
            expect(page.locator("#baseline")).to_contain_text("grants hold admin")
            first_rows = page.locator("#revoke-first-table tbody tr")
            expect(first_rows).to_have_count(10)
            assert len(first_rows.first.locator("td").nth(4).inner_text()) == 36  # a whole UUID, not 8 characters
            first_section = page.locator("section").nth(2)
            expect(first_section.locator("h2")).to_have_text("What to do, per client")
            roll_up = page.locator("#clients-roll-up")
            assert roll_up.locator("tbody tr").first.locator("td").nth(6).inner_text() == "high"  # worst first

            def column(name: str) -> list[int]:
                index = [h.strip() for h in roll_up.locator("thead th").all_inner_texts()].index(name)
                return [int(t) for t in roll_up.locator(f"tbody tr td:nth-child({index + 1})").all_inner_texts()]

            roll_up.locator("thead th", has_text="flagged grants").click()
            assert column("flagged grants") == sorted(column("flagged grants"))
            roll_up.locator("thead th", has_text="flagged grants").click()
            assert column("flagged grants") == sorted(column("flagged grants"), reverse=True)
            page.screenshot(path=str(ARTIFACTS / "report_roll_up.png"), full_page=False)

            page.locator('[data-filter="clients-roll-up"]').fill("Reporting Sync")
            expect(roll_up.locator("tbody tr:visible")).to_have_count(2)  # two clients, one name: two rows

            grants = page.locator("#grants-table")
            expect(grants.locator("tbody tr:visible")).to_have_count(50)
            expect(page.locator('[data-page="grants-table"]')).to_contain_text("page 1 of")
            page.locator('[data-next="grants-table"]').click()
            expect(page.locator('[data-page="grants-table"]')).to_contain_text("page 2 of")
        finally:
            browser.close()

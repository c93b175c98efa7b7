"""The report opened from disk in Debian's chromium, as an owner opens it: a copy button puts the whole grant id on the
clipboard, the command beside "Revoke these first" copies as shown, and with JavaScript off there is no dead button,
only the id as text. Saves a screenshot of the list to tests/artifacts/report_revoke_first.png."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from telnyx_nb.cli import main

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def report(make_sandbox, tmp_path, monkeypatch):
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} not found: install Debian's chromium with `apt-get install chromium`"
        if os.environ.get("TELNYX_NB_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    sb = make_sandbox()
    monkeypatch.setenv("TELNYX_NB_SANDBOX", sb.json_line())
    assert main(["audit", "--out", str(tmp_path / "report.html")]) == 0
    return tmp_path / "report.html"


def test_copy_buttons_put_the_whole_id_and_the_command_on_the_clipboard_and_vanish_without_javascript(report):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1100})
            context.grant_permissions(["clipboard-read", "clipboard-write"])
            page = context.new_page()
            page.goto(report.as_uri())
            first = page.locator("#revoke-first-table tbody tr").first
            grant = first.locator(".id-text").inner_text()
            assert len(grant) == 36
            first.locator("button.copy").click()
            page.wait_for_function("b => b.getAttribute('data-state') === 'copied'",
                                   arg=first.locator("button.copy").element_handle())
            assert page.evaluate("navigator.clipboard.readText()") == grant
            apply = page.locator("#how-to-revoke .command button.copy").nth(1)
            apply.click()
            page.wait_for_function("b => b.getAttribute('data-state') === 'copied'", arg=apply.element_handle())
            assert page.evaluate("navigator.clipboard.readText()") == f"telnyx-nb revoke --from {report} --apply"
            ARTIFACTS.mkdir(exist_ok=True)
            page.locator("#revoke-first").screenshot(path=str(ARTIFACTS / "report_revoke_first.png"))

            offline = browser.new_context(java_script_enabled=False).new_page()
            offline.goto(report.as_uri())
            assert offline.locator("button.copy").first.is_hidden()
            assert offline.locator("#revoke-first-table .id-text").first.inner_text() == grant
        finally:
            browser.close()

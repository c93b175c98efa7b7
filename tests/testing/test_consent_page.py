"""``ConsentPage``, the consent page as the harness's user (``approve()``) and the repository's tests read it: the
words a person sees, and a decision sent as the page's own form would send it (its hidden fields, the pressed
button's name and value, its action and method), so a page whose form lost a field fails in tests too."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from telnyx_nb.testing.harness import ApprovalError, ConsentPage, SandboxHarness

PAGE = """<html><head><title>Authorize Demo</title><style>.allow { color: green }</style></head><body>
<h1>Demo wants access</h1><script>document.title = "not read"</script>
<form method="post" action="decide?x=1"><input type="hidden" name="consent_token" value="tok">
<input type="text" name="note" value="n"><input type="checkbox" name="ignored" value="1">
<button type="submit" name="decision" value="deny">Deny</button>
<button type="submit" name="decision" value="allow">Allow <b>access</b></button></form>
<template><p>never shown</p></template></body></html>"""
URL = "http://127.0.0.1:5/v2/oauth/consent?consent_token=tok"


class Recorder:
    """A session that records what it is asked to send."""

    def __init__(self) -> None:
        self.sent: list[tuple] = []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url, kwargs.get("data"), kwargs.get("params"), kwargs.get("allow_redirects")))
        return SimpleNamespace(status_code=303)


def test_the_text_is_what_a_person_reads():
    page = ConsentPage(URL, SimpleNamespace(text=PAGE))
    assert page.text == "Authorize Demo Demo wants access Deny Allow access"
    assert page.consent_token == "tok"


@pytest.mark.parametrize(("allow", "decision"), [(True, "allow"), (False, "deny")])
def test_a_decision_is_the_forms_fields_and_the_pressed_button(allow, decision):
    browser = Recorder()
    ConsentPage(URL, SimpleNamespace(text=PAGE), browser).decide(allow)
    assert browser.sent == [("POST", "http://127.0.0.1:5/v2/oauth/decide?x=1",
                             {"consent_token": "tok", "note": "n", "decision": decision}, None, False)]


def test_a_get_form_sends_its_fields_in_the_query_and_an_empty_action_posts_back_to_the_page():
    browser = Recorder()
    html = '<form><input type="hidden" name="a" value="1"><input type="submit" value="Allow"></form>'
    ConsentPage(URL, SimpleNamespace(text=html), browser).decide()
    assert browser.sent == [("GET", URL, None, {"a": "1"}, False)]


def test_a_page_without_the_button_refuses_naming_the_buttons_it_has_and_not_the_token():
    html = ('<form method="post"><input type="hidden" name="consent_token" value="secret-consent-token">'
            '<button name="decision" value="allow">Allow</button></form>')
    with pytest.raises(ApprovalError, match=r"no 'deny' button \(its buttons: \['Allow'\]\)") as refused:
        ConsentPage(URL, SimpleNamespace(text=html), Recorder()).decide(False)
    assert "secret-consent-token" not in str(refused.value)


def test_the_sandboxs_own_page_approves_and_denies_through_its_form(pool):
    harness = SandboxHarness(pool.fresh())
    try:
        client = harness.create_client()
        authorize = (f"{harness.in_process_base_url}/oauth/authorize?response_type=code&scope=admin&state=s"
                     f"&client_id={client['client_id']}&redirect_uri=http%3A%2F%2Flocalhost%3A8000%2Fcallback")
        assert "code=" in harness.approve(authorize) and "state=s" in harness.approve(authorize)
        assert "error=access_denied" in harness.deny(authorize)
    finally:
        harness.close()

"""The sandbox behind a JupyterHub's jupyter-server-proxy whose public address it does not know (a stock Binder):
with ``proxy_prefix`` (``--proxy-prefix "$JUPYTERHUB_SERVICE_PREFIX"``, which binder/start passes) a request the
proxy forwarded to the sandbox's own port — ``X-Forwarded-Context`` exactly ``{prefix}proxy/{port}`` — is served
whatever ``Host`` the browser sent; everything else with a foreign Host still gets 421 (DNS-rebinding defence), and
the consent form still refuses a post from another site. Real HTTP on 127.0.0.1, the proxy's headers by hand."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import requests
from hub_proxy_helpers import HUB, PREFIX, TIMEOUT, HubBrowser, proxy_headers
from oauth_helpers import create_client, pkce_pair, query_of, redirect_of

from telnyx_nb.core.errors import ConfigurationError
from telnyx_nb.sandbox.web.server import Sandbox
from telnyx_nb.testing.harness import ConsentPage

METADATA = "/.well-known/oauth-authorization-server"


def _port(sb) -> int:
    return urlsplit(sb.root_url).port


@pytest.fixture
def hub_sb(make_sandbox):
    return make_sandbox(proxy_prefix=PREFIX)


def test_a_request_through_the_hubs_proxy_for_this_port_is_served_with_the_hubs_host(hub_sb):
    headers = {**proxy_headers(_port(hub_sb)), "Authorization": f"Bearer {hub_sb.api_key}"}
    metadata = requests.get(hub_sb.root_url + METADATA, headers=headers, timeout=TIMEOUT)
    assert metadata.status_code == 200, metadata.text
    assert metadata.json()["issuer"] == hub_sb.root_url  # the issuer stays the sandbox's own (tokens' iss)
    clients = requests.get(hub_sb.base_url + "/oauth_clients", headers=headers, timeout=TIMEOUT)
    assert clients.status_code == 200 and clients.json()["data"]


@pytest.mark.parametrize("context", [
    "/user/eve/proxy/{port}",        # another user's server
    "/user/ada/proxy/{other}",       # another port: a different service in the container
    "/user/ada/proxy/{port}/",       # not exactly what the proxy sends
    "/user/ada/proxy/absolute/{port}",
    "/user/ada/proxy/{port}, /user/ada/proxy/{port}",  # the header twice
    "",
    None,                            # no proxy at all: a rebinding page's request
])
def test_a_foreign_host_without_this_ports_proxy_context_gets_421(hub_sb, context):
    port = _port(hub_sb)
    headers = {"Host": HUB}
    if context is not None:
        headers["X-Forwarded-Context"] = context.format(port=port, other=port + 1)
    answer = requests.get(hub_sb.root_url + METADATA, headers=headers, timeout=TIMEOUT)
    assert answer.status_code == 421, (context, answer.text)
    assert answer.json()["errors"][0]["source"] == {"parameter": "Host"} and "--proxy-prefix" in answer.text


def test_without_the_option_the_proxys_headers_change_nothing(make_sandbox):
    sb = make_sandbox()
    answer = requests.get(sb.root_url + METADATA, headers=proxy_headers(_port(sb)), timeout=TIMEOUT)
    assert answer.status_code == 421


def test_a_proxied_request_still_needs_a_host_header_naming_a_host(hub_sb):
    answer = requests.get(hub_sb.root_url + METADATA, headers={**proxy_headers(_port(hub_sb)), "Host": ""},
                          timeout=TIMEOUT)
    assert answer.status_code == 421


def _proxied_consent(hub_sb) -> tuple[HubBrowser, ConsentPage, str]:
    """A browser on the hub opens the authorization URL through the proxy and lands on the consent page."""
    redirect = f"https://{HUB}{PREFIX}proxy/8976/callback"
    client = create_client(hub_sb, redirect_uris=[redirect])
    _verifier, challenge = pkce_pair("S256")
    browser = HubBrowser()
    query = requests.Request("GET", "http://x/", params={
        "client_id": client["client_id"], "redirect_uri": redirect, "response_type": "code", "scope": "admin",
        "state": "s1", "code_challenge": challenge, "code_challenge_method": "S256"}).prepare().url.split("?", 1)[1]
    authorize = browser.proxied(_port(hub_sb), f"/v2/oauth/authorize?{query}")
    page = browser.follow(authorize)
    assert page.status_code == 200, page.text[:500]
    assert page.url.startswith(browser.proxied(_port(hub_sb), "/v2/oauth/consent?"))  # the relative Location
    return browser, ConsentPage(page.url, page), redirect


def test_the_consent_page_and_its_form_work_under_the_hub_prefix(hub_sb):
    browser, page, redirect = _proxied_consent(hub_sb)
    assert page.forms[0]["action"] == ""  # posts back to the page's own (proxied) address
    decided = page.decide(True, session=browser)  # Origin: the hub's origin, Sec-Fetch-Site: same-origin
    location = redirect_of(decided)
    assert location.startswith(redirect + "?")
    assert query_of(location)["state"] == "s1" and "code" in query_of(location)


@pytest.mark.parametrize("sent", [
    {"Origin": "https://evil.example", "Sec-Fetch-Site": None},  # an older browser: Origin alone says it
    {"Origin": "http://127.0.0.1:8888", "Sec-Fetch-Site": None},  # the container's loopback is not the hub
    {"Origin": None, "Sec-Fetch-Site": None, "Referer": "https://evil.example/form.html"},
    {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
])
def test_the_proxied_consent_form_refuses_a_post_from_another_origin(hub_sb, sent):
    browser, page, _ = _proxied_consent(hub_sb)
    data = {**page.forms[0]["fields"], "decision": "allow"}
    refused = browser.request("POST", page.url, data=data, headers=sent)
    assert refused.status_code == 403 and "Location" not in refused.headers
    again = page.decide(True, session=browser)  # the refused post consumed nothing
    assert again.status_code == 303


@pytest.mark.parametrize("prefix", ["user/ada/", "/user/ada/?x=1", "/user/a da/", "/user/ada/#top"])
def test_a_malformed_proxy_prefix_is_refused_naming_the_option(prefix):
    with pytest.raises(ConfigurationError, match="proxy_prefix: .*JUPYTERHUB_SERVICE_PREFIX"):
        Sandbox(proxy_prefix=prefix)


def test_the_proxy_prefix_is_refused_beyond_loopback():
    """Bound to a network interface, the port is reachable without the hub's proxy: a page rebinding its name to
    that address could add the header itself."""
    for host in ("0.0.0.0", "192.168.1.20", "::", "127.attacker.example"):
        with pytest.raises(ConfigurationError, match="proxy_prefix: only for a sandbox bound to loopback"):
            Sandbox(host=host, proxy_prefix=PREFIX)
    assert Sandbox(host="127.0.0.2", proxy_prefix=PREFIX).config.proxy_prefix == PREFIX
    assert Sandbox(host="::1", proxy_prefix=PREFIX).config.proxy_prefix == PREFIX
    assert Sandbox(host="127.0.0.1", proxy_prefix="").config.proxy_prefix is None  # an unset variable: no option


def test_the_cli_takes_proxy_prefix_and_serves_through_the_proxy(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELNYX_")}
    process = subprocess.Popen([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db",
                                ":memory:", "--seed", "empty", "--proxy-prefix", PREFIX],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        info = json.loads(process.stdout.readline())
        port = urlsplit(info["base_url"]).port
        root = info["base_url"].removesuffix("/v2")
        assert requests.get(root + METADATA, headers=proxy_headers(port), timeout=TIMEOUT).status_code == 200
        assert requests.get(root + METADATA, headers={"Host": HUB}, timeout=TIMEOUT).status_code == 421
    finally:
        process.terminate()
        process.communicate(timeout=60)
    refused = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--port", "0", "--db", ":memory:",
                              "--host", "0.0.0.0", "--proxy-prefix", PREFIX], capture_output=True, text=True,
                             env=env, timeout=60)
    assert refused.returncode == 2 and "proxy_prefix: only for a sandbox bound to loopback" in refused.stderr

"""The Host check accepts only ``host[:port]`` (RFC 9110 §7.2: ``uri-host [ ":" port ]``; host a name, an IPv4
address or a bracketed IPv6 literal, port digits) naming a host of the allow-list. Forms a URL parser reads as
something else — userinfo, a fragment, a query, a path — used to reach the loopback name at their end and were
served (``hosts.HostCheck``)."""

from __future__ import annotations

import pytest
import requests
from oauth_helpers import TIMEOUT

from telnyx_nb.sandbox.http.hosts import host_header_name

SMUGGLED = [
    "evil.example@127.0.0.1", "evil.example@localhost:8765", "user:pass@127.0.0.1", "127.0.0.1#.evil.example",
    "127.0.0.1?.evil.example", "127.0.0.1/.evil.example", "127.0.0.1\\.evil.example", "localhost:80@evil.example",
    "127.0.0.1:8765:1", "127.0.0.1:port", "127.0.0.1:-1", "127.0.0.1 .evil.example", "[::1", "::1",
    "[::1]evil.example", "[evil.example]", "127.0.0.1%2f", "%6cocalhost", "127.0.0.1;evil.example", "127.0.0.1,x",
]


@pytest.fixture(scope="module")
def sb():
    from telnyx_nb.sandbox.web.server import Sandbox

    with Sandbox(seed="empty", db=":memory:") as sandbox:
        yield sandbox


@pytest.mark.parametrize("host", SMUGGLED)
def test_a_host_header_in_another_form_than_host_port_is_misdirected(sb, host):
    response = requests.get(sb.root_url + "/.well-known/oauth-authorization-server", headers={"Host": host},
                            timeout=TIMEOUT)
    assert response.status_code in (400, 421), (host, response.status_code)
    assert "issuer" not in response.text


@pytest.mark.parametrize("host", SMUGGLED)
def test_the_host_reader_refuses_every_smuggled_form(host):
    assert host_header_name(host) is None


@pytest.mark.parametrize(("host", "name"), [
    ("127.0.0.1", "127.0.0.1"), ("127.0.0.1:8765", "127.0.0.1"), ("LOCALHOST:1", "localhost"), ("[::1]", "::1"),
    ("[::1]:8765", "::1"), ("hub.example.org", "hub.example.org"), ("hub.example.org.", "hub.example.org."),
])
def test_host_and_optional_port_are_read(host, name):
    assert host_header_name(host) == name


# ----- the other rules of hosts.py, called directly --------------------------------------------------------------

def test_a_public_url_must_be_an_absolute_http_or_https_url():
    from telnyx_nb.core.errors import ConfigurationError
    from telnyx_nb.sandbox.http.hosts import check_public_url

    for good in ("http://hub.example/proxy/8765/", "https://hub.example/"):
        assert check_public_url(good) == good
    for bad in (123, None, "ftp://hub.example/", "/proxy/8765/", "https://"):
        with pytest.raises(ConfigurationError, match="public_url"):
            check_public_url(bad)


@pytest.mark.parametrize("bound", ["127.0.0.1", "127.0.0.2", "localhost", "LOCALHOST", "::1", "[::1]"])
def test_a_proxy_prefix_is_allowed_on_every_loopback_bind(bound):
    from telnyx_nb.sandbox.http.hosts import check_proxy_prefix

    assert check_proxy_prefix("/user/alice/", bound) == "/user/alice/"


@pytest.mark.parametrize("bound", ["0.0.0.0", "192.168.1.10", "hub.example", "X127.0.0.1X", "localhost.example"])
def test_a_proxy_prefix_is_refused_beyond_loopback(bound):
    from telnyx_nb.core.errors import ConfigurationError
    from telnyx_nb.sandbox.http.hosts import check_proxy_prefix

    with pytest.raises(ConfigurationError, match="proxy_prefix"):
        check_proxy_prefix("/user/alice/", bound)


@pytest.mark.parametrize(("headers", "public_urls", "problem"), [
    ({"Host": "127.0.0.1:8765", "Origin": "https://hub.example.org"}, ["https://hub.example.org/user/a/"], None),
    ({"Host": "127.0.0.1:8765", "Origin": "https://HUB.example.org"}, ["https://hub.EXAMPLE.org/user/a/"], None),
    ({"Host": "127.0.0.1:8765", "Origin": "https://other.example"}, ["https://hub.example.org/"], "Origin"),
    ({"Origin": "http://xxxx"}, [], "Origin"),  # no Host at all: nothing is this server's own
    ({"Host": "h", "Sec-Fetch-Site": "none"}, [], None),  # typed or bookmarked by the user
    ({"Host": "h", "Sec-Fetch-Site": "same-origin", "Origin": "null"}, [], None),
    ({"Host": "h", "Sec-Fetch-Site": "cross-site"}, [], "Sec-Fetch-Site"),
    ({"Host": "h", "Sec-Fetch-Site": "same-site"}, [], "Sec-Fetch-Site"),
    ({"Host": "h", "Origin": "null"}, [], "Origin"),
    ({"Host": "h", "Referer": "http://evil.example/page"}, [], "Referer"),
    ({"Host": "h", "Referer": "http://h/oauth/consent"}, [], None),
])
def test_the_consent_forms_origin_check_names_the_header_that_failed(headers, public_urls, problem):
    from telnyx_nb.sandbox.http.hosts import cross_origin_problem

    assert cross_origin_problem(headers, public_urls) == problem


def _misdirected(environ: dict) -> tuple[str, dict]:
    import json

    from telnyx_nb.sandbox.http.hosts import HostCheck

    seen = {}
    check = HostCheck(lambda env, start: [b"served"], frozenset({"127.0.0.1"}))
    body = b"".join(check(environ, lambda status, headers: seen.update(status=status, headers=headers)))
    assert seen["headers"] == [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                               ("X-Content-Type-Options", "nosniff")]
    return seen["status"], json.loads(body)


def test_a_request_without_a_host_header_is_misdirected_not_a_crash():
    status, body = _misdirected({})
    assert status.startswith("421") and body["errors"][0]["source"] == {"parameter": "Host"}


def test_the_421_answer_in_full():
    status, body = _misdirected({"HTTP_HOST": "evil.example"})
    assert status == "421 Misdirected Request"
    assert body == {"errors": [{"code": "421", "title": "Misdirected request", "source": {"parameter": "Host"},
                                "detail": "This server does not answer to the Host 'evil.example' (DNS-rebinding "
                                          "defence). Use http://127.0.0.1:PORT, or start the sandbox with "
                                          "--public-url for the address a proxy uses (--proxy-prefix behind a "
                                          "JupyterHub's jupyter-server-proxy)."}],
                    "error": "invalid_request", "error_description": "Host not served here"}


def test_the_421_quotes_at_most_100_characters_of_the_host_and_says_what_to_use():
    status, body = _misdirected({"HTTP_HOST": "a" * 150})
    detail = body["errors"][0]["detail"]
    assert status.startswith("421") and repr("a" * 100) in detail and "a" * 101 not in detail
    assert "Use http://127.0.0.1:PORT, or start the sandbox with --public-url" in detail


def test_the_allow_list_holds_the_bound_address_in_lower_case_and_never_a_wildcard():
    """A sandbox bound to one address answers to it (an IPv6 literal without its brackets, any name in lower case,
    whatever letters it ends in); bound to every interface, it answers to the loopback names only."""
    from telnyx_nb.sandbox.http.hosts import LOOPBACK_NAMES, allowed_hostnames

    loopback = set(LOOPBACK_NAMES)
    assert allowed_hostnames("192.0.2.7") == loopback | {"192.0.2.7"}
    assert allowed_hostnames("[2001:DB8::5]") == loopback | {"2001:db8::5"}
    assert allowed_hostnames("XBOX") == loopback | {"xbox"}
    assert allowed_hostnames("0.0.0.0") == allowed_hostnames("::") == loopback


def test_an_ipv6_host_is_read_in_lower_case():
    assert host_header_name("[2001:DB8::A]:8765") == "2001:db8::a"


def test_a_proxy_prefix_keeps_every_letter_of_the_hub_path():
    from telnyx_nb.sandbox.http.hosts import check_proxy_prefix, proxy_context

    assert check_proxy_prefix("/user/X/", "127.0.0.1") == "/user/X/"
    assert proxy_context("/user/X/", "http://127.0.0.1:8765") == "/user/X/proxy/8765"
    assert proxy_context("/user/X", "http://127.0.0.1:8765") == "/user/X/proxy/8765"

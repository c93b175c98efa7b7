"""The Host check accepts only ``host[:port]`` (RFC 9110 §7.2: ``uri-host [ ":" port ]``; host a name, an IPv4
address or a bracketed IPv6 literal, port digits) naming a host of the allow-list. Forms a URL parser reads as
something else — userinfo, a fragment, a query, a path — used to reach the loopback name at their end and were
served (``hosts.HostCheck``)."""

from __future__ import annotations

import pytest
import requests
from oauth_helpers import TIMEOUT

from telnyx_nb.sandbox.hosts import host_header_name

SMUGGLED = [
    "evil.example@127.0.0.1", "evil.example@localhost:8765", "user:pass@127.0.0.1", "127.0.0.1#.evil.example",
    "127.0.0.1?.evil.example", "127.0.0.1/.evil.example", "127.0.0.1\\.evil.example", "localhost:80@evil.example",
    "127.0.0.1:8765:1", "127.0.0.1:port", "127.0.0.1:-1", "127.0.0.1 .evil.example", "[::1", "::1",
    "[::1]evil.example", "[evil.example]", "127.0.0.1%2f", "%6cocalhost", "127.0.0.1;evil.example", "127.0.0.1,x",
]


@pytest.fixture(scope="module")
def sb():
    from telnyx_nb.sandbox.server import Sandbox

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

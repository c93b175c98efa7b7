"""``SandboxConfig``: options checked once, errors from the ``telnyx_nb.core.errors`` tree, one object shared by the
Authlib server and the routes. No server: ``start(serve=False)`` builds the app in-process."""

from __future__ import annotations

import pytest

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError
from telnyx_nb.sandbox.config import SandboxConfig


@pytest.mark.parametrize(("options", "names"), [
    ({"code_ttl": 0}, "code_ttl"),
    ({"access_token_ttl": -5}, "access_token_ttl"),
    ({"port": 70000}, "port"),
    ({"refresh_reuse_grace": -1}, "refresh_reuse_grace"),
    ({"seed": "grants=lots"}, "seed"),
    ({"api_key": "has space"}, "api_key"),
    ({"registrable_scopes": ("messaging",)}, "registrable_scopes"),  # not in the published catalog
    ({"scopes": ["admin", "has space"]}, "scopes"),
    ({"scopes": []}, "scopes"),
    ({"scopes": "/no/such/catalog.json"}, "scopes"),
    ({"registrable_scopes": ("colour",)}, "registrable_scopes"),
    ({"public_urls": ("ftp://hub.example/",)}, "public_url"),
])
def test_a_bad_value_is_a_configuration_error_naming_the_option(options, names):
    with pytest.raises(ConfigurationError, match=names) as caught:
        SandboxConfig(**options)
    assert isinstance(caught.value, ValueError) and not isinstance(caught.value, TypeError)


@pytest.mark.parametrize(("options", "names"), [
    ({"consent_ttl": "600"}, "consent_ttl"),
    ({"refresh_token_ttl": True}, "refresh_token_ttl"),
    ({"port": "8765"}, "port"),
    ({"refresh_reuse_grace": "10"}, "refresh_reuse_grace"),
    ({"api_key": 12345}, "api_key"),
])
def test_a_value_of_the_wrong_type_is_an_argument_type_error_still_a_type_and_value_error(options, names):
    with pytest.raises(ArgumentTypeError, match=names) as caught:
        SandboxConfig(**options)
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, ValueError)


def test_sandbox_keyword_arguments_raise_the_same_tree():
    from telnyx_nb.sandbox import Sandbox

    with pytest.raises(ConfigurationError, match="seed"):
        Sandbox(seed="lots")
    with pytest.raises(ArgumentTypeError, match="code_ttl"):
        Sandbox(code_ttl=1.5)


def test_the_clock_refuses_going_back_with_the_tree():
    from telnyx_nb.sandbox.clock import Clock

    with pytest.raises(ConfigurationError, match="forward"):
        Clock().advance(-1)
    with pytest.raises(ArgumentTypeError):
        Clock().advance("60")


def test_values_are_normalised_once():
    config = SandboxConfig(public_urls="https://hub.example/proxy/8765/", refresh_reuse_grace=3,
                           scopes="admin voice messaging", registrable_scopes="voice, messaging voice", db=":memory:")
    assert config.public_urls == ("https://hub.example/proxy/8765/",)
    assert config.refresh_reuse_grace == 3.0 and isinstance(config.refresh_reuse_grace, float)
    assert config.registrable_scopes == ("voice", "messaging")
    assert config.throwaway and config.base_url is None


def test_one_bound_config_is_read_by_the_sandbox_the_authlib_server_and_the_routes():
    from telnyx_nb.sandbox import Sandbox
    from telnyx_nb.sandbox.protocol.keys import new_private_jwk

    sandbox = Sandbox(seed="empty", code_ttl=42, signing_key=new_private_jwk()).start(serve=False)
    try:
        config = sandbox.config
        assert config.root_url == sandbox.root_url and config.base_url == sandbox.base_url == f"{config.root_url}/v2"
        assert config.code_ttl == 42 and sandbox.port == config.port
        oauth = sandbox.app.test_client().get(
            "/.well-known/oauth-authorization-server",
            headers={"Host": config.root_url.split("//", 1)[1]}).get_json()
        assert oauth["issuer"] == config.issuer and oauth["token_endpoint"] == f"{config.base_url}/oauth/token"
        assert config.org_id and config.user_id == sandbox.store.get_setting("user_id")
    finally:
        sandbox.stop()

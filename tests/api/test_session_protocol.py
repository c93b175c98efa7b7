"""The mixins' declared contract (api/session_protocol.py) is what TelnyxOAuth provides: every method it names is
TelnyxOAuth's own (never the protocol's empty stub), and every attribute it names is set on a new client."""

from __future__ import annotations

import inspect

from telnyx_nb.api.authorization import AuthorizationFlows
from telnyx_nb.api.client import TelnyxOAuth
from telnyx_nb.api.managed_accounts import ManagedAccountsAPI
from telnyx_nb.api.management import ManagementAPI
from telnyx_nb.api.session_protocol import OAuthSession
from telnyx_nb.api.tokens import TokenEndpoints


def declared() -> tuple[list[str], list[str]]:
    methods = [n for n, v in vars(OAuthSession).items() if inspect.isfunction(v)]
    attributes = list(OAuthSession.__annotations__)
    return methods, attributes


def test_each_mixin_declares_what_it_needs_by_the_protocol():
    for mixin in (AuthorizationFlows, TokenEndpoints, ManagementAPI, ManagedAccountsAPI):
        assert OAuthSession in mixin.__mro__, mixin.__name__


def test_every_declared_method_is_implemented_not_the_protocols_stub():
    methods, _ = declared()
    assert {"_json", "_data", "_require_management", "_client_auth", "_as_managed_account",
            "authorization_server_metadata"} <= set(methods)
    for name in methods:
        assert getattr(TelnyxOAuth, name) is not vars(OAuthSession)[name], name


def test_every_declared_attribute_is_set_on_a_new_client():
    _, attributes = declared()
    assert {"api_key", "client_id", "client_secret", "clock", "max_workers", "_send_loop", "_metadata",
            "_keys", "_keys_lock"} <= set(attributes)
    client = TelnyxOAuth("KEY" + "k" * 40, base_url="http://127.0.0.1:9/v2")
    try:
        missing = [name for name in attributes if name not in vars(client)]
        assert missing == []
    finally:
        client.close()

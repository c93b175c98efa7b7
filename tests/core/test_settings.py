"""One settings reader (``telnyx_nb.core.settings``): blanks are unset, each variable's precedence, and errors that never
advise a setting that would switch the target. No sandbox runs: a client is built, never called (building one
makes no request), and the sandbox URLs point at a closed port.
"""

from __future__ import annotations

import json
import secrets

import pytest

import telnyx_nb
from telnyx_nb.api.client import PRODUCTION_BASE_URL, TelnyxOAuth
from telnyx_nb.core import settings
from telnyx_nb.core.errors import ConfigurationError

SANDBOX_URL = "http://127.0.0.1:9/v2"
# Fresh values: TelnyxOAuth remembers every secret it is given for masking, process-wide, so a fixed word
# ("secret") would be masked in every later test's messages.
REAL_SECRET, ENV_SECRET, ARG_SECRET, DEMO_SECRET = (secrets.token_urlsafe(16) for _ in range(4))
ARG_KEY, LEFTOVER_KEY = ("KEY" + secrets.token_urlsafe(40) for _ in range(2))
REAL_KEY = "KEY" + "r" * 55
SANDBOX_KEY = "KEY" + "s" * 55
LINE = json.dumps({"base_url": SANDBOX_URL, "api_key": SANDBOX_KEY, "demo_client_id": "demo-id",
                   "demo_client_secret": DEMO_SECRET})
BLANKS = ["", "   ", "\t\n"]


@pytest.fixture
def env(monkeypatch):
    """An environment with none of telnyx-nb's variables (the test session's sandbox line removed too)."""
    for name in settings.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# ----------------------------------------------------------------------------------------------- blanks
@pytest.mark.parametrize("blank", BLANKS)
def test_a_blank_api_key_falls_back_to_the_sandbox_not_production(env, blank):
    env.setenv("TELNYX_API_KEY", blank)
    env.setenv("TELNYX_NB_SANDBOX", SANDBOX_URL)
    client = telnyx_nb.connect()
    assert client.is_sandbox and client.base_url == SANDBOX_URL
    assert client.api_key is None and "Telnyx API" not in client.target


@pytest.mark.parametrize("blank", BLANKS)
def test_a_blank_api_key_with_nothing_else_means_the_in_process_sandbox(env, blank):
    env.setenv("TELNYX_API_KEY", blank)
    assert settings.read().target == "in-process"


@pytest.mark.parametrize("blank", BLANKS)
def test_blank_is_unset_for_every_variable(env, blank):
    for name in settings.VARIABLES:
        env.setenv(name, blank)
    assert settings.read() == settings.Settings()
    client = TelnyxOAuth()
    assert client.base_url == PRODUCTION_BASE_URL and client.api_key is None and client.client_id is None


def test_surrounding_whitespace_is_dropped(env):
    env.setenv("TELNYX_API_KEY", f"  {REAL_KEY}\n")
    env.setenv("TELNYX_BASE_URL", " http://127.0.0.1:9/v2 ")
    assert settings.read().api_key == REAL_KEY
    assert TelnyxOAuth().api_key == REAL_KEY and TelnyxOAuth().base_url == SANDBOX_URL


def test_half_a_client_is_not_real_credentials(env):
    env.setenv("TELNYX_CLIENT_ID", "real-id")
    assert settings.read().target == "in-process"
    env.setenv("TELNYX_CLIENT_SECRET", "   ")
    assert settings.read().target == "in-process"
    env.setenv("TELNYX_CLIENT_SECRET", REAL_SECRET)
    assert settings.read().target == "api"


# ------------------------------------------------------------------------------------------- precedence
def test_real_credentials_win_over_a_running_sandbox(env):
    env.setenv("TELNYX_API_KEY", REAL_KEY)
    env.setenv("TELNYX_NB_SANDBOX", LINE)
    client = telnyx_nb.connect()
    assert not client.is_sandbox and client.base_url == PRODUCTION_BASE_URL and client.api_key == REAL_KEY


def test_a_whole_real_client_also_wins_over_a_running_sandbox(env):
    env.setenv("TELNYX_CLIENT_ID", "real-id")
    env.setenv("TELNYX_CLIENT_SECRET", REAL_SECRET)
    env.setenv("TELNYX_NB_SANDBOX", LINE)
    client = telnyx_nb.connect()
    assert client.base_url == PRODUCTION_BASE_URL and client.client_id == "real-id" and client.token_cache


def test_telnyx_base_url_moves_the_real_api_only(env):
    env.setenv("TELNYX_API_KEY", REAL_KEY)
    env.setenv("TELNYX_BASE_URL", "http://127.0.0.1:10/v2")
    assert telnyx_nb.connect().base_url == "http://127.0.0.1:10/v2"
    assert TelnyxOAuth(base_url="http://127.0.0.1:11/v2").base_url == "http://127.0.0.1:11/v2"  # argument first
    env.delenv("TELNYX_API_KEY")
    env.setenv("TELNYX_NB_SANDBOX", LINE)
    assert telnyx_nb.connect().base_url == SANDBOX_URL  # a sandbox keeps its own address


def test_arguments_win_over_the_environment(env):
    env.setenv("TELNYX_API_KEY", REAL_KEY)
    env.setenv("TELNYX_CLIENT_ID", "env-id")
    env.setenv("TELNYX_CLIENT_SECRET", ENV_SECRET)
    client = TelnyxOAuth(ARG_KEY, client_id="arg-id", client_secret=ARG_SECRET)
    assert (client.api_key, client.client_id, client.client_secret) == (ARG_KEY, "arg-id", ARG_SECRET)


def test_the_api_key_is_used_for_management_when_a_client_is_set_too(env):
    env.setenv("TELNYX_API_KEY", REAL_KEY)
    env.setenv("TELNYX_CLIENT_ID", "env-id")
    env.setenv("TELNYX_CLIENT_SECRET", ENV_SECRET)
    client = TelnyxOAuth()
    assert client.token_cache is None and "API key" in client.target and client.client_id == "env-id"


def test_the_sandbox_line_carries_its_key_and_demo_client(env):
    env.setenv("TELNYX_NB_SANDBOX", LINE)
    env.setenv("TELNYX_NB_SANDBOX_API_KEY", LEFTOVER_KEY)
    client = telnyx_nb.connect()
    assert client.api_key == SANDBOX_KEY  # the line's own key wins over a leftover variable
    assert (client.client_id, client.client_secret) == ("demo-id", DEMO_SECRET)


def test_a_bare_sandbox_url_takes_the_sandbox_key_variable_never_the_real_one(env):
    env.setenv("TELNYX_NB_SANDBOX", SANDBOX_URL)
    env.setenv("TELNYX_NB_SANDBOX_API_KEY", SANDBOX_KEY)
    env.setenv("TELNYX_CLIENT_ID", "real-id")  # half a real client: not enough for the real API
    client = telnyx_nb.connect()
    assert client.is_sandbox and client.api_key == SANDBOX_KEY and client.client_id is None


def test_a_sandbox_client_never_borrows_the_real_accounts_credentials(env):
    env.setenv("TELNYX_API_KEY", REAL_KEY)
    env.setenv("TELNYX_CLIENT_ID", "real-id")
    env.setenv("TELNYX_CLIENT_SECRET", REAL_SECRET)
    client = TelnyxOAuth.from_sandbox(SANDBOX_URL)
    assert (client.api_key, client.client_id, client.client_secret) == (None, None, None)


def test_the_real_api_never_takes_the_sandbox_key(env):
    env.setenv("TELNYX_NB_SANDBOX_API_KEY", SANDBOX_KEY)
    assert TelnyxOAuth().api_key is None


def test_settings_are_read_afresh_each_time(env):
    assert settings.read().api_key is None
    env.setenv("TELNYX_API_KEY", REAL_KEY)
    assert settings.read().api_key == REAL_KEY


def test_an_explicit_mapping_is_read_instead_of_the_process_environment(env):
    env.setenv("TELNYX_API_KEY", REAL_KEY)
    assert settings.read({"TELNYX_NB_SANDBOX": SANDBOX_URL}).target == "sandbox"


def test_secrets_stay_out_of_the_repr():
    shown = repr(settings.read({"TELNYX_API_KEY": REAL_KEY, "TELNYX_CLIENT_SECRET": "s3cret-value",
                                "TELNYX_NB_SANDBOX": LINE, "TELNYX_NB_SANDBOX_API_KEY": SANDBOX_KEY}))
    assert REAL_KEY not in shown and "s3cret-value" not in shown and SANDBOX_KEY not in shown


# --------------------------------------------------------------------------------- errors and their advice
REAL_VARIABLES = ("TELNYX_API_KEY", "TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET")


def test_a_bad_sandbox_line_names_the_variable_and_not_a_real_credential(env):
    env.setenv("TELNYX_NB_SANDBOX", '{"base_url": ')
    with pytest.raises(ConfigurationError, match="TELNYX_NB_SANDBOX: not a sandbox --json line") as info:
        telnyx_nb.connect()
    assert not any(name in str(info.value) for name in REAL_VARIABLES)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("value", ["127.0.0.1:8765", "[1, 2]", "sandbox"])
def test_a_sandbox_setting_that_is_neither_a_line_nor_a_url_is_refused(env, value):
    env.setenv("TELNYX_NB_SANDBOX", value)
    with pytest.raises(ConfigurationError, match="TELNYX_NB_SANDBOX") as info:
        telnyx_nb.connect()
    assert not any(name in str(info.value) for name in REAL_VARIABLES)


def test_a_sandbox_client_secret_without_id_does_not_advise_the_real_client_variable(env):
    with pytest.raises(ConfigurationError, match="client_secret was given without client_id") as info:
        TelnyxOAuth.from_sandbox(SANDBOX_URL, client_id=None, client_secret=ARG_SECRET)
    assert not any(name in str(info.value) for name in REAL_VARIABLES)


def test_a_sandbox_without_its_key_advises_only_sandbox_settings(env):
    client = TelnyxOAuth.from_sandbox(SANDBOX_URL)
    with pytest.raises(ConfigurationError, match="TELNYX_NB_SANDBOX_API_KEY") as info:
        client.list_clients()
    assert not any(name in str(info.value) for name in REAL_VARIABLES)


def test_a_bad_sandbox_key_variable_is_named(env):
    env.setenv("TELNYX_NB_SANDBOX", SANDBOX_URL)
    env.setenv("TELNYX_NB_SANDBOX_API_KEY", "KEY with spaces")
    with pytest.raises(ConfigurationError, match="check TELNYX_NB_SANDBOX_API_KEY") as info:
        telnyx_nb.connect()
    assert "with spaces" not in str(info.value)


def test_a_real_client_secret_without_id_names_the_real_variable(env):
    env.setenv("TELNYX_CLIENT_SECRET", REAL_SECRET)
    with pytest.raises(ConfigurationError, match="TELNYX_CLIENT_ID"):
        TelnyxOAuth()


def test_sandbox_info_without_the_variable_says_how_to_get_one(env):
    with pytest.raises(ConfigurationError, match="telnyx-nb explore"):
        settings.read().sandbox_info()


# ----------------------------------------------------------------------------------- which target won
@pytest.mark.parametrize("variables, chosen_by, overridden", [
    ({}, (), ()),
    ({"TELNYX_NB_SANDBOX": LINE}, ("TELNYX_NB_SANDBOX",), ()),
    ({"TELNYX_API_KEY": REAL_KEY}, ("TELNYX_API_KEY",), ()),
    ({"TELNYX_API_KEY": REAL_KEY, "TELNYX_NB_SANDBOX": LINE}, ("TELNYX_API_KEY",), ("TELNYX_NB_SANDBOX",)),
    ({"TELNYX_CLIENT_ID": "real-id", "TELNYX_CLIENT_SECRET": REAL_SECRET, "TELNYX_NB_SANDBOX": LINE},
     ("TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET"), ("TELNYX_NB_SANDBOX",)),
    ({"TELNYX_CLIENT_ID": "real-id", "TELNYX_NB_SANDBOX": LINE}, ("TELNYX_NB_SANDBOX",), ()),  # half a client
    ({"TELNYX_API_KEY": "  ", "TELNYX_NB_SANDBOX": LINE}, ("TELNYX_NB_SANDBOX",), ()),  # a blank key
])
def test_settings_say_which_variable_chose_the_target_and_what_it_overrides(variables, chosen_by, overridden):
    env = settings.read(variables)
    assert env.chosen_by == chosen_by and env.overridden == overridden
    said = env.describe_choice()
    assert all(name in said for name in chosen_by)
    assert ("overrides TELNYX_NB_SANDBOX" in said) == bool(overridden)
    if overridden:  # the way back to the sandbox the user also named
        assert f"unset {' and '.join(chosen_by)} to use that sandbox" in said
    if not chosen_by:
        assert "demo sandbox in this process" in said
    assert REAL_KEY not in said and REAL_SECRET not in said and SANDBOX_KEY not in said


def test_the_connection_hint_points_at_the_variables_that_named_the_target():
    garbage = settings.read({"TELNYX_API_KEY": "garbage", "TELNYX_NB_SANDBOX": LINE})
    hint = garbage.connection_hint()
    assert "chosen by TELNYX_API_KEY" in hint and "overrides TELNYX_NB_SANDBOX" in hint
    assert "TELNYX_BASE_URL is unset, so production" in hint and "garbage" not in hint
    moved = settings.read({"TELNYX_API_KEY": REAL_KEY, "TELNYX_BASE_URL": "https://example.invalid/v2"})
    assert "TELNYX_BASE_URL's" in moved.connection_hint() and "overrides" not in moved.connection_hint()
    assert "TELNYX_NB_SANDBOX: is it still running" in settings.read({"TELNYX_NB_SANDBOX": LINE}).connection_hint()
    assert settings.read({}).connection_hint() == ""


def test_explain_adds_the_hint_only_where_the_target_is_the_likely_cause():
    from telnyx_nb.core.errors import APIConnectionError, AuthenticationError

    variables = {"TELNYX_API_KEY": "garbage", "TELNYX_NB_SANDBOX": LINE}
    unreachable = settings.explain(APIConnectionError("cannot resolve the host 'api.telnyx.com'"), variables)
    assert unreachable.startswith("cannot resolve the host") and "overrides TELNYX_NB_SANDBOX" in unreachable
    refused = settings.explain(AuthenticationError("401 Unauthorized"), variables)
    assert "chosen by TELNYX_API_KEY" in refused
    assert settings.explain(ConfigurationError("max_workers must be …"), variables) == "max_workers must be …"


def test_connect_says_in_its_target_when_real_credentials_override_the_sandbox(env):
    env.setenv("TELNYX_NB_SANDBOX", LINE)
    env.setenv("TELNYX_API_KEY", REAL_KEY)
    client = telnyx_nb.connect()
    assert client.target.startswith(f"Telnyx API at {PRODUCTION_BASE_URL}")
    assert "chosen by TELNYX_API_KEY, which overrides TELNYX_NB_SANDBOX" in client.target
    assert client.target_and_choice == client.target  # said once
    env.delenv("TELNYX_API_KEY")
    sandbox_client = telnyx_nb.connect()
    assert "chosen by" not in sandbox_client.target  # the usual case: the target text notebooks print is unchanged
    assert sandbox_client.target_and_choice == sandbox_client.target + ", chosen by TELNYX_NB_SANDBOX"
    assert TelnyxOAuth.from_sandbox(LINE).target_and_choice == TelnyxOAuth.from_sandbox(LINE).target  # not connect()

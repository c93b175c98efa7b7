"""Connecting: ``connect()``'s resolution order, ``from_sandbox`` inputs, and a light ``import telnyx_nb``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import telnyx_nb
from telnyx_nb import TelnyxOAuth, connect
from telnyx_nb.core.errors import ConfigurationError

CREDENTIALS = ("TELNYX_API_KEY", "TELNYX_CLIENT_ID", "TELNYX_CLIENT_SECRET", "TELNYX_BASE_URL",
               "TELNYX_NB_SANDBOX_API_KEY")


@pytest.fixture
def clean_env(monkeypatch):
    for name in CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_from_sandbox_accepts_object_json_line_dict_and_url(sandbox, clean_env):
    by_object = TelnyxOAuth.from_sandbox(sandbox)
    by_line = TelnyxOAuth.from_sandbox(sandbox.json_line())
    by_dict = TelnyxOAuth.from_sandbox(json.loads(sandbox.json_line()))
    for tx in (by_object, by_line, by_dict):
        assert tx.is_sandbox and tx.base_url == sandbox.base_url.rstrip("/")
        assert tx.client_id == sandbox.demo_client_id
        assert tx.list_clients(page_size=1).total_results > 0
    assert sandbox.api_key not in by_line.target and "sandbox at" in by_line.target

    by_url = TelnyxOAuth.from_sandbox(sandbox.base_url)
    assert by_url.jwks().keys  # public endpoints work with the URL alone
    with pytest.raises(ConfigurationError, match="TELNYX_NB_SANDBOX_API_KEY") as refused:
        by_url.list_clients()
    assert "TELNYX_API_KEY" not in str(refused.value)  # that setting would switch connect() to production
    clean_env.setenv("TELNYX_API_KEY", "KEYtheRealAccountsKey")  # never sent to a sandbox
    assert TelnyxOAuth.from_sandbox(sandbox.base_url).api_key is None
    clean_env.setenv("TELNYX_NB_SANDBOX_API_KEY", sandbox.api_key)  # a bare URL's key
    assert TelnyxOAuth.from_sandbox(sandbox.root_url).list_clients(page_size=1).total_results > 0


def test_connect_with_a_bare_sandbox_url_and_its_key_variable(sandbox, clean_env):
    clean_env.setenv("TELNYX_NB_SANDBOX", sandbox.base_url)
    clean_env.setenv("TELNYX_NB_SANDBOX_API_KEY", sandbox.api_key)
    tx = connect()
    assert tx.is_sandbox and tx.list_clients(page_size=1).total_results > 0


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_api_key_variable_counts_as_unset(sandbox, clean_env, blank):
    clean_env.setenv("TELNYX_API_KEY", blank)
    clean_env.setenv("TELNYX_CLIENT_ID", blank)
    clean_env.setenv("TELNYX_CLIENT_SECRET", blank)
    clean_env.setenv("TELNYX_NB_SANDBOX", sandbox.json_line())
    tx = connect()
    assert tx.is_sandbox and tx.base_url == sandbox.base_url  # not production with no credentials


def test_from_sandbox_rejects_other_things():
    with pytest.raises(ConfigurationError, match="--json line"):
        TelnyxOAuth.from_sandbox("{not json")
    with pytest.raises(ConfigurationError, match="base URL"):
        TelnyxOAuth.from_sandbox("localhost")
    with pytest.raises(ConfigurationError):
        TelnyxOAuth.from_sandbox(42)


def test_connect_uses_the_running_sandbox_from_the_environment(sandbox, clean_env):
    clean_env.setenv("TELNYX_NB_SANDBOX", sandbox.json_line())
    tx = connect()
    assert tx.is_sandbox and tx.base_url == sandbox.base_url.rstrip("/")
    assert tx.sandbox is None  # nothing started
    clean_env.setenv("TELNYX_NB_SANDBOX", sandbox.base_url)
    assert connect().base_url == sandbox.base_url.rstrip("/")


def test_connect_prefers_real_credentials(sandbox, clean_env):
    clean_env.setenv("TELNYX_NB_SANDBOX", "http://127.0.0.1:9/v2")  # would fail if used
    clean_env.setenv("TELNYX_API_KEY", sandbox.api_key)
    clean_env.setenv("TELNYX_BASE_URL", sandbox.base_url)
    tx = connect()
    assert tx.api_key == sandbox.api_key and tx.list_clients(page_size=1).items
    clean_env.delenv("TELNYX_BASE_URL")
    real = connect()
    assert real.base_url == "https://api.telnyx.com/v2" and not real.is_sandbox
    assert real.target.startswith("Telnyx API at https://api.telnyx.com/v2")


def test_connect_starts_an_in_process_sandbox_when_nothing_is_configured(clean_env):
    clean_env.delenv("TELNYX_NB_SANDBOX", raising=False)
    tx = connect(timeout=10)
    try:
        assert tx.is_sandbox and tx.sandbox is not None
        assert tx.list_clients(page_size=1).total_results > 0
        assert tx.timeout == 10
    finally:
        tx.close()
    with pytest.raises(telnyx_nb.APIConnectionError):
        TelnyxOAuth.from_sandbox(tx.sandbox, max_retries=0).jwks()  # close() stopped it


def test_client_credentials_without_id_is_refused(clean_env):
    with pytest.raises(ConfigurationError, match="client_id"):
        TelnyxOAuth(client_secret="s3cret-value-here")


@pytest.mark.parametrize("bad", ["api.telnyx.com/v2", "", "ftp:/x"])
def test_bad_base_url_is_named(bad, clean_env):
    with pytest.raises(ConfigurationError, match="base_url"):
        TelnyxOAuth("KEY" + "k" * 32, base_url=bad or "relative/path")


def test_timeout_is_always_set(clean_env):
    with pytest.raises(ConfigurationError, match="timeout"):
        TelnyxOAuth("KEY" + "k" * 32, timeout=None)
    with pytest.raises(ConfigurationError, match="timeout"):
        TelnyxOAuth("KEY" + "k" * 32, timeout=(5, None))  # an unbounded read is not a timeout
    assert TelnyxOAuth("KEY" + "k" * 32).timeout == 30.0
    assert TelnyxOAuth("KEY" + "k" * 32, timeout=(2, 10)).timeout == (2, 10)


def test_import_is_light():
    code = (
        "import sys, telnyx_nb; heavy = [m for m in ('ipywidgets', 'matplotlib', 'flask', 'authlib', 'requests',"
        " 'pandas', 'joserfc') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
    code = (
        "import sys, telnyx_nb.api; heavy = [m for m in ('ipywidgets', 'matplotlib', 'flask', 'authlib', 'pandas',"
        " 'telnyx_nb.sandbox') if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""  # the API module loads neither the sandbox nor pandas until a frame is asked for

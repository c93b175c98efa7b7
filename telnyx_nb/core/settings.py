"""The environment telnyx-nb reads, in one place: ``connect()``, ``TelnyxOAuth`` and the CLIs all ask :func:`read`.

========================== ==================================================================================
``TELNYX_API_KEY``         the real account's API key (management calls) → the real API
``TELNYX_CLIENT_ID``       with ``TELNYX_CLIENT_SECRET``: an OAuth client of the real account, whose
``TELNYX_CLIENT_SECRET``   client_credentials token authenticates management calls when there is no key
``TELNYX_BASE_URL``        the real API's base URL (default ``https://api.telnyx.com/v2``)
``TELNYX_NB_SANDBOX``      a running sandbox: its ``--json`` line (carries its key and demo client) or base URL
``TELNYX_NB_SANDBOX_API_KEY`` the key for a sandbox given by its bare URL
========================== ==================================================================================

A blank or whitespace-only value counts as unset, everywhere (``TELNYX_API_KEY="  "`` must not mean "production,
no credentials"); surrounding whitespace is dropped (a key read from a file keeps its newline). The real
account's variables are never read for a sandbox, and the sandbox's never for the real API: a credential goes
only to the server it belongs to, and no error message advises setting a variable that would switch the target
(one may advise unsetting the real account's, to reach the sandbox that was also named: nothing is sent anywhere
new). What chose the target is said at the start of each command (:meth:`Settings.describe_choice`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from telnyx_nb.core.errors import ConfigurationError

__all__ = ["Settings", "read", "explain", "parse_sandbox", "API_KEY", "CLIENT_ID", "CLIENT_SECRET", "BASE_URL",
           "SANDBOX", "SANDBOX_API_KEY", "VARIABLES", "WHERE_HELP"]

API_KEY = "TELNYX_API_KEY"
CLIENT_ID = "TELNYX_CLIENT_ID"
CLIENT_SECRET = "TELNYX_CLIENT_SECRET"
BASE_URL = "TELNYX_BASE_URL"
SANDBOX = "TELNYX_NB_SANDBOX"
SANDBOX_API_KEY = "TELNYX_NB_SANDBOX_API_KEY"
VARIABLES = (API_KEY, CLIENT_ID, CLIENT_SECRET, BASE_URL, SANDBOX, SANDBOX_API_KEY)

# What `telnyx-nb audit --help` (and the other commands that connect) say about choosing the target.
WHERE_HELP = f"""\
where: {API_KEY} (or {CLIENT_ID} + {CLIENT_SECRET}) with {BASE_URL} -> that API;
       {SANDBOX} (a sandbox's --json line, or its URL + {SANDBOX_API_KEY}) -> that sandbox
       (`telnyx-nb explore` prints the export line); nothing set -> an in-process demo sandbox"""


def _value(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    return value.strip() if value and value.strip() else None


@dataclass(frozen=True)
class Settings:
    """What the environment says, blanks removed. Secrets never show in the repr."""

    api_key: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    base_url: str | None = None
    sandbox: str | None = field(default=None, repr=False)  # the --json line carries the sandbox's key
    sandbox_api_key: str | None = field(default=None, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(api_key=_value(env, API_KEY), client_id=_value(env, CLIENT_ID),
                   client_secret=_value(env, CLIENT_SECRET), base_url=_value(env, BASE_URL),
                   sandbox=_value(env, SANDBOX), sandbox_api_key=_value(env, SANDBOX_API_KEY))

    @property
    def has_real_credentials(self) -> bool:
        """A key, or a whole client (id and secret), for the real account."""
        return bool(self.api_key or (self.client_id and self.client_secret))

    @property
    def target(self) -> str:
        """What ``connect()`` chooses: ``"api"`` (real credentials win), ``"sandbox"`` (a running one), else
        ``"in-process"`` (a demo sandbox started for this process)."""
        if self.has_real_credentials:
            return "api"
        return "sandbox" if self.sandbox else "in-process"

    @property
    def chosen_by(self) -> tuple[str, ...]:
        """The variables that chose :attr:`target` (none: nothing set, a demo sandbox in this process)."""
        if self.api_key:
            return (API_KEY,)
        if self.client_id and self.client_secret:
            return (CLIENT_ID, CLIENT_SECRET)
        return (SANDBOX,) if self.sandbox else ()

    @property
    def overridden(self) -> tuple[str, ...]:
        """Target variables that are set but lose: ``TELNYX_NB_SANDBOX`` when real credentials are set too."""
        return (SANDBOX,) if self.target == "api" and self.sandbox else ()

    def describe_choice(self) -> str:
        """Which variable chose the target, and what it overrides, for a command's first line."""
        if not self.chosen_by:
            return f"no {API_KEY} or {SANDBOX} set: a demo sandbox in this process"
        text = "chosen by " + " + ".join(self.chosen_by)
        if self.target == "api" and self.base_url:
            text += f" at {BASE_URL}"
        if self.overridden:
            text += (f", which overrides {SANDBOX} (unset {' and '.join(self.chosen_by)} to use that sandbox)")
        return text

    def connection_hint(self) -> str:
        """Where to look when the target does not answer or refuses the credential: the variables that named it."""
        if self.target == "api":
            hint = f"the real API was {self.describe_choice()}"
            where = f"its address is {BASE_URL}'s" if self.base_url else f"{BASE_URL} is unset, so production"
            return f"{hint}; {where}"
        if self.target == "sandbox":
            return (f"the sandbox was chosen by {SANDBOX}: is it still running? (`telnyx-nb explore` prints a fresh "
                    "export line)")
        return ""

    def api_key_for(self, sandbox: bool) -> tuple[str | None, str]:
        """The API key from the environment for a client of that kind, and the variable it comes from."""
        return (self.sandbox_api_key, SANDBOX_API_KEY) if sandbox else (self.api_key, API_KEY)

    def client_for(self, sandbox: bool) -> tuple[str | None, str | None]:
        """The real account's client id and secret; none for a sandbox (it has its own demo client)."""
        return (None, None) if sandbox else (self.client_id, self.client_secret)

    def sandbox_info(self) -> dict[str, Any]:
        """``TELNYX_NB_SANDBOX`` read (see :func:`parse_sandbox`); ConfigurationError when it is unset."""
        if not self.sandbox:
            raise ConfigurationError(f"{SANDBOX} is not set: set it to a sandbox's --json line "
                                     "(`telnyx-nb explore` and `telnyx-nb sandbox --json` print one)")
        return parse_sandbox(self.sandbox, source=SANDBOX)


def explain(exc: BaseException, environ: Mapping[str, str] | None = None) -> str:
    """``exc`` as a command prints it: a target that did not answer, or refused the credential, also gets
    :meth:`Settings.connection_hint` (the variable that chose it), since the fix is usually there."""
    from telnyx_nb.core.errors import AuthenticationError, PermissionDeniedError, TransportError

    text = str(exc)
    if isinstance(exc, (TransportError, AuthenticationError, PermissionDeniedError)):
        hint = read(environ).connection_hint()
        if hint:
            text += f" — {hint}"
    return text


def read(environ: Mapping[str, str] | None = None) -> Settings:
    """The settings now (``environ`` defaults to ``os.environ``; read afresh on each call)."""
    return Settings.from_env(environ)


def parse_sandbox(text: str, *, source: str = "from_sandbox()") -> dict[str, Any]:
    """A sandbox's ``--json`` line (an object: ``base_url``, ``api_key``, ``demo_client_id`` …) or its bare base URL
    (``{"base_url": url}``), as a dict; ``source`` names where the text came from in the error."""
    text = text.strip()
    if text.startswith("{"):
        try:
            info = json.loads(text)
        except ValueError as exc:
            raise ConfigurationError(f"{source}: not a sandbox --json line: {exc}") from None
        if not isinstance(info, dict):
            raise ConfigurationError(f"{source}: a sandbox --json line is one JSON object")
        return info
    if "://" in text:
        return {"base_url": text}
    raise ConfigurationError(f"{source}: expected a sandbox's --json line or its base URL "
                             "(http://127.0.0.1:PORT/v2), got neither")

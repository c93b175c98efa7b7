"""``SandboxConfig``: every option of one sandbox, checked once, handed whole to the parts that need it.

``Sandbox(...)`` builds it from its keyword arguments; the Authlib server (``protocol.authorization_server``) and the
routes' state (``web.app.SandboxState``) both read the same object instead of receiving the same URLs, ids and
lifetimes twice. It is frozen: what is known only once the sandbox starts (the root URL after the port is bound, the
org and user ids kept in the store) is filled in by ``bound(...)``, which returns a new config.

Bad values raise ``telnyx_nb.core.errors.ConfigurationError`` (a ``ValueError``) naming the option and the fix; a value
of the wrong type raises ``ArgumentTypeError`` (also a ``TypeError``), so callers that caught either keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError
from telnyx_nb.sandbox.http.hosts import check_proxy_prefix, check_public_url
from telnyx_nb.sandbox.policy.rate_limits import DEFAULT_REGISTRATION_RATE, Rate, parse_rate
from telnyx_nb.sandbox.policy.registration import check_registrable_scopes
from telnyx_nb.sandbox.policy.scopes import PUBLISHED_CATALOG, ScopeCatalog, catalog_from
from telnyx_nb.sandbox.policy.terms import (
    ACCESS_TOKEN_LIFETIME,
    CODE_LIFETIME,
    CONSENT_LIFETIME,
    REFRESH_REUSE_GRACE,
    REFRESH_TOKEN_LIFETIME,
)

SEED_PATTERN = re.compile(r"^(demo|empty|grants=(\d{1,7})|accounts=(\d{1,5})(,grants=(\d{1,5}))?)$")
LIFETIMES = ("access_token_ttl", "refresh_token_ttl", "code_ttl", "consent_ttl")


def check_seed(seed: str) -> str:
    if not isinstance(seed, str) or not SEED_PATTERN.match(seed):
        raise ConfigurationError(f"seed: use 'demo', 'empty', 'grants=N' (e.g. 'grants=10000') or "
                                 f"'accounts=N,grants=M' (a fleet, e.g. 'accounts=50,grants=100'); got {seed!r}")
    return seed


def _whole_seconds(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(f"{name}: use a whole number of seconds, at least 1; got {value!r}")
    if value < 1:
        raise ConfigurationError(f"{name}: use a whole number of seconds, at least 1; got {value!r}")
    return value


def _api_key(value) -> str | None:
    # A given key need not have Telnyx's shape (a test may pin any key), but it travels in an HTTP header:
    # visible ASCII only (RFC 9110 §5.5), no spaces.
    if value is None:
        return None
    fix = ("api_key: use visible ASCII characters without spaces, e.g. 'KEY' + 55 characters of [0-9A-Za-z_-] "
           "(the shape of a Telnyx key)")
    if not isinstance(value, str):
        raise ArgumentTypeError(fix)
    if not re.fullmatch(r"[!-~]+", value):
        raise ConfigurationError(fix)
    return value


@dataclass(frozen=True)
class SandboxConfig:
    """The options of one sandbox (see ``Sandbox``), and once started its URLs and account ids."""

    host: str = "127.0.0.1"
    port: int = 0
    db: str = ":memory:"
    seed: str = "demo"
    api_key: str | None = None  # a key to use instead of the stored/generated one (kept for the next start)
    threads: int = 8
    reset: bool = False
    access_token_ttl: int = ACCESS_TOKEN_LIFETIME
    refresh_token_ttl: int = REFRESH_TOKEN_LIFETIME
    code_ttl: int = CODE_LIFETIME  # how long an authorization code can be redeemed (RFC 6749 §4.1.2)
    consent_ttl: int = CONSENT_LIFETIME  # how long a consent page can be answered
    # the scope catalog (scopes.py): Telnyx's published one unless a custom one is given (a list, a dict, a file)
    scopes: ScopeCatalog = PUBLISHED_CATALOG
    registrable_scopes: tuple[str, ...] | None = None  # what open registration may ask for (None: the catalog)
    public_urls: tuple[str, ...] = ()  # addresses a proxy reaches it by (--public-url)
    proxy_prefix: str | None = None  # the hub path jupyter-server-proxy serves it under (--proxy-prefix, hosts.py)
    refresh_reuse_grace: float = REFRESH_REUSE_GRACE
    # policy/rate_limits.py: the per-credential limit (off by default) and open registration's per-address flood limit
    rate_limit: Rate | str | None = None
    registration_rate_limit: Rate | str | None = DEFAULT_REGISTRATION_RATE
    # known once started (``bound``): None before
    root_url: str | None = None
    org_id: str | None = None
    user_id: str | None = None

    def __post_init__(self):
        for name in LIFETIMES:
            _whole_seconds(name, getattr(self, name))
        if isinstance(self.port, bool) or not isinstance(self.port, int):
            raise ArgumentTypeError(f"port: use a number from 0 (any free port) to 65535; got {self.port!r}")
        if not 0 <= self.port <= 65535:
            raise ConfigurationError(f"port: use a number from 0 (any free port) to 65535; got {self.port!r}")
        grace = self.refresh_reuse_grace
        if isinstance(grace, bool) or not isinstance(grace, (int, float)):
            raise ArgumentTypeError(f"refresh_reuse_grace: use a number of seconds >= 0; got {grace!r}")
        if grace < 0:
            raise ConfigurationError(f"refresh_reuse_grace: use a number of seconds >= 0; got {grace!r}")
        catalog = catalog_from(self.scopes)
        object.__setattr__(self, "scopes", catalog)
        urls = [self.public_urls] if isinstance(self.public_urls, str) else self.public_urls
        normal = {"refresh_reuse_grace": float(grace), "db": str(self.db), "seed": check_seed(self.seed),
                  "reset": bool(self.reset), "api_key": _api_key(self.api_key),
                  "registrable_scopes": check_registrable_scopes(self.registrable_scopes, catalog),
                  "public_urls": tuple(check_public_url(u) for u in urls),
                  "proxy_prefix": check_proxy_prefix(self.proxy_prefix, self.host),
                  "rate_limit": parse_rate(self.rate_limit, "rate_limit"),
                  "registration_rate_limit": parse_rate(self.registration_rate_limit, "registration_rate_limit")}
        for name, value in normal.items():
            object.__setattr__(self, name, value)

    @property
    def base_url(self) -> str | None:
        """The API's base URL (``root_url`` + ``/v2``): every token's ``aud``, the RFC 9728 resource."""
        return f"{self.root_url}/v2" if self.root_url else None

    @property
    def issuer(self) -> str | None:
        """The RFC 8414 issuer: the root URL."""
        return self.root_url

    @property
    def throwaway(self) -> bool:
        """A ``:memory:`` database: a temporary file removed on stop (nothing to keep across a power cut)."""
        return self.db == ":memory:"

    def bound(self, *, root_url: str, port: int, org_id: str, user_id: str) -> SandboxConfig:
        """This config once started: the URL and port it was bound to, and the account ids from the store."""
        return replace(self, root_url=root_url, port=port, org_id=org_id, user_id=user_id)


FIELDS = frozenset(f.name for f in fields(SandboxConfig))

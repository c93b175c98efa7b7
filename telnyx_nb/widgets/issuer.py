"""The redirect's ``iss`` check of the authorization-code flow (RFC 9207), kept apart from the panel that uses it."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from telnyx_nb.core.errors import AuthorizationFlowError

if TYPE_CHECKING:
    from telnyx_nb.core.records import AuthorizationServerMetadata


def check_issuer(redirect: str, metadata: AuthorizationServerMetadata | None) -> None:
    """RFC 9207 §2.4: an ``iss`` in the redirect must be the issuer we sent the user to; a server that advertises
    ``authorization_response_iss_parameter_supported`` must send it. Defends against mix-up attacks."""
    iss = (parse_qs(urlsplit(redirect).query).get("iss") or [None])[0]
    expected = metadata.issuer if metadata is not None else None
    advertised = metadata is not None and bool(metadata.raw.get("authorization_response_iss_parameter_supported"))
    if iss is None:
        if advertised:
            raise AuthorizationFlowError("the redirect has no iss although the server advertises it (RFC 9207 "
                                         "§2.4): refusing its code")
        return
    if expected and iss != expected:
        raise AuthorizationFlowError(f"the redirect's iss {iss!r} is not this authorization server ({expected!r}); "
                                     "a mix-up attack? (RFC 9207 §2.4): refusing its code")


__all__ = ["check_issuer"]

"""The OAuth 2.0 protocol endpoints, one module per RFC (as Authlib gives each RFC its own package).

``authorize`` (RFC 6749 §4.1 and Telnyx's consent page), ``token`` (RFC 6749 §3.2), ``introspection`` (RFC 7662),
``revocation`` (RFC 7009), ``registration`` (RFC 7591), ``discovery`` (RFC 8414, RFC 9728, the JWKS of RFC 7517);
beside them the Authlib server they share (``authorization_server``), its grant types (``grant_types``), the JWT
access tokens it issues (``jwt_access_tokens``, RFC 9068) and the signing keys (``keys``).
"""

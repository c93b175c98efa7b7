"""Telnyx's management API: ``oauth_clients`` (``clients``) and ``oauth_grants`` (``grants``), as Telnyx publishes
them (docs/contract.md), with Telnyx error objects (``http.wire_errors.WireError``)."""

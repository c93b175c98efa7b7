"""Records decode the wire API's JSON bodies (docs/contract.md) into typed, frozen values — no server needed.

Each record's body below is the shape the published contract (or the RFC the endpoint follows) gives; what a user
depends on: typed fields, absent optional fields read as None or (), fields a newer server adds tolerated, a bad
answer refused with an ``APIError`` naming the record and the field, secrets never shown by ``repr``.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from telnyx_nb.core import records
from telnyx_nb.core.errors import APIError
from telnyx_nb.core.masking import mask_text, secret_names
from telnyx_nb.core.records import (
    JWKS,
    AuthorizationRequest,
    AuthorizationServerMetadata,
    Consent,
    Introspection,
    OAuthClient,
    OAuthGrant,
    Page,
    ProtectedResourceMetadata,
    Registration,
    TokenResponse,
    VerifiedJWT,
)

SECRET = "s3cr3t-value-that-must-never-be-printed"
T0 = datetime(2026, 1, 1, 12, tzinfo=UTC)

CLIENT = {"record_type": "oauth_client", "client_id": "c1", "name": "billing", "client_type": "confidential",
          "verified": True, "require_pkce": False, "allowed_grant_types": ["client_credentials"],
          "allowed_scopes": ["messaging", "numbers"], "redirect_uris": ["https://app.example/cb"], "logo_uri": None,
          "policy_uri": None, "tos_uri": None, "org_id": "o1", "user_id": "u1",
          "created_at": "2026-01-01T12:00:00Z", "updated_at": "2026-01-01T13:00:00+01:00", "client_secret": SECRET}
GRANT = {"record_type": "oauth_grant", "id": "g1", "client_id": "c1", "scopes": ["messaging"],
         "created_at": "2026-01-01T12:00:00Z", "last_used_at": None}
TOKEN = {"access_token": SECRET, "token_type": "Bearer", "expires_in": 3600, "refresh_token": SECRET + "-r",
         "scope": "messaging numbers"}
INTROSPECTION = {"active": True, "scope": "messaging", "client_id": "c1", "sub": "u1", "aud": ["a", "b"],
                 "iss": "https://api.telnyx.com", "exp": 1767272400, "iat": "1767268800", "jti": "j1",
                 "token_type": "Bearer"}
REGISTRATION = {"client_id": "c2", "client_id_issued_at": 1767268800, "client_secret": SECRET,
                "client_secret_expires_at": 0, "client_name": "cli", "grant_types": ["authorization_code"],
                "redirect_uris": ["http://127.0.0.1/cb"], "response_types": ["code"], "scope": "messaging",
                "token_endpoint_auth_method": "client_secret_basic", "registration_access_token": SECRET + "-rat"}
CONSENT = {"client_id": "c1", "name": "billing", "redirect_uri": "https://app.example/cb", "verified": "true",
           "requested_scopes": [{"id": "messaging", "name": "Messaging", "description": "send messages"}]}
JWKS_BODY = {"keys": [{"kid": "k1", "kty": "RSA", "alg": "RS256", "use": "sig", "n": "AQAB", "e": "AQAB"}]}
AS_METADATA = {"issuer": "https://api.telnyx.com", "token_endpoint": "https://api.telnyx.com/v2/oauth/token",
               "scopes_supported": ["messaging"], "code_challenge_methods_supported": "S256 plain"}
PR_METADATA = {"resource": "https://api.telnyx.com/v2", "authorization_servers": ["https://api.telnyx.com"],
               "bearer_methods_supported": ["header"]}


# ------------------------------------------------------------------------------------- every record decodes
def test_an_oauth_client_decodes_to_typed_fields():
    client = OAuthClient.from_json(CLIENT)
    assert client.client_id == "c1" and client.client_type == "confidential" and client.verified is True
    assert client.allowed_scopes == ("messaging", "numbers") and client.redirect_uris == ("https://app.example/cb",)
    assert client.created_at == T0 and client.updated_at == T0  # +01:00 normalised to UTC
    assert client.client_secret == SECRET and client.raw is CLIENT


def test_an_oauth_grant_decodes_and_a_null_last_used_at_means_never_used():
    grant = OAuthGrant.from_json(GRANT)
    assert (grant.id, grant.client_id, grant.scopes, grant.created_at) == ("g1", "c1", ("messaging",), T0)
    assert grant.last_used_at is None


def test_a_token_response_decodes_and_knows_when_it_expires():
    token = TokenResponse.from_json(TOKEN)
    assert token.access_token == SECRET and token.expires_in == 3600 and token.scopes == ("messaging", "numbers")
    assert token.expires_at == datetime.fromtimestamp(token.received_at + 3600, tz=UTC)


def test_an_introspection_decodes_numeric_dates_and_a_list_audience():
    result = Introspection.from_json(INTROSPECTION)
    assert result.active is True and result.aud == "a b" and result.scopes == ("messaging",)
    assert result.exp == datetime(2026, 1, 1, 13, tzinfo=UTC) and result.iat == T0  # a string NumericDate too


def test_a_registration_decodes_and_an_expiry_of_zero_means_never():
    registration = Registration.from_json(REGISTRATION)
    assert registration.client_id == "c2" and registration.client_id_issued_at == T0
    assert registration.client_secret_expires_at is None  # RFC 7591 §3.2.1: 0 = does not expire
    assert registration.grant_types == ("authorization_code",) and registration.response_types == ("code",)


def test_a_consent_decodes_its_scopes_and_takes_its_token_from_the_caller():
    consent = Consent.from_json({**CONSENT, "consent_token": "from-the-body"}, consent_token=SECRET)
    assert consent.consent_token == SECRET  # the one from the authorize redirect, never the body's
    assert consent.verified is True and consent.scope_ids == ("messaging",)
    assert consent.requested_scopes[0].description == "send messages"


def test_a_jwks_decodes_its_keys_and_keeps_every_member_raw():
    jwks = JWKS.from_json(JWKS_BODY)
    assert jwks.kids() == ("k1",) and len(jwks) == 1 and jwks.keys[0].raw["n"] == "AQAB"


def test_discovery_documents_decode_lists_and_space_separated_strings():
    metadata = AuthorizationServerMetadata.from_json(AS_METADATA)
    assert metadata.issuer == "https://api.telnyx.com" and metadata.scopes_supported == ("messaging",)
    assert metadata.code_challenge_methods_supported == ("S256", "plain")
    resource = ProtectedResourceMetadata.from_json(PR_METADATA)
    assert resource.authorization_servers == ("https://api.telnyx.com",)
    assert resource.bearer_methods_supported == ("header",) and resource.scopes_supported == ()


def test_a_page_reads_its_items_and_derives_total_pages_when_meta_lacks_it():
    page = Page.from_json({"data": [GRANT, GRANT], "meta": {"page_number": 1, "page_size": 2,
                                                            "total_results": 5}}, OAuthGrant.from_json)
    assert len(page) == 2 and page.total_pages == 3 and page.has_next
    assert "<2 OAuthGrant>" in repr(page)


# ----------------------------------------------------------------------------------- missing and unknown
@pytest.mark.parametrize(
    "cls, required",
    [(OAuthClient, {"client_id": "c1"}), (OAuthGrant, {"id": "g", "client_id": "c"}),
     (TokenResponse, {"access_token": "t"}), (Registration, {"client_id": "c"}), (Introspection, {}), (Consent, {}),
     (JWKS, {}), (AuthorizationServerMetadata, {}), (ProtectedResourceMetadata, {})],
    ids=lambda v: v.__name__ if isinstance(v, type) else "",
)
def test_absent_optional_fields_read_as_their_defaults(cls, required):
    record = cls.from_json(required)
    for f in dataclasses.fields(cls):
        if f.name not in required and f.name not in ("raw", "received_at", "token_type"):
            assert getattr(record, f.name) in (None, (), False), f.name
    assert record.raw == required


def test_a_token_without_token_type_is_bearer_and_an_inactive_token_carries_only_active():
    assert TokenResponse.from_json({"access_token": "t"}).token_type == "Bearer"
    assert Introspection.from_json({"active": False}).active is False


def test_fields_a_newer_server_adds_are_kept_in_raw_only():
    client = OAuthClient.from_json({**CLIENT, "brand_new": {"x": 1}})
    assert client.raw["brand_new"] == {"x": 1} and not hasattr(client, "brand_new")
    assert client == OAuthClient.from_json(CLIENT)  # raw is not compared


# ------------------------------------------------------------------------------------------ bad answers
@pytest.mark.parametrize(
    "cls, body, words",
    [
        (OAuthClient, {"name": "no id"}, "OAuthClient: field 'client_id' is missing"),
        (OAuthGrant, {"id": "g"}, "OAuthGrant: field 'client_id' is missing"),
        (TokenResponse, {"token_type": "Bearer"}, "TokenResponse: field 'access_token' is missing"),
        (OAuthClient, {"client_id": "c", "created_at": "yesterday"}, "OAuthClient: field 'created_at'"),
        (OAuthClient, {"client_id": "c", "allowed_scopes": 5}, "OAuthClient: field 'allowed_scopes'"),
        (TokenResponse, {"access_token": "t", "expires_in": "soon"}, "TokenResponse: field 'expires_in'"),
        (Introspection, {"active": True, "exp": "tomorrow"}, "Introspection: field 'exp'"),
        (JWKS, {"keys": ["not a key"]}, "JWK: expected a JSON object, got str"),
        (Consent, {"requested_scopes": [7]}, "ConsentScope: expected a JSON object, got int"),
        (OAuthGrant, ["a", "list"], "OAuthGrant: expected a JSON object, got list"),
    ],
)
def test_a_malformed_answer_is_an_api_error_naming_the_record_and_the_field(cls, body, words):
    with pytest.raises(APIError) as info:
        cls.from_json(body)
    assert str(info.value).startswith("the server's answer is not a valid ") and words in str(info.value)


def test_a_page_whose_data_is_not_a_list_is_an_api_error():
    with pytest.raises(APIError, match="not a valid Page: 'data' must be a list of objects, got dict"):
        Page.from_json({"data": {"id": "g"}}, OAuthGrant.from_json)


def test_lax_spellings_of_flags_and_enums_are_read_and_nonsense_is_unknown():
    client = OAuthClient.from_json({"client_id": "c", "verified": "FALSE", "require_pkce": 1,
                                    "client_type": " Public "})
    assert client.verified is False and client.require_pkce is True and client.client_type == "public"
    assert OAuthClient.from_json({"client_id": "c", "verified": "maybe"}).verified is None
    assert Introspection.from_json({"active": "false"}).active is False  # RFC 7662 §2.2: fail closed


def test_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        OAuthClient.from_json(CLIENT).name = "other"


# --------------------------------------------------------------------------------------------- secrets
@pytest.mark.parametrize(
    "record",
    [
        OAuthClient.from_json(CLIENT),
        TokenResponse.from_json({**TOKEN, "id_token": SECRET + "-id"}),
        Registration.from_json(REGISTRATION),
        Consent.from_json(CONSENT, consent_token=SECRET),
        AuthorizationRequest(url="https://x/authorize", client_id="c", redirect_uri="https://x/cb",
                             code_verifier=SECRET),
        VerifiedJWT(token=SECRET, header={"kid": "k"}, claims={"scope": "a"}),
    ],
    ids=lambda r: type(r).__name__,
)
def test_secret_fields_are_masked_in_repr_and_str(record):
    assert record.secret_fields(), "each of these records declares a secret field"
    for name in record.secret_fields():
        value = getattr(record, name)
        assert value is None or (value not in repr(record) and value not in str(record)), name
    assert SECRET not in repr(record)


def test_the_declared_secret_fields_are_what_masking_hides_by_name():
    declared = records.secret_field_names()
    assert {"client_secret", "access_token", "refresh_token", "id_token", "registration_access_token",
            "code_verifier", "consent_token", "token"} <= declared
    assert declared <= secret_names()
    for name in declared:
        value = f"never-decoded-{name}-value"  # not remembered: only the name can hide it
        assert value not in mask_text(f'{{"{name}": "{value}"}}'), name
        assert value not in mask_text(f"{name}={value}&x=1"), name
    assert "never-decoded-value" in mask_text("client_name=never-decoded-value")  # other names stay readable


def test_a_non_secret_field_is_shown_in_full():
    assert "client_id='c1'" in repr(OAuthClient.from_json(CLIENT))
    assert "client_id" not in OAuthClient.secret_fields()


def test_a_secret_field_read_from_an_answer_is_masked_in_any_later_text():
    """Decoding registers each secret value with ``masking.remember``: an opaque token a server sent (no JWT or
    key shape to recognise) is still hidden when an exception or log line quotes it."""
    opaque = "opaque-refresh-value-" + "7" * 20
    TokenResponse.from_json({"access_token": "t" * 30, "refresh_token": opaque})
    assert opaque not in mask_text(f"refresh failed for {opaque}")


def test_a_record_class_registers_its_secret_fields_with_masking_when_defined():
    """A record class of one's own (its names not among those core declares) adds its secret fields to masking
    when it is defined; masking itself imports no record."""
    from telnyx_nb.core.fields import Record, json_field, record

    value = "never-decoded-signing-value"
    assert value in mask_text(f"webhook_signing_key={value}")

    @record
    class Webhook(Record):
        url: str | None = None
        webhook_signing_key: str | None = json_field(secret=True)

    assert "webhook_signing_key" in secret_names()
    assert value not in mask_text(f"webhook_signing_key={value}") and "url" not in secret_names()
    assert value not in repr(Webhook(webhook_signing_key=value))


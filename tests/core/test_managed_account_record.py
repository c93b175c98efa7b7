"""The managed account record: the published fields typed, its two credentials secret — masked in every repr and
hidden by name in any text — and masking's declared names equal to what the records declare."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from telnyx_nb.core import records
from telnyx_nb.core.errors import APIError
from telnyx_nb.core.fields import Record
from telnyx_nb.core.masking import RECORD_SECRET_NAMES, mask_text
from telnyx_nb.core.records import ManagedAccount

KEY = "KEY" + "q" * 55
TOKEN = "opaque-api-token-" + "9" * 24
RETRIEVED = {"record_type": "managed_account", "id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58",
             "email": "owner@acme.example", "api_user": "owner@acme.example", "manager_account_id": "mgr-1",
             "organization_name": "Acme", "rollup_billing": False, "managed_account_allow_custom_pricing": True,
             "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-02T10:00:00.5Z",
             "api_key": KEY, "api_token": TOKEN, "balance": {"amount": "1.00", "currency": "USD"}}


def test_the_published_fields_are_read_typed():
    account = ManagedAccount.from_json(RETRIEVED)
    assert account.id == RETRIEVED["id"] and account.organization_name == "Acme"
    assert account.rollup_billing is False and account.managed_account_allow_custom_pricing is True
    assert account.created_at == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert account.balance == {"amount": "1.00", "currency": "USD"}
    listed = ManagedAccount.from_json({k: v for k, v in RETRIEVED.items()
                                       if k not in ("api_key", "api_token", "balance")})
    assert listed.api_key is None and listed.api_token is None


def test_an_answer_without_an_id_is_refused_naming_the_field():
    with pytest.raises(APIError, match="managed account|ManagedAccount.*'id'"):
        ManagedAccount.from_json({"email": "x@example.com"})


def test_the_credentials_are_secret_masked_in_repr_and_hidden_in_any_later_text():
    account = ManagedAccount.from_json(RETRIEVED)
    assert ManagedAccount.secret_fields() == {"api_key", "api_token"}
    for text in (repr(account), str(account), repr([account])):
        assert KEY not in text and TOKEN not in text
    assert "organization_name='Acme'" in repr(account)
    assert TOKEN not in mask_text(f"the call failed with {TOKEN}")  # remembered once read
    for name in ("api_key", "api_token"):  # and by name, for a value never read
        assert "never-read-value-1234" not in mask_text(f'{{"{name}": "never-read-value-1234"}}')


def test_masking_declares_exactly_the_secret_fields_of_the_wire_records():
    declared = {name for cls in vars(records).values()
                if isinstance(cls, type) and issubclass(cls, Record) and cls.__module__ == records.__name__
                for name in cls.secret_fields()}
    assert set(RECORD_SECRET_NAMES) == declared

"""The managed accounts frame: the published list fields in a fixed order with real dtypes, empty or not, and
never a credential — not as a column, not in its text."""

from __future__ import annotations

from telnyx_nb import frames
from telnyx_nb.core.records import ManagedAccount

KEY = "KEY" + "f" * 55
TOKEN = "opaque-frame-token-" + "8" * 24
RETRIEVED = {"id": "6a09cdc3-8948-47f0-aa62-74ac943d6c58", "organization_name": "Acme", "rollup_billing": False,
             "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-02T10:00:00.5Z", "api_key": KEY,
             "api_token": TOKEN, "balance": {"amount": "1.00"}}


def test_columns_and_dtypes_are_fixed_and_carry_no_credential():
    df = frames.managed_accounts_frame([ManagedAccount.from_json(RETRIEVED)])
    empty = frames.managed_accounts_frame([])
    assert tuple(df.columns) == tuple(empty.columns) == frames.MANAGED_ACCOUNT_COLUMNS
    assert df.dtypes.equals(empty.dtypes)
    assert str(df["id"].dtype) == "string" and str(df["rollup_billing"].dtype) == "boolean"
    assert str(df["updated_at"].dtype) == "datetime64[us, UTC]"
    assert df.loc[0, "organization_name"] == "Acme" and not bool(df.loc[0, "rollup_billing"])
    assert not {"api_key", "api_token", "balance"} & set(df.columns)
    for text in (repr(df), df.to_string(), df.to_json(date_format="iso"), df._repr_html_()):
        assert KEY not in text and TOKEN not in text

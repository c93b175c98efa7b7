"""DataFrames from the sandbox: fixed columns and dtypes, identical with zero rows; the grants ⋈ clients join;
the JWKS and introspection frames."""

from __future__ import annotations

import pandas as pd
import pytest

from telnyx_nb import TelnyxOAuth, frames


@pytest.fixture(scope="module")
def tx(sandbox):
    with TelnyxOAuth.from_sandbox(sandbox) as client:
        yield client


def assert_schema(frame: pd.DataFrame, columns) -> None:
    assert tuple(frame.columns) == tuple(columns)
    expected = frames.empty_frame(columns).dtypes
    pd.testing.assert_series_equal(frame.dtypes, expected)


def test_clients_df_columns_and_dtypes(tx):
    df = tx.clients_df(progress=False)
    assert_schema(df, frames.CLIENT_COLUMNS)
    assert len(df) == tx.list_clients().total_results
    assert df["client_id"].is_unique
    assert str(df["created_at"].dtype) == "datetime64[us, UTC]"
    assert list(df["client_type"].cat.categories) == ["public", "confidential"]
    assert df["require_pkce"].dtype == "boolean" and df["verified"].dtype == "boolean"
    assert all(isinstance(v, list) for v in df["allowed_scopes"])
    assert df["name"].dtype == "string"


def test_clients_df_filters(tx):
    df = tx.clients_df(client_type="public", progress=False)
    assert len(df) > 0 and set(df["client_type"]) == {"public"}
    assert_schema(df, frames.CLIENT_COLUMNS)


def test_empty_frames_have_the_same_schema(tx, make_sandbox):
    df = tx.clients_df(name="nobody by this name", progress=False)
    assert len(df) == 0
    assert_schema(df, frames.CLIENT_COLUMNS)
    empty = TelnyxOAuth.from_sandbox(make_sandbox(seed="empty"))
    grants = empty.grants_df(progress=False)
    assert len(grants) == 0
    assert_schema(grants, frames.GRANT_COLUMNS + frames.GRANT_CLIENT_COLUMNS)
    assert_schema(empty.grants_df(with_clients=False), frames.GRANT_COLUMNS)


def test_grants_df_joined_with_clients(tx):
    df = tx.grants_df(progress=False)
    assert_schema(df, frames.GRANT_COLUMNS + frames.GRANT_CLIENT_COLUMNS)
    assert len(df) == tx.list_grants().total_results and df["id"].is_unique
    clients = tx.clients_df(progress=False).set_index("client_id")
    known = df[df["client_id"].isin(clients.index)]
    assert len(known) > 0
    for row in known.head(20).itertuples():
        assert row.client_name == clients.loc[row.client_id, "name"]
        assert row.client_type == clients.loc[row.client_id, "client_type"]
    # never-used grants are NaT, others are after creation
    used = df.dropna(subset=["last_used_at"])
    assert df["last_used_at"].isna().any()
    assert (used["last_used_at"] >= used["created_at"]).all()
    assert all(isinstance(s, list) for s in df["scopes"])


def test_grants_df_page_size_one_equals_page_size_100(tx):
    small = tx.grants_df(with_clients=False, progress=False, page_size=1)
    large = tx.grants_df(with_clients=False, progress=False, page_size=100)
    pd.testing.assert_frame_equal(small, large)


def test_grant_of_a_deleted_client_has_na_client_fields():
    from telnyx_nb.core.records import OAuthClient, OAuthGrant

    grant = OAuthGrant.from_json(
        {"id": "g", "client_id": "gone", "scopes": ["a"], "created_at": "2025-01-01T00:00:00Z"}
    )
    client = OAuthClient.from_json({"client_id": "other", "name": "Other", "client_type": "public"})
    df = frames.grants_frame([grant], clients=[client])
    for column in ("client_name", "client_type", "client_verified"):
        assert pd.isna(df.loc[0, column])
    assert pd.isna(df.loc[0, "last_used_at"])
    assert_schema(df, frames.GRANT_COLUMNS + frames.GRANT_CLIENT_COLUMNS)


def test_jwks_df(tx):
    df = tx.jwks_df()
    assert_schema(df, frames.JWKS_COLUMNS)
    assert len(df) == len(tx.jwks())
    rsa = df[df["kty"] == "RSA"]
    assert (rsa["size"] >= 2048).all()
    ec = df[df["kty"] == "EC"]
    assert ec["curve"].notna().all()
    assert df["thumbprint"].notna().all() and df["thumbprint"].is_unique
    # RFC 7638 thumbprints are base64url SHA-256: 43 characters
    assert (df["thumbprint"].str.len() == 43).all()


def test_introspection_df(tx):
    token = tx.client_credentials_token(scope="admin")
    df = tx.introspection_df(token.access_token)
    assert_schema(df, frames.INTROSPECTION_COLUMNS)
    assert len(df) == 1
    row = df.iloc[0]
    assert bool(row["active"]) is True and row["scopes"] == ["admin"]
    assert 0 < row["expires_in"] <= token.expires_in
    inactive = tx.introspection_df("not-a-token")
    assert_schema(inactive, frames.INTROSPECTION_COLUMNS)
    assert bool(inactive.loc[0, "active"]) is False and pd.isna(inactive.loc[0, "exp"])

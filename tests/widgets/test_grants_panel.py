"""GrantsPanel: the demo grants joined with clients (read-only), and revocation with confirmation on a throwaway."""

from __future__ import annotations

from table_helpers import assert_short_ids_full_on_hover

from telnyx_nb import TelnyxOAuth
from telnyx_nb.widgets import GrantsPanel
from telnyx_nb.widgets.base import html_to_text


def test_grants_frame_and_filter(sandbox):
    with TelnyxOAuth.from_sandbox(sandbox) as client:
        panel = GrantsPanel(client)
        try:
            assert panel.last_error is None, panel.error_message
            assert len(panel.df) >= 100
            assert {"client_name", "client_type", "scopes", "last_used_at"} <= set(panel.df.columns)
            assert f"of {len(panel.df)} grant(s)" in panel.table_view.value
            panel.filter_client.value = "acme"
            assert len(panel.view) > 0
            assert set(panel.view["client_name"]) == {"Acme Dispatch"}
            assert all("Acme Dispatch" in label for label in panel.picker._options_labels)
        finally:
            panel.close()


def test_revoke_with_confirmation(make_sandbox):
    with TelnyxOAuth.from_sandbox(make_sandbox()) as client:
        panel = GrantsPanel(client)
        try:
            grant_id = panel.selected
            before = len(panel.df)
            panel.revoke_button.click()
            assert grant_id in panel.confirm.pending
            panel.confirm.cancel_button.click()
            assert len(client.grants_df()) == before  # cancelled: nothing revoked

            panel.revoke_button.click()
            panel.confirm.confirm_button.click()
            assert panel.last_error is None, panel.error_message
            assert panel.last_result.id == grant_id
            assert grant_id not in set(panel.df["id"]) and len(panel.df) == before - 1
            assert [r.method for r in panel.request_log.records].count("DELETE") == 1
        finally:
            panel.close()


def test_revoking_a_grant_already_gone_says_so_and_refreshes_the_list(make_sandbox):
    """Like the audit's revoke(), revoking twice is safe: the goal (no grant) is reached, so it is no error."""
    with TelnyxOAuth.from_sandbox(make_sandbox()) as client:
        panel = GrantsPanel(client)
        try:
            grant_id = panel.selected
            client.revoke_grant(grant_id)  # revoked behind the panel's back
            panel.revoke_button.click()
            panel.confirm.confirm_button.click()
            assert panel.last_error is None, panel.error_message
            assert "already revoked" in panel.status.value
            assert grant_id not in set(panel.df["id"])
        finally:
            panel.close()


def test_retried_requests_show_in_the_log(make_sandbox):
    import requests

    sb = make_sandbox()
    fault = {"path": "/v2/oauth_grants", "method": "GET", "count": 1, "status": 503}
    requests.post(f"{sb.root_url}/_sandbox/faults", json=fault,
                  headers={"Authorization": f"Bearer {sb.api_key}"}, timeout=10).raise_for_status()
    with TelnyxOAuth.from_sandbox(sb) as client:
        panel = GrantsPanel(client)
        try:
            assert panel.last_error is None, panel.error_message
            grant_pages = [r for r in panel.request_log.records if "/oauth_grants" in r.url]
            assert [r.status for r in grant_pages][:2] == [503, 200]
            assert "503" in panel.request_log.table.value and "(attempt 2)" in panel.request_log.table.value
        finally:
            panel.close()


def test_table_shows_ten_rows_with_short_grant_ids_full_on_hover_and_copy(sandbox):
    with TelnyxOAuth.from_sandbox(sandbox) as client:
        panel = GrantsPanel(client)
        try:
            markup = panel.table_view.value
            full_ids = list(panel.view["id"])
            table = assert_short_ids_full_on_hover(markup, full_ids)
            assert table.rows == min(len(panel.view), 200)
            shown = html_to_text(markup)
            assert not any(grant_id in shown for grant_id in full_ids[:200])
        finally:
            panel.close()

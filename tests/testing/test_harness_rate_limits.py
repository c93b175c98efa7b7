"""What the testing kit gives a test about rate limits: ``faults.too_many_requests`` arms one 429 exactly as a
rate-limited Telnyx sends it, and the pool hands every test full windows, whatever the last test spent."""

from __future__ import annotations

from oauth_helpers import assert_published_429, limits

from telnyx_nb.testing.harness import SandboxHarness


def test_the_harness_shortcut_arms_one_published_429_without_retry_after(pool):
    harness = SandboxHarness(pool.fresh(seed="empty"))
    try:
        with harness.faults.too_many_requests("/v2/oauth_clients", reset=4) as fault:
            session = harness.session()
            headers = {"Authorization": f"Bearer {harness.api_key}"}
            refused = session.get(f"{harness.sandbox.base_url}/oauth_clients", headers=headers)
            assert_published_429(refused)
            assert limits(refused) == (20, 0, 4) and fault.fired == 1
            assert session.get(f"{harness.sandbox.base_url}/oauth_clients", headers=headers).status_code == 200
    finally:
        harness.close()


def test_the_pool_hands_out_full_windows_to_every_test(pool):
    sb = pool.fresh(seed="empty", rate_limit="2/min")
    sb.rate_limits.general.hit("account")
    sb.rate_limits.general.hit("account")
    assert not sb.rate_limits.general.hit("account").allowed
    assert pool.fresh(seed="empty", rate_limit="2/min") is sb
    assert sb.rate_limits.general.hit("account").allowed

"""The sandbox's rate limits (sandbox/policy/rate_limits.py) over real HTTP: per-credential windows, the published headers
and 429 body, the options that turn them on, and the windows' own rules without a server (memory, threads)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
import requests
from caller_helpers import client_token, user_tokens
from oauth_helpers import PUBLISHED_429, TIMEOUT, assert_published_429, basic, demo_client, limits, url

from telnyx_nb.core.errors import ArgumentTypeError, ConfigurationError
from telnyx_nb.sandbox.policy.rate_limits import FixedWindows, Rate, parse_rate
from telnyx_nb.sandbox.web.server import Sandbox


def get(sb, path="/oauth_clients", *, bearer=None, **kwargs):
    headers = {"Authorization": f"Bearer {bearer or sb.api_key}"}
    return requests.get(url(sb, path), headers=headers, timeout=TIMEOUT, **kwargs)


# ----------------------------------------------------------------------------------------------- the options
@pytest.mark.parametrize(("text", "rate"), [("20/s", Rate(20, 1)), ("1200/min", Rate(1200, 60)),
                                            ("5/h", Rate(5, 3600)), ("100/10s", Rate(100, 10)),
                                            (" 7 / minute ", Rate(7, 60)), ("1/S", Rate(1, 1))])
def test_rates_are_read_in_their_documented_forms(text, rate):
    assert parse_rate(text) == rate
    assert parse_rate(str(rate)) == rate  # what the sandbox shows reads back the same


@pytest.mark.parametrize(("rate", "shown"), [(Rate(20, 1), "20/s"), (Rate(1200, 60), "1200/min"),
                                             (Rate(5, 3600), "5/h"), (Rate(100, 10), "100/10s"), (Rate(3, 2), "3/2s")])
def test_a_rate_is_shown_in_the_form_a_person_would_type(rate, shown):
    assert str(rate) == shown  # the start-up message and the docs say "20/s", never "20/1s" or "5/3600s"


@pytest.mark.parametrize(("text", "seconds"), [("1/86400s", 86400), ("1/24h", 86400), ("2/1440min", 86400)])
def test_a_window_of_a_whole_day_is_the_longest_accepted(text, seconds):
    assert parse_rate(text) == Rate(int(text.split("/")[0]), seconds)


@pytest.mark.parametrize("text", ["1/86401s", "1/25h", "1/1441min"])
def test_a_window_longer_than_a_day_is_refused_naming_the_option(text):
    with pytest.raises(ConfigurationError, match=r"^rate_limit: use a window of at most a day"):
        parse_rate(text)


@pytest.mark.parametrize("text", [None, "", "off", "OFF", "none"])
def test_no_rate_means_no_limit(text):
    assert parse_rate(text) is None


@pytest.mark.parametrize("text", ["20", "20/", "/s", "0/s", "20/0s", "-1/s", "20/day", "x/s", "20/s/s", "2/2d",
                                  "1/100000s"])
def test_a_bad_rate_is_a_configuration_error_naming_the_option_and_the_forms(text):
    with pytest.raises(ConfigurationError, match=r"^rate_limit: .*(20/s|1000/h)"):
        Sandbox(rate_limit=text)


def test_a_rate_of_the_wrong_type_is_an_argument_type_error():
    with pytest.raises(ArgumentTypeError, match="registration_rate_limit"):
        Sandbox(registration_rate_limit=20)


def test_the_cli_refuses_a_bad_rate_before_starting():
    done = subprocess.run([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--rate-limit", "20/fortnight"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--rate-limit" in done.stderr and "20/s" in done.stderr


def test_the_defaults_are_off_for_the_explorer_and_20_a_minute_for_open_registration():
    config = Sandbox().config
    assert config.rate_limit is None and config.registration_rate_limit == Rate(20, 60)
    assert FixedWindows(Rate(1, 1), lambda: 0.0)._max_keys == 10_000  # the memory bound docs/security.md states


def test_the_cli_serves_the_limit_it_was_given():
    import json

    proc = subprocess.Popen([sys.executable, "-m", "telnyx_nb.cli", "sandbox", "--json", "--port", "0", "--db",
                             ":memory:", "--seed", "empty", "--rate-limit", "2/min"], stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        answers = [requests.get(info["base_url"] + "/oauth_clients", timeout=TIMEOUT,
                                headers={"Authorization": f"Bearer {info['api_key']}"}) for _ in range(3)]
    finally:
        proc.terminate()
        proc.wait(10)
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[0].headers["x-ratelimit-limit"] == "2"


# ------------------------------------------------------------------------------------- off: nothing to describe
def test_with_the_limit_off_answers_carry_no_rate_limit_headers(sandbox):
    for response in (get(sandbox), requests.get(f"{sandbox.root_url}/.well-known/oauth-authorization-server",
                                                timeout=TIMEOUT)):
        assert response.status_code == 200
        assert not [name for name in response.headers if name.lower().startswith("x-ratelimit")]


# ------------------------------------------------------------------------------------------- the general limit
def test_each_answer_counts_down_and_past_the_limit_the_published_429(make_sandbox):
    sb = make_sandbox(rate_limit="3/min", seed="empty")
    assert [limits(get(sb)) for _ in range(3)] == [(3, 2, 60), (3, 1, 60), (3, 0, 60)]
    refused = get(sb)
    assert_published_429(refused)
    assert limits(refused) == (3, 0, 60)
    sb.clock.advance(25)
    assert limits(get(sb)) == (3, 0, 35)  # the reset counts down with the window (whole seconds, rounded up)
    sb.clock.advance(35)
    assert get(sb).status_code == 200  # a new window


def test_a_refused_request_does_nothing(make_sandbox):
    sb = make_sandbox(rate_limit="1/min", seed="empty")
    headers = {"Authorization": f"Bearer {sb.api_key}"}
    body = {"name": "x", "allowed_scopes": ["admin"], "allowed_grant_types": ["client_credentials"]}
    assert get(sb).json()["data"] == []
    refused = requests.post(url(sb, "/oauth_clients"), json=body, headers=headers, timeout=TIMEOUT)
    assert_published_429(refused)
    sb.clock.advance(60)
    assert get(sb).json()["data"] == []


def test_the_sandbox_clock_opens_a_new_window(make_sandbox):
    sb = make_sandbox(rate_limit="2/s", seed="empty")
    assert [get(sb).status_code for _ in range(3)] == [200, 200, 429]
    sb.clock.advance(1)
    assert limits(get(sb)) == (2, 1, 1)


def test_each_credential_has_its_own_window(make_sandbox):
    """The API key (the account owner), a client's token, a user's token of that client (its grant), HTTP Basic
    for a client, and an anonymous address each count in their own window."""
    sb = make_sandbox(rate_limit="3/min")
    app_token = client_token(sb, demo_client(sb))["access_token"]  # counts for the demo client
    user_token = user_tokens(sb, demo_client(sb), "admin")["access_token"]
    sb.rate_limits.reset()  # the set-up's own requests are not what this test counts
    for _ in range(3):
        get(sb)
    assert_published_429(get(sb))  # the owner's window is spent …
    assert limits(get(sb, bearer=app_token))[1] == 2  # … the client's is not,
    assert limits(get(sb, bearer=user_token))[1] == 2  # nor the grant's,
    anonymous = requests.get(f"{sb.root_url}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    assert limits(anonymous)[1] == 2  # nor an anonymous caller's.
    basic_auth = {"Authorization": basic(sb.demo_client_id, sb.demo_client_secret)}
    issued = requests.post(url(sb, "/oauth/token"), data={"grant_type": "client_credentials"}, headers=basic_auth,
                           timeout=TIMEOUT)
    assert issued.status_code == 200 and limits(issued)[1] == 1  # HTTP Basic counts for the client, as its token
    body_auth = {"grant_type": "client_credentials", "client_id": sb.demo_client_id,
                 "client_secret": sb.demo_client_secret}
    issued = requests.post(url(sb, "/oauth/token"), data=body_auth, timeout=TIMEOUT)
    assert limits(issued)[1] == 0  # and so does a client_id in the body
    assert_published_429(get(sb, bearer=app_token))


def test_an_unknown_bearer_counts_for_its_address_and_is_still_refused(make_sandbox):
    sb = make_sandbox(rate_limit="2/min", seed="empty")
    first = get(sb, bearer="not-a-token")
    assert first.status_code == 401 and limits(first)[1] == 1
    assert get(sb, bearer="another-junk-token").status_code == 401
    assert_published_429(get(sb, bearer="not-a-token"))  # a flood of bad credentials is still a flood
    assert get(sb).status_code == 200  # the owner's window is its own


def test_the_sandbox_controls_are_not_limited(make_sandbox):
    sb = make_sandbox(rate_limit="1/min", seed="empty")
    for _ in range(3):
        armed = requests.get(f"{sb.root_url}/_sandbox/faults", headers={"Authorization": f"Bearer {sb.api_key}"},
                             timeout=TIMEOUT)
        assert armed.status_code == 200 and "x-ratelimit-limit" not in armed.headers


def test_concurrent_requests_never_pass_the_limit(make_sandbox):
    sb = make_sandbox(rate_limit="25/min", seed="empty")
    statuses: list[int] = []

    def worker():
        with requests.Session() as session:
            for _ in range(8):
                statuses.append(session.get(url(sb, "/oauth_clients"), timeout=TIMEOUT,
                                            headers={"Authorization": f"Bearer {sb.api_key}"}).status_code)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses.count(200) == 25 and statuses.count(429) == 48 - 25


# ------------------------------------------------------------------------------------- open registration flood
def register(sb, headers=None, **metadata):
    return requests.post(url(sb, "/oauth/register"), json={"client_name": "flood", **metadata}, headers=headers,
                         timeout=TIMEOUT)


def count_clients(sb) -> int:
    return get(sb, params={"page[size]": 1}).json()["meta"]["total_results"]


def test_a_registration_flood_from_one_source_is_slowed_after_20_a_minute(make_sandbox):
    """The reproduction: 10,000 registrations in 31 s were all accepted. Now a burst from one address creates
    20 clients and then gets the published 429 until the minute is over."""
    sb = make_sandbox(seed="empty")
    before = count_clients(sb)
    with requests.Session() as session:
        answers = [session.post(url(sb, "/oauth/register"), json={"client_name": "flood"}, timeout=TIMEOUT)
                   for _ in range(120)]
    assert [a.status_code for a in answers] == [201] * 20 + [429] * 100
    assert_published_429(answers[-1])
    assert limits(answers[0]) == (20, 19, 60) and limits(answers[-1]) == (20, 0, 60)
    assert count_clients(sb) == before + 20
    sb.clock.advance(60)
    assert register(sb).status_code == 201


def test_refused_registrations_do_not_use_up_the_flood_limit(make_sandbox):
    sb = make_sandbox(seed="empty")
    for _ in range(25):
        refused = register(sb, grant_types=["password"])
        assert refused.status_code == 400 and limits(refused)[1] == 20
    assert register(sb).status_code == 201


def test_the_account_owner_registers_without_the_flood_limit(make_sandbox):
    sb = make_sandbox(seed="empty", registration_rate_limit="1/min")
    assert register(sb).status_code == 201
    assert_published_429(register(sb))
    owner = {"Authorization": f"Bearer {sb.api_key}"}
    assert [register(sb, headers=owner).status_code for _ in range(3)] == [201] * 3


def test_the_flood_limit_holds_with_the_general_limit_off_and_can_be_turned_off(make_sandbox):
    limited = make_sandbox(seed="empty", registration_rate_limit="2/min")
    assert [register(limited).status_code for _ in range(3)] == [201, 201, 429]
    unlimited = make_sandbox(seed="empty", registration_rate_limit=None)
    answers = [register(unlimited) for _ in range(25)]
    assert {a.status_code for a in answers} == {201}
    assert "x-ratelimit-limit" not in answers[0].headers


def test_a_registration_shows_the_tighter_of_the_two_windows(make_sandbox):
    sb = make_sandbox(seed="empty", rate_limit="100/min", registration_rate_limit="2/min")
    assert limits(register(sb)) == (2, 1, 60)
    assert limits(register(sb)) == (2, 0, 60)
    assert_published_429(register(sb))
    probe = requests.get(f"{sb.root_url}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
    assert limits(probe) == (100, 96, 60)  # the general window counted every one of them


# ----------------------------------------------------------------------------------------- the windows alone
class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_expired_windows_are_dropped_so_memory_stays_bounded():
    clock = FakeClock()
    windows = FixedWindows(Rate(5, 1), clock)
    for i in range(1000):
        windows.hit(f"address:{i}")
    assert len(windows) == 1000
    clock.now += 1
    windows.hit("address:new")
    assert len(windows) == 1  # every window that ended is gone


def test_at_most_max_keys_windows_are_kept_the_oldest_go_first():
    clock = FakeClock()
    windows = FixedWindows(Rate(1, 60), clock, max_keys=100)
    for i in range(10_000):
        windows.hit(f"client:{i}")
    assert len(windows) == 100
    assert not windows.hit("client:9999").allowed  # the newest are still counted
    assert windows.hit("client:0").allowed  # the oldest were dropped: a new window


def test_a_clock_stepping_back_ends_the_window_instead_of_stretching_it():
    clock = FakeClock()
    windows = FixedWindows(Rate(1, 10), clock)
    for i in range(100):
        windows.hit(f"other:{i}")
    assert windows.hit("k").allowed and not windows.hit("k").allowed
    clock.now -= 3600
    decision = windows.hit("k")
    assert decision.allowed and decision.reset == 10
    assert len(windows) == 1  # every window ending more than a period ahead is gone, not kept forever


def windows_a_and_b() -> tuple[FakeClock, FixedWindows]:
    """Windows of one request per 10 s: "a" opened at 1000 (ends 1010), "b" at 1005 (ends 1015); now is 1005."""
    clock = FakeClock()
    windows = FixedWindows(Rate(1, 10), clock)
    windows.hit("a")
    clock.now += 5
    windows.hit("b")
    return clock, windows


def test_a_window_ending_more_than_a_period_ahead_is_over_even_behind_a_live_one():
    clock, windows = windows_a_and_b()
    clock.now -= 0.2  # a small step back: "a" is still a live window (the oldest), "b" now ends 10.2 s ahead
    assert windows.hit("b").allowed
    assert not windows.hit("a").allowed


def test_giving_back_never_counts_below_zero():
    windows = FixedWindows(Rate(1, 60), FakeClock())
    windows.hit("k")
    windows.give_back("k")
    windows.give_back("k")  # one too many (the window turned over in between, say)
    windows.give_back("nobody")
    assert windows.hit("k").allowed and not windows.hit("k").allowed


def test_the_windows_count_exactly_under_threads():
    windows = FixedWindows(Rate(1000, 60), FakeClock())
    allowed = []

    def worker():
        allowed.extend(windows.hit("k").allowed for _ in range(500))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 1000 and windows.hit("k").remaining == 0
    assert windows.refused == 8 * 500 - 1000 + 1
    windows.reset()
    assert windows.refused == 0 and len(windows) == 0


# ------------------------------------------------------------------------------------------------ injected 429s
def arm(sb, **fault):
    armed = requests.post(f"{sb.root_url}/_sandbox/faults", json=fault, timeout=TIMEOUT,
                          headers={"Authorization": f"Bearer {sb.api_key}"})
    assert armed.status_code in (200, 201), armed.text


def test_an_injected_429_is_the_published_one_with_its_headers(make_sandbox):
    sb = make_sandbox(seed="empty")
    arm(sb, path="/v2/oauth_clients", status=429, reset=7)
    refused = get(sb)
    assert_published_429(refused)
    assert limits(refused) == (20, 0, 7)  # FAULT_LIMIT when the sandbox itself enforces none
    assert get(sb).status_code == 200  # one fault, one answer


def test_an_injected_429_reports_the_sandbox_limit_and_its_retry_after_when_asked(make_sandbox):
    sb = make_sandbox(seed="empty", rate_limit="50/min")
    arm(sb, path="/v2/oauth_clients", status=429, retry_after=2.5)
    refused = get(sb)
    assert refused.status_code == 429 and refused.json()["errors"] == [PUBLISHED_429]
    assert refused.headers["Retry-After"] == "2.5" and limits(refused) == (50, 0, 3)


def test_only_a_registration_post_meets_the_flood_limit(make_sandbox):
    sb = make_sandbox(seed="empty", registration_rate_limit="1/min")
    for method in ("OPTIONS", "GET"):
        answer = requests.request(method, url(sb, "/oauth/register"), timeout=TIMEOUT)
        assert "x-ratelimit-limit" not in answer.headers, method
    assert register(sb).status_code == 201  # the one place of the minute is still there


def test_http_basic_counts_for_the_client_named_before_the_first_colon_and_nothing_else_does(make_sandbox):
    """Wrong secrets (even ones holding colons) still count for the client they name; a credential that is not
    strict base64, or sent under another scheme, counts for the caller's address."""
    import base64

    sb = make_sandbox(rate_limit="5/min")
    raw = base64.b64encode(f"{sb.demo_client_id}:x".encode()).decode()
    sb.rate_limits.reset()

    def token_request(authorization):
        return requests.post(url(sb, "/oauth/token"), data={"grant_type": "client_credentials"},
                             headers={"Authorization": authorization}, timeout=TIMEOUT)

    assert limits(token_request(basic(sb.demo_client_id, "wrong:secret:with:colons")))[1] == 4
    assert limits(token_request(basic(sb.demo_client_id, "another")))[1] == 3  # the same client's window
    assert limits(token_request("Basic  " + raw))[1] == 2  # extra space before the credential: still the client
    assert limits(token_request("Basic @" + raw))[1] == 4  # not base64: the address's own window
    assert limits(token_request("Token " + raw))[1] == 3  # another scheme: the address again


def metadata(sb, session=None):
    return (session or requests).get(f"{sb.root_url}/.well-known/oauth-authorization-server", timeout=TIMEOUT)


def test_the_authorize_page_counts_for_the_client_its_query_names(make_sandbox):
    """A browser has no credential: the ``client_id`` of the authorize URL says whose window it is."""
    sb = make_sandbox(rate_limit="1/min", seed="empty")

    def authorize(client_id):
        return requests.get(url(sb, "/oauth/authorize"), params={"client_id": client_id, "response_type": "code"},
                            allow_redirects=False, timeout=TIMEOUT)

    assert limits(authorize("app-one"))[1] == 0
    assert limits(authorize("app-two"))[1] == 0  # another client's window
    assert_published_429(authorize("app-one"))
    assert metadata(sb).status_code == 200  # and the address's own window is untouched


def test_a_client_id_in_a_body_that_is_not_a_form_counts_for_the_address(make_sandbox):
    """Only an OAuth form body (RFC 6749 section 4.1.3, application/x-www-form-urlencoded) names a client: a
    multipart body is not parsed for one."""
    sb = make_sandbox(rate_limit="2/min", seed="empty")
    multipart = requests.post(url(sb, "/oauth/token"), files={"client_id": (None, "app-one"),
                                                              "grant_type": (None, "client_credentials")},
                              timeout=TIMEOUT)
    assert multipart.status_code == 400 and limits(multipart)[1] == 1
    assert limits(metadata(sb))[1] == 0  # the same window as the multipart body's


class _FromAddress(requests.adapters.HTTPAdapter):
    """Connect from another loopback address (Linux answers for all of 127.0.0.0/8)."""

    def __init__(self, address: str):
        self._address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self._address, 0)
        super().init_poolmanager(*args, **kwargs)


@pytest.fixture
def second_address():
    with requests.Session() as session:
        session.mount("http://", _FromAddress("127.0.0.2"))
        yield session


def test_each_source_address_has_its_own_window(make_sandbox, second_address):
    sb = make_sandbox(rate_limit="1/min", seed="empty", registration_rate_limit="1/min")
    assert metadata(sb).status_code == 200 and metadata(sb, second_address).status_code == 200
    assert_published_429(metadata(sb))
    flood = make_sandbox(seed="empty", registration_rate_limit="1/min")
    assert register(flood).status_code == 201
    assert second_address.post(url(flood, "/oauth/register"), json={"client_name": "other"},
                               timeout=TIMEOUT).status_code == 201  # the flood limit is per address too
    assert_published_429(register(flood))


def test_of_two_windows_left_alike_a_registration_shows_the_general_one(make_sandbox):
    """The answer describes the flood window only when it is the tighter one (fewer requests left)."""
    sb = make_sandbox(seed="empty", rate_limit="3/min", registration_rate_limit="2/min")
    assert limits(metadata(sb)) == (3, 2, 60)
    assert limits(register(sb)) == (3, 1, 60)  # 1 left in either window: the general one is shown


def test_an_expired_window_is_dropped_and_only_it():
    clock, windows = windows_a_and_b()
    clock.now += 6  # "a" is over, "b" is not
    windows.hit("c")
    assert len(windows) == 2 and not windows.hit("b").allowed


def test_a_reopened_window_moves_behind_the_older_ones():
    """Windows are kept in the order they end, so dropping the expired ones from the front finds them all."""
    clock, windows = windows_a_and_b()
    clock.now += 6
    windows.hit("a")  # a new window, ending at 1021: behind "b"
    clock.now += 5  # 1016: "b" is over, "a" is not
    windows.hit("c")
    assert len(windows) == 2


def test_a_window_reopened_after_the_clock_stepped_back_is_the_newest_and_evicted_last():
    clock = FakeClock()
    windows = FixedWindows(Rate(1, 10), clock, max_keys=3)
    windows.hit("x")  # ends at 1010
    clock.now += 5
    windows.hit("y")  # ends at 1015
    clock.now += 0.05
    windows.hit("z")  # ends at 1015.05
    clock.now -= 0.15  # 1004.9: "y" and "z" now end more than a period ahead
    assert windows.hit("y").allowed  # a new window for "y", the newest of all
    windows.hit("w")  # past max_keys: the oldest ("x") goes
    windows.hit("v")  # and then "z", not the newly opened "y"
    assert not windows.hit("y").allowed

"""The request log's records on their own (``telnyx_nb.api.request_log``): what a listener sees of an attempt,
masked, with no server. Records of real exchanges are checked in tests/api/test_retries.py.
"""

from __future__ import annotations

import datetime as dt
import logging

import requests

from telnyx_nb.api.request_log import RequestLog, RequestRecord, make_record, preview_body
from telnyx_nb.core.errors import APITimeoutError

KEY = "KEY" + "q" * 55


def test_a_json_body_is_shown_as_json_even_with_values_json_cannot_write():
    when = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
    assert preview_body({"name": "x", "at": when}, None) == '{"name": "x", "at": "2026-12-01 12:00:00+00:00"}'


def test_a_form_body_repeats_a_field_per_value():
    assert preview_body(None, {"scope": ["a", "b"], "grant_type": "client_credentials"}) == \
        "scope=a&scope=b&grant_type=client_credentials"


def test_secrets_in_a_body_are_masked():
    shown = preview_body(None, {"client_secret": KEY})
    assert KEY not in shown and shown.startswith("client_secret=")
    assert KEY not in preview_body({"api_key": KEY}, None)


def test_no_body_is_none():
    assert preview_body(None, None) is None and preview_body(None, {}) is None


def test_an_attempt_without_an_answer_records_the_url_it_would_have_sent():
    failure = APITimeoutError("GET /x: no answer")
    record = make_record("GET", "http://127.0.0.1:9/v2/x", None, failure, 0.25, 2, None, {"page[size]": 100})
    assert record.url == "http://127.0.0.1:9/v2/x?page%5Bsize%5D=100"
    assert (record.status, record.error, record.attempt, record.request_id) == (None, "GET /x: no answer", 2, None)
    assert record.request_headers == {} and record.as_curl() == "curl -X GET 'http://127.0.0.1:9/v2/x?page%5Bsize%5D=100'"


def test_an_answered_attempt_records_what_was_sent_masked():
    request = requests.Request("POST", "http://127.0.0.1:9/v2/oauth/token", headers={"Authorization": f"Bearer {KEY}"},
                               data={"grant_type": "client_credentials"}).prepare()
    response = requests.Response()
    response.status_code = 200
    response.request = request
    response.headers["x-request-id"] = "req-1"
    record = make_record("POST", request.url, response, None, 0.1, 1, "grant_type=client_credentials", None)
    assert (record.status, record.request_id) == (200, "req-1")
    assert KEY not in str(record.request_headers) and KEY not in record.as_curl()
    assert "--data grant_type=client_credentials" in record.as_curl()


def test_the_log_hands_each_record_to_every_listener_and_logs_it(caplog):
    seen = []
    log = RequestLog()
    log.add(seen.append)
    log.add(lambda record: 1 / 0)  # a broken listener is logged, not raised
    record = RequestRecord("GET", "http://127.0.0.1:9/v2/x", 200, 0.01)
    with caplog.at_level(logging.DEBUG, logger="telnyx_nb.api"):
        log(record)
    assert seen == [record]
    assert "GET http://127.0.0.1:9/v2/x → 200" in caplog.text and "listener" in caplog.text
    log.remove(seen.append)
    log.remove(seen.append)  # removing twice is harmless
    log(record)
    assert seen == [record]

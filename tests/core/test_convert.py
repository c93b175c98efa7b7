"""The converters records declare for their fields read every spelling a lax server sends, and fail closed where a
wrong guess would grant something — unit tests, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from telnyx_nb.core.convert import active, audience, enum, flag, parse_datetime, seconds, secret_expiry, tuple_of

NOON = datetime(2026, 1, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    ["2026-01-01T12:00:00Z", "2026-01-01T12:00:00+00:00", "2026-01-01T13:30:00+01:30", "2026-01-01T12:00:00",
     1767268800, 1767268800.0, "1767268800", datetime(2026, 1, 1, 12)],
)
def test_every_spelling_of_a_date_time_is_the_same_utc_instant(value):
    parsed = parse_datetime(value)
    assert parsed == NOON and parsed.utcoffset() == timedelta(0)


def test_an_aware_datetime_keeps_its_instant():
    assert parse_datetime(datetime(2026, 1, 1, 14, tzinfo=timezone(timedelta(hours=2)))) == NOON


def test_an_absent_or_empty_date_time_is_none_and_garbage_is_an_error():
    assert parse_datetime(None) is None and parse_datetime("") is None
    with pytest.raises(ValueError):
        parse_datetime("yesterday")


def test_a_naive_or_offset_date_time_comes_back_in_utc():
    assert parse_datetime("2026-01-01T12:00:00").tzinfo is UTC
    assert parse_datetime("2026-01-01T13:30:00+01:30").tzinfo == UTC


@pytest.mark.parametrize("value, expected", [(True, True), (False, False), (None, None), ("true", True),
                                             (" FALSE ", False), (1, True), (0, False), (2, None), ("yes", None)])
def test_flags_read_lax_spellings_and_anything_else_is_unknown(value, expected):
    assert flag(value) is expected


@pytest.mark.parametrize("value, expected", [(True, True), ("true", True), (" True ", True), (False, False),
                                             ("false", False), (1, False), ("yes", False), (None, False)])
def test_active_is_true_only_for_a_true_boolean_or_its_string(value, expected):
    """RFC 7662 §2.2: ``active`` is a boolean; ``bool("false")`` would call a revoked token active."""
    assert active(value) is expected


def test_scope_lists_come_as_lists_or_space_separated_strings():
    assert tuple_of(["a", "b"]) == ("a", "b") and tuple_of("a  b") == ("a", "b") and tuple_of(None) == ()


def test_enums_compare_lower_case_and_other_values_pass_through():
    assert enum(" Confidential ") == "confidential" and enum(None) is None and enum(3) == 3


def test_expires_in_spelled_as_text_or_float_is_whole_seconds():
    assert seconds("3600") == seconds(3600.0) == seconds("3600.0") == 3600
    assert seconds(None) is None and seconds("") is None
    with pytest.raises(ValueError):
        seconds("soon")


def test_a_secret_expiry_of_zero_means_never_and_a_list_audience_reads_as_one_string():
    assert secret_expiry(0) is None and secret_expiry(1767268800) == NOON  # RFC 7591 §3.2.1
    assert audience(["x", "y"]) == "x y" and audience("x") == "x" and audience(None) is None

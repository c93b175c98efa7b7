"""Masking at its edges: the length boundaries of a stub, what ``remember`` keeps, which text is scrubbed and which is
left readable, header mappings, and the log filter. Each test pins a line of ``telnyx_nb.core.masking`` that a one-line
change would break (found by ``make mutate MODULES=masking``; named for what it pins, the edges).
"""

from __future__ import annotations

import logging
import secrets

from telnyx_nb.core.masking import (
    ELLIPSIS,
    MaskingFilter,
    mask,
    mask_mapping,
    mask_text,
    mask_third_party_logs,
    register_secret_names,
    remember,
    secret_names,
)

KEY55 = "KEY" + "A1b2C3d4E5" * 5 + "zZ_-9"  # the published shape: KEY + 55 characters
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyIn0.c2lnbmF0dXJlLXZhbHVl"


def fresh(n: int = 24) -> str:
    """A secret no other test has remembered (the registry is process-wide)."""
    return "s" + secrets.token_hex(n)[: n - 1]


# ------------------------------------------------------------------------------------------ mask(): stub length
def test_a_sixteen_character_secret_keeps_four_leading_and_two_trailing_characters():
    assert mask("0123456789abcdef") == "0123" + ELLIPSIS + "ef"


def test_a_fifteen_character_secret_keeps_only_two_leading_characters():
    assert mask("0123456789abcde") == "01" + ELLIPSIS


def test_an_eight_character_secret_keeps_two_leading_characters_and_a_seven_character_one_none():
    assert mask("01234567") == "01" + ELLIPSIS
    assert mask("0123456") == ELLIPSIS


def test_mask_of_a_non_string_uses_its_text():
    assert mask(1234567890123456) == "1234" + ELLIPSIS + "56"


def test_an_already_masked_stub_is_returned_unchanged_but_a_long_text_with_an_ellipsis_is_masked():
    assert mask("KEY0" + ELLIPSIS + "wx") == "KEY0" + ELLIPSIS + "wx"
    assert mask("ab" + ELLIPSIS) == "ab" + ELLIPSIS
    long_with_ellipsis = "abcd" + ELLIPSIS + "efghijklmnop"  # 17 characters: a secret, not a stub
    assert mask(long_with_ellipsis) == "abcd" + ELLIPSIS + "op"
    assert mask("abcdef" + ELLIPSIS + "gh") == "ab" + ELLIPSIS  # 9 characters: over a stub's length
    assert mask("abcde" + ELLIPSIS + "fg") == "abcde" + ELLIPSIS + "fg"  # 8 characters: still a stub


# ------------------------------------------------------------------------------------------------ remember()
def test_a_remembered_six_character_value_is_masked_but_a_five_character_one_is_not():
    six, five = "q" + secrets.token_hex(3)[:5], "z" + secrets.token_hex(2)  # fresh: the registry is process-wide
    remember(six)
    remember(five)
    out = mask_text(f"values {six} and {five}")
    assert six not in out
    assert five in out


def test_remember_ignores_empty_and_none_values():
    remember(None, "", 0)
    assert mask_text("None and 0 stay") == "None and 0 stay"


def test_a_remembered_non_string_value_is_masked_by_its_text():
    number = int("9" + secrets.token_hex(8).translate(str.maketrans("abcdef", "123456")))
    remember(number)
    assert str(number) not in mask_text(f"id {number} here")


def test_many_remembered_secrets_are_all_masked_across_sealed_and_merged_batches():
    values = [fresh(20 + i % 3) for i in range(150)]  # more than 8 × 8: seals batches and merges them
    for value in values:
        remember(value)
    out = mask_text(" | ".join(values))
    leaked = [v for v in values if v in out]
    assert leaked == []
    assert out.count(ELLIPSIS) == len(values)


def test_secrets_remembered_together_are_all_masked():
    values = [fresh(18) for _ in range(20)]
    remember(*values)
    out = mask_text(" ".join(values))
    assert [v for v in values if v in out] == []


def test_a_remembered_secret_that_contains_another_is_masked_whole():
    inner = fresh(12)
    outer = "pre" + inner + "post" + fresh(10)
    remember(inner)
    remember(outer)
    out = mask_text(f"[{outer}]")
    assert out == "[" + mask(outer) + "]"
    assert inner not in out and "post" not in out


def test_a_remembered_secret_that_extends_another_is_masked_whole_not_just_its_prefix():
    short = fresh(12)
    long = short + "TAIL" + fresh(8)
    remember(short, long)  # one batch: the longer one must be tried first
    assert mask_text(long) == mask(long)


def test_adjacent_remembered_secrets_are_masked_one_by_one():
    a, b = fresh(16), fresh(16)
    remember(a)
    remember(b)
    assert mask_text(a + b) == mask(a) + mask(b)


def test_overlapping_remembered_secrets_are_masked_as_their_union():
    a, b, c = fresh(10), fresh(10), fresh(10)
    left, right = a + b, b + c  # they overlap in b
    remember(left)
    for _ in range(9):  # push `left` into a sealed batch so the two come from different patterns
        remember(fresh(14))
    remember(right)
    out = mask_text(f"<{a}{b}{c}>")
    assert a not in out and b not in out and c not in out
    assert out == "<" + mask(a + b + c) + ">"


def test_text_around_a_remembered_secret_is_kept_verbatim():
    value = fresh(20)
    remember(value)
    assert mask_text(f"before {value} after") == f"before {mask(value)} after"


# --------------------------------------------------------------------------------------- mask_text(): shapes
def test_mask_text_of_none_is_empty_and_of_a_non_string_is_its_text():
    assert mask_text(None) == ""
    assert mask_text(12) == "12"


def test_a_bearer_credential_is_masked_and_the_scheme_and_spacing_kept():
    token = "AbCdEf0123456789xyz"
    assert mask_text(f"Authorization: Bearer  {token}") == f"Authorization: Bearer  {mask(token)}"
    assert mask_text(f"basic {token}") == f"basic {mask(token)}"


def test_prose_after_the_word_bearer_is_left_readable():
    assert mask_text("the Bearer credential is missing") == "the Bearer credential is missing"


def test_a_json_secret_field_is_masked_whatever_its_case_and_spacing():
    out = mask_text('{"Client_Secret" :  "verysecretvalue1234"}')
    assert out == '{"Client_Secret" :  "' + mask("verysecretvalue1234") + '"}'


def test_a_json_code_field_is_a_telnyx_error_code_and_stays_readable():
    assert mask_text('{"code": "10009abcdefgh"}') == '{"code": "10009abcdefgh"}'


def test_a_query_secret_is_masked_up_to_the_next_parameter():
    out = mask_text("https://x/cb?state=s1&code=abcdefgh12345678&iss=y")
    assert out == "https://x/cb?state=s1&code=" + mask("abcdefgh12345678") + "&iss=y"


def test_a_query_secret_name_is_matched_case_insensitively_and_stops_at_a_quote_or_space():
    out = mask_text("ACCESS_TOKEN=abcdefgh12345678 'x'")
    assert out == "ACCESS_TOKEN=" + mask("abcdefgh12345678") + " 'x'"
    assert mask_text('code=abcdefgh12"rest') == "code=" + mask("abcdefgh12") + '"rest'


def test_a_name_that_only_ends_in_a_secret_name_is_not_a_secret_parameter():
    assert mask_text("zipcode=12345678") == "zipcode=12345678"
    assert mask_text("post_code=1234567890") == "post_code=1234567890"


def test_a_jwt_is_masked_whole_and_a_short_eyj_word_is_not():
    assert mask_text(f"token {JWT} end") == f"token {mask(JWT)} end"
    assert mask_text("eyJa.bcde.fg") == "eyJa.bcde.fg"


def test_a_jwt_with_an_empty_signature_is_masked():
    unsigned = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyIn0."
    assert unsigned not in mask_text(unsigned)


def test_a_published_shape_api_key_is_masked_even_glued_to_a_word():
    assert mask_text(f"Bearer%20{KEY55}") == f"Bearer%20{mask(KEY55)}"
    assert mask_text(f"x-api-key{KEY55}") == f"x-api-key{mask(KEY55)}"


def test_an_older_api_key_shape_is_masked_at_a_word_start():
    old = "KEY" + "a1" * 8  # KEY + 16
    assert mask_text(f"key {old}!") == f"key {mask(old)}!"
    assert mask_text("KEY" + "a" * 15) == "KEY" + "a" * 15  # too short to be a key


def test_a_name_registered_as_secret_hides_its_values_in_query_and_json_text():
    """What a record class of one's own does when defined (``@record``); a fresh name, since the registry is
    process-wide and a name registered before would make the call a no-op."""
    name = "x" + secrets.token_hex(4) + "_signing_key"
    value = fresh()
    assert value in mask_text(f"{name}={value}")
    register_secret_names(name)
    assert name in secret_names()
    assert value not in mask_text(f"{name}={value}")
    assert value not in mask_text(f'{{"{name}": "{value}"}}')


# ----------------------------------------------------------------------------------------------- mask_mapping
def test_mask_mapping_of_nothing_is_an_empty_dict():
    assert mask_mapping(None) == {}
    assert mask_mapping({}) == {}


def test_mask_mapping_keeps_the_authorization_scheme_readable():
    token = "AbCdEf0123456789xyz"
    out = mask_mapping({"Authorization": f"Bearer {token}", "Proxy-Authorization": f"Basic {token}"})
    assert out == {"Authorization": f"Bearer {mask(token)}", "Proxy-Authorization": f"Basic {mask(token)}"}


def test_mask_mapping_masks_an_authorization_header_given_as_bytes():
    token = "AbCdEf0123456789xyz"
    out = mask_mapping({"Authorization": f"Bearer {token}".encode(), "proxy-authorization": f"Basic {token}".encode()})
    assert token not in str(out)


def test_mask_mapping_masks_cookies_and_secret_named_fields_whole():
    out = mask_mapping({"Cookie": "session=abcdefghijklmnopqrstuvwxyz", "Client_Secret": "abcdefghijklmnop",
                        "code": "12345678"})
    assert out == {"Cookie": mask("session=abcdefghijklmnopqrstuvwxyz"), "Client_Secret": mask("abcdefghijklmnop"),
                   "code": mask("12345678")}


def test_mask_mapping_scrubs_other_text_values_and_passes_other_values_through():
    out = mask_mapping({"X-Note": f"saw {JWT}", "page": 2, "flags": ["a"], "Accept": "application/json"})
    assert out == {"X-Note": f"saw {mask(JWT)}", "page": 2, "flags": ["a"], "Accept": "application/json"}


# ----------------------------------------------------------------------------------------------- log filter
def _record(msg, args=None):
    return logging.LogRecord("urllib3.connectionpool", logging.DEBUG, __file__, 1, msg, args, None)


def test_the_log_filter_masks_a_formatted_message_and_drops_its_arguments():
    record = _record('"GET /oauth/consent?code=%s HTTP/1.1" 200', ("abcdefgh12345678",))
    assert MaskingFilter().filter(record) is True
    assert record.getMessage() == '"GET /oauth/consent?code=' + mask("abcdefgh12345678") + ' HTTP/1.1" 200'
    assert record.args is None


def test_the_log_filter_leaves_a_clean_record_untouched():
    record = _record("GET /%s 200", ("health",))
    assert MaskingFilter().filter(record) is True
    assert record.msg == "GET /%s 200" and record.args == ("health",)


def test_the_log_filter_lets_a_broken_record_through():
    record = _record("%s %s", ("only one",))
    assert MaskingFilter().filter(record) is True
    assert record.msg == "%s %s"


def test_third_party_loggers_get_the_masking_filter_once():
    name = "telnyx-nb-test-" + secrets.token_hex(4)
    mask_third_party_logs((name,))
    mask_third_party_logs((name,))
    filters = [f for f in logging.getLogger(name).filters if isinstance(f, MaskingFilter)]
    assert len(filters) == 1


def test_urllib3_request_lines_are_masked_by_default(caplog):
    import telnyx_nb.api.send_loop  # noqa: F401  (importing the transport attaches the filter)

    logger = logging.getLogger("urllib3.connectionpool")
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logger.debug('"GET /v2/x?access_token=%s HTTP/1.1" 200', "abcdefgh12345678")
    assert "abcdefgh12345678" not in caplog.text

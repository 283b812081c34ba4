"""Page cursors are signed: a caller can only hand back a cursor this system gave out for the same list."""

from __future__ import annotations

import base64
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.errors import InvalidInput
from chalicelib.kernel.cursors import MAX_CURSOR_CHARS, decode_cursor, encode_cursor

SECRET = "test-secret"
SCOPE = "applications/by_status/submitted/asc"
KEY = {"application_id": "AP000012", "status": "submitted", "submitted_at": "2025-06-02T10:00:00+09:00"}


def refused(cursor, scope: str = SCOPE, secret: str = SECRET) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        decode_cursor(secret, scope, cursor)
    assert caught.value.fields == {"cursor": "一覧を最初から開き直してください"}
    assert caught.value.message == "ページ指定が正しくありません"
    return caught.value


def test_a_cursor_round_trips_and_is_safe_in_a_query_string():
    cursor = encode_cursor(SECRET, SCOPE, KEY)
    assert cursor and cursor.isascii() and all(c.isalnum() or c in "-_." for c in cursor)
    assert decode_cursor(SECRET, SCOPE, cursor) == KEY


def test_no_key_means_no_next_page_and_no_cursor_means_the_first_page():
    assert encode_cursor(SECRET, SCOPE, None) is None
    assert encode_cursor(SECRET, SCOPE, {}) is None
    assert decode_cursor(SECRET, SCOPE, None) is None
    assert decode_cursor(SECRET, SCOPE, "") is None


def test_a_cursor_of_another_list_or_another_secret_is_refused():
    cursor = encode_cursor(SECRET, SCOPE, KEY)
    refused(cursor, scope="applications/by_status/approved/asc")
    refused(cursor, scope="stores/by_status/submitted/asc")
    refused(cursor, secret="another-secret")


def test_a_tampered_key_is_refused():
    cursor = encode_cursor(SECRET, SCOPE, KEY)
    payload, signature = cursor.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({**KEY, "application_id": "AP000001"}).encode()).decode().rstrip("=")
    refused(f"{forged}.{signature}")
    refused(f"{payload}.{signature[:-2]}")
    refused(payload)  # the old, unsigned form


@pytest.mark.parametrize("cursor", [
    "eyJhIjoiYiJ9", ".", "a.b.c", "%%%", "\udfff", "ｅｙＪ.ｈ", "A" * (MAX_CURSOR_CHARS + 1), ["x"], 12, {"a": "b"},
])
def test_garbage_is_refused(cursor):
    refused(cursor)


@pytest.mark.parametrize("key", [{"a": 1}, {"a": ""}, {"a": ["x"]}, {"a": None}])
def test_only_non_empty_string_attributes_come_back_even_when_signed(key):
    # We only ever issue string keys; anything else would be a bug upstream, and must not reach DynamoDB.
    refused(encode_cursor(SECRET, SCOPE, key))


def test_a_signed_cursor_that_is_not_an_object_is_refused():
    payload = base64.urlsafe_b64encode(b"[1,2]").decode().rstrip("=")
    from chalicelib.kernel import cursors

    signature = cursors._b64(cursors._mac(SECRET, SCOPE, payload))
    refused(f"{payload}.{signature}")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_any_text_is_either_refused_cleanly_or_never_a_valid_cursor(text):
    with pytest.raises(InvalidInput):
        decode_cursor(SECRET, SCOPE, text or "x")

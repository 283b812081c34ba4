"""Masking, signed links, fingerprints, body parsing, settings."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.errors import InvalidInput, LinkExpired, MalformedRequest
from chalicelib.kernel.fingerprints import fingerprint, normalise_email, normalise_phone
from chalicelib.kernel.input_errors import parse_json_object
from chalicelib.kernel.masking import mask_account_number, mask_email, mask_name, mask_phone
from chalicelib.kernel.signed_links import make_resubmit_token, read_resubmit_token
from chalicelib.settings import SettingsError, load_settings

NOW = datetime.fromisoformat("2025-06-02T10:00:00+09:00")


def test_masks_hide_all_but_a_hint():
    assert mask_account_number("1234567") == "****567"
    assert mask_phone("09012345678") == "*******5678"
    assert mask_email("hanako@example.com") == "h***@example.com"
    assert mask_name("山田花子") == "山＊＊＊"


def test_resubmit_links_expire_and_are_bound_to_the_secret():
    token = make_resubmit_token("s3cret-0123456789abcdef0123456789", "AP000001", 2, NOW, days=14)
    assert read_resubmit_token("s3cret-0123456789abcdef0123456789", token, NOW + timedelta(days=13)) == ("AP000001", 2)
    with pytest.raises(LinkExpired):
        read_resubmit_token("s3cret-0123456789abcdef0123456789", token, NOW + timedelta(days=14))
    with pytest.raises(InvalidInput):
        read_resubmit_token("other-0123456789abcdef0123456789", token, NOW)
    with pytest.raises(InvalidInput):
        read_resubmit_token("s3cret-0123456789abcdef0123456789", token[:-3] + "abc", NOW)


def test_fingerprints_are_keyed_and_normalised():
    a = fingerprint("k1-0123456789abcdef0123456789abcd", "phone", normalise_phone("022-391-5518"))
    assert a == fingerprint("k1-0123456789abcdef0123456789abcd", "phone", normalise_phone("022(391)5518"))
    assert a != fingerprint("k2-0123456789abcdef0123456789abcd", "phone", normalise_phone("022-391-5518"))
    assert "0223915518" not in a
    assert normalise_email(" Shop@Example.COM ") == "shop@example.com"


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"\xff\xfe", b'{"a": "\\u0001"}', b"x" * 20000])
def test_unreadable_bodies_are_malformed_requests(raw):
    with pytest.raises(MalformedRequest) as info:
        parse_json_object(raw, 16384)
    assert info.value.fields


def test_settings_fail_loudly_with_the_missing_variable():
    with pytest.raises(SettingsError) as info:
        load_settings({"STAGE": "local"})
    assert "APPLICATIONS_TABLE" in str(info.value)

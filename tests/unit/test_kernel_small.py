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
from chalicelib.stores import bank_links, reconfirmation
from chalicelib.stores import changes as store_changes

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


_SECRET = "s3cret-0123456789abcdef0123456789"
_EXP = int((NOW + timedelta(days=3)).timestamp())
#: Each reader of a signed link: its purpose, the claims of a good link, what it answers for one.
_READERS = {
    "resubmit": (read_resubmit_token, {"pur": "resubmit", "sub": "AP000001", "rnd": 2, "exp": _EXP},
                 ("AP000001", 2)),
    "store-change": (store_changes.read_link_token, {"pur": store_changes._LINK_PURPOSE, "sub": "MP000001",
                                                      "exp": _EXP}, "MP000001"),
    "reconfirm": (reconfirmation.read_token, {"pur": reconfirmation._PURPOSE, "sub": "MP000001", "exp": _EXP},
                  "MP000001"),
    "bank-confirm": (bank_links.read_token, {"pur": bank_links._PURPOSE, "sub": "MP000001", "chg": "C1",
                                             "exp": _EXP}, ("MP000001", "C1")),
}
#: Correctly signed claims of the wrong type: each must be refused like a tampered link (a 4xx), never a 500.
_MALFORMED: list[dict[str, object]] = [
    {"rnd": "x"}, {"rnd": 1.5}, {"rnd": None}, {"rnd": True}, {"rnd": [2]},
    {"exp": "soon"}, {"exp": "99999999999"}, {"exp": 1.0e12}, {"exp": [1]}, {"exp": {"a": 1}}, {"exp": True},
    {"sub": 123}, {"sub": ""}, {"sub": ["AP000001"]}, {"sub": {"id": 1}}, {"sub": "A" * 101},
    {"chg": 5}, {"chg": None},
]


@pytest.mark.parametrize("reader", sorted(_READERS))
@pytest.mark.parametrize("change", _MALFORMED, ids=repr)
def test_a_signed_link_with_a_malformed_claim_is_refused_like_a_tampered_one(reader, change):
    import jwt

    read, claims, answer = _READERS[reader]
    assert read(_SECRET, jwt.encode(claims, _SECRET, algorithm="HS256"), NOW) == answer  # the good link reads
    name = next(iter(change))
    if name not in claims:
        claims = {**claims, **change}  # an extra claim of any type is simply not read
        assert read(_SECRET, jwt.encode(claims, _SECRET, algorithm="HS256"), NOW) == answer
        return
    with pytest.raises(InvalidInput) as refused:
        read(_SECRET, jwt.encode({**claims, **change}, _SECRET, algorithm="HS256"), NOW)
    assert refused.value.fields == {"token": "メールに記載されたリンクをそのまま開いてください"}


@pytest.mark.parametrize("reader", sorted(_READERS))
@pytest.mark.parametrize("token", [None, 5, "", "x" * 2001, "not.a.jwt"])
def test_a_link_that_is_not_a_token_is_refused(reader, token):
    with pytest.raises(InvalidInput):
        _READERS[reader][0](_SECRET, token, NOW)


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

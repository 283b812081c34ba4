"""Per-field envelope encryption (chalicelib/kernel/field_crypto.py) and its KMS data-key cache
(chalicelib/adapters/kms.py, with a fake KMS client): real AES-GCM, no AWS."""

from __future__ import annotations

import os

import pytest

from chalicelib.adapters.kms import ENCRYPTION_CONTEXT, KmsKeySource
from chalicelib.kernel.field_crypto import (
    INQUIRY,
    PERSONAL,
    EnvelopeCipher,
    SealError,
    StaticKeySource,
    is_sealed,
    kind_of,
    open_tree,
)


class FakeKms:
    """GenerateDataKey / Decrypt with a master key held here; counts calls."""

    def __init__(self) -> None:
        self.master = os.urandom(32)
        self.calls: list[str] = []

    def generate_data_key(self, KeyId: str, KeySpec: str, EncryptionContext: dict[str, str]) -> dict[str, bytes]:
        assert EncryptionContext == ENCRYPTION_CONTEXT
        self.calls.append("generate")
        plain = os.urandom(32)
        return {"Plaintext": plain, "CiphertextBlob": b"wrapped:" + bytes(a ^ b for a, b in zip(plain, self.master, strict=True))}

    def decrypt(self, CiphertextBlob: bytes, EncryptionContext: dict[str, str]) -> dict[str, bytes]:
        assert EncryptionContext == ENCRYPTION_CONTEXT
        self.calls.append("decrypt")
        body = CiphertextBlob.removeprefix(b"wrapped:")
        return {"Plaintext": bytes(a ^ b for a, b in zip(body, self.master, strict=True))}


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_a_sealed_value_opens_to_what_was_sealed_and_shows_nothing_of_it():
    cipher = EnvelopeCipher(StaticKeySource())
    token = cipher.seal("phone", "09048217736")
    assert is_sealed(token) and token.startswith("enc:v1:phone:") and "0904821" not in token
    assert kind_of(token) == "phone"
    assert cipher.open(token) == "09048217736"
    # a fresh nonce each time: equal values do not give equal tokens
    assert cipher.seal("phone", "09048217736") != token


def test_legacy_plaintext_opens_as_it_is_and_sealing_twice_is_a_no_op():
    cipher = EnvelopeCipher(StaticKeySource())
    assert cipher.open("0223915518") == "0223915518"
    token = cipher.seal("email", "a@example.com")
    assert cipher.seal("email", token) == token


@pytest.mark.parametrize("tamper", [
    lambda t: t.replace("enc:v1:phone:", "enc:v1:email:"),  # relabelled: the header is associated data
    lambda t: t[:-3] + ("AAA" if not t.endswith("AAA") else "BBB"),  # ciphertext changed
    lambda t: t.rsplit(":", 1)[0],  # truncated
])
def test_a_tampered_value_does_not_open(tamper):
    cipher = EnvelopeCipher(StaticKeySource())
    with pytest.raises(SealError):
        cipher.open(tamper(cipher.seal("phone", "09048217736")))


def test_a_value_sealed_under_another_key_does_not_open():
    token = EnvelopeCipher(StaticKeySource()).seal("phone", "09048217736")
    with pytest.raises(SealError):
        EnvelopeCipher(StaticKeySource()).open(token)


def test_the_spec_seals_personal_attributes_wherever_they_sit_and_nothing_else():
    cipher = EnvelopeCipher(StaticKeySource())
    item = {"store_id": "MP000001", "store_name": "テスト商店", "address": "仙台市", "phone": "0223915518",
            "bank": {"bank_code": "0125", "account_number": "7654321", "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ"},
            "changes": {"email": "x@example.com"}, "before": {"email": ""}, "fields": ["phone", "email"]}
    sealed = PERSONAL.seal(cipher, item)
    assert sealed["store_name"] == "テスト商店" and sealed["address"] == "仙台市" and sealed["store_id"] == "MP000001"
    assert sealed["bank"]["bank_code"] == "0125" and sealed["fields"] == ["phone", "email"]
    assert all(is_sealed(v) for v in (sealed["phone"], sealed["bank"]["account_number"],
                                      sealed["bank"]["holder_kana"], sealed["changes"]["email"]))
    assert sealed["before"]["email"] == ""  # an empty value says nothing: left as it is
    assert item["phone"] == "0223915518"  # the caller's item is not changed
    assert open_tree(cipher, sealed) == item
    assert PERSONAL.count(sealed) == {"phone": (1, 0), "account_number": (1, 0), "holder_kana": (1, 0),
                                      "email": (1, 0)}
    assert PERSONAL.count(item)["phone"] == (0, 1)


def test_an_inquiry_callers_whole_record_is_sealed():
    cipher = EnvelopeCipher(StaticKeySource())
    sealed = INQUIRY.seal(cipher, {"summary": "問い合わせ", "caller": {"name": "宮城 次郎テスト", "phone": "08055123390"}})
    assert sealed["summary"] == "問い合わせ"
    assert all(is_sealed(v) and kind_of(v) == "caller" for v in sealed["caller"].values())


def test_no_cipher_leaves_items_as_they_are():
    item = {"phone": "0223915518"}
    assert PERSONAL.seal(None, item) is item and open_tree(None, item) is item


def test_one_data_key_seals_many_fields_until_it_ages_then_kms_is_asked_again():
    kms, clock = FakeKms(), Clock()
    source = KmsKeySource("alias/test", max_age=300, client=lambda: kms, clock=clock)
    cipher = EnvelopeCipher(source)
    tokens = [cipher.seal("phone", f"02239155{n:02d}") for n in range(20)]
    assert kms.calls == ["generate"]
    assert [cipher.open(t) for t in tokens] == [f"02239155{n:02d}" for n in range(20)]
    assert kms.calls == ["generate"]  # the key it generated is cached for opening too
    clock.t += 301
    cipher.seal("phone", "0223915599")
    assert kms.calls == ["generate", "generate"]


def test_opening_asks_kms_once_per_data_key_and_the_cache_is_bounded():
    kms, clock = FakeKms(), Clock()
    writer = EnvelopeCipher(KmsKeySource("k", max_age=1, client=lambda: kms, clock=clock))
    tokens = []
    for n in range(5):
        tokens.append(writer.seal("email", f"shop{n}@example.com"))
        clock.t += 2  # a new data key for each
    reader_source = KmsKeySource("k", max_age=600, cache_size=3, client=lambda: kms, clock=clock)
    reader = EnvelopeCipher(reader_source)
    kms.calls.clear()
    assert [reader.open(t) for t in tokens * 2] == [f"shop{n}@example.com" for n in range(5)] * 2
    # five keys through a three-key LRU in order: every open of the second pass missed again
    assert kms.calls.count("decrypt") == 10
    kms.calls.clear()
    for _ in range(4):
        reader.open(tokens[4])
    assert kms.calls == []
    clock.t += 601  # an unwrapped key is forgotten after max_age
    reader.open(tokens[4])
    assert kms.calls == ["decrypt"]


def test_the_key_source_never_shows_a_plaintext_key():
    kms = FakeKms()
    source = KmsKeySource("alias/test", client=lambda: kms)
    key = source.current()
    assert key.plaintext.hex() not in repr(key) and str(key.plaintext) not in repr(key)
    assert "alias/test" in repr(source) and key.plaintext.hex() not in repr(source)

"""Whole-file sealing (chalicelib/kernel/field_crypto.py `seal_bytes` / `open_bytes`) and the table of
sealed object kinds (chalicelib/adapters/files.py `SEALED`): real AES-GCM, no AWS."""

from __future__ import annotations

import pytest

from chalicelib.adapters.files import SEALED, sealed_kind
from chalicelib.kernel.field_crypto import (
    MAGIC,
    EnvelopeCipher,
    SealError,
    StaticKeySource,
    is_sealed_bytes,
    purpose_of,
)

TRANSFER = ("1210000000000ﾐﾔｷﾞﾎﾟｲﾝﾄｼﾞﾑｷｮｸ\r\n2012500001ｼﾗｶﾜ ﾐﾄﾞﾘ 8642097\r\n").encode("cp932")
KEY = b"settlements/2025-06/zengin-sogo-furikomi-2025-06.txt"


@pytest.fixture
def cipher() -> EnvelopeCipher:
    return EnvelopeCipher(StaticKeySource())


def test_a_sealed_body_opens_to_the_exact_bytes_and_carries_none_of_them(cipher):
    sealed = cipher.seal_bytes("settlement-document", TRANSFER, KEY)
    assert sealed.startswith(MAGIC) and is_sealed_bytes(sealed)
    assert purpose_of(sealed) == "settlement-document"
    assert b"8642097" not in sealed and "ｼﾗｶﾜ".encode("cp932") not in sealed
    assert cipher.open_bytes(sealed, KEY) == TRANSFER
    # A fresh nonce each time: the same body never seals to the same bytes.
    assert cipher.seal_bytes("settlement-document", TRANSFER, KEY) != sealed


def test_sealing_is_idempotent_and_an_empty_body_round_trips(cipher):
    sealed = cipher.seal_bytes("settlement-document", TRANSFER, KEY)
    assert cipher.seal_bytes("settlement-document", sealed, KEY) == sealed
    empty = cipher.seal_bytes("privacy-record", b"", b"k")
    assert is_sealed_bytes(empty) and cipher.open_bytes(empty, b"k") == b""


@pytest.mark.parametrize("at", [len(MAGIC) + 1, -40, -1])
def test_a_flipped_byte_anywhere_does_not_open(cipher, at):
    sealed = bytearray(cipher.seal_bytes("settlement-document", TRANSFER, KEY))
    sealed[at] ^= 0x01
    with pytest.raises(SealError):
        cipher.open_bytes(bytes(sealed), KEY)


def test_a_sealed_object_copied_to_another_key_or_truncated_does_not_open(cipher):
    sealed = cipher.seal_bytes("settlement-document", TRANSFER, KEY)
    with pytest.raises(SealError):
        cipher.open_bytes(sealed, b"settlements/2025-07/zengin-sogo-furikomi-2025-07.txt")
    for cut in (len(MAGIC) + 1, len(MAGIC) + 5, len(sealed) - 20):
        with pytest.raises(SealError):
            cipher.open_bytes(sealed[:cut], KEY)


def test_another_key_source_cannot_open_it(cipher):
    sealed = cipher.seal_bytes("settlement-document", TRANSFER, KEY)
    with pytest.raises(SealError):
        EnvelopeCipher(StaticKeySource()).open_bytes(sealed, KEY)


def test_a_relabelled_purpose_does_not_open(cipher):
    sealed = cipher.seal_bytes("settlement-document", TRANSFER, KEY)
    at = len(MAGIC)
    relabelled = sealed[:at + 1] + b"X" + sealed[at + 2:]
    assert purpose_of(relabelled).startswith("X")
    with pytest.raises(SealError):
        cipher.open_bytes(relabelled, KEY)


@pytest.mark.parametrize("body", [TRANSFER, b"%PDF-1.7\n...", b"PK\x03\x04xlsx", b"", b"MIYAPO-SEALED"])
def test_a_legacy_plaintext_body_passes_through_unchanged(cipher, body):
    assert not is_sealed_bytes(body)
    assert cipher.open_bytes(body, KEY) == body


def test_a_purpose_is_one_short_ascii_line(cipher):
    for bad in ("", "a\nb", "x" * 256):
        with pytest.raises(ValueError):
            cipher.seal_bytes(bad, b"x")
    with pytest.raises(UnicodeEncodeError):
        cipher.seal_bytes("精算", b"x")


def test_the_table_seals_the_operators_personal_files_and_leaves_the_prefectures_prefix_plain():
    assert sealed_kind("settlements/2025-06/zengin-sogo-furikomi-2025-06.txt") is not None
    assert sealed_kind("settlements/2025-06/notices/MP000001.txt") is not None
    assert sealed_kind("privacy/disposal/DR000001/certificate.pdf") is not None
    assert sealed_kind("stores/kit-batches/KB000001/handoff.csv") is not None
    for plain in ("prefecture/settlements/2025-06/statement-2025-06.csv", "prefecture/year-end/2025/index.json",
                  "prefecture/access-reports/2025-06.csv", "usage/U1.csv", "reports/usage/U1.json",
                  "ledger/txids/U1.txt.gz", "sessions/manuals/v1.pdf"):
        assert sealed_kind(plain) is None, plain
    assert all(k.purpose.isascii() and k.prefix.endswith("/") and k.why for k in SEALED)
    assert len({k.prefix for k in SEALED}) == len(SEALED)

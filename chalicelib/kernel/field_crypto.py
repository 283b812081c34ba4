"""Per-field envelope encryption of personal data (issue 13, 別記2): pure, no AWS.

A sealed value is one string, self-contained, safe to store in any DynamoDB attribute:

    enc:v1:<kind>:<encrypted data key, base64url>:<nonce + AES-256-GCM ciphertext and tag, base64url>

- `kind` names the field (`phone`, `account_number`…); the header `enc:v1:<kind>:<edk>` is the GCM
  associated data, so a token cannot be relabelled or given another wrapped key without failing to open.
- The data key is wrapped by KMS (GenerateDataKey); its plaintext exists only in the key source's bounded,
  time-limited cache (chalicelib/adapters/kms.py), never in an item or a log. Carrying the wrapped key in
  each token costs ~250 characters per field and saves a key table: any reader with kms:Decrypt opens it.
- `open()` of a value that is not sealed answers it unchanged: readers tolerate legacy plaintext while
  `python -m scripts.encrypt_fields` migrates existing items.

`SealSpec` says which attributes of a table's items are personal: `fields` are sealed wherever they
occur in the item tree (a store's `phone`, a change request's `changes.bank.account_number`), `subtrees`
have every string inside them sealed (an inquiry's `caller`). Duplicate detection does not read these
values: it uses keyed fingerprints (chalicelib/kernel/fingerprints.py), computed before sealing.

Whole files (S3 objects that carry personal data: the bank's transfer file, payment notices…) are sealed
the same way, as bytes (`seal_bytes` / `open_bytes`; which objects: chalicelib/adapters/files.py):

    MIYAPO-SEALED-1\n | purpose length (1 byte) | purpose (ASCII) | wrapped key length (2 bytes, big-endian)
    | wrapped key | nonce (12 bytes) | AES-256-GCM ciphertext of the whole body and tag (16 bytes)

The GCM associated data is everything before the nonce plus the caller's `context` (the object key), so
a sealed object neither opens under another purpose nor when copied to another key. `open_bytes` answers a
body that does not start with the magic unchanged (legacy plaintext, not yet migrated).
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from typing import Any, Protocol

PREFIX = "enc:v1:"
_NONCE_BYTES = 12
#: The first bytes of a sealed file (no text or document format starts with them).
MAGIC = b"MIYAPO-SEALED-1\n"


class SealError(ValueError):
    """A sealed value that does not open (tampered, truncated, or wrapped by another key)."""


@dataclass(frozen=True)
class DataKey:
    """A data key: `plaintext` (32 bytes, kept in memory only) and `wrapped` (KMS ciphertext, stored)."""

    plaintext: bytes
    wrapped: bytes

    def __repr__(self) -> str:  # never print the key
        return f"DataKey(wrapped={len(self.wrapped)} bytes)"


class KeySource(Protocol):
    def current(self) -> DataKey:
        """The data key new values are sealed with (rotated by the source)."""
        ...

    def unwrap(self, wrapped: bytes) -> bytes:
        """The plaintext of a wrapped data key (cached by the source)."""
        ...


class FieldCipher(Protocol):
    def seal(self, kind: str, plaintext: str) -> str: ...

    def open(self, token: str) -> str: ...

    def seal_bytes(self, purpose: str, body: bytes, context: bytes = b"") -> bytes: ...

    def open_bytes(self, blob: bytes, context: bytes = b"") -> bytes: ...


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class EnvelopeCipher:
    """AES-256-GCM under data keys from a KeySource (KMS in the cloud and locally, a fake in unit tests)."""

    def __init__(self, keys: KeySource) -> None:
        self.keys = keys

    def seal(self, kind: str, plaintext: str) -> str:
        if is_sealed(plaintext):
            return plaintext
        if ":" in kind:
            raise ValueError("a field kind has no colon")
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # lazily: cold start

        key = self.keys.current()
        header = f"{PREFIX}{kind}:{_b64(key.wrapped)}"
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(key.plaintext).encrypt(nonce, plaintext.encode("utf-8"), header.encode("ascii"))
        return f"{header}:{_b64(nonce + sealed)}"

    def open(self, token: str) -> str:
        if not is_sealed(token):
            return token  # legacy plaintext, not yet migrated
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        header, sep, body = token.rpartition(":")
        parts = header.split(":")
        if not sep or len(parts) != 4:
            raise SealError("malformed sealed value")
        try:
            raw = _unb64(body)
            key = self.keys.unwrap(_unb64(parts[3]))
            plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], header.encode("ascii"))
        except (InvalidTag, ValueError) as exc:
            raise SealError("sealed value does not open") from exc
        return plain.decode("utf-8")

    def seal_bytes(self, purpose: str, body: bytes, context: bytes = b"") -> bytes:
        """`body` sealed whole for `purpose` (ASCII, no newline), bound to `context`; sealed input as is."""
        if is_sealed_bytes(body):
            return body
        name = purpose.encode("ascii")
        if not name or len(name) > 255 or b"\n" in name:
            raise ValueError("a purpose is 1..255 ASCII characters on one line")
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = self.keys.current()
        header = MAGIC + bytes([len(name)]) + name + len(key.wrapped).to_bytes(2, "big") + key.wrapped
        nonce = os.urandom(_NONCE_BYTES)
        return header + nonce + AESGCM(key.plaintext).encrypt(nonce, body, header + context)

    def open_bytes(self, blob: bytes, context: bytes = b"") -> bytes:
        """The body of a sealed blob (SealError if it does not open); a blob that is not sealed as is."""
        if not is_sealed_bytes(blob):
            return blob
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            header, wrapped = _sealed_header(blob)
            raw = blob[len(header):]
            if len(raw) < _NONCE_BYTES + 16:
                raise ValueError("truncated")
            key = self.keys.unwrap(wrapped)
            return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], header + context)
        except (InvalidTag, ValueError) as exc:
            raise SealError("sealed file does not open") from exc


def is_sealed_bytes(blob: bytes) -> bool:
    return blob.startswith(MAGIC)


def _sealed_header(blob: bytes) -> tuple[bytes, bytes]:
    """(the header of a sealed blob — the associated data — and its wrapped key); ValueError if malformed."""
    at = len(MAGIC)
    if len(blob) < at + 1:
        raise ValueError("truncated header")
    at += 1 + blob[at]
    if len(blob) < at + 2:
        raise ValueError("truncated header")
    size = int.from_bytes(blob[at:at + 2], "big")
    at += 2
    end = at + size
    if size == 0 or len(blob) < end:
        raise ValueError("truncated header")
    return blob[:end], blob[at:end]


def purpose_of(blob: bytes) -> str:
    """The purpose a sealed blob names (its header; no decryption)."""
    if not is_sealed_bytes(blob):
        raise ValueError("not a sealed file")
    at = len(MAGIC)
    return blob[at + 1:at + 1 + blob[at]].decode("ascii")


def kind_of(token: str) -> str:
    """The field kind a sealed value names (its header; no decryption)."""
    if not is_sealed(token):
        raise ValueError("not a sealed value")
    return token.split(":")[2]


@dataclass(frozen=True)
class SealSpec:
    """The personal attributes of one table's items (see the module docstring)."""

    fields: frozenset[str] = frozenset()
    subtrees: frozenset[str] = frozenset()

    def seal(self, cipher: FieldCipher | None, value: Any) -> Any:
        """`value` (an item, or a part of one) with its personal strings sealed; a copy."""
        return value if cipher is None else self._walk(value, lambda kind, s: cipher.seal(kind, s), None)

    def _walk(self, value: Any, fn: Any, kind: str | None) -> Any:
        # `kind`: the personal attribute this part of the item sits under (None outside of any).
        if isinstance(value, dict):
            return {k: self._walk(v, fn, kind or (k if k in self.fields or k in self.subtrees else None))
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self._walk(v, fn, kind) for v in value]
        if kind is not None and isinstance(value, str) and value:
            return fn(kind, value)
        return value

    def count(self, value: Any) -> dict[str, tuple[int, int]]:
        """Per kind: (sealed, plaintext) personal strings in `value` — for the migration's report."""
        found: dict[str, list[int]] = {}

        def tally(kind: str, s: str) -> str:
            found.setdefault(kind, [0, 0])[0 if is_sealed(s) else 1] += 1
            return s

        self._walk(value, tally, None)
        return {k: (v[0], v[1]) for k, v in found.items()}


def open_tree(cipher: FieldCipher | None, value: Any) -> Any:
    """`value` with every sealed string opened, wherever it is (the reader needs no spec); a copy."""
    if cipher is None:
        return value
    if isinstance(value, dict):
        return {k: open_tree(cipher, v) for k, v in value.items()}
    if isinstance(value, list):
        return [open_tree(cipher, v) for v in value]
    if is_sealed(value):
        return cipher.open(value)
    return value


class StaticKeySource:
    """A fixed in-memory data key (unit tests and twins): real AES-GCM, no KMS."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key or os.urandom(32)
        self._wrapped = b"static:" + os.urandom(8)

    def current(self) -> DataKey:
        return DataKey(self._key, self._wrapped)

    def unwrap(self, wrapped: bytes) -> bytes:
        if wrapped != self._wrapped:
            raise ValueError("unknown data key")
        return self._key


#: Applications, stores and store change requests: the applicant's and the store's personal attributes,
#: wherever they sit (application `data`, a store's `bank`, a change request's `changes`/`before`).
#: The store's name and business address stay plain: they are published on the public store list.
PERSONAL = SealSpec(fields=frozenset({"account_number", "holder_kana", "phone", "email", "representative"}))
#: Inquiries: the caller's name and phone (`caller`) and a contact given in the inquiry form.
INQUIRY = SealSpec(fields=PERSONAL.fields, subtrees=frozenset({"caller"}))
#: The mail outbox: the address and the body (it names the person and, for some mails, their data).
OUTBOX = SealSpec(fields=frozenset({"to", "body"}))

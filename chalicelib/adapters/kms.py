"""KMS data keys for per-field envelope encryption (chalicelib/kernel/field_crypto.py).

One data key (GenerateDataKey, AES-256) seals new values for `max_age` seconds or `max_uses` values, so
a request that seals ten fields calls KMS at most once. Unwrapped keys (Decrypt) are kept in a small LRU
bounded in size and age, so a list screen opening a hundred stores sealed under the same key calls KMS
once. Plaintext keys live only in this process's memory: never stored, never logged. Thread-safe (a
Lambda serves one request at a time, the local stack several).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from chalicelib.kernel.field_crypto import DataKey, EnvelopeCipher

#: Bound to every data key: a wrapped key unwraps only for this purpose, and CloudTrail names it.
ENCRYPTION_CONTEXT = {"app": "miyapo-ops", "purpose": "personal-fields"}


class KmsKeySource:
    def __init__(self, key_id: str, *, max_age: float = 300.0, max_uses: int = 10_000, cache_size: int = 64,
                 client: Callable[[], Any] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.key_id = key_id
        self.max_age = max_age
        self.max_uses = max_uses
        self.cache_size = cache_size
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._current: tuple[DataKey, float, int] | None = None
        self._unwrapped: OrderedDict[bytes, tuple[bytes, float]] = OrderedDict()
        #: KMS calls made (for tests and the migration's report)
        self.calls = 0

    def _kms(self) -> Any:
        if self._client is not None:
            return self._client()
        from chalicelib.adapters import aws  # boto3's kms client is built on first use only

        return aws.client("kms")

    def current(self) -> DataKey:
        with self._lock:
            now = self._clock()
            if self._current is not None:
                key, born, uses = self._current
                if now - born < self.max_age and uses < self.max_uses:
                    self._current = (key, born, uses + 1)
                    return key
            answer = self._kms().generate_data_key(KeyId=self.key_id, KeySpec="AES_256",
                                                 EncryptionContext=ENCRYPTION_CONTEXT)
            self.calls += 1
            key = DataKey(plaintext=answer["Plaintext"], wrapped=answer["CiphertextBlob"])
            self._current = (key, now, 1)
            self._remember(key.wrapped, key.plaintext, now)
            return key

    def unwrap(self, wrapped: bytes) -> bytes:
        with self._lock:
            now = self._clock()
            hit = self._unwrapped.get(wrapped)
            if hit is not None and now - hit[1] < self.max_age:
                self._unwrapped.move_to_end(wrapped)
                return hit[0]
            plaintext: bytes = self._kms().decrypt(CiphertextBlob=wrapped,
                                                           EncryptionContext=ENCRYPTION_CONTEXT)["Plaintext"]
            self.calls += 1
            self._remember(wrapped, plaintext, now)
            return plaintext

    def _remember(self, wrapped: bytes, plaintext: bytes, now: float) -> None:
        self._unwrapped[wrapped] = (plaintext, now)
        self._unwrapped.move_to_end(wrapped)
        while len(self._unwrapped) > self.cache_size:
            self._unwrapped.popitem(last=False)

    def __repr__(self) -> str:
        return f"KmsKeySource(key_id={self.key_id!r})"


def field_cipher(key_id: str, max_age: float = 300.0) -> EnvelopeCipher | None:
    """The cipher of FIELD_KEY_ID, or None when no key is configured (values are stored as they are)."""
    return EnvelopeCipher(KmsKeySource(key_id, max_age=max_age)) if key_id else None


def create_field_key(alias: str) -> str:
    """The key behind `alias`, created (symmetric, customer-managed) if the alias is unknown: the local
    stack's bootstrap (moto's KMS). In the cloud infra/ creates it."""
    from botocore.exceptions import ClientError

    from chalicelib.adapters import aws

    kms = aws.client("kms")
    try:
        return str(kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NotFoundException":
            raise
    key_id = str(kms.create_key(Description="miyapo personal data fields", KeyUsage="ENCRYPT_DECRYPT")
                 ["KeyMetadata"]["KeyId"])
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id

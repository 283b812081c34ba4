"""The store's initial console password at rest: AES-256-GCM with a key derived from the app secret.

The app provider issues each store a login id and an initial password for the app's console (the
prefecture's specification 7(1)ホ: the contractor hands them to the store). The password is kept only
until its letter is printed (chalicelib/stores/kit.py erases it then), and until then only encrypted:

- the key is HKDF-SHA256 over `settings.app_secret`, labelled with its purpose (`INFO`), so it is no
  other use's key (signed links, fingerprints) even though the secret is shared;
- each ciphertext has a fresh 96-bit nonce, and the store id is the associated data: a ciphertext
  copied onto another store's record does not decrypt;
- in the cloud the table is encrypted with the customer-managed KMS key as well (personal_data=True).

An answer's digest (`answer_digest`) is an HMAC of the whole answer under another derived key: a file
imported again is recognised as the same answer after its password was erased, without keeping it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

INFO = b"miyapo-ops/storekit/initial-password/v1"
DIGEST_INFO = b"miyapo-ops/storekit/answer-digest/v1"
PREFIX = "v1:"


class CredentialError(Exception):
    """A stored ciphertext that does not decrypt (another key, another store, altered)."""


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret.encode("utf-8"))


def encrypt_password(secret: str, store_id: str, password: str) -> str:
    """`v1:` + base64(nonce ‖ ciphertext ‖ tag), bound to `store_id`."""
    nonce = os.urandom(12)
    sealed = AESGCM(_derive(secret, INFO)).encrypt(nonce, password.encode("utf-8"), store_id.encode("utf-8"))
    return PREFIX + base64.b64encode(nonce + sealed).decode("ascii")


def decrypt_password(secret: str, store_id: str, token: str) -> str:
    if not token.startswith(PREFIX):
        raise CredentialError("unknown ciphertext version")
    try:
        raw = base64.b64decode(token[len(PREFIX):], validate=True)
        plain = AESGCM(_derive(secret, INFO)).decrypt(raw[:12], raw[12:], store_id.encode("utf-8"))
    except (InvalidTag, ValueError) as exc:
        raise CredentialError("the stored password does not decrypt") from exc
    return plain.decode("utf-8")


def answer_digest(secret: str, store_id: str, login_id: str, password: str, qr_payload: str) -> str:
    """A keyed digest of one answer row (never the password itself)."""
    message = "\x1f".join((store_id, login_id, password, qr_payload)).encode("utf-8")
    return hmac.new(_derive(secret, DIGEST_INFO), message, hashlib.sha256).hexdigest()

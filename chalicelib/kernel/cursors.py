"""Page cursors: DynamoDB's LastEvaluatedKey handed to the caller and back, signed.

A caller may only hand back a cursor this system gave out for the same list: the key is signed
(HMAC-SHA256 with the application secret) together with its scope (table, index and partition:
what the list is). A crafted or tampered cursor, or one from another list, never reaches DynamoDB
(which answers a foreign ExclusiveStartKey with a ValidationException): it is bad input, 422.

Form: `<payload>.<signature>`, both base64url without padding (safe in a query string as is).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

from chalicelib.errors import InvalidInput

#: Far above any key we issue (a few ids and timestamps), far below what would cost anything to check.
MAX_CURSOR_CHARS = 2048


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, scope: str, payload: str) -> bytes:
    # "cursor" keeps these MACs apart from every other use of the secret (fingerprints, links).
    return hmac.new(secret.encode(), f"cursor\n{scope}\n{payload}".encode(), hashlib.sha256).digest()


def _refused() -> InvalidInput:
    return InvalidInput("ページ指定が正しくありません", {"cursor": "一覧を最初から開き直してください"})


def encode_cursor(secret: str, scope: str, key: dict[str, Any] | None) -> str | None:
    """The cursor for the page after `key` (DynamoDB's LastEvaluatedKey, plain values); None at the end."""
    if not key:
        return None
    payload = _b64(json.dumps(key, sort_keys=True, separators=(",", ":")).encode())
    return f"{payload}.{_b64(_mac(secret, scope, payload))}"


def decode_cursor(secret: str, scope: str, cursor: str | None) -> dict[str, str] | None:
    """The ExclusiveStartKey of a cursor this system issued for `scope`; InvalidInput for anything else."""
    if not cursor:
        return None
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise _refused()
    payload, dot, signature = cursor.partition(".")
    if not dot:
        raise _refused()
    try:
        given = _unb64(signature)
        expected = _mac(secret, scope, payload)
        if not hmac.compare_digest(given, expected):
            raise _refused()
        key = json.loads(_unb64(payload))
    except (ValueError, binascii.Error, RecursionError):
        raise _refused() from None
    # Our own keys are string attributes only; anything else is not a cursor we wrote.
    if not isinstance(key, dict) or not key or not all(isinstance(v, str) and v for v in key.values()):
        raise _refused()
    return key

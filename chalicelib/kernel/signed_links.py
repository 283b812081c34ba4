"""Signed, expiring links sent by mail (return for correction → fix and resubmit; a store's own links).

`read_link` is the one reader: a link that is not ours, is tampered with, or carries a claim of the
wrong type (a correctly signed `rnd: "x"` or `exp: "soon"`) is refused with the same clean InvalidInput;
only a well-formed link past its expiry is LinkExpired.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.errors import InvalidInput, LinkExpired

_PURPOSE = "resubmit"
BAD_LINK_FIELDS = {"token": "メールに記載されたリンクをそのまま開いてください"}
#: Longer than any link we sign; a longer one is not ours.
MAX_TOKEN_CHARS = 2000


def _bad(fields: dict[str, str]) -> InvalidInput:
    return InvalidInput("リンクが正しくありません", fields)


def read_link(secret: str, token: object, purpose: str, now: datetime, expired_message: str, *,
              strs: tuple[str, ...] = ("sub",), ints: tuple[str, ...] = (),
              bad_fields: dict[str, str] = BAD_LINK_FIELDS) -> dict[str, Any]:
    """The claims of a valid, unexpired link for `purpose`: `exp` and each of `ints` an integer, `sub`
    and each of `strs` a non-empty string. Anything else is InvalidInput; a link past `exp` (judged
    against the request's `now`, pinnable locally, not the wall clock) is LinkExpired."""
    import jwt  # lazily: most requests never read a link

    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise _bad(bad_fields)
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"verify_exp": False, "require": ["exp", *strs]})
    except jwt.PyJWTError:
        raise _bad(bad_fields) from None
    if not isinstance(claims, dict) or claims.get("pur") != purpose:
        raise _bad(bad_fields)
    for name in ("exp", *ints):
        value = claims.get(name)
        if isinstance(value, bool) or not isinstance(value, int):  # bool is an int in Python
            raise _bad(bad_fields)
    for name in strs:
        value = claims.get(name)
        if not isinstance(value, str) or not value or len(value) > 100:
            raise _bad(bad_fields)
    if int(now.timestamp()) >= claims["exp"]:
        raise LinkExpired(expired_message)
    return claims


def make_resubmit_token(secret: str, application_id: str, round_no: int, now: datetime, days: int) -> str:
    import jwt  # lazily: most requests never sign a link

    claims = {
        "sub": application_id, "rnd": round_no, "pur": _PURPOSE,
        "iat": int(now.timestamp()), "exp": int((now + timedelta(days=days)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_resubmit_token(secret: str, token: object, now: datetime) -> tuple[str, int]:
    """(application id, return round) of a valid link; the caller checks the round is current."""
    claims = read_link(secret, token, _PURPOSE, now, "修正用リンクの有効期限が切れています。事務局までお問い合わせください。",
                       ints=("rnd",))
    return claims["sub"], claims["rnd"]

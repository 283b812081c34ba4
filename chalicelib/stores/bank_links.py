"""Signed links that let a store confirm (or dispute) a change of its bank account from its
registered e-mail address. The link names one change: a later change makes it void."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.errors import InvalidInput, LinkExpired

_PURPOSE = "bank-confirm"
_BAD = {"token": "メールに記載されたリンクをそのまま開いてください"}


def make_token(secret: str, store_id: str, change_id: str, now: datetime, days: int) -> str:
    import jwt  # lazily: most requests never sign a link

    claims = {"sub": store_id, "chg": change_id, "pur": _PURPOSE,
              "iat": int(now.timestamp()), "exp": int((now + timedelta(days=days)).timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(secret: str, token: object, now: datetime) -> tuple[str, str]:
    """(store id, change id) of a valid link."""
    import jwt

    if not isinstance(token, str) or not token or len(token) > 2000:
        raise InvalidInput("リンクが正しくありません", _BAD)
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"],
                            options={"verify_exp": False, "require": ["exp", "sub", "chg"]})
    except jwt.PyJWTError:
        raise InvalidInput("リンクが正しくありません", _BAD) from None
    if claims.get("pur") != _PURPOSE:
        raise InvalidInput("リンクが正しくありません", _BAD)
    if int(now.timestamp()) >= int(claims["exp"]):
        raise LinkExpired("確認用リンクの有効期限が切れています。事務局までお問い合わせください。")
    return str(claims["sub"]), str(claims["chg"])

"""Signed links that let a store confirm (or dispute) a change of its bank account from its
registered e-mail address. The link names one change: a later change makes it void."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.kernel import signed_links

_PURPOSE = "bank-confirm"
_BAD = {"token": "メールに記載されたリンクをそのまま開いてください"}


def make_token(secret: str, store_id: str, change_id: str, now: datetime, days: int) -> str:
    import jwt  # lazily: most requests never sign a link

    claims = {"sub": store_id, "chg": change_id, "pur": _PURPOSE,
              "iat": int(now.timestamp()), "exp": int((now + timedelta(days=days)).timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(secret: str, token: object, now: datetime) -> tuple[str, str]:
    """(store id, change id) of a valid link."""
    claims = signed_links.read_link(secret, token, _PURPOSE, now,
                                    "確認用リンクの有効期限が切れています。事務局までお問い合わせください。",
                                    strs=("sub", "chg"), bad_fields=_BAD)
    return str(claims["sub"]), str(claims["chg"])

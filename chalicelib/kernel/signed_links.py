"""Signed, expiring links for applicants (return for correction → fix and resubmit)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.errors import InvalidInput, LinkExpired

_PURPOSE = "resubmit"


def make_resubmit_token(secret: str, application_id: str, round_no: int, now: datetime, days: int) -> str:
    import jwt  # lazily: most requests never sign a link

    claims = {
        "sub": application_id, "rnd": round_no, "pur": _PURPOSE,
        "iat": int(now.timestamp()), "exp": int((now + timedelta(days=days)).timestamp()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def read_resubmit_token(secret: str, token: str, now: datetime) -> tuple[str, int]:
    """(application id, return round) of a valid link; the caller checks the round is current."""
    import jwt

    try:
        claims = jwt.decode(
            token, secret, algorithms=["HS256"], options={"verify_exp": False, "require": ["exp", "sub"]}
        )
    except jwt.PyJWTError:
        raise InvalidInput("リンクが正しくありません", {"token": "メールに記載されたリンクをそのまま開いてください"}) from None
    if claims.get("pur") != _PURPOSE:
        raise InvalidInput("リンクが正しくありません", {"token": "メールに記載されたリンクをそのまま開いてください"})
    # Expiry is judged against the request's `now` (pinnable locally), not the wall clock.
    if int(now.timestamp()) >= int(claims["exp"]):
        raise LinkExpired("修正用リンクの有効期限が切れています。事務局までお問い合わせください。")
    return str(claims["sub"]), int(claims.get("rnd", 0))

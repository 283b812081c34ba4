"""The current time, always timezone-aware Asia/Tokyo.

In the local stage a request may pin the clock with `X-Miyapo-Now` (demos, training, tests);
every other stage ignores it. Services never read the clock: they get `now` as an argument.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.errors import InvalidInput

JST = ZoneInfo("Asia/Tokyo")


def now_jst() -> datetime:
    return datetime.now(JST)


def parse_aware(value: str, field: str = "now") -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("日時の形式が正しくありません", {field: "ISO 8601 形式（例: 2025-06-02T10:00:00+09:00）で指定してください"}) from None
    if parsed.tzinfo is None:
        raise InvalidInput("日時にタイムゾーンがありません", {field: "タイムゾーン付き（例: +09:00）で指定してください"})
    return parsed.astimezone(JST)


def request_now(headers: dict[str, str] | None, is_local: bool) -> datetime:
    """`now` for a request: the pinned clock in the local stage, the real one elsewhere."""
    if is_local and headers:
        pinned = headers.get("x-miyapo-now") or headers.get("X-Miyapo-Now")
        if pinned:
            return parse_aware(pinned, "X-Miyapo-Now")
    return now_jst()

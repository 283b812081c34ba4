"""The current time, always timezone-aware Asia/Tokyo.

In the local stage a request may pin the clock with `X-Miyapo-Now` (demos, training, tests);
every other stage ignores it. Services never read the clock: they get `now` as an argument.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from zoneinfo import ZoneInfo

from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import FIRST_SUPPORTED_DAY, LAST_SUPPORTED_DAY

JST = ZoneInfo("Asia/Tokyo")
FIRST_SUPPORTED = datetime.combine(FIRST_SUPPORTED_DAY, time.min, JST)
LAST_SUPPORTED = datetime.combine(LAST_SUPPORTED_DAY, time.max, JST)


def now_jst() -> datetime:
    return datetime.now(JST)


def parse_aware(value: str, field: str = "now") -> datetime:
    """An ISO 8601 time with an offset, as JST; InvalidInput (422) for anything else.

    Times outside the supported range (JST 2000-01-01 – 2100-12-31) are refused before any arithmetic:
    `0001-01-01T00:00:00+09:00` is a valid ISO string that overflows when moved to JST.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput("日時の形式が正しくありません", {field: "ISO 8601 形式（例: 2025-06-02T10:00:00+09:00）で指定してください"}) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise InvalidInput("日時にタイムゾーンがありません", {field: "タイムゾーン付き（例: +09:00）で指定してください"})
    # Comparing aware datetimes never overflows (it works on the offsets, not on shifted values).
    if not FIRST_SUPPORTED <= parsed <= LAST_SUPPORTED:
        raise InvalidInput("日時が対応範囲外です", {
            field: f"{FIRST_SUPPORTED_DAY.isoformat()} から {LAST_SUPPORTED_DAY.isoformat()} までの日時で指定してください"})
    return parsed.astimezone(JST)


def request_now(headers: Mapping[str, str] | None, is_local: bool) -> datetime:
    """`now` for a request: the pinned clock in the local stage, the real one elsewhere."""
    if is_local and headers:
        pinned = headers.get("x-miyapo-now") or headers.get("X-Miyapo-Now")
        if pinned:
            return parse_aware(pinned, "X-Miyapo-Now")
    return now_jst()

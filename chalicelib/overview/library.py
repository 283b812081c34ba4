"""The report library (issue 12 point 2): what each file under the prefecture's prefix is, and which
keys may be fetched. Pure.

Prefixes come from the areas that deliver (chalicelib/inquiries/config.py DAILY_PREFIX / MONTHLY_PREFIX,
chalicelib/settlement/release.py, chalicelib/sessions/reporting.py REPORT_PREFIX); a prefix not named
here is still listed, under its own name, so a new delivery is never hidden.
"""

from __future__ import annotations

import posixpath
import re
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

from chalicelib.errors import InvalidInput

PREFIX = "prefecture/"
KINDS: dict[str, str] = {
    "daily-inquiries": "問い合わせ日報",
    "monthly-inquiries": "問い合わせ月報",
    "settlements": "精算報告",
    "monthly-sessions": "相談会・アンケート報告",
    "year-end": "完了報告データ",
    "funds": "原資・手数料の請求",
}
#: Settlement files by their name's start (chalicelib/settlement/release.py).
SETTLEMENT_FILES = {"statement": "精算明細書", "summary": "精算概要"}
FORMATS = {"csv": "CSV", "xlsx": "Excel", "json": "JSON", "pdf": "PDF", "zip": "ZIP", "txt": "テキスト"}
CONTENT_TYPES = {
    "csv": "text/csv", "json": "application/json", "pdf": "application/pdf", "zip": "application/octet-stream",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "txt": "text/plain",
}
_MONTH = re.compile(r"(20\d{2})-(0[1-9]|1[0-2])(?:-(\d{2}))?")
_SAFE = re.compile(r"[A-Za-z0-9._\-/]+")
JST = timezone(timedelta(hours=9))
MAX_KEY = 512


def check_key(key: str | None) -> str:
    """A key that may be downloaded: under `prefecture/`, plain characters, no `..`, `//` or `./`."""
    bad = InvalidInput("ファイルの指定が正しくありません", {"key": "報告ファイル一覧のリンクから開いてください"})
    if not key or len(key) > MAX_KEY or not _SAFE.fullmatch(key) or not key.startswith(PREFIX):
        raise bad
    parts = key.split("/")
    if any(p in ("", ".", "..") for p in parts) or posixpath.normpath(key) != key:
        raise bad
    return key


def describe(key: str, size: int, last_modified: str) -> dict[str, Any]:
    """One delivered file as the library lists it."""
    rest = key[len(PREFIX):]
    kind = rest.split("/", 1)[0] if "/" in rest else "other"
    name = key.rsplit("/", 1)[-1]
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    m = _MONTH.search(name) or _MONTH.search(rest)
    month = f"{m.group(1)}-{m.group(2)}" if m else None
    day = f"{month}-{m.group(3)}" if m and m.group(3) else None
    label = KINDS.get(kind, kind)
    title = label
    if kind == "settlements":
        title = next((v for k, v in SETTLEMENT_FILES.items() if name.startswith(k)), label)
    period = day or month or ""
    return {
        "name": name, "key": key, "kind": kind, "kind_label": label,
        "title": f"{title} {period}".strip(), "format": FORMATS.get(ext, ext.upper() or "ファイル"),
        "month": month, "day": day, "size": size, "delivered_at": _jst(last_modified),
        "download": "reports/files/download?key=" + quote(key, safe="/"),
    }


def _jst(iso: str) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(JST).isoformat(timespec="seconds")
    except ValueError:
        return iso


def content_type(key: str) -> str:
    return CONTENT_TYPES.get(key.rsplit(".", 1)[-1].lower(), "application/octet-stream")

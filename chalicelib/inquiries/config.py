"""Call-center configuration: the prefecture's inquiry categories, the fixed code lists, hours and forecast.

The categories are the prefecture's list (docs/SPEC.md §2): the default below is used unless the
`INQUIRY_CATEGORIES` setting holds a JSON list of {"code", "label"}. Codes are stored with each
inquiry and never reused for another meaning; a label may change.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from chalicelib.kernel.calendars import CallCenterHours, OfficeHours
from chalicelib.settings import Settings


@dataclass(frozen=True)
class Category:
    code: str
    label: str


DEFAULT_CATEGORIES: tuple[Category, ...] = (
    Category("store_application", "参加申込・審査"),
    Category("store_payment", "精算・振込"),
    Category("store_operation", "店舗での決済・二次元コード"),
    Category("points_grant", "ポイントの付与・受取"),
    Category("points_use", "ポイントの利用・利用できる店舗"),
    Category("app", "アプリ・デジタル身分証の操作"),
    Category("eligibility", "対象者・対象外の商品"),
    Category("sessions", "相談会"),
    Category("complaint", "苦情・要望"),
    Category("other", "その他"),
)

CHANNELS: dict[str, str] = {"phone": "電話", "email": "メール", "web": "Webフォーム", "other": "その他"}
CALLER_TYPES: dict[str, str] = {"store": "店舗", "resident": "県民", "municipality": "市町村", "other": "その他"}
STATUSES: dict[str, str] = {"pending": "対応中", "escalated": "県へエスカレーション", "resolved": "解決"}
#: Statuses that still need work (the daily report's "open items").
OPEN_STATUSES: tuple[str, ...] = ("pending", "escalated")

#: Where the prefecture's deliveries go in the documents bucket (its prefix, docs/SPEC.md §4.7).
DAILY_PREFIX = "prefecture/daily-inquiries/"
MONTHLY_PREFIX = "prefecture/monthly-inquiries/"

_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}", re.ASCII)


def parse_categories(raw: str) -> tuple[Category, ...]:
    """The `INQUIRY_CATEGORIES` JSON: a non-empty list of {"code", "label"} with unique codes."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"INQUIRY_CATEGORIES is not JSON: {exc}") from None
    if not isinstance(data, list) or not data:
        raise ValueError("INQUIRY_CATEGORIES must be a non-empty JSON list")
    found: list[Category] = []
    for entry in data:
        if not isinstance(entry, dict) or set(entry) != {"code", "label"}:
            raise ValueError(f"INQUIRY_CATEGORIES entry {entry!r} must be {{\"code\", \"label\"}}")
        code, label = entry["code"], entry["label"]
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise ValueError(f"INQUIRY_CATEGORIES code {code!r} must be lower-case ASCII (a-z, 0-9, _)")
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"INQUIRY_CATEGORIES code {code!r} has no label")
        found.append(Category(code, label.strip()))
    if len({c.code for c in found}) != len(found):
        raise ValueError("INQUIRY_CATEGORIES has duplicate codes")
    return tuple(found)


@functools.cache
def _parsed(raw: str | None) -> tuple[Category, ...]:
    return parse_categories(raw) if raw else DEFAULT_CATEGORIES


def categories(settings: Settings) -> tuple[Category, ...]:
    return _parsed(settings.call_center.inquiry_categories)


def category_labels(settings: Settings) -> dict[str, str]:
    return {c.code: c.label for c in categories(settings)}


def call_center_hours(settings: Settings) -> CallCenterHours:
    return CallCenterHours(open=settings.call_center.call_center_open, close=settings.call_center.call_center_close,
                           service_start=settings.call_center.call_center_service_start,
                           service_end=settings.call_center.call_center_service_end)


def office_hours(settings: Settings) -> OfficeHours:
    return OfficeHours(start=settings.call_center.office_hours_start, end=settings.call_center.office_hours_end)

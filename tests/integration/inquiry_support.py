"""Helpers for the call-center integration tests: log inquiries with a pinned clock, read the sent mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

CALLER_NAME = "宮城 次郎テスト"
CALLER_PHONE = "080-5512-3390"


def at(iso: str) -> dict[str, str]:
    """The header that pins the clock of one request (local stage only)."""
    return {"X-Miyapo-Now": iso}


def inquiry_body(received_at: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "received_at": received_at, "channel": "phone", "caller_type": "resident", "category": "points_use",
        "summary": "ポイントが使える店舗を知りたい", "answer": "店舗検索の方法を案内", "status": "resolved",
    }
    body.update(overrides)
    return body


def log(api: Any, received_at: str, *, as_: str = "agent", **overrides: Any) -> str:
    """Log an inquiry a few minutes after it came in; answers its id."""
    logged = (datetime.fromisoformat(received_at) + timedelta(minutes=5)).isoformat()
    code, answer = api.call("POST", "/inquiries", inquiry_body(received_at, **overrides), as_=as_,
                            headers=at(logged))
    assert code == 201, answer
    return answer["inquiry_id"]


def run_job(api: Any, name: str, now: str) -> dict[str, Any]:
    code, report = api.call("POST", f"/jobs/{name}", {"now": now}, as_="admin")
    assert code == 200, report
    return report


def mail_to(api: Any, address: str, subject_part: str = "") -> list[dict[str, Any]]:
    return [m for m in api.mail() if m["destinations"]["ToAddresses"] == [address] and subject_part in m["subject"]]

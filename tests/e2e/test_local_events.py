"""The real local stack (`make run`) emulates S3 → EventBridge → Lambda: an export posted straight to
the local S3 with the console's presigned POST is imported with no manual step (scripts/local_events.py),
as S3's event imports it in the cloud. Over HTTP, like the console's browser."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from typing import Any

import pytest

from tests.e2e.conftest import Stack
from tests.s3_form import post_form

pytestmark = pytest.mark.e2e

HEADER = "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"


def _export(rows: int) -> bytes:
    tag = uuid.uuid4().hex[:8].upper()
    # A month no other test settles, for stores nobody registered: the file touches no round.
    return (HEADER + "".join(f"E{tag}{i:07d},2026-02-{1 + i % 28:02d} 09:30:00,MP98{i % 300:04d},未登録店,{1 + i % 999},利用\n"
                             for i in range(rows))).encode("utf-8")


def _follow(stack: Stack, import_id: str, seconds: float) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        status, report = stack.request("GET", f"/usage-imports/{import_id}", token="accountant")
        assert status == 200, report
        if report["status"] in ("committed", "rejected") or time.monotonic() > deadline:
            return report
        time.sleep(0.25)


def test_an_export_posted_to_the_local_s3_is_imported_by_the_emulated_event(stack: Stack) -> None:
    data = _export(80_000)  # ~5.6 MB: above what POST /usage-imports takes as a body
    assert len(data) > 4 * 1024 * 1024
    status, grant = stack.request("POST", "/usage-imports/uploads", {"filename": "usage-2032-01.csv", "size": len(data)},
                                  token="accountant")
    assert status == 201, grant
    assert grant["url"].startswith(stack.aws + "/")
    started = time.monotonic()
    status, headers, body = post_form(grant, data, origin=stack.base)
    assert status == 204, body
    assert headers.get("Access-Control-Allow-Origin") == stack.base  # the browser may read the answer
    report = _follow(stack, grant["import_id"], 30)
    assert report["status"] == "committed", report
    assert (report["rows"], report["accepted"], report["duplicates"], report["rejected_count"]) == (80_000, 80_000, 0, 0)
    assert report["size"] == len(data) and report["filename"] == "usage-2032-01.csv"
    assert report["unknown_store_count"] == 300 and len(report["unknown_stores"]) == 300
    assert time.monotonic() - started < 30


def test_the_console_page_may_post_to_the_local_s3(stack: Stack) -> None:
    with urllib.request.urlopen(f"{stack.base}/console/usage", timeout=10) as resp:
        csp = resp.headers["Content-Security-Policy"]
    connect = next(d for d in csp.split(";") if d.strip().startswith("connect-src")).split()[1:]
    assert connect == ["'self'", stack.aws]
    # The browser's preflight (an XHR with upload progress listeners sends one) is allowed.
    status, grant = stack.request("POST", "/usage-imports/uploads", {}, token="accountant")
    assert status == 201
    req = urllib.request.Request(grant["url"], method="OPTIONS", headers={
        "Origin": stack.base, "Access-Control-Request-Method": "POST"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.headers["Access-Control-Allow-Origin"] == stack.base


def test_a_body_too_big_for_api_gateway_is_refused_and_points_to_the_upload_screen(stack: Stack) -> None:
    data = _export(10) + b"#" * (4 * 1024 * 1024)
    status, body = stack.request_bytes("POST", "/usage-imports", data, token="accountant",
                                       headers={"Content-Type": "text/csv"})
    assert status == 413
    error = json.loads(body)["error"]
    assert error["code"] == "too_large" and "「利用実績」画面" in error["message"]


def test_a_small_body_is_still_imported_in_the_request_and_its_event_changes_nothing(stack: Stack) -> None:
    data = _export(25)
    status, body = stack.request_bytes("POST", "/usage-imports", data, token="accountant",
                                       headers={"Content-Type": "text/csv"})
    assert status == 201, body
    answer = json.loads(body)
    assert answer["status"] == "committed"
    time.sleep(2.5)  # the pump sees the object too: the repeated event finds the import done
    report = _follow(stack, answer["import_id"], 5)
    assert (report["status"], report["accepted"], report["duplicates"]) == ("committed", 25, 0)
    # The same bytes again: the answer says which import has them.
    status, body = stack.request_bytes("POST", "/usage-imports", data, token="accountant",
                                       headers={"Content-Type": "text/csv"})
    assert status == 201 and json.loads(body)["same_file_as"] == answer["import_id"]

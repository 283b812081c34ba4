"""Usage exports straight to S3 (issue 8): the presigned POST, the emulated S3 event, the small-file
body path and its 413, "this file was already imported", and the report's long lists kept in S3.

The browser's part is played by tests/s3_form.py (a multipart post with the console's Origin); the
event S3 would send is delivered by the local stack's pump (scripts/local_events.py), polled by hand.
"""

from __future__ import annotations

import json
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib.adapters import aws
from chalicelib.usage import service as usage
from scripts.local_events import LocalEventPump
from tests.fakes import with_setting
from tests.s3_form import policy, post_form

HEADER = "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"
CONSOLE_ORIGIN = "http://127.0.0.1:8000"  # PUBLIC_BASE_URL of the tests' local environment


def export(rows: int, tag: str = "U", month: str = "2025-09", store: str = "MP990002") -> bytes:
    lines = [f"{tag}{i:06d},{month}-{1 + i % 28:02d} 12:00:00,{store},未登録店,{100 + i % 50},利用\n" for i in range(rows)]
    return (HEADER + "".join(lines)).encode("utf-8")


def grant(api: Any, body: dict[str, Any] | None = None, as_: str = "accountant") -> dict[str, Any]:
    code, answer = api.call("POST", "/usage-imports/uploads", body if body is not None else {}, as_=as_)
    assert code == 201, answer
    return answer


def pump_for(deps: Any) -> LocalEventPump:
    from chalicelib.usage import events

    delivered: list[str] = []

    def handler(event: dict[str, Any]) -> Any:
        delivered.append(event["detail"]["object"]["key"])
        return events.on_object_created(deps, event["detail"], datetime.now(UTC))

    pump = LocalEventPump(deps.settings.buckets.uploads_bucket, handler)
    pump.delivered = delivered  # type: ignore[attr-defined]
    return pump


def upload_and_import(api: Any, deps: Any, data: bytes) -> dict[str, Any]:
    g = grant(api, {"filename": "usage.csv", "size": len(data)})
    status, _, body = post_form(g, data, origin=CONSOLE_ORIGIN)
    assert status in (200, 201, 204), body
    assert f"usage/{g['import_id']}.csv" in pump_for(deps).poll_once()
    code, report = api.call("GET", f"/usage-imports/{g['import_id']}", as_="accountant")
    assert code == 200
    return report


def post_body(api: Any, data: bytes, as_: str = "accountant") -> tuple[int, Any]:
    return api.call("POST", "/usage-imports", as_=as_, raw=data, headers={"Content-Type": "text/csv"})


# --- the presigned upload ----------------------------------------------------------------------


def test_the_console_gets_a_presigned_post_for_exactly_its_import_key(api, deps):
    g = grant(api, {"filename": "usage-2025-09.csv", "size": 1234})
    assert g["import_id"].startswith("IMP") and g["key"] == f"usage/{g['import_id']}.csv"
    assert g["method"] == "POST" and g["file_field"] == "file" and g["max_bytes"] == usage.MAX_UPLOAD_BYTES
    # Locally the browser posts to the local AWS (path style), the origin the page's CSP allows.
    assert g["url"] == f"{api.aws}/{deps.settings.buckets.uploads_bucket}"
    conditions = policy(g)["conditions"]
    assert {"key": g["key"]} in conditions
    assert ["content-length-range", 1, usage.MAX_UPLOAD_BYTES] in conditions
    assert {"Content-Type": "text/csv"} in conditions
    assert g["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"  # SigV4: the bucket is KMS-encrypted
    expires = datetime.fromisoformat(g["expires_at"])
    assert timedelta(seconds=usage.UPLOAD_URL_SECONDS - 60) < expires - datetime.now(UTC) <= \
        timedelta(seconds=usage.UPLOAD_URL_SECONDS)
    code, item = api.call("GET", f"/usage-imports/{g['import_id']}", as_="accountant")
    assert code == 200 and item["status"] == "awaiting_upload" and item["upload_expired"] is False
    assert item["filename"] == "usage-2025-09.csv" and item["size"] == 1234
    # Asking for an upload is audited (who, when, how big).
    logged = deps.audit.by_subject(f"import#{g['import_id']}")
    assert [e["action"] for e in logged] == ["usage_import.upload_url"]
    assert logged[0]["user"] == "accountant" and logged[0]["detail"]["size"] == 1234


def test_an_upload_to_s3_is_imported_by_the_emulated_event(api, deps):
    data = export(500)
    g = grant(api, {"filename": "usage.csv", "size": len(data)})
    status, headers, _ = post_form(g, data, origin=CONSOLE_ORIGIN)
    assert status == 204
    # The browser may read the answer: CORS for the console's origin.
    assert headers.get("Access-Control-Allow-Origin") in (CONSOLE_ORIGIN, "*")
    # Nothing is imported until the event arrives (as in the cloud) ...
    code, waiting = api.call("GET", f"/usage-imports/{g['import_id']}", as_="accountant")
    assert waiting["status"] == "awaiting_upload"
    pump = pump_for(deps)
    assert pump.poll_once() == [g["key"]]
    # ... and each object's event arrives once.
    assert pump.poll_once() == []
    code, report = api.call("GET", f"/usage-imports/{g['import_id']}", as_="accountant")
    assert code == 200 and report["status"] == "committed", report
    assert (report["rows"], report["accepted"], report["duplicates"], report["rejected_count"]) == (500, 500, 0, 0)
    assert report["size"] == len(data) and report["processing_started_at"] and report["same_file_as"] is None
    assert report["unknown_stores"] == [{"store_id": "MP990002", "name": "未登録店", "rows": 500,
                                         "points": sum(100 + i % 50 for i in range(500))}]
    listed = api.call("GET", "/usage-imports", as_="accountant")[1]["items"]
    assert next(i for i in listed if i["import_id"] == g["import_id"])["status"] == "committed"


def test_the_uploads_bucket_accepts_browser_posts_from_the_console_origin_only(api, deps):
    cors = aws.client("s3").get_bucket_cors(Bucket=deps.settings.buckets.uploads_bucket)["CORSRules"]
    assert cors == [{"AllowedOrigins": [CONSOLE_ORIGIN], "AllowedMethods": ["POST"], "AllowedHeaders": ["*"],
                     "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]
    g = grant(api)
    preflight = urllib.request.Request(g["url"], method="OPTIONS", headers={
        "Origin": CONSOLE_ORIGIN, "Access-Control-Request-Method": "POST"})
    with urllib.request.urlopen(preflight, timeout=10) as resp:
        assert resp.status == 200
        assert resp.headers["Access-Control-Allow-Origin"] == CONSOLE_ORIGIN
        assert "POST" in resp.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(("body", "field"), [
    ({"size": usage.MAX_UPLOAD_BYTES + 1}, "file"),
    ({"size": 0}, "file"),
    ({"size": "12"}, "size"),
    ({"size": True}, "size"),
    ({"size": 1.5}, "size"),
    ({"filename": ["a"]}, "filename"),
])
def test_an_upload_the_import_could_not_take_is_refused_before_it_starts(api, deps, body, field):
    code, answer = api.call("POST", "/usage-imports/uploads", body, as_="accountant")
    assert code == 422, answer
    assert field in answer["error"]["fields"] and not answer["error"]["message"].isascii()
    assert api.call("GET", "/usage-imports", as_="accountant")[1]["items"] == []


def test_only_accountants_get_an_upload(api):
    for role in ("screener", "agent", "coordinator", "prefecture", "admin"):
        code, _ = api.call("POST", "/usage-imports/uploads", {}, as_=role)
        assert code == 403, role
    assert api.call("POST", "/usage-imports/uploads", {})[0] == 401


def test_an_object_above_the_limit_is_rejected_whole_even_if_the_emulator_let_it_in(api, deps, monkeypatch):
    # S3 enforces the policy's content-length-range; moto does not, so the handler checks again.
    data = export(50)
    g = grant(api, {"size": 10})
    assert post_form(g, data)[0] == 204
    monkeypatch.setattr(usage, "MAX_UPLOAD_BYTES", len(data) - 1)
    pump_for(deps).poll_once()
    report = api.call("GET", f"/usage-imports/{g['import_id']}", as_="accountant")[1]
    assert report["status"] == "rejected" and "大きすぎます" in report["error"], report
    assert report["accepted"] == 0


def test_an_upload_never_made_shows_as_unfinished_once_its_url_expired(api, deps):
    g = grant(api)
    aws.table(deps.settings.tables.imports_table).update_item(
        Key={"import_id": g["import_id"]}, UpdateExpression="SET upload_expires_at = :t",
        ExpressionAttributeValues={":t": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()})
    listed = api.call("GET", "/usage-imports", as_="accountant")[1]["items"]
    shown = next(i for i in listed if i["import_id"] == g["import_id"])
    assert shown["status"] == "awaiting_upload" and shown["upload_expired"] is True
    # A settlement never counts it.
    assert g["import_id"] not in {i["import_id"] for i in usage.committed_imports(deps)}


# --- the small-file path (scripts) ---------------------------------------------------------------


def test_a_body_above_what_api_gateway_carries_is_refused_with_413_pointing_to_the_upload_screen(api, deps):
    code, answer = post_body(api, export(10) + b"x" * usage.MAX_BODY_BYTES)
    assert code == 413, answer
    assert answer["error"]["code"] == "too_large"
    assert "「利用実績」画面" in answer["error"]["message"] and "4MB" in answer["error"]["message"]
    assert api.call("GET", "/usage-imports", as_="accountant")[1]["items"] == []  # nothing registered


def test_the_body_limit_is_exact(api, deps, monkeypatch):
    data = export(20)
    monkeypatch.setattr(usage, "MAX_BODY_BYTES", len(data))
    code, answer = post_body(api, data)
    assert code == 201 and answer["status"] == "committed", answer
    assert post_body(api, data + b"\n")[0] == 413


def test_the_body_limit_fits_api_gateway_and_lambda():
    # text/csv is a binary media type: API Gateway passes it base64-encoded in a ≤ 6 MB Lambda payload.
    assert (usage.MAX_BODY_BYTES + 2) // 3 * 4 + 64 * 1024 < 6 * 1000 * 1000


# --- the same file again -------------------------------------------------------------------------


def test_posting_the_same_file_again_says_which_import_already_has_it(api, deps):
    data = export(40, tag="S")
    code, first = post_body(api, data)
    assert code == 201 and "same_file_as" not in first
    code, second = post_body(api, data)
    assert code == 201 and second["same_file_as"] == first["import_id"], second
    report = api.call("GET", f"/usage-imports/{second['import_id']}", as_="accountant")[1]
    assert report["status"] == "committed" and report["same_file_as"] == first["import_id"]
    assert (report["accepted"], report["duplicates"]) == (0, 40)
    # A different file that only repeats transactions is "nothing new", but not "the same file".
    code, third = post_body(api, data + export(0))  # the same rows, plus a second header: other bytes
    assert code == 201
    report = api.call("GET", f"/usage-imports/{third['import_id']}", as_="accountant")[1]
    assert report["same_file_as"] is None


def test_uploading_the_same_file_to_s3_again_says_so_too(api, deps):
    data = export(30, tag="Q")
    first = upload_and_import(api, deps, data)
    again = upload_and_import(api, deps, data)
    assert again["status"] == "committed" and again["same_file_as"] == first["import_id"]
    assert (again["accepted"], again["duplicates"]) == (0, 30)
    listed = api.call("GET", "/usage-imports", as_="accountant")[1]["items"]
    assert next(i for i in listed if i["import_id"] == again["import_id"])["same_file_as"] == first["import_id"]


def count_parses(monkeypatch) -> list[int]:
    calls: list[int] = []
    original = usage.parse_usage_export

    def counted(data, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(data.stat().st_size if isinstance(data, Path) else len(data))
        return original(data, *args, **kwargs)

    monkeypatch.setattr(usage, "parse_usage_export", counted)
    return calls


def test_the_same_file_keeps_its_rejected_lines_and_adds_no_usage(api, deps, monkeypatch):
    rows = export(6, tag="W", month="2025-10").decode().splitlines(keepends=True)
    data = "".join([*rows, rows[1], "W999999,2025-10-02 12:00:00,MP990002,店,abc,利用\n"]).encode()
    code, first = post_body(api, data)
    original = api.call("GET", f"/usage-imports/{first['import_id']}", as_="accountant")[1]
    assert (original["accepted"], original["duplicates"], original["rejected_count"]) == (6, 1, 1)
    usage_before = aws.table(deps.settings.tables.usage_table).query(
        KeyConditionExpression="#m = :m", ExpressionAttributeNames={"#m": "month"},
        ExpressionAttributeValues={":m": "2025-10"})["Items"]
    parses = count_parses(monkeypatch)
    code, second = post_body(api, data)
    assert code == 201 and second["same_file_as"] == first["import_id"]
    assert parses == []  # the file is not read again: its hash says it all
    again = api.call("GET", f"/usage-imports/{second['import_id']}", as_="accountant")[1]
    assert (again["rows"], again["accepted"], again["duplicates"], again["rejected_count"]) == (8, 0, 7, 1)
    assert again["rejected"] == original["rejected"] and again["unknown_stores"] == []
    assert again["months"] == [] and again["points_by_month"] == {}
    usage_after = aws.table(deps.settings.tables.usage_table).query(
        KeyConditionExpression="#m = :m", ExpressionAttributeNames={"#m": "month"},
        ExpressionAttributeValues={":m": "2025-10"})["Items"]
    assert usage_after == usage_before
    logged = deps.audit.by_subject(f"import#{second['import_id']}")
    assert any(e["action"] == "usage_import.commit" and e["after"]["same_file_as"] == first["import_id"]
               for e in logged)


def test_the_same_file_read_with_another_column_mapping_is_read_again(api, deps, monkeypatch):
    data = export(12, tag="M")
    code, first = post_body(api, data)
    monkeypatch.setattr(deps, "settings", with_setting(deps.settings, "usage.usage_columns_json", "{}"))  # the default mapping, written out
    parses = count_parses(monkeypatch)
    code, second = post_body(api, data)
    assert code == 201 and second["same_file_as"] == first["import_id"]
    assert len(parses) == 1  # read again (the known ids marked in the same pass): the mapping could change rows
    again = api.call("GET", f"/usage-imports/{second['import_id']}", as_="accountant")[1]
    assert (again["accepted"], again["duplicates"]) == (0, 12)
    item = usage.get_import(deps, second["import_id"])
    assert item["columns"] == "{}" and usage.get_import(deps, first["import_id"])["columns"] == ""


# --- long report lists live in S3 --------------------------------------------------------------


def test_a_report_with_thousands_of_lines_keeps_its_lists_in_s3_and_answers_them_whole(api, deps):
    bad = [f"R{i:06d},2025-11-05 10:00:00,MP{i:06d},店,abc,利用\n" for i in range(6_000)]
    unknown = [f"K{i:06d},2025-11-05 10:00:00,MP{500000 + i:06d},未登録{i},10,利用\n" for i in range(3_000)]
    data = (HEADER + "".join(bad) + "".join(unknown)).encode("utf-8")
    report = upload_and_import(api, deps, data)
    assert report["status"] == "committed"
    assert report["rejected_count"] == 6_000 and len(report["rejected"]) == 6_000
    assert report["rejected"][0]["line"] == 2 and report["rejected"][-1]["line"] == 6_001
    assert report["unknown_store_count"] == 3_000 and len(report["unknown_stores"]) == 3_000
    # The item holds counts and the key; the lists are an S3 object.
    item = aws.table(deps.settings.tables.imports_table).get_item(Key={"import_id": report["import_id"]})["Item"]
    key = f"reports/usage/{report['import_id']}.json"
    assert item["report"]["lists_key"] == key
    assert not {"rejected", "unknown_stores", "inactive_stores"} & set(item["report"])
    assert len(json.dumps(item, default=str).encode()) < 10_000
    stored = json.loads(aws.client("s3").get_object(Bucket=deps.settings.buckets.uploads_bucket, Key=key)["Body"].read())
    assert len(stored["rejected"]) == 6_000 and len(stored["unknown_stores"]) == 3_000
    # The list of imports answers the counts only.
    listed = api.call("GET", "/usage-imports", as_="accountant")[1]["items"][0]
    assert listed["rejected_count"] == 6_000 and "rejected" not in listed


def test_report_lists_are_bounded_and_their_counts_stay_exact(api, deps, monkeypatch):
    monkeypatch.setattr(usage, "REPORT_LIST_ITEMS", 100)
    bad = "".join(f"B{i:06d},2025-11-05 10:00:00,MP000001,店,-,利用\n" for i in range(300))
    report = upload_and_import(api, deps, (HEADER + bad).encode())
    assert report["rejected_count"] == 300 and len(report["rejected"]) == 100
    monkeypatch.setattr(usage, "REPORT_LIST_ITEMS", 20_000)
    monkeypatch.setattr(usage, "REPORT_LIST_BYTES", 2_000)
    report = upload_and_import(api, deps, (HEADER + bad.replace("B0", "C0")).encode())
    assert report["rejected_count"] == 300 and 0 < len(report["rejected"]) < 300
    assert len(json.dumps(report["rejected"], ensure_ascii=False).encode()) <= 2_000


# --- the cloud's way (the routes as they run outside the local stack) ------------------------------


def test_in_the_cloud_a_body_and_a_rerun_are_imported_by_s3s_event_not_in_the_request(api, deps, monkeypatch):
    from chalicelib.routes import settlement as routes
    from chalicelib.usage import events

    cloud = deps.settings.model_copy(update={"stage": "prod"})
    assert not cloud.is_local
    monkeypatch.setattr(routes, "get_settings", lambda: cloud)
    delivered: list[dict[str, Any]] = []
    lost = [True]

    def handler(event: dict[str, Any]) -> Any:
        delivered.append(event)
        if lost[0]:
            return None  # the event never reached the function (or it failed every retry)
        return events.on_object_created(deps, event["detail"], datetime.now(UTC))

    pump = LocalEventPump(deps.settings.buckets.uploads_bucket, handler)
    code, answer = post_body(api, export(30, tag="C"))
    assert code == 201 and answer["status"] == "uploaded", answer  # imported on S3's event, not here
    import_id = answer["import_id"]
    pump.poll_once()
    assert len(delivered) == 1 and usage.get_import(deps, import_id)["status"] == "uploaded"
    time.sleep(1.05)
    # Staff re-run it: in the cloud the file goes back through S3's event (no 29 s request limit).
    code, rerun = api.call("POST", f"/usage-imports/{import_id}/process", {}, as_="accountant")
    assert code == 202 and rerun["status"] == "uploaded", rerun
    assert [e["action"] for e in deps.audit.by_subject(f"import#{import_id}")].count("usage_import.rerun") == 1
    lost[0] = False
    assert pump.poll_once() == [f"usage/{import_id}.csv"]
    report = api.call("GET", f"/usage-imports/{import_id}", as_="accountant")[1]
    assert report["status"] == "committed" and report["accepted"] == 30
    # A re-run of a committed import changes nothing and says so at once.
    code, again = api.call("POST", f"/usage-imports/{import_id}/process", {}, as_="accountant")
    assert code == 200 and again["status"] == "committed"
    assert pump.poll_once() == []


def test_a_rerun_without_its_file_says_the_file_is_missing(api, deps, monkeypatch):
    from chalicelib.routes import settlement as routes

    monkeypatch.setattr(routes, "get_settings", lambda: deps.settings.model_copy(update={"stage": "prod"}))
    g = grant(api)
    code, answer = api.call("POST", f"/usage-imports/{g['import_id']}/process", {}, as_="accountant")
    assert code == 404 and "見つかりません" in answer["error"]["message"]

"""The usage upload's rules without AWS (issue 8): what a browser may declare, the limits and why
they hold, the report's bounded lists, "the same file", the lease against the function's timeout,
and the presigned POST's origin (the page's connect-src) for the cloud and the local stack."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from chalicelib.adapters import files
from chalicelib.adapters.resources import BUCKETS, origin_of, upload_cors_rules
from chalicelib.errors import InvalidInput
from chalicelib.settings import UsageSettings, env_names
from chalicelib.usage import service as usage


def test_a_declared_name_and_size_are_checked_not_trusted():
    assert usage._upload_request({}) == (None, None)
    assert usage._upload_request({"filename": "usage 2025-06.csv", "size": 72_000_000}) == ("usage 2025-06.csv", 72_000_000)
    # Control characters go, long names are cut: the name is only shown back to staff.
    assert usage._upload_request({"filename": "a\x00b\nc" + "x" * 300})[0] == "abc" + "x" * 197
    assert usage._upload_request({"filename": "   "})[0] is None
    for body, field in [({"size": usage.MAX_UPLOAD_BYTES + 1}, "file"), ({"size": 0}, "file"), ({"size": -5}, "file"),
                        ({"size": "1"}, "size"), ({"size": False}, "size"), ({"size": 2.0}, "size"),
                        ({"filename": 5}, "filename")]:
        with pytest.raises(InvalidInput) as caught:
            usage._upload_request(body)
        assert field in caught.value.fields, body
        assert not "".join(caught.value.fields.values()).isascii()


def test_the_limits():
    # At least 200 MB through the console (a 1M-row export is ~72 MB) ...
    assert usage.MAX_UPLOAD_BYTES >= 200 * 1000 * 1000
    # ... and what API Gateway can carry as a body: base64 of it plus the event under Lambda's 6 MB.
    assert usage.MAX_BODY_BYTES == 4 * 1024 * 1024
    assert -(-usage.MAX_BODY_BYTES // 3) * 4 < 6 * 1000 * 1000 - 400 * 1000
    assert "4MB" in usage.TOO_LARGE_MESSAGE and "「利用実績」画面" in usage.TOO_LARGE_MESSAGE
    assert "200MB" in usage.TOO_LARGE_MESSAGE


def test_report_lists_are_cut_by_count_and_by_bytes(monkeypatch):
    entries = [{"line": i, "reason": "利用ポイントが数値ではありません"} for i in range(50)]
    assert usage._fit(entries) == entries
    monkeypatch.setattr(usage, "REPORT_LIST_ITEMS", 10)
    assert usage._fit(entries) == entries[:10]
    monkeypatch.setattr(usage, "REPORT_LIST_ITEMS", 1000)
    monkeypatch.setattr(usage, "REPORT_LIST_BYTES", 500)
    kept = usage._fit(entries)
    assert 0 < len(kept) < 50 and kept == entries[:len(kept)]
    assert len(json.dumps(kept, ensure_ascii=False).encode()) <= 500


def test_three_full_report_lists_fit_in_a_lambda_answer():
    # GET /usage-imports/{id} returns the lists whole: their caps plus the counts stay under 6 MB.
    assert 3 * usage.REPORT_LIST_BYTES + 100_000 < 6 * 1000 * 1000
    # 15,000 stores (10x the start) fit as unknown stores by both caps.
    entry = {"store_id": "MP123456", "name": "仙台駅前ラーメン本舗 東口店", "rows": 123_456, "points": 12_345_678}
    size = len(json.dumps(entry, ensure_ascii=False).encode()) + 1
    assert usage.REPORT_LIST_ITEMS >= 15_000 and 15_000 * size < usage.REPORT_LIST_BYTES


def test_the_same_file_is_the_first_committed_import_with_the_same_bytes():
    committed = [{"import_id": "IMP000007", "sha256": "aa"}, {"import_id": "IMP000003", "sha256": "aa"},
                 {"import_id": "IMP000004", "sha256": "bb"}, {"import_id": "IMP000005"}]
    assert usage.same_file_as(committed, "aa", exclude="IMP000009") == "IMP000003"
    assert usage.same_file_as(committed, "aa", exclude="IMP000003") == "IMP000007"
    assert usage.same_file_as(committed, "cc", exclude="IMP000009") is None
    assert usage.same_file_as(committed, None, exclude="IMP000009") is None


def test_the_lease_is_no_longer_than_the_import_functions_timeout():
    from infra.functions import BY_LOGICAL_ID

    lease = UsageSettings.model_fields["usage_import_lease_seconds"].default
    assert 0 < lease <= BY_LOGICAL_ID["UsageImport"].timeout_s
    # Lambda's first retry comes a minute after the failure: the lease has run out by then.
    assert env_names()[("usage", "usage_import_lease_seconds")] == "USAGE_IMPORT_LEASE_SECONDS"


@pytest.mark.parametrize(("endpoint", "region", "origin"), [
    (None, "ap-northeast-1", "https://miyapo-prod-uploads-123456789012-ap-northeast-1.s3.ap-northeast-1.amazonaws.com"),
    ("http://127.0.0.1:4566", "ap-northeast-1", "http://127.0.0.1:4566"),
])
def test_the_presigned_post_goes_where_the_pages_csp_lets_it(monkeypatch, endpoint, region, origin):
    bucket = "miyapo-prod-uploads-123456789012-ap-northeast-1"
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    post = files.FileStore(bucket).presigned_post("usage/IMP000001.csv", "text/csv", 100, 900)
    assert files.upload_origin(bucket) == origin == origin_of(post["url"])
    assert urlsplit(post["url"]).path in ("", "/", f"/{bucket}")
    assert post["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256"


def test_the_uploads_bucket_takes_browser_posts_from_the_page_origin_only():
    assert [b.name for b in BUCKETS if b.browser_uploads] == ["uploads"]
    (rule,) = upload_cors_rules(("https://miyapo.pref.example",))
    assert rule["AllowedOrigins"] == ["https://miyapo.pref.example"] and rule["AllowedMethods"] == ["POST"]
    assert origin_of("https://miyapo.pref.example/api") == "https://miyapo.pref.example"
    assert origin_of("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    with pytest.raises(ValueError):
        origin_of("/console")

"""The audit log as a CSV register through the API (issue 13 point 7): the admin exports with the screen's
filters (kind among them), the prefecture only personal-data actions through /privacy/audit/export, every
export lands in the audit log, and a bad filter is a 422 in Japanese."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.integration.test_privacy_staff_api import revealed_by_screener

DAY = "date=2026-10-15"


def get(api: Any, path: str, as_: str) -> Any:
    return api.client.http.get(path, headers={"Authorization": f"Bearer {api.tokens[as_]}", "Accept": "*/*"})


def rows_of(resp: Any) -> list[list[str]]:
    assert resp.status_code == 200, resp.body[:300]
    assert resp.body.startswith(b"\xef\xbb\xbf") and b"\r\n" in resp.body
    return list(csv.reader(io.StringIO(resp.body.decode("utf-8-sig"))))


def test_the_admin_exports_the_register_in_japanese_and_the_export_is_audited(api):
    app_id, number = revealed_by_screener(api)
    rows = rows_of(get(api, f"/audit/export?{DAY}", "admin"))
    assert rows[0] == ["日時", "担当者", "ロール", "操作", "対象", "内容"]
    operations = {r[3] for r in rows[1:]}
    assert {"申込受付", "申込の口座番号表示"} <= operations
    reveal = next(r for r in rows[1:] if r[3] == "申込の口座番号表示")
    assert reveal[1] == "screener" and reveal[2] == "審査担当" and reveal[4] == f"申込 {app_id}"
    assert reveal[0].startswith("2026-10-15 10:00")
    assert number not in resp_text(rows) and "{" not in resp_text(rows)
    # by kind: personal data only, or one area
    personal = rows_of(get(api, f"/audit/export?{DAY}&kind=personal", "admin"))
    assert {r[3] for r in personal[1:]} == {"申込の口座番号表示"}
    by_subject = rows_of(get(api, f"/audit/export?q={app_id}&actor=screener", "admin"))
    assert {r[3] for r in by_subject[1:]} == {"申込の口座番号表示"}
    # each export is in the log, with its filter
    code, log = api.call("GET", "/audit?subject=audit%23export", as_="admin")
    assert code == 200
    exports = [e for e in log["items"] if e["action"] == "audit.export"]
    assert len(exports) == 3 and all(e["user"] == "admin" and e["detail"]["scope"] == "admin" for e in exports)
    assert {e["detail"].get("kind") for e in exports} == {None, "personal"}
    assert any(e["detail"].get("q") == app_id for e in exports)


def resp_text(rows: list[list[str]]) -> str:
    return "\n".join(",".join(r) for r in rows)


def test_the_audit_screen_filters_by_kind(api):
    revealed_by_screener(api)
    code, found = api.call("GET", f"/audit?{DAY}&kind=personal", as_="admin")
    assert code == 200 and {e["action"] for e in found["items"]} == {"application.view_bank_account"}
    assert {"value": "personal", "label": "個人情報の閲覧・出力・取込"} in found["kinds"]
    code, areas = api.call("GET", f"/audit?{DAY}&kind=application", as_="admin")
    assert code == 200 and "application.submit" in {e["action"] for e in areas["items"]}
    code, bad = api.call("GET", f"/audit?{DAY}&kind=bogus", as_="admin")
    assert code == 422 and "kind" in bad["error"]["fields"]


def test_only_the_admin_exports_everything_and_the_prefecture_only_personal_data(api):
    revealed_by_screener(api)
    for role in ("agent", "prefecture", "screener"):
        assert get(api, f"/audit/export?{DAY}", role).status_code == 403
    assert get(api, "/privacy/audit/export?from=2026-10-15&to=2026-10-15", "agent").status_code == 403
    rows = rows_of(get(api, "/privacy/audit/export?from=2026-10-15&to=2026-10-15", "prefecture"))
    assert rows[0][3] == "操作" and {r[3] for r in rows[1:]} == {"申込の口座番号表示"}
    # asking for another kind is refused; a personal kind narrows
    bad = get(api, "/privacy/audit/export?from=2026-10-15&kind=application", "prefecture")
    assert bad.status_code == 422
    none = rows_of(get(api, "/privacy/audit/export?from=2026-10-15&kind=export", "prefecture"))
    assert none[1:] == []
    code, log = api.call("GET", "/audit?subject=audit%23export", as_="admin")
    assert code == 200
    privacy = [e for e in log["items"] if e["detail"].get("scope") == "privacy"]
    assert len(privacy) == 2 and {e["user"] for e in privacy} == {"prefecture"}


def test_a_bad_or_too_wide_filter_is_a_422_in_japanese(api):
    for query in ("from=2026-10-01&to=2026-11-15", "date=yesterday", "kind=nope", "actor=a%20b",
                  "from=2026-10-02&to=2026-10-01"):
        code, answer = api.call("GET", f"/audit/export?{query}", as_="admin")
        assert code == 422, (query, answer)
        assert any("\u3040" <= ch <= "\u9fff" for ch in answer["error"]["message"])
    code, answer = api.call("GET", "/privacy/audit/export?from=2026-09-01&to=2026-10-15", as_="prefecture")
    assert code == 422 and "31日" in str(answer)

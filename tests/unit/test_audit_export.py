"""The audit log's CSV register (chalicelib/audit/export.py): rows in Japanese, details as fields, filters."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest

from chalicelib.audit import export, search
from chalicelib.audit.log import Actor, entry
from chalicelib.errors import InvalidInput

JST = timezone(timedelta(hours=9))
NOW = datetime(2026, 10, 15, 10, 0, 5, tzinfo=JST)
TODAY = date(2026, 10, 15)


def test_a_row_names_the_action_role_subject_and_details_in_japanese():
    e = entry(Actor("screener1", "screener"), "application.approve", "application#AP000001", NOW,
              before={"status": "submitted"}, after={"status": "approved", "version": 2},
              detail={"checks": ["a", "b"], "immediate": True, "unknown_key": None})
    r = export.row(e)
    assert r[0] == NOW  # the writer turns it into JST wall-clock time
    assert r[1:5] == ["screener1", "審査担当", "申込の承認", "申込 AP000001"]
    assert r[5] == "【変更前】状態: submitted　【変更後】状態: approved／版: 2　【内容】チェック項目: a、b／即時: はい／unknown_key: —"
    assert "{" not in r[5] and '"' not in r[5]


def test_system_roles_unknown_actions_and_empty_details():
    e = entry(Actor("system", "system"), "something.new", "job#x", NOW)
    assert export.row(e)[2:] == ["システム", "something.new", "ジョブ x", "—"]
    assert export.role_text("admin,prefecture") == "管理者・県職員"
    assert export.value_text({"status": "ok", "rows": 3}) == "状態: ok／行数: 3"


def test_the_csv_has_a_bom_crlf_and_japanese_headers_and_is_formula_safe():
    e = entry(Actor("agent1", "agent"), "inquiry.create", "inquiry#IQ000001", NOW, detail={"summary": "=1+1"})
    body = export.csv_bytes([e])
    assert body.startswith(b"\xef\xbb\xbf") and b"\r\n" in body
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["日時", "担当者", "ロール", "操作", "対象", "内容"]
    assert rows[1][0] == "2026-10-15 10:00:05" and rows[1][3] == "問い合わせの記録"
    assert not rows[1][5].startswith("=")


def test_filters_are_bounded_and_refused_in_japanese():
    f = export.parse_filter({"from": "2026-10-01", "to": "2026-10-31", "kind": "personal"}, TODAY)
    assert (f.start, f.end, f.kind) == (date(2026, 10, 1), date(2026, 10, 31), "personal")
    assert export.parse_filter({}, TODAY).start == TODAY
    for bad in ({"from": "2026-10-01", "to": "2026-11-01"}, {"date": "yesterday"}, {"kind": "nope"},
                {"actor": "a b"}, {"from": "2026-10-02", "to": "2026-10-01"}):
        with pytest.raises(InvalidInput) as err:
            export.parse_filter(bad, TODAY)
        assert any("\u3040" <= ch <= "\u9fff" for ch in str(err.value))
    # The prefecture: personal-data actions only, whatever it asks; subject and q are not its filters.
    p = export.parse_filter({"q": "AP000001", "kind": "reveal"}, TODAY, personal_only=True)
    assert (p.q, p.subject, p.kind, p.touch, p.start) == (None, None, "personal", "reveal", TODAY)
    with pytest.raises(InvalidInput):
        export.parse_filter({"kind": "settlement"}, TODAY, personal_only=True)


def test_kind_is_personal_data_or_the_action_area():
    view = {"action": "store.view_bank_account"}
    change = {"action": "store.change_status"}
    assert search.of_kind(view, "personal") and not search.of_kind(change, "personal")
    assert search.of_kind(change, "store") and not search.of_kind(change, "store_import")
    assert search.of_kind(change, None)
    assert {k["value"] for k in search.kinds()} >= {"personal", "application", "settlement", "audit"}

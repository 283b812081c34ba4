"""The prefecture's view through the API on moto (issue 12 points 1–3): the funds ledger equals the
settlement rounds to the yen, the claim sheet, the report library and its guarded download, the overview's
numbers and SVG charts, the funds alerts once, and who may read what."""

from __future__ import annotations

import io
import xml.dom.minidom
from urllib.parse import quote

import pytest

from tests.integration.test_settlement_api import JULY_2, csv_of, download, june_usage, make_stores, upload


@pytest.fixture
def approved_june(api) -> list[str]:
    stores = make_stores(api, 3)
    upload(api, csv_of(june_usage(stores)))
    assert api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)[0] == 200
    code, answer = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 200, answer
    return stores


def test_the_ledger_equals_the_rounds_to_the_yen(api, approved_june):
    code, book = api.call("GET", "/funds/ledger", as_="prefecture", headers=JULY_2)
    assert code == 200, book
    code, round_ = api.call("GET", "/settlements/2025-06", as_="prefecture", headers=JULY_2)
    assert code == 200
    assert book["planned_points"] == 443_750_000
    [june] = book["months"]
    held = sum(h["amount"] for h in round_["held"])
    assert (june["month"], june["usage"], june["fee"], june["paid"], june["held"]) == \
        ("2025-06", round_["usage_total"], round_["fee"], round_["total_amount"], held)
    assert june["fee_base"] == round_.get("fee_base", round_["usage_total"]) == 7000
    assert book["used_points"] == june["cumulative"] == 7000
    assert june["claim"] == 7000 + 35 and june["share_of_plan"] == "0.00"
    assert june["transfer_cost"] == round_.get("transfer_cost")  # the operator's cost, stated, never in the claim
    assert all(isinstance(v, int) for k, v in june.items() if k in ("usage", "fee", "fee_base", "paid", "held"))


@pytest.mark.parametrize("role", ["agent", "screener", "coordinator"])
def test_only_the_prefecture_accountants_and_admins_read_the_ledger(api, role):
    assert api.call("GET", "/funds/ledger", as_=role)[0] == 403
    assert api.call("GET", "/funds/ledger", as_="accountant")[0] == 200


def test_the_claim_sheet_in_csv_and_xlsx_and_its_audit(api, approved_june, deps):
    resp = download(api, "/funds/claim?month=2025-06&format=csv", "prefecture")
    assert resp.status_code == 200, resp.body
    text = resp.body.decode("utf-8-sig")
    assert "ポイント原資" in text and "7000" in text.replace(",", "") and "7035" in text.replace(",", "")
    resp = download(api, "/funds/claim?month=2025-06&format=xlsx", "prefecture")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(resp.body))
    values = [c.value for row in wb.worksheets[0].iter_rows() for c in row]
    assert 7035 in values or "7035" in values
    assert download(api, "/funds/claim?month=2025-07&format=csv", "prefecture").status_code == 404
    assert download(api, "/funds/claim?month=2025-06&format=pdf", "prefecture").status_code == 422
    actions = [e["action"] for e in deps.audit.by_subject("funds#2025-06")]
    assert actions.count("funds.claim_download") == 2


def test_the_library_lists_what_was_delivered_and_downloads_are_guarded_and_audited(api, approved_june, deps):
    code, files = api.call("GET", "/reports/files?month=2025-06", as_="prefecture")
    assert code == 200, files
    names = {f["name"] for f in files}
    assert {"statement-2025-06.csv", "statement-2025-06.xlsx", "summary-2025-06.json"} <= names
    row = next(f for f in files if f["name"] == "statement-2025-06.csv")
    assert row["kind"] == "settlements" and row["month"] == "2025-06" and row["delivered_at"]
    resp = download(api, "/" + row["download"], "prefecture")
    assert resp.status_code == 200 and resp.body.startswith("\ufeff".encode())
    assert [e["action"] for e in deps.audit.by_subject(f"report#{row['key']}")] == ["report.download"]
    assert api.call("GET", "/reports/files?month=2025-07", as_="prefecture")[1] == []
    assert api.call("GET", "/reports/files", as_="agent")[0] == 403


@pytest.mark.parametrize("key", ["../uploads/usage.csv", "prefecture/../transfer/x.txt", "prefecture/./a.csv",
                                 "prefecture//a.csv", "transfer/2025-06.txt", "/prefecture/a.csv",
                                 "prefecture/%2e%2e/a", "prefecture\\..\\a", ""])
def test_the_download_refuses_anything_outside_the_prefectures_prefix(api, key):
    resp = download(api, "/reports/files/download?key=" + quote(key, safe=""), "prefecture")
    assert 400 <= resp.status_code < 500


def test_the_overview_numbers_and_charts(api, approved_june):
    code, data = api.call("GET", "/overview/data", as_="prefecture", headers=JULY_2)
    assert code == 200, data
    assert data["funds"]["used_points"] == 7000
    assert sum(s["count"] for s in data["stores"]["by_status"]) == data["stores"]["total"] == 3
    assert len(data["stores"]["by_area"]) == 39 and len(data["sessions"]["by_area"]) == 39
    assert data["inquiries"]["month"] == "2025-07" and data["inquiries"]["forecast_monthly"] == 1000
    for name in ("usage", "cumulative", "stores-status", "stores-area", "inquiries-daily", "inquiries-monthly",
                 "inquiries-category", "escalations", "sessions-area"):
        resp = api.client.http.get(f"/overview/charts/{name}.svg", headers={
            "Authorization": f"Bearer {api.tokens['prefecture']}", "Accept": "*/*", **JULY_2})
        assert resp.status_code == 200, (name, resp.body)
        assert resp.headers["Content-Type"].startswith("image/svg+xml")
        text = resp.body.decode("utf-8")
        xml.dom.minidom.parseString(text)
        assert "<script" not in text and " on" not in text.replace(" one", "")
    assert api.call("GET", "/overview/charts/nope.svg", as_="prefecture")[0] == 404
    assert api.call("GET", "/overview/data", as_="agent")[0] == 403


def test_funds_alerts_are_sent_once_per_threshold(api, approved_june, monkeypatch):
    from chalicelib.deps import get_deps
    from chalicelib.jobs import registry
    from tests.fakes import with_setting

    deps = get_deps()
    monkeypatch.setattr(deps, "settings", with_setting(deps.settings, "settlement.planned_points", 8000))
    first = registry.run("funds-alerts", __import__("datetime").datetime.fromisoformat("2025-07-03T08:00:00+09:00"),
                         deps)
    assert first["reached"] == [80] and len(first["queued"]) == 2
    again = registry.run("funds-alerts", __import__("datetime").datetime.fromisoformat("2025-07-04T08:00:00+09:00"),
                         deps)
    assert again["queued"] == []
    mails = [m for m in api.mail() if "計画の 80%" in m["subject"]]
    assert sorted(m["destinations"]["ToAddresses"][0] for m in mails) == ["prefecture@example.jp", "staff@example.jp"]


def test_the_audit_log_is_searched_by_plain_id_and_actor(api, approved_june):
    code, found = api.call("GET", "/audit?q=2025-06", as_="admin")
    assert code == 200, found
    assert found["matched_by"] == "id" and found["subjects"] == ["settlement#2025-06", "funds#2025-06"]
    assert {"settlement.draft", "settlement.approve"} <= {e["action"] for e in found["items"]}
    code, mine = api.call("GET", "/audit?q=2025-06&actor=accountant2", as_="admin")
    assert code == 200 and mine["items"] and {e["user"] for e in mine["items"]} == {"accountant2"}
    store = approved_june[0]
    code, by_id = api.call("GET", f"/audit?q={store.lower()}", as_="admin")
    assert code == 200 and by_id["subjects"] == [f"store#{store}"]
    assert api.call("GET", "/audit?q=2025-06", as_="prefecture")[0] == 403

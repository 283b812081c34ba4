"""A month of money through the API: usage import, draft, four-eyes approval, the bank file,
notices, returns, holds carried forward, adjustments — on moto, with the clock pinned."""

from __future__ import annotations

import io

import pytest

from chalicelib.settlement.zengin_reader import parse_transfer_file
from tests.factories import application_body, approve_body

MAY_20 = {"X-Miyapo-Now": "2025-05-20T10:00:00+09:00"}
JULY_2 = {"X-Miyapo-Now": "2025-07-02T10:00:00+09:00"}
AUG_4 = {"X-Miyapo-Now": "2025-08-04T10:00:00+09:00"}
JULY_18 = {"X-Miyapo-Now": "2025-07-18T15:00:00+09:00"}  # June's transfer date: a return is known from then on
HEADER = "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"


def make_stores(api, n: int) -> list[str]:
    """Stores approved before points can be used (2025-05-28), as the program's first stores are: usage
    dated before a store's approval is held (issue 12, point 5)."""
    ids = []
    for _ in range(n):
        code, answer = api.call("POST", "/applications", application_body(), headers=MAY_20)
        assert code == 201
        code, decided = api.call("POST", f"/applications/{answer['application_id']}/decision", approve_body(),
                                 as_="screener", headers=MAY_20)
        ids.append(decided["store_id"])
    return ids


def download(api, path: str, as_: str):
    # Binary answers need an Accept header that admits them (browsers send */*).
    return api.client.http.get(path, headers={"Authorization": f"Bearer {api.tokens[as_]}", "Accept": "*/*"})


def csv_of(rows: list[tuple]) -> str:
    return HEADER + "".join(",".join(str(c) for c in row) + "\n" for row in rows)


def upload(api, text: str, encoding: str = "utf-8", headers=None) -> dict:
    code, answer = api.call("POST", "/usage-imports", as_="accountant", raw=text.encode(encoding),
                            headers={"Content-Type": "text/csv", **(headers or {})})
    assert code == 201, answer
    code, report = api.call("GET", f"/usage-imports/{answer['import_id']}", as_="accountant")
    assert code == 200
    return report


def june_usage(stores: list[str]) -> list[tuple]:
    a, b, c = stores
    return [
        ("T0001", "2025-06-01 10:00:00", a, "店A", 1200, "利用"),
        ("T0002", "2025-06-02 11:00:00", a, "店A", 800, "利用"),
        ("T0003", "2025-06-03 12:00:00", b, "店B", 5000, "利用"),
        ("T0004", "2025-06-04 13:00:00", b, "店B", 1000, "取消"),
        ("T0005", "2025-06-30 23:59:59", c, "店C", 300, "利用"),
        ("T0006", "2025-06-15 09:00:00", "MP999999", "謎の店", 700, "利用"),
    ]


@pytest.fixture
def stores(api) -> list[str]:
    return make_stores(api, 3)


def test_import_report_counts_duplicates_cancellations_unknown_stores_and_bad_lines(api, stores):
    rows = june_usage(stores)
    text = csv_of([*rows, rows[0]]) + "T0007,2025-06-05 10:00:00,MP000001,店A,abc,利用\n"
    report = upload(api, text)
    assert report["status"] == "committed"
    assert report["rows"] == 8 and report["accepted"] == 6 and report["duplicates"] == 1
    assert [r["line"] for r in report["rejected"]] == [9]
    assert report["unknown_stores"] == [{"store_id": "MP999999", "name": "謎の店", "rows": 1, "points": 700}]
    assert report["points_by_month"] == {"2025-06": 1200 + 800 + 5000 - 1000 + 300 + 700}
    # the same file again counts nothing twice
    again = upload(api, text)
    assert again["accepted"] == 0 and again["duplicates"] == 7


def test_usage_of_a_suspended_store_is_reported(api, stores):
    assert api.call("POST", f"/stores/{stores[1]}/status", {"status": "suspended", "reason": "調査中"},
                    as_="screener")[0] == 200
    report = upload(api, csv_of(june_usage(stores)))
    assert report["inactive_stores"] == [{"store_id": stores[1], "name": "店B", "rows": 2, "points": 4000,
                                          "status": "suspended"}]


def test_cp932_with_crlf_and_a_file_that_is_not_an_export(api, stores):
    text = csv_of(june_usage(stores)[:2]).replace("\n", "\r\n")
    report = upload(api, text, encoding="cp932")
    assert report["accepted"] == 2
    bad = upload(api, "\x89PNG\r\n not a csv at all")
    assert bad["status"] == "rejected" and bad["error"]
    assert bad["accepted"] == 0


def test_a_month_is_drafted_approved_by_a_second_accountant_and_paid_to_the_yen(api, stores):
    upload(api, csv_of(june_usage(stores)))
    code, round_ = api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    assert code == 200, round_
    assert round_["status"] == "draft" and round_["payment_date"] == "2025-07-18"
    assert round_["stores_paid"] == 3 and round_["total_amount"] == 2000 + 4000 + 300
    assert round_["fee"] == (2000 + 4000 + 300 + 700) * 5 // 1000
    assert (round_["fee_base"], round_["fee_rate"], round_["fee_rounding"]) == (7000, "0.005", "down")
    # three transfers to the operator's own branch (the example table: ¥220 below ¥30,000), its cost
    assert round_["transfer_cost"] == 3 * 220
    assert round_["held"] == [{"store_id": "MP999999", "amount": 700, "reason": "unknown_store",
                               "reason_label": "店舗が登録されていません"}]
    code, _answer = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant", headers=JULY_2)
    assert code == 403
    code, approved = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 200, approved
    assert approved["status"] == "approved" and approved["transfer_date"] == "2025-07-18"

    resp = download(api, "/settlements/2025-06/transfer-file", "accountant")
    assert resp.status_code == 200
    data = resp.body
    assert len(data) == 122 * (1 + 3 + 1 + 1)
    parsed = parse_transfer_file(data)
    assert parsed.header.transfer_date == "0718"
    assert parsed.trailer_count == 3 and parsed.trailer_total == 6300
    assert sorted(r.amount for r in parsed.records) == [300, 2000, 4000]
    assert all(r.holder_name == "ﾔﾏﾀﾞ ﾊﾅｺ" for r in parsed.records)

    mails = api.mail()
    notices = [m for m in mails if "お支払いについて" in m["subject"]]
    assert len(notices) == 3
    report = [m for m in mails if m["destinations"]["ToAddresses"][0] == "prefecture@example.jp"]
    assert len(report) == 1 and "6,300円" in report[0]["body"]
    assert "振込手数料（事務局負担。店舗への支払額からは差し引いていません）: 660円" in report[0]["body"]

    # statement for the prefecture: CSV with BOM whose total equals its lines; XLSX opens
    resp = download(api, "/settlements/2025-06/documents/statement_csv", "prefecture")
    assert resp.body.startswith("\ufeff".encode())
    lines = resp.body.decode("utf-8-sig").splitlines()
    paid = [int(line.split(",")[6]) for line in lines[1:-1]]
    assert sum(paid) == int(lines[-1].split(",")[6]) == 6300
    resp = download(api, "/settlements/2025-06/documents/statement_xlsx", "prefecture")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(resp.body))
    assert "精算明細" in wb.sheetnames[0]

    # a frozen round never changes: approving again is a no-op, re-drafting is refused
    code, again = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 200 and again["total_amount"] == 6300
    assert api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)[0] == 409
    assert len([m for m in api.mail() if "お支払いについて" in m["subject"]]) == 3


def test_holds_carry_forward_and_are_paid_once_released(api, stores):
    _a, b, _c = stores
    upload(api, csv_of(june_usage(stores)))
    assert api.call("POST", f"/stores/{b}/status", {"status": "suspended", "reason": "確認中"}, as_="screener")[0] == 200
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    _, june = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert {h["store_id"]: h["amount"] for h in june["held"]} == {b: 4000, "MP999999": 700}
    assert api.call("POST", f"/stores/{b}/status", {"status": "active", "reason": "確認済み"}, as_="screener")[0] == 200
    upload(api, csv_of([("T1001", "2025-07-10 10:00:00", b, "店B", 100, "利用")]))
    _, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert july["total_amount"] == 4100 and july["carried_in_total"] == 4700
    _, lines = api.call("GET", "/settlements/2025-07/lines", as_="accountant")
    line_b = next(line for line in lines["items"] if line["store_id"] == b)
    assert (line_b["usage"], line_b["carried_in"], line_b["paid"]) == (100, 4000, 4100)


def test_the_lines_are_paged_with_a_cursor_and_the_pages_are_every_line_once(api, stores):
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    _, every = api.call("GET", "/settlements/2025-06/lines", as_="accountant")
    assert len(every["items"]) >= 3
    pages, cursor = [], None
    while True:
        code, page = api.call("GET", "/settlements/2025-06/lines?limit=2" + (f"&cursor={cursor}" if cursor else ""),
                              as_="accountant")
        assert code == 200 and len(page["items"]) <= 2
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [line for items in pages for line in items] == every["items"]
    assert len(pages) == (len(every["items"]) + 1) // 2
    assert api.call("GET", "/settlements/2025-06/lines?cursor=MP000001", as_="accountant")[0] == 422
    assert api.call("GET", "/settlements/2025-06/lines?limit=0", as_="accountant")[0] == 422


def test_a_returned_transfer_becomes_a_hold_until_the_bank_data_is_fixed(api, stores):
    a, _b, _c = stores
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    code, early = api.call("POST", "/settlements/2025-06/returns", {"store_id": a, "reason": "口座なし"},
                           as_="accountant", headers={"X-Miyapo-Now": "2025-07-17T17:00:00+09:00"})
    assert code == 409 and "2025-07-18" in early["error"]["message"], early  # still to be paid by the bank
    assert early["error"]["fields"] == {"transfer_date": "2025-07-18"}
    assert api.call("GET", f"/stores/{a}", as_="accountant")[1].get("transfer_returned") is None
    code, ret = api.call("POST", "/settlements/2025-06/returns", {"store_id": a, "reason": "口座なし"},
                         as_="accountant", headers=JULY_18)
    assert code == 201 and ret["amount"] == 2000
    assert api.call("POST", "/settlements/2025-06/returns", {"store_id": a, "reason": "口座なし"},
                    as_="accountant")[0] == 409
    assert any("振り込みができませんでした" in m["subject"] for m in api.mail())
    _, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    held = {h["store_id"]: (h["amount"], h["reason"]) for h in july["held"]}
    assert held[a] == (2000, "transfer_returned")
    code, changed = api.call("PUT", f"/stores/{a}/bank-account", {
        "bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "7654321",
        "holder_kana": "ヤマダ ハナコ"}, as_="accountant", headers=AUG_4)
    assert code == 200 and changed["released_hold"] is True and changed["bank_verified"] is False
    # a change by staff pays nothing until a second person or the store confirms it
    _, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert {h["store_id"]: h["reason"] for h in july["held"]}[a] == "bank_unverified"
    assert api.call("POST", f"/stores/{a}/bank-account/confirm", {}, as_="accountant", headers=AUG_4)[0] == 403
    notice = next(m for m in api.mail() if "振込口座の変更を受け付けました" in m["subject"])
    token = notice["body"].split("/bank-confirm#t=", 1)[1].split()[0]
    code, shown = api.call("POST", "/bank-confirmations", {"token": token}, headers=AUG_4)
    assert code == 200 and shown["state"] == "pending" and shown["account_number_masked"] == "****321"
    code, shown = api.call("POST", "/bank-confirmations", {"token": token, "answer": "confirm"}, headers=AUG_4)
    assert code == 200 and shown["state"] == "confirmed"
    _, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert a not in {h["store_id"] for h in july["held"]}
    _, _approved = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    resp = download(api, "/settlements/2025-07/transfer-file", "accountant")
    record = next(r for r in parse_transfer_file(resp.body).records if r.customer_code1 == a[2:].rjust(10, "0"))
    assert (record.account_number, record.amount, record.new_code) == ("7654321", 2000, "2")


def test_adjustments_after_close_are_settled_in_the_next_round(api, stores):
    a, _, _ = stores
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    code, adj = api.call("POST", "/settlements/adjustments", {"store_id": a, "amount": 150, "reason": "取消漏れ"},
                         as_="accountant", headers=JULY_2)
    assert code == 201
    assert api.call("POST", "/settlements/adjustments", {"store_id": a, "amount": 1.5, "reason": "x"},
                    as_="accountant")[0] == 422
    _, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert july["adjustments_total"] == 150 and july["total_amount"] == 150
    api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    _, adjustments = api.call("GET", "/settlements/adjustments", as_="accountant")
    assert [(x["adjustment_id"], x["state"], x["settled_in"]) for x in adjustments["items"]] == [
        (adj["adjustment_id"], "settled", "2025-07")]


def test_usage_arriving_after_a_round_is_frozen_is_paid_in_the_next_round(api, stores):
    a, _, _ = stores
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    late = upload(api, csv_of([("T9001", "2025-06-30 20:00:00", a, "店A", 999, "利用")]))
    assert late["late_months"] == ["2025-06"]
    _, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert july["adjustments_total"] == 999 and july["total_amount"] == 999
    # June's late usage is charged the fee once, in July, the round that first counts it
    assert (july["usage_total"], july["late_usage_total"], july["fee_base"], july["fee"]) == (0, 999, 999, 4)
    _, june = api.call("GET", "/settlements/2025-06", as_="accountant")
    assert (june["fee_base"], june["fee"]) == (7000, 35)


def test_draft_rules(api, stores):
    upload(api, csv_of(june_usage(stores)))
    code, _answer = api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant",
                            headers={"X-Miyapo-Now": "2025-06-30T10:00:00+09:00"})
    assert code == 409
    assert api.call("POST", "/settlements/2025-13/draft", {}, as_="accountant", headers=JULY_2)[0] == 422
    assert api.call("GET", "/settlements/2025-05", as_="accountant")[0] == 404
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    # July cannot be drafted while June is not approved
    assert api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)[0] == 409
    # new usage after the draft makes it stale: approval refuses until re-drafted
    upload(api, csv_of([("T7777", "2025-06-20 10:00:00", stores[0], "店A", 1, "利用")]))
    assert api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)[0] == 409
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    assert api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)[0] == 200


def test_a_late_round_is_told_once_and_its_notices_name_the_actual_transfer_date(api, stores):
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    for now in ("2025-07-16T07:00:00+09:00", "2025-07-16T08:00:00+09:00", "2025-07-17T07:00:00+09:00"):
        code, swept = api.call("POST", "/jobs/settlement-sweep", {"now": now}, as_="accountant")
        assert code == 200, swept
        assert ("late-notice" in swept["actions"]) == (now == "2025-07-16T07:00:00+09:00")
    late = [m for m in api.mail() if "承認期限までに承認されませんでした" in m["subject"]]
    assert sorted(m["destinations"]["ToAddresses"][0] for m in late) == ["prefecture@example.jp", "staff@example.jp"]
    code, approved = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2",
                              headers={"X-Miyapo-Now": "2025-07-17T10:00:00+09:00"})
    assert code == 200 and (approved["transfer_date"], approved["late"]) == ("2025-07-23", True)
    moved = "振込日は当初予定の7月18日から7月23日に変更になりました"
    notices = [m for m in api.mail() if "お支払いについて" in m["subject"]]
    assert len(notices) == 3 and all(moved in m["body"] for m in notices)
    report = [m for m in api.mail() if "精算報告" in m["subject"]]
    assert len(report) == 1 and moved in report[0]["body"]
    assert parse_transfer_file(download(api, "/settlements/2025-06/transfer-file", "accountant").body
                               ).header.transfer_date == "0723"

"""Rounds in the program's month order and a return that cannot stop the year, over HTTP on moto
(QA A F1, QA B #1 and #2): the answers staff see, and usage imported late reaching a round."""

from __future__ import annotations

from tests.integration.test_settlement_api import AUG_4, JULY_2, csv_of, make_stores, upload

NOV_14 = {"X-Miyapo-Now": "2025-11-14T10:00:00+09:00"}


def test_months_outside_the_program_and_out_of_order_are_refused_and_late_usage_still_reaches_a_round(api):
    a, b = make_stores(api, 2)
    for month in ("2024-03", "2025-04"):
        code, refused = api.call("POST", f"/settlements/{month}/draft", {}, as_="accountant", headers=NOV_14)
        assert code == 422 and "精算期間の前" in refused["error"]["message"], refused
        assert "2025-05 以降" in refused["error"]["fields"]["month"]
        assert api.call("GET", f"/settlements/{month}", as_="accountant")[0] == 404
    upload(api, csv_of([("M1", "2025-05-29 10:00:00", a, "店", 1000, "利用"),
                        ("J1", "2025-06-10 10:00:00", a, "店", 5000, "利用")]))
    # June cannot be the first round while May has usage: it would never be paid.
    code, refused = api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    assert code == 409 and refused["error"]["fields"] == {"month": "2025-05"}, refused
    assert "先に 2025-05 の精算" in refused["error"]["message"]
    for month in ("2025-05", "2025-06"):
        assert api.call("POST", f"/settlements/{month}/draft", {}, as_="accountant", headers=JULY_2)[0] == 200
        assert api.call("POST", f"/settlements/{month}/approve", {}, as_="accountant2", headers=JULY_2)[0] == 200
    # May is settled: drafting it again is refused, and May usage exported late is paid in July.
    assert api.call("POST", "/settlements/2025-05/draft", {}, as_="accountant", headers=AUG_4)[0] == 409
    report = upload(api, csv_of([("M2", "2025-05-30 10:00:00", b, "店", 2000, "利用"),
                                 ("L1", "2025-07-10 10:00:00", a, "店", 100, "利用")]))
    assert report["late_months"] == ["2025-05"], report
    code, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert code == 200 and (july["late_usage_total"], july["total_amount"]) == (2000, 2100), july


def test_a_return_recorded_by_the_usual_approver_does_not_stop_the_next_round(api):
    a, b = make_stores(api, 2)
    for month, day in (("2025-06", JULY_2), ("2025-07", AUG_4)):
        upload(api, csv_of([(f"{month}-a", f"{month}-10 10:00:00", a, "店", 5000, "利用"),
                            (f"{month}-b", f"{month}-10 10:00:00", b, "店", 300, "利用")]))
        assert api.call("POST", f"/settlements/{month}/draft", {}, as_="accountant", headers=day)[0] == 200
        assert api.call("POST", f"/settlements/{month}/approve", {}, as_="accountant2", headers=day)[0] == 200
    code, ret = api.call("POST", "/settlements/2025-07/returns", {"store_id": a, "reason": "振込不能（口座なし）"},
                         as_="accountant2", headers={"X-Miyapo-Now": "2025-08-25T10:00:00+09:00"})
    assert code == 201, ret
    upload(api, csv_of([("2025-08-b", "2025-08-10 10:00:00", b, "店", 400, "利用")]))
    sept_2 = {"X-Miyapo-Now": "2025-09-02T10:00:00+09:00"}
    code, august = api.call("POST", "/settlements/2025-08/draft", {}, as_="accountant", headers=sept_2)
    assert code == 200 and {h["store_id"]: h["reason"] for h in august["held"]} == {a: "transfer_returned"}
    assert august["shaped_by"] == ["accountant"], august  # the re-payment is held: it pays nothing yet
    code, approved = api.call("POST", "/settlements/2025-08/approve", {}, as_="accountant2", headers=sept_2)
    assert code == 200 and approved["status"] == "approved", approved


def test_when_both_accountants_shaped_a_repayment_it_is_deferred_over_http_and_the_round_approved(api):
    a, b = make_stores(api, 2)
    upload(api, csv_of([("J-a", "2025-06-10 10:00:00", a, "店", 5000, "利用"),
                        ("J-b", "2025-06-10 10:00:00", b, "店", 300, "利用")]))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    assert api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)[0] == 200
    july_22 = {"X-Miyapo-Now": "2025-07-22T10:00:00+09:00"}
    assert api.call("POST", "/settlements/2025-06/returns", {"store_id": a, "reason": "口座なし"}, as_="accountant2",
                    headers=july_22)[0] == 201
    code, _ = api.call("PUT", f"/stores/{a}/bank-account", {
        "bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "7654321",
        "holder_kana": "ヤマダ ハナコ"}, as_="screener", headers=july_22)
    assert code == 200
    assert api.call("POST", f"/stores/{a}/bank-account/confirm", {}, as_="accountant", headers=july_22)[0] == 200
    upload(api, csv_of([("L-b", "2025-07-10 10:00:00", b, "店", 400, "利用")]))
    code, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert code == 200 and {"accountant", "accountant2"} <= set(july["shaped_by"]), july
    assert api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant", headers=AUG_4)[0] == 403
    code, refused = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 403 and "次回に回す" in refused["error"]["fields"]["approver"], refused
    path = f"/settlements/2025-07/holds/{a}/defer"
    assert api.call("POST", path, {"reason": "x"}, as_="agent", headers=AUG_4)[0] == 403
    code, bad = api.call("POST", path, {}, as_="accountant2", headers=AUG_4)
    assert code == 422 and "reason" in bad["error"]["fields"], bad
    code, deferred = api.call("POST", path, {"reason": "承認者が返却を記録したため"}, as_="accountant2", headers=AUG_4)
    assert code == 201 and deferred["amount"] == 5000, deferred
    code, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert {h["store_id"]: h["reason"] for h in july["held"]} == {a: "deferred"}
    assert july["shaped_by"] == ["accountant"], july
    code, approved = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 200 and approved["total_amount"] == 400, approved
    code, audit = api.call("GET", "/audit?subject=settlement%232025-07", as_="admin")
    assert "settlement.defer" in {e["action"] for e in audit["items"]}, audit

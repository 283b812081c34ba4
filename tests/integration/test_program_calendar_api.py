"""The program calendar over HTTP (issue 12, point 5): the sweep is quiet outside the settlement period,
the import rejects rows outside the usable period, and usage dated before a store's approval is held
until an accountant clears it (`POST /settlements/{m}/holds/{store_id}/clear`)."""

from __future__ import annotations

from tests.factories import application_body, approve_body
from tests.integration.test_settlement_api import JULY_2, csv_of, make_stores, upload
from tests.integration.test_settlement_sweep import staff_warnings, sweep


def test_the_sweep_is_quiet_before_any_point_exists_and_after_the_last_round(api):
    make_stores(api, 1)
    before = sweep(api, "2025-05-12T07:00:00+09:00")  # 2025-04: no point could be used yet
    after = sweep(api, "2026-04-10T07:00:00+09:00")  # 2026-03: the points' use ended on 2026-02-28
    assert (before["month"], after["month"]) == ("2025-04", "2026-03")
    assert before["actions"] == after["actions"] == [] and before["outside_settlement_period"] is True
    assert staff_warnings(api) == []


def test_the_sweep_still_warns_when_mays_usage_is_missing(api):
    make_stores(api, 1)
    # 2025-05 pays on 2025-06-20 and must be approved by 2025-06-17; the warning starts 3 bank business
    # days before that (jobs.USAGE_WARNING_DAYS): on 2025-06-12, not yet on 2025-06-10.
    assert sweep(api, "2025-06-10T07:00:00+09:00")["actions"] == []
    report = sweep(api, "2025-06-12T07:00:00+09:00")
    assert report["month"] == "2025-05" and report["actions"] == ["usage-missing"]
    assert [m["subject"] for m in staff_warnings(api)] == ["[miyapo-ops] 2025-05 の利用実績が未取り込みです"]


def test_the_import_rejects_rows_outside_the_usable_period_with_their_line(api):
    [store] = make_stores(api, 1)
    report = upload(api, csv_of([("P1", "2025-05-27 10:00:00", store, "店", 100, "利用"),
                                 ("P2", "2025-05-28 10:00:00", store, "店", 200, "利用"),
                                 ("P3", "2026-03-01 00:00:00", store, "店", 300, "利用")]))
    assert (report["accepted"], report["rejected_count"]) == (1, 2)
    assert [r["line"] for r in report["rejected"]] == [2, 4]
    assert all(r["reason"].startswith("ポイント利用期間（2025年5月28日〜2026年2月28日）外の利用日です")
               for r in report["rejected"])


def store_approved_on(api, when: str) -> str:
    clock = {"X-Miyapo-Now": when}
    code, answer = api.call("POST", "/applications", application_body(), headers=clock)
    assert code == 201
    code, decided = api.call("POST", f"/applications/{answer['application_id']}/decision", approve_body(),
                             as_="screener", headers=clock)
    assert code in (200, 201), decided
    return decided["store_id"]


def test_usage_before_a_stores_approval_is_held_until_an_accountant_clears_it(api):
    [early] = make_stores(api, 1)
    late = store_approved_on(api, "2025-06-15T10:00:00+09:00")
    upload(api, csv_of([("Q1", "2025-06-10 10:00:00", early, "店", 1000, "利用"),
                        ("Q2", "2025-06-12 10:00:00", late, "店", 400, "利用"),
                        ("Q3", "2025-06-20 10:00:00", late, "店", 600, "利用")]))
    code, draft = api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    assert code == 200 and draft["total_amount"] == 1000
    assert [(h["store_id"], h["reason"], h["reason_label"], h["amount"]) for h in draft["held"]] == [
        (late, "usage_before_active", "参加承認日より前の利用が含まれています", 1000)]
    assert draft["held"][0]["note"] == "参加承認日 2025-06-15、最初の利用日 2025-06-12"

    path = f"/settlements/2025-06/holds/{late}/clear"
    body = {"reason": "承認前の試験決済と店舗に確認しました"}
    for role in ("screener", "prefecture", "admin", "agent"):
        assert api.call("POST", path, body, as_=role, headers=JULY_2)[0] == 403, role
    code, refused = api.call("POST", path, {}, as_="accountant2", headers=JULY_2)
    assert code == 422 and refused["error"]["fields"]["reason"] == "解除の理由（確認した内容）を500文字以内で入力してください"
    code, refused = api.call("POST", f"/settlements/2025-06/holds/{early}/clear", body, as_="accountant2",
                             headers=JULY_2)
    assert code == 422 and refused["error"]["message"] == "この店舗はこの回で保留になっていません"
    code, cleared = api.call("POST", path, body, as_="accountant2", headers=JULY_2)
    assert code == 201 and (cleared["amount"], cleared["cleared_by"]) == (1000, "accountant2")
    code, audit = api.call("GET", "/audit?subject=settlement%232025-06", as_="admin")
    assert code == 200 and "settlement.clear_hold" in [e["action"] for e in audit["items"]]

    code, again = api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    assert code == 200 and again["held"] == [] and again["total_amount"] == 2000

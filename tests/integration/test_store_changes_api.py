"""Store change requests and help when stores call, through the API on moto (issue 11 points 2 and 5):
entry by an agent, four eyes, the application's validation (Japanese, 422), approval applied with history,
audit and mails (old and new address), a bank change paid with 新規コード 2, the version conflict, the
store's own link, the store search, and payments/overview per role (bank masked for agents)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.settlement.zengin_reader import parse_transfer_file
from tests.factories import GENERATED, application_body, approve_body
from tests.integration.test_settlement_api import AUG_4, JULY_2, MAY_20, csv_of, download, june_usage, upload

NEW_PHONE = "022-377-4410"
NEW_EMAIL = "changed.shop@example.com"
GENERATED.update({NEW_PHONE, "0223774410", NEW_EMAIL, "3141592", "ﾐﾔｷﾞ ｼﾞﾛｳ", "ミヤギ ジロウ"})


def make_store(api: Any, **overrides: Any) -> str:
    # Approved before points can be used (as test_settlement_api.make_stores): June's usage of a store
    # approved later would be held as usage before its approval.
    code, created = api.call("POST", "/applications", application_body(**overrides), headers=MAY_20)
    assert code == 201, created
    code, decided = api.call("POST", f"/applications/{created['application_id']}/decision", approve_body(),
                             as_="screener", headers=MAY_20)
    assert code == 200, decided
    return str(decided["store_id"])


def enter(api: Any, store_id: str, changes: dict[str, Any], as_: str = "agent", reason: str = "電話で申し出") -> Any:
    return api.call("POST", f"/stores/{store_id}/change-requests", {"changes": changes, "reason": reason}, as_=as_)


def decide(api: Any, request_id: str, as_: str = "screener", **body: Any) -> Any:
    return api.call("POST", f"/change-requests/{request_id}/decision", {"decision": "approve", **body}, as_=as_)


def test_an_agent_enters_a_change_a_second_person_approves_it_with_history_audit_and_mail(api):
    store_id = make_store(api)
    code, entered = enter(api, store_id, {"phone": NEW_PHONE, "address": "仙台市青葉区一番町1-1-1"})
    assert code == 201, entered
    request_id = entered["request_id"]
    assert request_id.startswith("CR")
    code, listed = api.call("GET", "/change-requests?status=open", as_="screener")
    assert code == 200 and [r["request_id"] for r in listed["items"]] == [request_id]
    row = listed["items"][0]
    assert {c["field"]: c["after"] for c in row["changes"]} == {"address": "仙台市青葉区一番町1-1-1",
                                                                 "phone": "0223774410"}
    # the agent may not decide at all; a screener decides
    assert decide(api, request_id, as_="agent")[0] == 403
    code, done = decide(api, request_id)
    assert code == 200 and done["status"] == "approved", done
    _, store = api.call("GET", f"/stores/{store_id}", as_="screener")
    assert (store["phone"], store["address"]) == ("0223774410", "仙台市青葉区一番町1-1-1")
    _, again = decide(api, request_id)
    assert again["error"]["message"].startswith("この変更申請は既に処理されています")
    code, history = api.call("GET", f"/stores/{store_id}/change-requests", as_="agent")
    assert code == 200
    assert [h["action"] for h in history["items"][0]["history"]] == ["entered", "approved"]
    code, audit = api.call("GET", f"/audit?subject=store%23{store_id}", as_="admin")
    assert code == 200
    actions = [a["action"] for a in audit["items"]]
    assert "store.change_request" in actions and "store.change_request_approve" in actions
    mails = [m for m in api.mail() if "登録内容を変更しました" in m["subject"]]
    assert len(mails) == 1 and "0223774410" in mails[0]["body"]


def test_the_person_who_entered_a_request_cannot_approve_it(api):
    store_id = make_store(api)
    _, entered = enter(api, store_id, {"store_name": "新しい店名"}, as_="screener")
    code, refused = decide(api, entered["request_id"], as_="screener")
    assert code == 403 and "別の担当者" in refused["error"]["message"]
    assert decide(api, entered["request_id"], as_="screener2")[0] == 200
    _, row = api.call("GET", f"/stores/{store_id}", as_="agent")
    assert row["store_name"] == "新しい店名"


def test_an_e_mail_change_is_mailed_to_the_old_and_the_new_address(api):
    body = application_body()
    store_id = make_store(api, email=body["email"])
    old = body["email"]
    _, entered = enter(api, store_id, {"email": NEW_EMAIL})
    assert decide(api, entered["request_id"], as_="screener")[0] == 200
    sent = {m["destinations"]["ToAddresses"][0]: m for m in api.mail()
            if "店舗ID" in m["subject"] and ("変更しました" in m["subject"])}
    assert set(sent) >= {old, NEW_EMAIL}
    assert "メールアドレスを変更しました" in sent[old]["subject"] and NEW_EMAIL not in sent[old]["body"]


def test_bad_input_is_422_with_japanese_field_messages(api):
    store_id = make_store(api)
    code, bad = enter(api, store_id, {"phone": "12", "goods": "酒"})
    assert code == 422 and "changes.goods" in bad["error"]["fields"]
    code, bad = enter(api, store_id, {"phone": "12", "store_name_kana": "漢字"})
    assert code == 422
    assert "電話番号" in bad["error"]["fields"]["changes.phone"]
    code, bad = enter(api, store_id, {"store_name_kana": "漢字", "bank": {
        "bank_code": "9999", "branch_code": "100", "account_type": "1", "account_number": "3141592",
        "holder_kana": "ミヤギ ジロウ"}})
    assert code == 422
    assert "フリガナ" in bad["error"]["fields"]["changes.store_name_kana"]
    assert "金融機関コード" in bad["error"]["fields"]["changes.bank.bank_code"]
    code, bad = enter(api, store_id, {}, reason="")
    assert code == 422 and set(bad["error"]["fields"]) == {"changes", "reason"}
    _, entered = enter(api, store_id, {"address": "仙台市青葉区二日町1-1"})
    code, bad = decide(api, entered["request_id"], decision="reject")
    assert code == 422 and "却下の理由" in bad["error"]["fields"]["reason"]
    code, rejected = decide(api, entered["request_id"], decision="reject", reason="ご本人確認ができませんでした")
    assert code == 200 and rejected["status"] == "rejected"
    assert any("変更のお申し出について" in m["subject"] for m in api.mail())
    assert api.call("POST", "/change-requests/CR999999/decision", {"decision": "approve"}, as_="screener")[0] == 404


def test_two_requests_changing_the_same_store_second_approval_is_a_conflict(api):
    store_id = make_store(api)
    _, first = enter(api, store_id, {"phone": NEW_PHONE})
    _, second = enter(api, store_id, {"phone": "022-377-4411"})
    assert decide(api, first["request_id"])[0] == 200
    code, conflict = decide(api, second["request_id"])
    assert code == 409 and "電話番号" in conflict["error"]["message"]
    _, store = api.call("GET", f"/stores/{store_id}", as_="screener")
    assert store["phone"] == "0223774410"


def test_a_bank_change_request_is_paid_to_the_new_account_with_new_code_2(api):
    stores = [make_store(api) for _ in range(3)]
    a = stores[0]
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    _, entered = enter(api, a, {"bank": {"bank_code": "0125", "branch_code": "100", "account_type": "1",
                                         "account_number": "3141592", "holder_kana": "ミヤギ ジロウ"}})
    code, done = decide(api, entered["request_id"])
    assert code == 200 and done["bank_change_id"].startswith("BC")
    _, store = api.call("GET", f"/stores/{a}", as_="screener")
    assert store["bank_verified"] is True and store["bank_change"]["confirmed_by"] == "screener"
    assert store["bank"]["account_number_masked"] == "****592"
    upload(api, csv_of([("T2001", "2025-07-10 10:00:00", a, "店A", 500, "利用")]))
    api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    code, july = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 200, july
    resp = download(api, "/settlements/2025-07/transfer-file", "accountant")
    record = next(r for r in parse_transfer_file(resp.body).records if r.customer_code1 == a[2:].rjust(10, "0"))
    assert (record.account_number, record.amount, record.new_code) == ("3141592", 500, "2")


def test_payments_for_staff_and_the_prefecture_and_the_agents_overview_with_bank_masked(api):
    stores = [make_store(api) for _ in range(3)]
    a, b, _c = stores
    upload(api, csv_of(june_usage(stores)))
    assert api.call("POST", f"/stores/{b}/status", {"status": "suspended", "reason": "確認中"}, as_="screener")[0] == 200
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    code, payments = api.call("GET", f"/stores/{a}/payments", as_="prefecture")
    assert code == 200, payments
    assert payments[0]["month"] == "2025-06" and payments[0]["status"] == "paid"
    assert payments[0]["amount"] == 2000 and payments[0]["transfer_date"] == "2025-07-18"
    code, held = api.call("GET", f"/stores/{b}/payments", as_="agent")
    assert code == 200 and held[0]["status"] == "held" and held[0]["reason"] == "店舗が利用停止中です"
    api.call("POST", "/settlements/2025-06/returns", {"store_id": a, "reason": "口座解約済み"}, as_="accountant",
             headers={"X-Miyapo-Now": "2025-07-18T15:00:00+09:00"})  # on June's transfer date
    _, returned = api.call("GET", f"/stores/{a}/payments", as_="screener")
    assert returned[0]["status"] == "returned" and returned[0]["reason"] == "口座解約済み"
    assert api.call("GET", f"/stores/{a}/payments", as_="coordinator")[0] == 403

    _, entered = enter(api, a, {"address": "仙台市青葉区国分町2-2-2"})
    code, overview = api.call("GET", f"/stores/{a}/overview", as_="agent")
    assert code == 200
    assert overview["store"]["bank"]["can_reveal"] is False
    assert overview["store"]["bank"]["account_number_masked"].startswith("****")
    _, full = api.call("GET", f"/stores/{a}/bank-account", as_="screener")
    assert full["account_number"] not in json.dumps(overview, ensure_ascii=False)
    assert [r["request_id"] for r in overview["change_requests"]] == [entered["request_id"]]
    assert [p["status"] for p in overview["returns"]] == ["returned"]
    assert isinstance(overview["inquiries"], list)
    assert api.call("GET", "/stores/MP999999/payments", as_="agent")[0] == 404


def test_store_search_by_id_phone_name_and_kana(api):
    body = application_body(store_name="さくら青果店検索", store_name_kana="サクラセイカテンケンサク")
    store_id = make_store(api, **{k: body[k] for k in ("store_name", "store_name_kana", "phone", "email")})
    other = make_store(api)
    assert other != store_id
    for q in (store_id, store_id.lower(), body["phone"], "青果店検索", "さくらせいか", "ｻｸﾗｾｲｶ"):
        code, found = api.call("GET", "/stores?q=" + _quote(q), as_="agent")
        assert code == 200, (q, found)
        assert [r["store_id"] for r in found["items"]] == [store_id], q
    code, none = api.call("GET", "/stores?q=" + _quote("存在しない店名"), as_="agent")
    assert code == 200 and none["items"] == []
    assert api.call("GET", "/stores?q=", as_="agent")[0] == 422


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value)


def test_the_store_asks_for_a_change_through_its_link(api):
    store_id = make_store(api)
    code, sent = api.call("POST", f"/stores/{store_id}/change-link", as_="agent")
    assert code == 200 and sent["sent_to"].endswith("@example.com")
    mail = next(m for m in api.mail() if "登録内容の変更のお手続き" in m["subject"])
    token = mail["body"].split("/store-change#t=", 1)[1].split()[0]
    code, info = api.call("POST", "/store-change/link", {"token": token})
    assert code == 200 and info["store_id"] == store_id
    code, bad = api.call("POST", "/store-change/requests", {"token": "x", "changes": {"address": "a"}, "reason": "r"})
    assert code == 422 and "token" in bad["error"]["fields"]
    code, entered = api.call("POST", "/store-change/requests", {
        "token": token, "changes": {"representative": "宮城 次郎テスト"}, "reason": "代表者が交代しました"})
    assert code == 201, entered
    code, page = api.call("GET", "/store-change")
    assert code == 200 and "登録内容の変更のお申し出" in page
    # the store entered it: any screener decides
    code, done = decide(api, entered["request_id"], as_="screener")
    assert code == 200, done

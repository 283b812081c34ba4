"""Carried-over stores through the API on moto (issue 11 point 1) and the bank-master check (point 7): the
prefecture's list uploaded in UTF-8 or CP932, the preview (new / matched with differences / rejected with
line-numbered Japanese reasons), confirmation into stores awaiting re-confirmation with one mail each, the
store's re-confirmation through its link, reruns that change nothing, and the roles."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import GENERATED, application_body, approve_body

NOW = "2025-05-12T10:00:00+09:00"
HEADER = ("昨年度店舗番号,店舗名,店舗名カナ,代表者名,郵便番号,地域コード,住所,電話番号,メールアドレス,"
          "金融機関コード,支店コード,預金種目,口座番号,口座名義カナ")

#: Fictional, distinctive personal data: tests/zz_last checks no log line carries any of it.
PEOPLE = {
    "MP900001": ("継続商店一号", "ケイゾクショウテンイチゴウ", "継続 一郎テスト", "022-398-7101", "keizoku.one@example.com",
                 "7100001"),
    "MP900002": ("継続商店二号", "ケイゾクショウテンニゴウ", "継続 二郎テスト", "022-398-7102", "keizoku.two@example.com",
                 "7100002"),
    "MP900003": ("継続商店三号", "ケイゾクショウテンサンゴウ", "継続 三郎テスト", "022-398-7103", "keizoku.three@example.com",
                 "7100003"),
}
for _name, _kana, _rep, _phone, _email, _account in PEOPLE.values():
    GENERATED.update({_rep, _phone, _phone.replace("-", ""), _email, _account})
GENERATED.update({"keizoku.new@example.com", "ケイゾク イチロウ", "ｹｲｿﾞｸ ｲﾁﾛｳ"})


def row(previous: str, **overrides: str) -> str:
    name, kana, rep, phone, email, account = PEOPLE[previous]
    cells = {"previous": previous, "name": name, "kana": kana, "rep": rep, "postal": "980-8570",
             "area": "041017", "address": "仙台市青葉区本町3-8-1", "phone": phone, "email": email,
             "bank": "0125", "branch": "100", "type": "普通", "account": account, "holder": "ケイゾク イチロウ"}
    cells.update(overrides)
    return ",".join(cells.values())


def csv_bytes(rows: list[str], encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


GOOD = [row("MP900001"), row("MP900002")]
BAD = [row("MP900003", area="041000", phone="1234567890"), row("MP900003", bank="9999")]


def at(now: str = NOW) -> dict[str, str]:
    return {"X-Miyapo-Now": now}


def upload(api: Any, body: bytes, as_: str = "screener") -> tuple[int, Any]:
    return api.call("POST", "/stores/carried-over", raw=body, as_=as_, headers={"Content-Type": "text/csv", **at()})


def test_only_screeners_and_admins_upload_the_list(api):
    for role in ("agent", "prefecture", "accountant"):
        code, answer = upload(api, csv_bytes(GOOD), as_=role)
        assert code == 403, (role, answer)
    code, _ = api.call("POST", "/stores/carried-over", raw=csv_bytes(GOOD), headers={"Content-Type": "text/csv"})
    assert code == 401
    code, answer = upload(api, csv_bytes(GOOD), as_="admin")
    assert code == 201 and answer["import_id"].startswith("SI")


def test_the_preview_says_new_matched_and_rejected_with_line_numbers_in_japanese(api):
    # An application already names MP900002's phone: the row matches it, with the differences.
    existing = application_body(phone=PEOPLE["MP900002"][3], store_name="別名の商店")
    code, created = api.call("POST", "/applications", existing)
    assert code == 201
    code, made = upload(api, csv_bytes(GOOD + BAD))
    assert code == 201, made
    code, preview = api.call("GET", f"/stores/carried-over/{made['import_id']}", as_="screener", headers=at())
    assert code == 200, preview
    assert (preview["rows"], preview["new"], preview["matched"]) == (4, 1, 1)
    assert preview["encoding"] == "utf-8-sig" and preview["state"] == "previewed"
    lines = {r["line"]: r for r in preview["preview"]}
    assert lines[2]["kind"] == "new" and lines[2]["municipality_name"] == "仙台市青葉区"
    assert lines[2]["bank"]["account_number_masked"] == "****001" and "7100001" not in str(preview)
    match = lines[3]["matches"][0]
    assert lines[3]["kind"] == "matched" and match["ref"] == f"application#{created['application_id']}"
    assert match["by"] == ["phone"] and match["by_labels"] == ["電話番号"]
    assert {"field": "store_name", "label": "店舗名", "current": "別名の商店", "incoming": "継続商店二号"} in match["differences"]
    rejected = {r["line"]: r["reason"] for r in preview["rejected"]}
    assert set(rejected) == {4, 5}
    assert "市区町村" in rejected[4] and "電話番号" in rejected[4]
    assert "金融機関コード" in rejected[5] and "見つかりません" in rejected[5]
    # The same row's previous id twice: the second is refused with the first's line.
    code, made = upload(api, csv_bytes([row("MP900003"), row("MP900003", email="keizoku.new@example.com")]))
    _, preview = api.call("GET", f"/stores/carried-over/{made['import_id']}", as_="screener", headers=at())
    assert preview["rejected"] == [{"line": 3, "reason": "昨年度店舗番号 MP900003 が 2行目と重複しています"}]


def test_a_missing_column_or_an_unreadable_file_is_refused_with_a_reason(api):
    code, answer = upload(api, "昨年度店舗番号,店舗名\r\nMP900001,店\r\n".encode())
    assert code == 422 and "店舗名カナ" in answer["error"]["fields"]["file"]
    code, answer = upload(api, b"\x00\x01\x02binary")
    assert code == 422 and answer["error"]["fields"]["file"]
    code, answer = upload(api, b"")
    assert code == 422


def test_cp932_is_detected_and_the_same_rows_rerun_change_nothing(api):
    code, first = upload(api, csv_bytes(GOOD, "cp932"))
    assert code == 201 and first["created"] is True
    code, again = upload(api, csv_bytes(GOOD, "cp932"))
    assert code == 201 and again == {"import_id": first["import_id"], "created": False}
    # The same rows in UTF-8 without a BOM are the same import.
    code, utf8 = upload(api, csv_bytes(GOOD, "utf-8"))
    assert utf8 == {"import_id": first["import_id"], "created": False}
    _, preview = api.call("GET", f"/stores/carried-over/{first['import_id']}", as_="screener", headers=at())
    assert preview["encoding"] == "cp932" and preview["new"] == 2
    assert preview["preview"][0]["store_name"] == "継続商店一号"


def confirmed(api: Any) -> tuple[str, list[str]]:
    code, made = upload(api, csv_bytes(GOOD + BAD))
    assert code == 201
    code, done = api.call("POST", f"/stores/carried-over/{made['import_id']}/confirm", as_="screener", headers=at())
    assert code == 200, done
    return made["import_id"], done["stores"]


def reconfirm_mails(api: Any) -> list[dict[str, Any]]:
    return [m for m in api.mail() if "参加継続のご確認" in m["subject"]]


def test_confirming_creates_stores_awaiting_reconfirmation_with_one_mail_each_and_twice_creates_nothing(api, deps):
    import_id, stores = confirmed(api)
    assert len(stores) == 2
    code, store = api.call("GET", f"/stores/{stores[0]}", as_="screener", headers=at())
    assert code == 200
    assert (store["status"], store["status_label"], store["previous_store_id"]) == (
        "awaiting_reconfirmation", "継続確認待ち", "MP900001")
    assert store["bank_problem"] is None and store["bank_successor"] is None
    mails = reconfirm_mails(api)
    assert sorted(m["destinations"]["ToAddresses"][0] for m in mails) == ["keizoku.one@example.com",
                                                                         "keizoku.two@example.com"]
    # Confirming again, or uploading the same rows again and confirming, creates nothing and sends nothing.
    code, again = api.call("POST", f"/stores/carried-over/{import_id}/confirm", as_="screener", headers=at())
    assert code == 200 and again["stores"] == stores and again["created"] == 0
    code, rerun = upload(api, csv_bytes(GOOD + BAD))
    assert rerun == {"import_id": import_id, "created": False}
    assert len(reconfirm_mails(api)) == 2
    # Another file naming the same previous stores: they match the stores now, nothing new is created.
    code, other = upload(api, csv_bytes([row("MP900001", address="仙台市青葉区本町3-8-2")]))
    _, preview = api.call("GET", f"/stores/carried-over/{other['import_id']}", as_="screener", headers=at())
    match = preview["preview"][0]["matches"][0]
    assert preview["matched"] == 1 and match["ref"] == f"store#{stores[0]}"
    assert set(match["by"]) >= {"previous", "phone", "email", "bank"}
    assert [d["field"] for d in match["differences"]] == ["address"]
    code, done = api.call("POST", f"/stores/carried-over/{other['import_id']}/confirm", as_="screener", headers=at())
    assert done["stores"] == [] and done["created"] == 0
    code, audit = api.call("GET", f"/audit?subject=store_import%23{import_id}", as_="admin")
    assert [e["action"] for e in audit["items"]].count("store_import.confirm") == 1
    assert "store_import.upload" in {e["action"] for e in audit["items"]}
    from chalicelib.stores.carried_over import match_previous

    found = match_previous(deps.store_repository, "MP900001", keys=deps.keys)
    assert found is not None and found["matched"] and found["stores"][0]["store_id"] == stores[0]
    missing = match_previous(deps.store_repository, "MP999999", keys=deps.keys)
    assert missing is not None and missing["matched"] is False


def token_of(mail: dict[str, Any]) -> str:
    return str(mail["body"].split("/store-reconfirm#t=", 1)[1].split()[0])


def test_the_store_confirms_its_pledges_through_its_link_and_becomes_active(api):
    _, stores = confirmed(api)
    mail = next(m for m in reconfirm_mails(api) if m["destinations"]["ToAddresses"][0] == "keizoku.one@example.com")
    token = token_of(mail)
    code, page = api.call("GET", "/store-reconfirm")
    assert code == 200 and "store-reconfirm.js" in page
    code, shown = api.call("POST", "/store-reconfirmations", {"token": token}, headers=at())
    assert code == 200 and shown["state"] == "pending" and shown["store_id"] == stores[0]
    assert [d["key"] for d in shown["declarations"]] == ["no_antisocial", "not_adult_business", "no_excluded_goods",
                                                         "accepts_terms"]
    assert shown["contact"]["email"] == "keizoku.one@example.com"
    # A pledge left out and a bad e-mail: field errors, nothing changes.
    code, refused = api.call("POST", "/store-reconfirmations", {
        "token": token, "answer": "confirm", "declarations": {"no_antisocial": True}}, headers=at())
    assert code == 422 and "declarations.accepts_terms" in refused["error"]["fields"]
    pledges = {k: True for k in ("no_antisocial", "not_adult_business", "no_excluded_goods", "accepts_terms")}
    code, refused = api.call("POST", "/store-reconfirmations", {
        "token": token, "answer": "confirm", "declarations": pledges, "contact": {"email": "not-an-address"}},
        headers=at())
    assert code == 422 and "contact.email" in refused["error"]["fields"]
    code, done = api.call("POST", "/store-reconfirmations", {
        "token": token, "answer": "confirm", "declarations": pledges,
        "contact": {"email": "keizoku.new@example.com"}}, headers=at())
    assert code == 200 and done["state"] == "confirmed" and done["contact"]["email"] == "keizoku.new@example.com"
    code, store = api.call("GET", f"/stores/{stores[0]}", as_="screener", headers=at())
    assert store["status"] == "active" and store["email"] == "keizoku.new@example.com" and store["reconfirmed_at"]
    # Twice: it says so, nothing changes.
    code, again = api.call("POST", "/store-reconfirmations", {
        "token": token, "answer": "confirm", "declarations": pledges}, headers=at())
    assert code == 200 and again["state"] == "confirmed"
    code, audit = api.call("GET", f"/audit?subject=store%23{stores[0]}", as_="admin")
    assert code == 200
    actions = [e["action"] for e in audit["items"]]
    assert "store.reconfirm" in actions and "store.create_carried_over" in actions
    code, _ = api.call("POST", "/store-reconfirmations", {"token": "x" + token}, headers=at())
    assert code == 422


def test_a_store_whose_bank_left_the_master_is_mailed_once_with_the_successor(api, deps):
    code, created = api.call("POST", "/applications", application_body())
    _, decided = api.call("POST", f"/applications/{created['application_id']}/decision", approve_body(),
                          as_="screener")
    store_id = decided["store_id"]
    store = deps.store_repository.get(store_id)
    # みちのく銀行 (0118) left the bank master with its merger into 青森みちのく銀行 (0117).
    from chalicelib.adapters import aws

    aws.table(deps.settings.tables.stores_table).update_item(
        Key={"store_id": store_id}, UpdateExpression="SET bank = :b",
        ExpressionAttributeValues={":b": {**store["bank"], "bank_code": "0118", "bank_name": "みちのく",
                                          "branch_code": "001", "branch_name": "本店"}})
    code, view = api.call("GET", f"/stores/{store_id}", as_="screener", headers=at())
    assert code == 200 and "0118" in view["bank_problem"]
    assert view["bank_successor"]["bank_code"] == "0117" and view["bank_successor"]["branch_rule"] == "unknown"
    for _ in range(2):
        code, ran = api.call("POST", "/jobs/bank-master-check", {}, as_="admin", headers=at())
        assert code == 200, ran
    mails = [m for m in api.mail() if "振込口座の変更のお願い" in m["subject"]]
    assert len(mails) == 1
    assert "0117" in mails[0]["body"] and "/store-change#t=" in mails[0]["body"]
    code, _ = api.call("POST", "/jobs/bank-master-check", {}, as_="agent", headers=at())
    assert code == 403


@pytest.mark.parametrize("path", ["/stores/carried-over/SI999999", "/stores/carried-over/SI999999/confirm"])
def test_an_unknown_import_is_404(api, path):
    method = "POST" if path.endswith("confirm") else "GET"
    code, answer = api.call(method, path, as_="screener", headers=at())
    assert code == 404 and answer["error"]["message"] == "取込が見つかりません"


def test_an_application_naming_a_previous_store_shows_the_screener_the_match_and_what_differs(api):
    _, stores = confirmed(api)
    code, made = api.call("POST", "/applications",
                          application_body(previous_store_id="MP900001", store_name="継続商店一号（新）"))
    assert code == 201
    code, seen = api.call("GET", f"/applications/{made['application_id']}", as_="screener")
    assert code == 200
    match = seen["previous_store"]
    assert match["matched"] is True
    assert [s["store_id"] for s in match["stores"]] == [stores[0]]
    labels = {d["field"] for d in match["stores"][0]["differences"]}
    assert "store_name" in labels
    # The prefecture learns which fields differ, not their values.
    code, seen = api.call("GET", f"/applications/{made['application_id']}", as_="prefecture")
    assert code == 200
    assert all(set(d) == {"field", "label"} for d in seen["previous_store"]["stores"][0]["differences"])

    code, made = api.call("POST", "/applications", application_body(previous_store_id="MP999999"))
    code, seen = api.call("GET", f"/applications/{made['application_id']}", as_="screener")
    assert seen["previous_store"]["matched"] is False
    code, made = api.call("POST", "/applications", application_body())
    code, seen = api.call("GET", f"/applications/{made['application_id']}", as_="screener")
    assert seen["previous_store"] is None

"""No payment on one person's word, no month that can freeze, every yen exactly once and in order.

Each test replays an attack or failure found against main (issue 7) through the API on moto.
"""

from __future__ import annotations

import pytest

from chalicelib.adapters import aws
from chalicelib.auth.roles import Principal, Role
from chalicelib.clock import parse_aware
from chalicelib.settlement import release, service, views
from chalicelib.settlement.zengin_reader import parse_transfer_file
from tests.fakes import with_setting
from tests.integration.test_settlement_api import (
    AUG_4,
    JULY_2,
    JULY_18,
    csv_of,
    download,
    june_usage,
    make_stores,
    upload,
)

ACCOUNTANT2 = Principal("accountant2", frozenset({Role.ACCOUNTANT}))
SEP_2 = {"X-Miyapo-Now": "2025-09-02T10:00:00+09:00"}
ATTACKER_ACCOUNT = {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "7777777",
                    "holder_kana": "ハンニン タロウ"}


def payment_notices(api) -> list[dict]:
    return [m for m in api.mail() if "お支払いについて" in m["subject"]]


def queued_notices(deps) -> list[str]:
    table = aws.table(deps.settings.tables.outbox_table)
    items = table.scan()["Items"]  # test-only look at the whole outbox
    return sorted(i["mail_id"] for i in items if str(i["mail_id"]).startswith("payment-notice#"))


def june_paid(api, stores) -> None:
    upload(api, csv_of([(f"U{i}", "2025-06-10 10:00:00", s, "店", 1000 + i, "利用") for i, s in enumerate(stores)]))
    assert api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)[0] == 200
    assert api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)[0] == 200


# --- four eyes ------------------------------------------------------------------------------------


def test_one_accountant_alone_cannot_send_money_to_their_own_account(api):
    """The reproduction: bank change → big adjustment → system draft → approval, all by one person."""
    stores = make_stores(api, 2)
    june_paid(api, stores)
    victim = stores[0]
    code, changed = api.call("PUT", f"/stores/{victim}/bank-account", ATTACKER_ACCOUNT, as_="accountant",
                             headers=JULY_2)
    assert code == 200 and changed["bank_verified"] is False
    # the store is told at its registered address
    assert any("振込口座の変更を受け付けました" in m["subject"] for m in api.mail())
    assert api.call("POST", "/settlements/adjustments", {"store_id": victim, "amount": 5_000_000, "reason": "x"},
                    as_="accountant", headers=JULY_2)[0] == 201
    # an agent can run no job that moves money; the accountant's manual run is audited
    assert api.call("POST", "/jobs/settlement-sweep", {"now": "2025-08-04T07:00:00+09:00"}, as_="agent")[0] == 403
    upload(api, csv_of([("J1", "2025-07-10 10:00:00", stores[1], "店", 100, "利用")]))
    code, swept = api.call("POST", "/jobs/settlement-sweep", {"now": "2025-08-04T07:00:00+09:00"}, as_="accountant")
    assert code == 200 and swept["actions"] == ["drafted"]
    code, audit = api.call("GET", "/audit?subject=job%23settlement-sweep", as_="admin")
    assert code == 200 and [e["user"] for e in audit["items"]] == ["accountant"]
    _, july = api.call("GET", "/settlements/2025-07", as_="accountant")
    assert july["drafted_by"] == "system" and july["shaped_by"] == ["accountant"]
    assert {h["store_id"]: h["reason"] for h in july["held"]}[victim] == "bank_unverified"
    code, refused = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant", headers=AUG_4)
    assert code == 403 and "approver" in refused["error"]["fields"]
    # the same person cannot confirm their own change either
    assert api.call("POST", f"/stores/{victim}/bank-account/confirm", {}, as_="accountant", headers=AUG_4)[0] == 403
    # a second person confirms: they shaped the round now, so a third must approve
    assert api.call("POST", f"/stores/{victim}/bank-account/confirm", {}, as_="screener", headers=AUG_4)[0] == 200
    code, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert code == 200 and july["shaped_by"] == ["accountant", "screener"]
    assert api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant", headers=AUG_4)[0] == 403
    assert api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)[0] == 200


@pytest.mark.parametrize("who_enters", ["adjustment", "return", "bank-confirm"])
def test_whoever_entered_an_input_of_the_round_cannot_approve_it(api, who_enters):
    stores = make_stores(api, 3)
    june_paid(api, stores)
    a = stores[0]
    if who_enters == "adjustment":
        api.call("POST", "/settlements/adjustments", {"store_id": a, "amount": 100, "reason": "訂正"},
                 as_="accountant2", headers=JULY_2)
    elif who_enters == "return":
        api.call("POST", "/settlements/2025-06/returns", {"store_id": a, "reason": "口座なし"}, as_="accountant2",
                 headers=JULY_18)
        api.call("PUT", f"/stores/{a}/bank-account", ATTACKER_ACCOUNT, as_="accountant", headers=JULY_18)
        api.call("POST", f"/stores/{a}/bank-account/confirm", {}, as_="screener", headers=JULY_18)
    else:
        api.call("PUT", f"/stores/{a}/bank-account", ATTACKER_ACCOUNT, as_="screener", headers=JULY_2)
        api.call("POST", f"/stores/{a}/bank-account/confirm", {}, as_="accountant2", headers=JULY_2)
    upload(api, csv_of([("J1", "2025-07-10 10:00:00", stores[1], "店", 100, "利用"),
                        ("J2", "2025-07-11 10:00:00", a, "店", 100, "利用")]))
    code, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert code == 200 and "accountant2" in july["shaped_by"], july
    code, refused = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 403, refused
    assert api.call("GET", "/settlements/2025-07", as_="accountant")[1]["status"] == "draft"


def test_a_system_draft_nobody_touched_needs_a_person_to_draft_it_again(api, deps):
    stores = make_stores(api, 1)
    june_paid(api, stores)
    service.draft(deps, "2025-07", service.system_actor(), parse_aware("2025-08-04T07:00:00+09:00"))
    code, refused = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 403 and "二人" in refused["error"]["fields"]["approver"]
    api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)[0] == 200


def test_a_bank_change_after_the_draft_stops_approval_until_redrafted(api):
    stores = make_stores(api, 2)
    upload(api, csv_of(june_usage([*stores, stores[0]])))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    api.call("PUT", f"/stores/{stores[1]}/bank-account", ATTACKER_ACCOUNT, as_="screener", headers=JULY_2)
    code, refused = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 409 and stores[1] in refused["error"]["message"]
    assert payment_notices(api) == []


# --- nothing freezes ------------------------------------------------------------------------------


def test_absurd_amounts_are_refused_at_entry(api):
    stores = make_stores(api, 1)
    code, answer = api.call("POST", "/settlements/adjustments",
                            {"store_id": stores[0], "amount": 9_999_999_999, "reason": "x"}, as_="accountant")
    assert code == 422 and "調整額" in answer["error"]["fields"]["amount"]
    report = upload(api, csv_of([("H1", "2025-06-10 10:00:00", stores[0], "店", 9_999_999_999, "利用"),
                                 ("H2", "2025-06-10 10:00:00", stores[0], "店", 100, "利用")]))
    assert report["accepted"] == 1 and "大きすぎ" in report["rejected"][0]["reason"]


def _break_store(deps, store_id: str, field: str, value: str) -> None:
    aws.table(deps.settings.tables.stores_table).update_item(
        Key={"store_id": store_id}, UpdateExpression="SET bank.#f = :v", ExpressionAttributeNames={"#f": field},
        ExpressionAttributeValues={":v": value})


@pytest.mark.parametrize(("field", "value", "note"), [
    ("bank_code", "9998", "金融機関マスタにありません"),
    ("branch_code", "999", "金融機関マスタにありません"),
    ("holder_kana", "山田　太郎", "口座名義"),
])
def test_a_store_the_bank_file_cannot_carry_is_held_and_the_month_is_paid(api, deps, field, value, note):
    stores = make_stores(api, 3)
    _break_store(deps, stores[1], field, value)
    upload(api, csv_of(june_usage(stores)))
    code, june = api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    assert code == 200
    held = {h["store_id"]: h for h in june["held"]}
    assert held[stores[1]]["reason"] == "bank_invalid" and note in held[stores[1]]["note"]
    code, approved = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 200 and approved["status"] == "approved" and approved["stores_paid"] == 2
    parsed = parse_transfer_file(download(api, "/settlements/2025-06/transfer-file", "accountant").body)
    assert parsed.trailer_count == 2 and parsed.trailer_total == approved["total_amount"]


def test_an_amount_above_the_ceiling_needs_a_second_person(api):
    stores = make_stores(api, 2)
    june_paid(api, stores)
    a = stores[0]
    api.call("POST", "/settlements/adjustments", {"store_id": a, "amount": 6_000_000, "reason": "未払い分"},
             as_="accountant", headers=JULY_2)
    _, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert {h["store_id"]: h["reason"] for h in july["held"]}[a] == "over_ceiling"
    body = {"store_id": a, "amount": 6_000_000, "reason": "請求書で確認"}
    assert api.call("POST", "/settlements/2025-07/ceiling-confirmations", body, as_="accountant",
                    headers=AUG_4)[0] == 403
    assert api.call("POST", "/settlements/2025-07/ceiling-confirmations", {**body, "amount": 5_999_999},
                    as_="accountant2", headers=AUG_4)[0] == 422
    assert api.call("POST", "/settlements/2025-07/ceiling-confirmations", body, as_="accountant2",
                    headers=AUG_4)[0] == 201
    _, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert july["held"] == [] and july["total_amount"] == 6_000_000
    code, approved = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 200 and approved["total_amount"] == 6_000_000


def test_a_release_that_fails_verification_can_go_back_to_draft(api, deps, monkeypatch):
    stores = make_stores(api, 2)
    june_paid(api, stores)
    api.call("POST", "/settlements/adjustments", {"store_id": stores[0], "amount": 300, "reason": "訂正"},
             as_="accountant", headers=JULY_2)
    api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    monkeypatch.setattr(release, "reconcile", lambda parsed, rows: ["record 1 differs"])
    code, failed = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 409 and "照合" in failed["error"]["message"]
    _, july = api.call("GET", "/settlements/2025-07", as_="accountant")
    assert july["status"] == "approving" and july["can_reopen"] and "record 1" in july["release_error"]
    assert queued_notices(deps) == [f"payment-notice#2025-06#{s}" for s in sorted(stores)]
    assert api.call("POST", "/settlements/2025-07/reopen", {}, as_="accountant", headers=AUG_4)[0] == 422
    code, reopened = api.call("POST", "/settlements/2025-07/reopen", {"reason": "照合エラーの調査"}, as_="accountant",
                              headers=AUG_4)
    assert code == 200 and reopened["status"] == "draft"
    _, adjustments = api.call("GET", "/settlements/adjustments", as_="accountant")
    assert [a["state"] for a in adjustments["items"]] == ["open"]
    monkeypatch.undo()
    code, approved = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 200 and approved["status"] == "approved"
    assert f"payment-notice#2025-07#{stores[0]}" in queued_notices(deps)


def test_notices_cut_off_after_approval_are_queued_once_by_the_mail_sweep(api, deps, monkeypatch):
    stores = make_stores(api, 3)
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    real = release.complete

    def crash(*args, **kwargs):
        raise ConnectionError("Lambda timed out")

    monkeypatch.setattr(release, "complete", crash)
    with pytest.raises(ConnectionError):
        service.approve(deps, "2025-06", ACCOUNTANT2, parse_aware(JULY_2["X-Miyapo-Now"]))
    assert views.get_round(deps, "2025-06")["status"] == "approved"
    assert queued_notices(deps) == []
    monkeypatch.setattr(release, "complete", real)
    for _ in range(2):
        assert api.call("POST", "/jobs/mail-sweep", {}, as_="admin")[0] == 200
    assert queued_notices(deps) == [f"payment-notice#2025-06#{s}" for s in sorted(stores)]
    assert len(payment_notices(api)) == 3


# --- exactly once, in order -----------------------------------------------------------------------


def test_a_gap_month_is_refused_and_an_adjustment_is_paid_once(api, deps):
    stores = make_stores(api, 2)
    june_paid(api, stores)
    api.call("POST", "/settlements/adjustments", {"store_id": stores[0], "amount": 1000, "reason": "訂正"},
             as_="accountant", headers=JULY_2)
    code, refused = api.call("POST", "/settlements/2025-08/draft", {}, as_="accountant", headers=SEP_2)
    assert code == 409 and refused["error"]["fields"]["month"] == "2025-07"
    assert api.call("GET", "/settlements/2025-08", as_="accountant")[0] == 404
    # the gap month gets its round (here it pays the adjustment), then the next month can follow
    _, july = api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    assert july["total_amount"] == 1000
    api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    code, august = api.call("POST", "/settlements/2025-08/draft", {}, as_="accountant", headers=SEP_2)
    assert code == 200 and august["total_amount"] == 0 and august["adjustments_total"] == 0
    assert api.call("POST", "/settlements/2025-08/approve", {}, as_="accountant2", headers=SEP_2)[0] == 200
    assert [m for m in payment_notices(api) if "8月" in m["subject"]] == []


def test_an_adjustment_claimed_elsewhere_stops_the_approval_before_anything_is_released(api, deps):
    stores = make_stores(api, 2)
    june_paid(api, stores)
    _, adj = api.call("POST", "/settlements/adjustments", {"store_id": stores[0], "amount": 1000, "reason": "訂正"},
                      as_="accountant", headers=JULY_2)
    api.call("POST", "/settlements/2025-07/draft", {}, as_="accountant", headers=AUG_4)
    aws.table(deps.settings.tables.settlements_table).update_item(
        Key={"pk": "adjustments", "sk": f"manual#{adj['adjustment_id']}"},
        UpdateExpression="SET #s = :s, settled_in = :m", ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":s": "settled", ":m": "2099-01"})
    code, _ = api.call("POST", "/settlements/2025-07/approve", {}, as_="accountant2", headers=AUG_4)
    assert code == 409
    assert views.get_round(deps, "2025-07")["status"] == "draft"
    assert not any("7月" in m["subject"] for m in payment_notices(api))


def test_a_large_round_answers_at_once_and_the_sweep_sends_its_notices(api, deps, monkeypatch):
    stores = make_stores(api, 3)
    monkeypatch.setattr(deps, "settings", with_setting(deps.settings, "settlement.inline_notice_limit", 2))
    upload(api, csv_of(june_usage(stores)))
    api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    code, approved = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant2", headers=JULY_2)
    assert code == 200 and approved["status"] == "approved"
    assert queued_notices(deps) == []
    assert api.call("POST", "/jobs/mail-sweep", {}, as_="admin")[0] == 200
    assert queued_notices(deps) == [f"payment-notice#2025-06#{s}" for s in sorted(stores)]
    from chalicelib.adapters.files import FileStore

    notice = FileStore(deps.settings.buckets.documents_bucket).get(f"settlements/2025-06/notices/{stores[0]}.txt")
    assert notice is not None and "お支払額: 2,000円" in notice.decode("utf-8")

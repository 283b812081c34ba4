"""Store change requests on the twins (no AWS): the application's validation per changed field, four eyes,
the history on the request and the store, the conflict when the store moved, the mails (old and new
address) and a bank change applied the bank-change way."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import Conflict, Forbidden, InvalidInput, LinkExpired
from chalicelib.stores import changes
from chalicelib.stores.change_repository import InMemoryStoreChangeRepository
from chalicelib.stores.repository import InMemoryStoreRepository
from tests.fakes import Audit, Counters, make_settings
from tests.unit.test_stores_service import Mails

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 7, 1, 10, 0, tzinfo=JST)
AGENT = Principal("agent1", frozenset({Role.AGENT}))
SCREENER = Principal("screener1", frozenset({Role.SCREENER}))
SCREENER2 = Principal("screener2", frozenset({Role.SCREENER}))
COORDINATOR = Principal("coord", frozenset({Role.COORDINATOR}))
NEW_BANK = {"bank_code": "0125", "branch_code": "100", "account_type": "1", "account_number": "7654321",
            "holder_kana": "ﾔﾏﾀﾞ ﾀﾛｳ"}


@pytest.fixture
def deps() -> Any:
    stores = InMemoryStoreRepository()
    tx = stores.new_tx()
    stores.create(tx, {
        "store_id": "MP000001", "status": "active", "store_name": "テスト商店", "store_name_kana": "テストショウテン",
        "representative": "山田 花子テスト", "postal_code": "980-8570", "municipality_code": "041017",
        "municipality_name": "仙台市青葉区", "address": "仙台市青葉区本町3-8-1", "phone": "0223915518",
        "email": "shop@example.com", "version": 1, "bank_verified": True,
        "bank": {"bank_code": "0125", "bank_name": "七十七", "branch_code": "100", "branch_name": "本店",
                 "account_type": "1", "account_number": "1234567", "holder_kana": "ﾔﾏﾀﾞ ﾊﾅｺ"},
    })
    tx.commit()
    return SimpleNamespace(settings=make_settings(), store_repository=stores,
                           store_change_repository=InMemoryStoreChangeRepository(tables=stores.tables),
                           keys=Counters(), audit=Audit(), outbox=Mails(), sender=None)


def written(deps: Any, table: str) -> list[dict[str, Any]]:
    return list(deps.store_repository.tables.get(table, []))


def enter(deps: Any, body_changes: dict[str, Any], who: Principal = AGENT) -> str:
    return str(changes.submit(deps, "MP000001", {"changes": body_changes, "reason": "電話で申し出"}, who,
                              NOW)["request_id"])


# --- validation --------------------------------------------------------------------------------------------


def test_changes_are_normalised_by_the_applications_rules() -> None:
    new, warnings = changes.validate_changes({"phone": "０２２－３７７－４４１０", "store_name_kana": "さくら",
                                              "postal_code": "9808570", "municipality_code": "041017"})
    assert new["phone"] == "0223774410" and new["store_name_kana"] == "サクラ" and new["postal_code"] == "980-8570"
    assert (new["municipality_name"], new["region"]) != (None, None)
    assert warnings == ()
    new, _ = changes.validate_changes({"bank": dict(NEW_BANK)})
    assert new["bank"]["bank_name"] and new["bank"]["holder_kana"] == "ﾔﾏﾀﾞ ﾀﾛｳ"


@pytest.mark.parametrize("raw, field, words", [
    ({"phone": "12"}, "changes.phone", "電話番号"),
    ({"email": "not-an-address"}, "changes.email", "メールアドレス"),
    ({"store_name_kana": "漢字"}, "changes.store_name_kana", "フリガナ"),
    ({"municipality_code": "041009"}, "changes.municipality_code", "区を選んで"),
    ({"bank": {**NEW_BANK, "bank_code": "9999"}}, "changes.bank.bank_code", "金融機関コード"),
    ({"bank": {**NEW_BANK, "holder_kana": "山田"}}, "changes.bank.holder_kana", ""),
    ({"goods": "酒"}, "changes.goods", "変更できません"),
    ({"store_name": 5}, "changes.store_name", ""),
    ({}, "changes", "1つ以上"),
    ("phone", "changes", "1つ以上"),
])
def test_each_bad_change_gets_its_japanese_field_message(raw: Any, field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        changes.validate_changes(raw)
    assert field in caught.value.fields
    assert words in caught.value.fields[field]
    assert all(k.startswith("changes") for k in caught.value.fields)


def test_a_request_needs_a_reason_and_a_real_change(deps: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        changes.submit(deps, "MP000001", {"changes": {"address": "仙台市青葉区一番町1"}}, AGENT, NOW)
    assert "reason" in caught.value.fields
    with pytest.raises(InvalidInput) as caught:
        changes.submit(deps, "MP000001", {"changes": {"phone": "022-391-5518"}, "reason": "r"}, AGENT, NOW)
    assert caught.value.message == "現在の登録内容と同じです"
    with pytest.raises(InvalidInput):
        changes.submit(deps, "MP000001", {"changes": {"phone": "0223774410"}, "reason": "r", "token": "x"}, AGENT,
                       NOW)


# --- entry, four eyes, history -----------------------------------------------------------------------------


def test_an_entered_request_keeps_the_values_it_replaces_and_is_audited(deps: Any) -> None:
    request_id = enter(deps, {"phone": "022-377-4410"})
    item = deps.store_change_repository.get(request_id)
    assert item["status"] == "open" and item["before"] == {"phone": "0223915518"}
    assert item["changes"] == {"phone": "0223774410"} and item["entered_by"] == "agent1"
    assert [a["action"] for a in written(deps, "audit")] == ["store.change_request"]
    assert deps.store_repository.get("MP000001")["phone"] == "0223915518"  # nothing applied yet


def test_the_person_who_entered_it_cannot_decide_it(deps: Any) -> None:
    request_id = enter(deps, {"address": "仙台市青葉区一番町1-1"}, who=SCREENER)
    with pytest.raises(Forbidden):
        changes.decide(deps, request_id, {"decision": "approve"}, SCREENER, NOW)
    view = changes.get_request(deps, SCREENER, request_id, NOW)
    assert view["can_decide"] is False
    assert changes.get_request(deps, SCREENER2, request_id, NOW)["can_decide"] is True
    assert changes.decide(deps, request_id, {"decision": "approve"}, SCREENER2, NOW)["status"] == "approved"


def test_approval_applies_keeps_history_on_both_sides_audits_and_mails(deps: Any) -> None:
    request_id = enter(deps, {"phone": "022-377-4410", "store_name": "新テスト商店"})
    answer = changes.decide(deps, request_id, {"decision": "approve", "reason": "本人確認済み"}, SCREENER,
                            NOW + timedelta(hours=1))
    assert answer["fields"] == ["phone", "store_name"]
    store = deps.store_repository.get("MP000001")
    assert (store["phone"], store["store_name"], store["version"]) == ("0223774410", "新テスト商店", 2)
    assert store["change_log"] == [{"request_id": request_id, "at": (NOW + timedelta(hours=1)).isoformat(),
                                    "fields": ["phone", "store_name"], "entered_by": "agent1",
                                    "approved_by": "screener1"}]
    item = deps.store_change_repository.get(request_id)
    assert [h["action"] for h in item["history"]] == ["entered", "approved"]
    assert item["decided_by"] == "screener1" and item["decision_reason"] == "本人確認済み"
    assert [a["action"] for a in written(deps, "audit")] == ["store.change_request", "store.change_request_approve"]
    mails = written(deps, "outbox")
    assert [m["to"] for m in mails] == ["shop@example.com"]
    assert "新テスト商店" in mails[0]["subject"] or "新テスト商店" in mails[0]["body"]
    # the new phone joins the store's fingerprints (search, duplicates)
    assert any(k["pk"].startswith("phone#") for k in written(deps, "keys"))
    with pytest.raises(Conflict):
        changes.decide(deps, request_id, {"decision": "approve"}, SCREENER2, NOW)


def test_an_e_mail_change_is_mailed_to_both_addresses(deps: Any) -> None:
    request_id = enter(deps, {"email": "new.shop@example.com"})
    changes.decide(deps, request_id, {"decision": "approve"}, SCREENER, NOW)
    to = {m["to"]: m for m in written(deps, "outbox")}
    assert set(to) == {"shop@example.com", "new.shop@example.com"}
    assert "new.shop@example.com" not in to["shop@example.com"]["body"]  # masked at the old address
    assert deps.outbox.delivered == [f"store-change-approved#{request_id}", f"store-change-email-moved#{request_id}"]


def test_a_bank_change_goes_the_bank_change_way_verified_by_the_second_person(deps: Any) -> None:
    request_id = enter(deps, {"bank": dict(NEW_BANK)})
    answer = changes.decide(deps, request_id, {"decision": "approve"}, SCREENER, NOW)
    store = deps.store_repository.get("MP000001")
    assert answer["bank_change_id"] == store["bank_change_id"] == "BC000001"
    assert store["bank"]["account_number"] == "7654321"
    assert (store["bank_changed_pending"], store["bank_verified"], store["bank_changed_by"],
            store["bank_confirmed_by"]) == (True, True, "agent1", "screener1")
    audit = written(deps, "audit")[-1]
    assert audit["after"]["account"] == "****321" and "7654321" not in str(audit)


def test_a_field_changed_since_entry_or_a_store_that_moved_meanwhile_is_a_conflict(deps: Any) -> None:
    first, second = enter(deps, {"phone": "022-377-4410"}), enter(deps, {"phone": "022-377-4411"})
    third = enter(deps, {"address": "仙台市青葉区一番町1-1"})
    changes.decide(deps, first, {"decision": "approve"}, SCREENER, NOW)
    with pytest.raises(Conflict) as caught:
        changes.decide(deps, second, {"decision": "approve"}, SCREENER, NOW)
    assert "電話番号" in caught.value.message
    # another field: applies on the store's new version
    assert changes.decide(deps, third, {"decision": "approve"}, SCREENER, NOW)["status"] == "approved"
    # a race: the store moves between the read and the commit
    fourth = enter(deps, {"store_name": "競合商店"})
    repo = deps.store_repository
    real_get = repo.get

    def stale_get(store_id: str) -> Any:
        store = real_get(store_id)
        tx = repo.new_tx()
        repo.change_status(tx, store_id, store["version"], "active", "同時更新", NOW.isoformat())
        tx.commit()
        return store

    repo.get = stale_get
    with pytest.raises(Conflict):
        changes.decide(deps, fourth, {"decision": "approve"}, SCREENER, NOW)
    repo.get = real_get
    assert deps.store_change_repository.get(fourth)["status"] == "open"
    assert repo.get("MP000001")["store_name"] == "テスト商店"


def test_a_rejection_needs_a_reason_and_tells_the_store(deps: Any) -> None:
    request_id = enter(deps, {"address": "仙台市青葉区一番町1-1"})
    with pytest.raises(InvalidInput) as caught:
        changes.decide(deps, request_id, {"decision": "reject"}, SCREENER, NOW)
    assert "却下の理由" in caught.value.fields["reason"]
    with pytest.raises(InvalidInput):
        changes.decide(deps, request_id, {"decision": "maybe"}, SCREENER, NOW)
    changes.decide(deps, request_id, {"decision": "reject", "reason": "確認できませんでした"}, SCREENER, NOW)
    assert deps.store_change_repository.get(request_id)["status"] == "rejected"
    assert deps.store_repository.get("MP000001")["address"] == "仙台市青葉区本町3-8-1"
    assert "確認できませんでした" in written(deps, "outbox")[-1]["body"]


def test_views_mask_contact_data_for_roles_that_do_not_call_people_and_audit_unmasked_views(deps: Any) -> None:
    enter(deps, {"phone": "022-377-4410", "bank": dict(NEW_BANK)})
    masked = changes.request_view(deps.store_change_repository.list_by_status("open")[0], COORDINATOR)
    shown = {c["field"]: c for c in masked["changes"]}
    assert shown["phone"]["after"] == "******4410"
    assert shown["bank"]["after"]["account_number_masked"] == "****321" and "account_number" not in shown["bank"]["after"]
    listed = changes.list_requests(deps, AGENT, "open", NOW)
    assert {c["field"]: c["after"] for c in listed["items"][0]["changes"]}["phone"] == "0223774410"
    assert [a["action"] for a in deps.audit.appended] == ["store.view_change_request"]


def test_the_stores_link_is_signed_for_its_store_and_expires(deps: Any) -> None:
    secret = deps.settings.app_secret
    token = changes.make_link_token(secret, "MP000001", NOW, 14)
    assert changes.read_link_token(secret, token, NOW + timedelta(days=13)) == "MP000001"
    with pytest.raises(LinkExpired):
        changes.read_link_token(secret, token, NOW + timedelta(days=14))
    with pytest.raises(InvalidInput):
        changes.read_link_token("another-secret-of-thirty-two-bytes!!", token, NOW)
    answer = changes.submit_by_link(deps, {"token": token, "changes": {"address": "仙台市青葉区一番町1-1"},
                                           "reason": "移転しました"}, NOW)
    item = deps.store_change_repository.get(answer["request_id"])
    assert (item["source"], item["entered_by"]) == ("store", "store")


def test_a_postal_code_of_another_area_is_the_change_s_warning_only_when_it_changes_one_of_them() -> None:
    _, warnings = changes.validate_changes({"postal_code": "9808570", "municipality_code": "042021"})
    assert warnings == ("postal_code_other_area",)  # 青葉区's code with 石巻市
    _, warnings = changes.validate_changes({"phone": "0223774410"})
    assert warnings == ()  # the address is not the change's


def test_a_change_and_its_reason_refuse_line_breaks_controls_and_invisible_characters(deps: Any) -> None:
    """QA A-F5: the store's own change page and the call center take the application's one-line rules;
    the reason (a text area, it goes into the store's mail) keeps line breaks only."""
    from chalicelib.kernel.plain_text import MULTI_LINE_MESSAGE, SINGLE_LINE_MESSAGE

    for bad in ("新店名\n【重要】振込先変更", "\u202e新店名", "新\u2028店名", "新\t店名"):
        with pytest.raises(InvalidInput) as caught:
            changes.validate_changes({"store_name": bad})
        assert caught.value.fields == {"changes.store_name": SINGLE_LINE_MESSAGE}
        with pytest.raises(InvalidInput) as caught:
            changes.validate_changes({"representative": bad})
        assert caught.value.fields == {"changes.representative": SINGLE_LINE_MESSAGE}
    for bad in ("電話で\t申し出", "\u2067申し出\u2069", "電話で\u2029申し出"):
        with pytest.raises(InvalidInput) as caught:
            changes.submit(deps, "MP000001", {"changes": {"phone": "0223774410"}, "reason": bad}, AGENT, NOW)
        assert caught.value.fields == {"reason": MULTI_LINE_MESSAGE}
    entered = changes.submit(deps, "MP000001", {"changes": {"phone": "0223774410"}, "reason": "電話で\n申し出"},
                             AGENT, NOW)
    assert entered["request_id"]


def test_a_reason_s_line_breaks_may_be_written_crlf() -> None:
    errors: dict[str, str] = {}
    assert changes._check_reason(errors, "移転のため\r\n口座を変更します") == "移転のため\n口座を変更します"
    assert errors == {}
    assert changes._check_reason(errors, "移転\t理由") == "" and "reason" in errors

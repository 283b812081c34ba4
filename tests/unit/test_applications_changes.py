"""The pure parts of a referral and of a 2nd version: the path refer → judged → completed through the
status table, the judgement's input, and the field-by-field changes between two versions."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from chalicelib.applications.changes import FIELDS, changes
from chalicelib.applications.screening import parse_decision, parse_judgement
from chalicelib.applications.status import STATUS_LABELS, IllegalTransition, Status, next_status
from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import InvalidInput

SCREENER = Principal("alice", frozenset({Role.SCREENER}))
PREFECTURE = Principal("ken", frozenset({Role.PREFECTURE}))

DATA: dict[str, Any] = {
    "store_name": "青葉商店", "store_name_kana": "アオバショウテン", "entity_type": "individual",
    "representative": "青葉 一郎", "postal_code": "980-8570", "municipality_code": "041017",
    "municipality_name": "仙台市青葉区", "region": "仙台", "address": "本町3-8-1", "phone": "0222111111",
    "email": "aoba@example.com", "business_category": "小売", "goods": "文具",
    "declarations": {"no_antisocial": True},
    "bank": {"bank_code": "0125", "bank_name": "七十七銀行", "branch_code": "100", "branch_name": "本店営業部",
             "account_type": "1", "account_number": "1234567", "holder_kana": "アオバ イチロウ"},
    "previous_store_id": None,
}


@pytest.mark.parametrize("ending,actions", [
    ("approved", ["refer", "judge", "approve"]),
    ("rejected", ["refer", "judge", "reject"]),
    ("returned", ["refer", "judge", "return"]),
    ("approved", ["refer", "judge", "refer", "judge", "approve"]),
])
def test_refer_then_judged_then_completed(ending: str, actions: list[str]) -> None:
    status = Status.SUBMITTED
    for action in actions:
        status = next_status(status, action)
    assert status == Status(ending)


def test_the_new_statuses_are_labelled_and_closed_to_the_wrong_actions() -> None:
    assert (STATUS_LABELS[Status.REFERRED], STATUS_LABELS[Status.JUDGED]) == ("県に照会中", "県の判断あり")
    for action in ("approve", "return", "reject", "refer", "resubmit"):
        with pytest.raises(IllegalTransition):
            next_status("referred", action)
    for status in ("submitted", "judged", "returned", "approved", "rejected"):
        with pytest.raises(IllegalTransition):
            next_status(status, "judge")
    with pytest.raises(IllegalTransition):
        next_status("returned", "refer")


def test_a_refer_decision_carries_its_question_and_the_checks_so_far() -> None:
    decision = parse_decision({"decision": "refer", "question": "  ご判断ください  ", "checks": {"other": False}})
    assert (decision.action, decision.question, decision.checks["other"]) == ("refer", "ご判断ください", False)
    with pytest.raises(InvalidInput) as info:
        parse_decision({"decision": "refer", "question": 3})
    assert "question" in info.value.fields


def test_the_judgement_input() -> None:
    assert parse_judgement({"decision": "approve"}).reason == ""
    assert parse_judgement({"decision": "reject", "reason": " 理由 "}).reason == "理由"
    with pytest.raises(InvalidInput) as info:
        parse_judgement({"decision": "reject"})
    assert info.value.fields == {"reason": "不承認とすべきと判断する場合は理由を入力してください"}
    with pytest.raises(InvalidInput) as info:
        parse_judgement({"decision": "defer", "reason": None})
    assert "decision" in info.value.fields


def test_no_change_is_no_entry() -> None:
    assert changes(DATA, copy.deepcopy(DATA), SCREENER) == []
    # a missing optional field is the same as an empty one
    assert changes({**DATA, "previous_store_id": ""}, {k: v for k, v in DATA.items() if k != "previous_store_id"},
                   SCREENER) == []


def test_changes_come_in_screen_order_with_labels() -> None:
    after = copy.deepcopy(DATA)
    after.update(store_name="青葉商店 本店", municipality_code="041025", municipality_name="仙台市宮城野区",
                 previous_store_id="MP000123")
    after["bank"].update(branch_code="200", branch_name="県庁支店", account_type="2")
    found = changes(DATA, after, SCREENER)
    assert [c["field"] for c in found] == ["store_name", "municipality_code", "bank.branch_code",
                                           "bank.account_type", "previous_store_id"]
    by = {c["field"]: c for c in found}
    assert by["municipality_code"]["before"] == "仙台市青葉区" and by["municipality_code"]["after"] == "仙台市宮城野区"
    assert by["bank.branch_code"]["before"] == "100 本店営業部" and by["bank.branch_code"]["after"] == "200 県庁支店"
    assert (by["bank.account_type"]["before"], by["bank.account_type"]["after"]) == ("普通", "当座")
    assert by["previous_store_id"] == {"field": "previous_store_id", "label": "昨年度の店舗ID", "before": "",
                                       "after": "MP000123", "masked": False}


def test_the_account_number_is_always_masked_even_when_only_hidden_digits_changed() -> None:
    after = copy.deepcopy(DATA)
    after["bank"]["account_number"] = "7654567"
    found = changes(DATA, after, SCREENER)
    assert found == [{"field": "bank.account_number", "label": "口座番号", "before": "****567", "after": "****567",
                      "masked": True}]


def test_contact_fields_are_masked_for_roles_that_do_not_see_contact_data() -> None:
    after = copy.deepcopy(DATA)
    after.update(representative="青葉 次郎", phone="0222112222", email="jiro@example.com")
    after["bank"]["holder_kana"] = "アオバ ジロウ"
    screener = {c["field"]: c for c in changes(DATA, after, SCREENER)}
    assert screener["representative"]["after"] == "青葉 次郎" and screener["phone"]["masked"] is False
    prefecture = changes(DATA, after, PREFECTURE)
    assert [c["field"] for c in prefecture] == ["representative", "phone", "email", "bank.holder_kana"]
    shown = str(prefecture)
    for secret in ("青葉 次郎", "青葉 一郎", "0222112222", "jiro@example.com", "アオバ ジロウ"):
        assert secret not in shown
    assert all(c["masked"] for c in prefecture)


def test_every_compared_field_has_a_japanese_label() -> None:
    assert len({f[0] for f in FIELDS}) == len(FIELDS)
    assert all(label and not label.isascii() for _, label, *_ in FIELDS)

"""Referring an application to the prefecture, on the in-memory twins (no AWS): the screener refers with a
question, the prefecture records its judgement (not final), the screener completes; mails, audit entries and
the exchange the application shows; and a 2nd version's changes against the version it corrects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.applications import service
from chalicelib.applications.status import IllegalTransition
from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.kernel.signed_links import make_resubmit_token
from tests.factories import application_body, approve_body
from tests.unit.test_applications_service_twin import NOW, SCREENER, SECRET, written
from tests.unit.test_applications_service_twin import deps as twin_deps

__all__ = ["twin_deps"]  # the twins, shared with test_applications_service_twin

PREFECTURE = Principal("miyagi-ken", frozenset({Role.PREFECTURE}))
SCREENER2 = Principal("bob", frozenset({Role.SCREENER}))
LATER = NOW + timedelta(hours=3)


@pytest.fixture
def deps(twin_deps: Any) -> Any:
    # Reads of personal data append their audit entry on their own: keep those beside the staged ones.
    twin_deps.audit.append = lambda item: twin_deps.store_repository.tables.setdefault("audit", []).append(item)
    return twin_deps


QUESTION = "酒類の量り売りを行う店舗です。本事業の趣旨に照らして対象としてよいかご判断ください。"


def _referred(deps: Any) -> str:
    application_id, _ = service.submit(deps, application_body(), NOW)
    answer = service.decide(deps, SCREENER, application_id,
                            {"decision": "refer", "question": QUESTION, "checks": {"antisocial": True}}, NOW)
    assert answer == {"application_id": application_id, "status": "referred"}
    return application_id


def test_a_referral_waits_for_the_prefecture_and_mails_it_without_personal_data(deps: Any) -> None:
    body = application_body()
    application_id, _ = service.submit(deps, body, NOW)
    service.decide(deps, SCREENER, application_id, {"decision": "refer", "question": QUESTION}, NOW)
    item = deps.application_repository.get(application_id)
    assert item["status"] == "referred"
    assert item["decisions"][-1]["action"] == "refer" and item["decisions"][-1]["question"] == QUESTION
    mail = [m for m in written(deps, "outbox") if m["kind"] == "application-referred"]
    assert len(mail) == 1 and mail[0]["to"] == deps.settings.mail.prefecture_mailbox
    assert mail[0]["mail_id"] == f"application-referred#{application_id}#1"
    text = mail[0]["subject"] + mail[0]["body"]
    assert QUESTION in text and application_id in text and f"/console/applications/{application_id}" in text
    for personal in (body["representative"], body["phone"], body["email"], body["bank"]["account_number"],
                     body["bank"]["holder_kana"], body["address"]):
        assert personal not in text
    audit = [a for a in written(deps, "audit") if a["action"] == "application.refer"]
    assert len(audit) == 1 and audit[0]["user"] == "alice"
    # While the prefecture has it, nobody decides.
    for decision in (approve_body(), {"decision": "reject", "reason": "x"}, {"decision": "return", "reason": "x"},
                     {"decision": "refer", "question": "もう一度"}):
        with pytest.raises(IllegalTransition):
            service.decide(deps, SCREENER, application_id, decision, LATER)


def test_a_referral_needs_a_question(deps: Any) -> None:
    application_id, _ = service.submit(deps, application_body(), NOW)
    for bad in ({"decision": "refer"}, {"decision": "refer", "question": "  \n "}):
        with pytest.raises(InvalidInput) as info:
            service.decide(deps, SCREENER, application_id, bad, NOW)
        assert "照会事項" in info.value.fields["question"]
    with pytest.raises(InvalidInput) as info:
        service.decide(deps, SCREENER, application_id, {"decision": "refer", "question": "あ" * 2001}, NOW)
    assert "2000文字以内" in info.value.fields["question"]
    assert deps.application_repository.get(application_id)["status"] == "submitted"


def test_the_judgement_returns_it_to_the_screener_who_completes(deps: Any) -> None:
    application_id = _referred(deps)
    answer = service.record_prefecture_judgement(deps, PREFECTURE, application_id,
                                                 {"decision": "approve", "reason": "対象として差し支えありません"}, LATER)
    assert answer == {"application_id": application_id, "status": "judged", "decision": "approve"}
    item = deps.application_repository.get(application_id)
    assert item["status"] == "judged"
    # the checklist the screener had filled in is kept through the judgement
    assert item["checks"]["antisocial"] is True
    staff = [m for m in written(deps, "outbox") if m["kind"] == "application-judged"]
    assert len(staff) == 1 and staff[0]["to"] == deps.settings.mail.staff_mailbox
    assert "承認して差し支えない" in staff[0]["subject"]
    assert [a["action"] for a in written(deps, "audit")][-1] == "application.prefecture_judgement"
    # The queue row is marked with the judgement.
    page = service.list_queue(deps, SCREENER, "judged", 50, None)
    assert [(r["application_id"], r["prefecture_judgement"], r["prefecture_judgement_label"])
            for r in page["items"]] == [(application_id, "approve", "承認して差し支えない")]
    # A second judgement is refused: it is no longer referred.
    with pytest.raises(Conflict):
        service.record_prefecture_judgement(deps, PREFECTURE, application_id, {"decision": "reject", "reason": "x"},
                                            LATER)
    done = service.decide(deps, SCREENER2, application_id, approve_body(), LATER + timedelta(hours=1))
    assert done["status"] == "approved" and done["store_id"] == "MP000001"
    item = deps.application_repository.get(application_id)
    assert [d["action"] for d in item["decisions"]] == ["refer", "prefecture_judgement", "approve"]
    assert "against_prefecture" not in item["decisions"][-1]


def test_completing_against_the_judgement_needs_a_reason_and_is_recorded(deps: Any) -> None:
    application_id = _referred(deps)
    service.record_prefecture_judgement(deps, PREFECTURE, application_id,
                                        {"decision": "reject", "reason": "換金性が高い商品が中心のため"}, LATER)
    with pytest.raises(InvalidInput) as info:
        service.decide(deps, SCREENER, application_id, approve_body(), LATER)
    assert "県の判断（不承認とすべき）と異なる" in info.value.fields["reason"]
    assert deps.application_repository.get(application_id)["status"] == "judged"
    answer = service.decide(deps, SCREENER, application_id,
                            {**approve_body(), "reason": "取扱品目の変更を電話で確認し、県担当者と協議済み"}, LATER)
    assert answer["status"] == "approved"
    item = deps.application_repository.get(application_id)
    assert item["decisions"][-1]["against_prefecture"] is True
    audit = [a for a in written(deps, "audit") if a["action"] == "application.approve"][-1]
    assert audit["detail"]["prefecture_judgement"] == "reject" and audit["detail"]["against_prefecture"] is True


def test_following_a_reject_judgement_is_a_reject_with_its_reason(deps: Any) -> None:
    application_id = _referred(deps)
    service.record_prefecture_judgement(deps, PREFECTURE, application_id,
                                        {"decision": "reject", "reason": "本事業の趣旨に合わないため"}, LATER)
    answer = service.decide(deps, SCREENER, application_id, {"decision": "reject", "reason": "県の判断による"}, LATER)
    assert answer["status"] == "rejected"
    assert "against_prefecture" not in deps.application_repository.get(application_id)["decisions"][-1]


def test_a_reject_judgement_needs_a_reason_and_judging_needs_a_referral(deps: Any) -> None:
    application_id, _ = service.submit(deps, application_body(), NOW)
    with pytest.raises(IllegalTransition):
        service.record_prefecture_judgement(deps, PREFECTURE, application_id, {"decision": "approve"}, NOW)
    service.decide(deps, SCREENER, application_id, {"decision": "refer", "question": QUESTION}, NOW)
    for bad, field in (({"decision": "reject"}, "reason"), ({"decision": "reject", "reason": " "}, "reason"),
                       ({"decision": "maybe"}, "decision"), ({"decision": "approve", "extra": 1}, "extra"),
                       ({"decision": "approve", "reason": "あ" * 2001}, "reason")):
        with pytest.raises(InvalidInput) as info:
            service.record_prefecture_judgement(deps, PREFECTURE, application_id, bad, NOW)
        assert field in info.value.fields, (bad, info.value.fields)
    assert deps.application_repository.get(application_id)["status"] == "referred"
    # An approval needs no reason.
    assert service.record_prefecture_judgement(deps, PREFECTURE, application_id, {"decision": "approve"},
                                               NOW)["status"] == "judged"


def test_the_detail_shows_the_exchange_and_a_second_referral(deps: Any) -> None:
    application_id = _referred(deps)
    service.record_prefecture_judgement(deps, PREFECTURE, application_id, {"decision": "approve"}, LATER)
    service.decide(deps, SCREENER, application_id, {"decision": "refer", "question": "追加で確認です"}, LATER)
    detail = service.get_detail(deps, PREFECTURE, application_id, LATER)
    assert detail["status"] == "referred" and detail["status_label"] == "県に照会中"
    assert [(r["question"], r["asked_by"], (r["judgement"] or {}).get("decision")) for r in detail["referrals"]] == [
        (QUESTION, "alice", "approve"), ("追加で確認です", "alice", None)]
    assert detail["referrals"][0]["judgement"]["user"] == "miyagi-ken"
    assert detail["referrals"][0]["judgement"]["at"] == LATER.isoformat()
    assert detail["prefecture_judgement_detail"] is None  # waiting again
    assert detail["judgement_choices"] == [{"value": "approve", "label": "承認して差し支えない"},
                                           {"value": "reject", "label": "不承認とすべき"}]
    assert [d.get("decision_label") for d in detail["decisions"]] == [None, "承認して差し支えない", None]
    assert [m["mail_id"] for m in written(deps, "outbox") if m["kind"] == "application-referred"] == [
        f"application-referred#{application_id}#1", f"application-referred#{application_id}#2"]


def test_a_second_version_shows_its_changes_masked_for_the_prefecture(deps: Any) -> None:
    body = application_body()
    application_id, _ = service.submit(deps, body, NOW)
    first = service.get_detail(deps, SCREENER, application_id, NOW)
    assert (first["changes"], first["changes_from_revision"]) == (None, None)
    service.decide(deps, SCREENER, application_id, {"decision": "return", "reason": "住所と電話番号を確認してください"}, NOW)
    token = make_resubmit_token(SECRET, application_id, 1, NOW, 14)
    fixed = {**body, "address": "仙台市青葉区本町3-8-2 みやぎビル", "phone": "022-391-0001",
             "bank": {**body["bank"], "account_number": "1111111"}}
    service.resubmit(deps, token, fixed, LATER)
    detail = service.get_detail(deps, SCREENER, application_id, LATER)
    assert detail["revision"] == 2 and detail["changes_from_revision"] == 1
    by_field = {c["field"]: c for c in detail["changes"]}
    assert list(by_field) == ["address", "phone", "bank.account_number"]
    assert by_field["address"]["before"] == body["address"]
    assert by_field["phone"]["after"] == "0223910001" and by_field["phone"]["masked"] is False
    account = by_field["bank.account_number"]
    assert account["masked"] is True and account["after"] == "****111" and "1111111" not in str(detail)
    # the stored previous version never leaves the server
    assert all("returned_version" not in d for d in detail["decisions"])
    assert body["bank"]["account_number"] not in str(detail)
    seen_by_prefecture = {c["field"]: c for c in service.get_detail(deps, PREFECTURE, application_id, LATER)["changes"]}
    assert seen_by_prefecture["phone"]["masked"] is True and "0223910001" not in str(seen_by_prefecture)

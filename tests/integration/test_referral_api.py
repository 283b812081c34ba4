"""Referring an application to the prefecture through the API (issue 11, point 6; spec 7(1)ニ①②), and a
2nd version's changes in `GET /applications/{id}` (point 8).

Contract: `POST /applications/{id}/decision` accepts `{"decision": "refer", "question"}` (screener);
`POST /applications/{id}/prefecture-judgement` `{decision, reason}` (prefecture).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from tests.factories import application_body, approve_body

QUESTION = "店内で酒類の量り売りをしています。本事業の趣旨に照らして対象としてよいかご判断ください。"


def _new(api, **overrides) -> tuple[str, dict]:
    body = application_body(**overrides)
    code, answer = api.call("POST", "/applications", body)
    assert code == 201, answer
    return answer["application_id"], body


def _refer(api, app_id: str, question: str = QUESTION) -> dict:
    code, answer = api.call("POST", f"/applications/{app_id}/decision",
                            {"decision": "refer", "question": question, "checks": {"antisocial": True}},
                            as_="screener")
    assert code == 200, answer
    return answer


def _judge(api, app_id: str, body: dict, as_: str = "prefecture") -> tuple[int, dict]:
    code, answer = api.call("POST", f"/applications/{app_id}/prefecture-judgement", body, as_=as_)
    return code, answer


def _to(mail: dict) -> str:
    return mail["destinations"]["ToAddresses"][0]


def test_refer_judge_and_complete_with_mails_audit_and_the_exchange(api):
    app_id, body = _new(api)
    assert _refer(api, app_id) == {"application_id": app_id, "status": "referred"}

    # The prefecture lists what is referred to it and reads it masked.
    code, page = api.call("GET", "/applications?status=referred", as_="prefecture")
    assert code == 200 and [r["application_id"] for r in page["items"]] == [app_id]
    assert page["items"][0]["status_label"] == "県に照会中" and page["items"][0]["referred_at"]
    code, detail = api.call("GET", f"/applications/{app_id}", as_="prefecture")
    assert code == 200 and detail["referrals"][0]["question"] == QUESTION
    assert body["email"] not in str(detail) and body["representative"] not in str(detail)

    referred = [m for m in api.mail() if "県のご判断" in m["subject"]]
    assert len(referred) == 1 and _to(referred[0]) == "prefecture@example.jp"
    assert QUESTION in referred[0]["body"] and f"/console/applications/{app_id}" in referred[0]["body"]
    for personal in (body["representative"], body["phone"], body["email"], body["bank"]["account_number"],
                     body["bank"]["holder_kana"]):
        assert personal not in referred[0]["body"]

    code, answer = _judge(api, app_id, {"decision": "reject", "reason": "換金性の高い商品の販売が主であるため"})
    assert code == 200 and answer == {"application_id": app_id, "status": "judged", "decision": "reject"}
    judged = [m for m in api.mail() if "県の判断が記録されました" in m["subject"]]
    assert len(judged) == 1 and _to(judged[0]) == "staff@example.jp" and app_id in judged[0]["subject"]

    # Back in the screeners' queue, marked with the judgement.
    code, page = api.call("GET", "/applications?status=judged", as_="screener")
    assert [(r["application_id"], r["prefecture_judgement"]) for r in page["items"]] == [(app_id, "reject")]
    code, detail = api.call("GET", f"/applications/{app_id}", as_="screener")
    assert detail["prefecture_judgement_detail"]["decision"] == "reject"
    exchange = detail["referrals"][0]
    assert (exchange["asked_by"], exchange["judgement"]["label"]) == ("screener", "不承認とすべき")
    assert exchange["judgement"]["user"] == "prefecture" and exchange["judgement"]["reason"].startswith("換金性")

    # Approving against the prefecture's judgement needs a reason.
    code, answer = api.call("POST", f"/applications/{app_id}/decision", approve_body(), as_="screener")
    assert code == 422 and "県の判断" in answer["error"]["fields"]["reason"]
    code, answer = api.call("POST", f"/applications/{app_id}/decision",
                            {"decision": "reject", "reason": "県の判断により不承認とします"}, as_="screener")
    assert code == 200 and answer["status"] == "rejected"

    _, audit = api.call("GET", f"/audit?subject=application%23{app_id}", as_="admin")
    actions = [e["action"] for e in audit["items"]]
    assert {"application.refer", "application.prefecture_judgement", "application.reject"} <= set(actions)


def test_completing_with_the_judgement_approves_and_creates_the_store(api):
    app_id, _ = _new(api)
    _refer(api, app_id)
    assert _judge(api, app_id, {"decision": "approve"})[0] == 200
    code, answer = api.call("POST", f"/applications/{app_id}/decision", approve_body(), as_="screener")
    assert code == 200 and answer["status"] == "approved" and answer["store_id"].startswith("MP")


def test_who_may_refer_and_judge(api):
    app_id, _ = _new(api)
    refer = {"decision": "refer", "question": QUESTION}
    for role in ("prefecture", "agent", "admin", "accountant"):
        assert api.call("POST", f"/applications/{app_id}/decision", refer, as_=role)[0] == 403, role
    # the prefecture cannot approve either
    assert api.call("POST", f"/applications/{app_id}/decision", approve_body(), as_="prefecture")[0] == 403
    _refer(api, app_id)
    for role in ("screener", "agent", "admin", "coordinator"):
        assert _judge(api, app_id, {"decision": "approve"}, as_=role)[0] == 403, role
    assert api.call("POST", f"/applications/{app_id}/prefecture-judgement", {"decision": "approve"})[0] == 401
    # the agent reads no applications, referred or not
    assert api.call("GET", "/applications?status=referred", as_="agent")[0] == 403
    assert _judge(api, app_id, {"decision": "approve"})[0] == 200


def test_a_judgement_on_an_application_not_referred_is_a_conflict(api):
    app_id, _ = _new(api)
    code, answer = _judge(api, app_id, {"decision": "approve"})
    assert code == 409 and "審査待ち" in answer["error"]["message"]
    _refer(api, app_id)
    assert _judge(api, app_id, {"decision": "approve"})[0] == 200
    code, answer = _judge(api, app_id, {"decision": "reject", "reason": "やはり対象外"})
    assert code == 409
    # while referred, the screener cannot decide
    other, _ = _new(api)
    _refer(api, other)
    assert api.call("POST", f"/applications/{other}/decision", approve_body(), as_="screener")[0] == 409
    assert _judge(api, "AP999999", {"decision": "approve"})[0] == 404


def test_bad_input_is_422_in_japanese(api):
    app_id, _ = _new(api)
    for body, field in (({"decision": "refer"}, "question"), ({"decision": "refer", "question": ""}, "question"),
                        ({"decision": "refer", "question": "あ" * 2001}, "question"),
                        ({"decision": "refer", "question": 12}, "question")):
        code, answer = api.call("POST", f"/applications/{app_id}/decision", body, as_="screener")
        assert code == 422, (body, answer)
        message = answer["error"]["fields"][field]
        assert re.search(r"[ぁ-んァ-ン一-龥]", message), message
    _refer(api, app_id)
    for body, field in (({"decision": "reject"}, "reason"), ({"decision": "later"}, "decision"),
                        ({}, "decision"), ({"decision": "approve", "reason": 5}, "reason"),
                        ({"decision": "approve", "reason": "あ" * 2001}, "reason")):
        code, answer = _judge(api, app_id, body)
        assert code == 422, (body, answer)
        assert re.search(r"[ぁ-んァ-ン一-龥]", answer["error"]["fields"][field]), answer
    code, answer = api.call("POST", f"/applications/{app_id}/prefecture-judgement", as_="prefecture",
                            raw="not json")
    assert code == 400 and answer["error"]["message"]
    _, detail = api.call("GET", f"/applications/{app_id}", as_="screener")
    assert detail["status"] == "referred"


def _resubmit_token(api) -> str:
    mail = [m for m in api.mail() if "修正のお願い" in m["subject"]][-1]
    link = re.search(r"https?://\S+/apply/correct#t=\S+", mail["body"]).group(0)
    return parse_qs(urlparse(link).fragment)["t"][0]


def test_a_second_version_shows_what_changed_masked_as_the_role_requires(api):
    app_id, body = _new(api)
    code, detail = api.call("GET", f"/applications/{app_id}", as_="screener")
    assert detail["changes"] is None
    code, _ = api.call("POST", f"/applications/{app_id}/decision",
                       {"decision": "return", "reason": "口座番号と住所を確認してください"}, as_="screener")
    assert code == 200
    token = _resubmit_token(api)
    fixed = {k: v for k, v in body.items() if k != "client_token"}
    fixed["address"] = body["address"] + " 2階"
    fixed["bank"] = {**body["bank"], "account_number": "7000007"}
    code, answer = api.call("POST", "/resubmission", fixed, headers={"X-Correction-Token": token})
    assert code == 200 and answer["revision"] == 2, answer
    code, detail = api.call("GET", f"/applications/{app_id}", as_="screener")
    assert code == 200 and detail["changes_from_revision"] == 1
    assert [(c["field"], c["before"], c["after"]) for c in detail["changes"]] == [
        ("address", body["address"], body["address"] + " 2階"),
        ("bank.account_number", "****" + body["bank"]["account_number"][-3:], "****007")]
    assert "7000007" not in str(detail) and body["bank"]["account_number"] not in str(detail)
    assert all(set(d) <= {"action", "user", "role", "at", "checks", "reason", "question", "decision",
                          "against_prefecture"} for d in detail["decisions"])
    code, seen = api.call("GET", f"/applications/{app_id}", as_="prefecture")
    assert [c["field"] for c in seen["changes"]] == ["address", "bank.account_number"]

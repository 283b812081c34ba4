"""Screening decisions, stores, masking and audit through the API."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.factories import application_body, approve_body


def new_application(api, **overrides) -> tuple[str, dict]:
    body = application_body(**overrides)
    code, answer = api.call("POST", "/applications", body)
    assert code == 201, answer
    return answer["application_id"], body


def test_detail_masks_the_account_and_reveal_is_audited(api):
    app_id, body = new_application(api)
    code, detail = api.call("GET", f"/applications/{app_id}", as_="screener")
    assert code == 200
    number = body["bank"]["account_number"]
    assert number not in str(detail)
    assert detail["bank"]["account_number_masked"] == "****" + number[-3:]
    assert detail["bank"]["can_reveal"] is True
    assert [c["key"] for c in detail["checklist"]] == [
        "antisocial", "adult_business", "in_prefecture", "excluded_goods", "other"]
    code, revealed = api.call("GET", f"/applications/{app_id}/bank-account", as_="screener")
    assert code == 200 and revealed["account_number"] == number
    _, audit = api.call("GET", f"/audit?subject=application%23{app_id}", as_="admin")
    actions = [e["action"] for e in audit["items"]]
    assert "application.view_bank_account" in actions and "application.view" in actions
    assert all(number not in str(e) for e in audit["items"])


def test_prefecture_sees_masked_contact_and_cannot_reveal(api):
    app_id, body = new_application(api)
    code, detail = api.call("GET", f"/applications/{app_id}", as_="prefecture")
    assert code == 200
    assert body["email"] not in str(detail) and body["representative"] not in str(detail)
    assert detail["bank"]["can_reveal"] is False
    assert api.call("GET", f"/applications/{app_id}/bank-account", as_="prefecture")[0] == 403


def test_approve_creates_the_next_store_id_and_mails_the_store(api):
    first, _ = new_application(api)
    second, body = new_application(api)
    code, answer = api.call("POST", f"/applications/{first}/decision", approve_body(), as_="screener")
    assert code == 200, answer
    assert answer["store_id"] == "MP000001"
    code, answer2 = api.call("POST", f"/applications/{second}/decision", approve_body(), as_="screener")
    assert answer2["store_id"] == "MP000002"
    code, store = api.call("GET", "/stores/MP000002", as_="accountant")
    assert code == 200 and store["status"] == "active" and store["application_id"] == second
    assert store["bank"]["account_number_masked"].endswith(body["bank"]["account_number"][-3:])
    mail = [m for m in api.mail() if m["destinations"]["ToAddresses"][0] == body["email"]]
    approved = [m for m in mail if "MP000002" in m["subject"]]
    assert len(approved) == 1 and "MP000002" in approved[0]["body"]


def test_approving_twice_is_409_and_creates_one_store(api):
    app_id, _ = new_application(api)
    assert api.call("POST", f"/applications/{app_id}/decision", approve_body(), as_="screener")[0] == 200
    code, answer = api.call("POST", f"/applications/{app_id}/decision", approve_body(), as_="screener")
    assert code == 409, answer
    _, stores = api.call("GET", "/stores", as_="screener")
    assert [s["store_id"] for s in stores["items"]] == ["MP000001"]


def test_two_screeners_approving_at_once_one_wins(api, deps, monkeypatch):
    """Both read the application while it was still submitted; the conditional write lets one win.

    (Interleaved deterministically: moto's transaction rollback is not thread-safe, so real threads
    would test moto rather than our condition.)
    """
    from chalicelib.applications import service
    from chalicelib.auth.roles import Principal, Role
    from chalicelib.clock import now_jst
    from chalicelib.errors import Conflict

    app_id, _ = new_application(api)
    stale = service._load(deps, app_id)
    monkeypatch.setattr(service, "_load", lambda d, i: dict(stale))
    first = service.decide(deps, Principal("screener", frozenset({Role.SCREENER})), app_id, approve_body(), now_jst())
    with pytest.raises(Conflict):
        service.decide(deps, Principal("screener2", frozenset({Role.SCREENER})), app_id, approve_body(), now_jst())
    _, stores = api.call("GET", "/stores", as_="screener")
    assert [s["store_id"] for s in stores["items"]] == [first["store_id"]]
    approvals = [m for m in api.mail() if "登録しました" in m["subject"]]
    assert len(approvals) == 1


def test_approval_needs_every_checklist_item(api):
    app_id, _ = new_application(api)
    body = approve_body()
    body["checks"]["adult_business"] = False
    code, answer = api.call("POST", f"/applications/{app_id}/decision", body, as_="screener")
    assert code == 422 and "checks.adult_business" in answer["error"]["fields"]


def test_reject_needs_a_reason_and_sends_a_courteous_notice(api):
    app_id, _ = new_application(api)
    code, answer = api.call("POST", f"/applications/{app_id}/decision", {"decision": "reject"}, as_="screener")
    assert code == 422 and "reason" in answer["error"]["fields"]
    code, answer = api.call("POST", f"/applications/{app_id}/decision",
                            {"decision": "reject", "reason": "県外の施設のため"}, as_="screener")
    assert code == 200 and answer["status"] == "rejected"
    mail = [m for m in api.mail() if "審査結果" in m["subject"]]
    assert len(mail) == 1 and "県外の施設のため" in mail[0]["body"]
    # a rejected application is final
    assert api.call("POST", f"/applications/{app_id}/decision", approve_body(), as_="screener")[0] == 409


def _resubmit_link(api) -> str:
    mail = [m for m in api.mail() if "修正のお願い" in m["subject"]][-1]
    return re.search(r"https?://\S+/apply/correct#t=\S+", mail["body"]).group(0)


def _token(link: str) -> str:
    """The token is in the fragment (never sent to the server); the page passes it in a header."""
    parts = urlparse(link)
    assert parts.path.endswith("/apply/correct") and not parts.query
    return parse_qs(parts.fragment)["t"][0]


def _with_token(token: str, **headers: str) -> dict[str, str]:
    return {"X-Correction-Token": token, **headers}


def test_return_then_resubmit_through_the_signed_link(api):
    app_id, body = new_application(api)
    code, answer = api.call("POST", f"/applications/{app_id}/decision",
                            {"decision": "return", "reason": "口座名義が通帳と一致しているか確認してください"},
                            as_="screener")
    assert code == 200 and answer["status"] == "returned"
    token = _token(_resubmit_link(api))
    code, form = api.call("GET", "/resubmission", headers=_with_token(token))
    assert code == 200 and form["application_id"] == app_id
    assert form["reason"].startswith("口座名義")
    assert form["data"]["bank"]["account_number"] == ""
    fixed = application_body(store_name="修正後の店舗名", email=body["email"], phone=body["phone"])
    fixed.pop("client_token", None)
    code, answer = api.call("POST", "/resubmission", fixed, headers=_with_token(token))
    assert code == 200, answer
    assert answer == {"application_id": app_id, "status": "submitted", "revision": 2}
    _, detail = api.call("GET", f"/applications/{app_id}", as_="screener")
    assert detail["store_name"] == "修正後の店舗名" and detail["revision"] == 2
    # the link works once
    assert api.call("POST", "/resubmission", fixed, headers=_with_token(token))[0] == 409


def test_an_expired_correction_link_is_410(api):
    app_id, _ = new_application(api)
    api.call("POST", f"/applications/{app_id}/decision", {"decision": "return", "reason": "確認"}, as_="screener")
    token = _token(_resubmit_link(api))
    code, answer = api.call("GET", "/resubmission", headers=_with_token(token, **{"X-Miyapo-Now": "2099-01-01T09:00:00+09:00"}))
    assert code == 410, answer
    assert api.call("GET", "/resubmission", headers=_with_token("not-a-token"))[0] == 422
    assert api.call("GET", "/resubmission")[0] == 422


def test_a_decision_is_in_the_audit_log_with_before_and_after(api):
    app_id, _ = new_application(api)
    api.call("POST", f"/applications/{app_id}/decision", approve_body(), as_="screener")
    _, audit = api.call("GET", f"/audit?subject=application%23{app_id}", as_="admin")
    approve = next(e for e in audit["items"] if e["action"] == "application.approve")
    assert approve["user"] == "screener" and approve["role"] == "screener"
    assert approve["before"] == {"status": "submitted"}
    assert approve["after"] == {"status": "approved", "store_id": "MP000001"}
    assert api.call("GET", "/audit", as_="screener")[0] == 403


def test_unknown_application_is_404_and_bad_queue_filters_are_422(api):
    assert api.call("GET", "/applications/AP999999", as_="screener")[0] == 404
    assert api.call("GET", "/applications?status=bogus", as_="screener")[0] == 422
    assert api.call("GET", "/applications?limit=100000", as_="screener")[0] == 422
    assert api.call("GET", "/applications?cursor=%%%", as_="screener")[0] == 422
    assert api.call("POST", "/applications/AP999999/decision", approve_body(), as_="screener")[0] == 404
    assert api.call("POST", "/applications/AP999999/decision", raw=b"{", as_="screener")[0] == 400


def test_the_clock_header_is_honoured_in_the_local_stage(api):
    code, body = api.call("GET", "/health", headers={"X-Miyapo-Now": "2025-06-02T10:00:00+09:00"})
    assert body["now"] == "2025-06-02T10:00:00+09:00"
    code, body = api.call("GET", "/health", headers={"X-Miyapo-Now": "yesterday"})
    assert code == 422

"""Store applications end to end through the API (moto server + chalice.test.Client)."""

from __future__ import annotations

import pytest

from tests.factories import application_body


def submit(api, **overrides):
    return api.call("POST", "/applications", application_body(**overrides))


def queue(api, status="submitted", as_="screener"):
    code, body = api.call("GET", f"/applications?status={status}", as_=as_)
    assert code == 200, body
    return body["items"]


def test_given_a_valid_application_when_submitted_then_it_is_queued_and_both_mails_go_out(api):
    body = application_body()
    code, answer = api.call("POST", "/applications", body)
    assert code == 201, answer
    assert answer["status"] == "submitted"
    assert answer["application_id"].startswith("AP") and len(answer["application_id"]) == 8
    items = queue(api)
    assert [i["application_id"] for i in items] == [answer["application_id"]]
    mails = api.mail()
    to = [m["destinations"]["ToAddresses"][0] for m in mails]
    assert body["email"] in to and "staff@example.jp" in to
    applicant_mail = next(m for m in mails if m["destinations"]["ToAddresses"][0] == body["email"])
    assert answer["application_id"] in applicant_mail["subject"]
    assert "受け付けました" in applicant_mail["body"]


def test_the_json_alias_route_takes_the_same_data(api):
    code, answer = api.call("POST", "/api/applications", application_body())
    assert code == 201, answer


def test_given_the_same_client_token_twice_then_one_application(api):
    body = application_body(client_token="tok-abcdef123456")
    first = api.call("POST", "/applications", body)
    second = api.call("POST", "/applications", body)
    assert first[0] == 201 and second[0] == 200
    assert first[1]["application_id"] == second[1]["application_id"]
    assert len(queue(api)) == 1
    assert len([m for m in api.mail() if m["destinations"]["ToAddresses"][0] == body["email"]]) == 1


def test_a_client_token_replayed_with_other_data_is_a_conflict(api):
    api.call("POST", "/applications", application_body(client_token="tok-abcdef123456"))
    code, answer = api.call("POST", "/applications", application_body(client_token="tok-abcdef123456"))
    assert code == 409
    assert "client_token" in answer["error"]["fields"]


BAD = [
    ("missing store name", lambda b: b.pop("store_name"), "store_name"),
    ("store name not a string", lambda b: b.update(store_name=123), "store_name"),
    ("unknown field", lambda b: b.update(admin=True), "admin"),
    ("declaration false", lambda b: b["declarations"].update(no_antisocial=False), "declarations.no_antisocial"),
    ("declaration as string", lambda b: b["declarations"].update(accepts_terms="true"), "declarations.accepts_terms"),
    ("account number 6 digits", lambda b: b["bank"].update(account_number="123456"), "bank.account_number"),
    ("unknown bank", lambda b: b["bank"].update(bank_code="9999"), "bank.bank_code"),
    ("unknown branch", lambda b: b["bank"].update(branch_code="999"), "bank.branch_code"),
    ("kanji holder", lambda b: b["bank"].update(holder_kana="山田花子"), "bank.holder_kana"),
    ("ヰ in holder", lambda b: b["bank"].update(holder_kana="ヰノウエ"), "bank.holder_kana"),
    ("bad account type", lambda b: b["bank"].update(account_type="3"), "bank.account_type"),
    ("Sendai city instead of ward", lambda b: b.update(municipality_code="041009"), "municipality_code"),
    ("municipality outside Miyagi", lambda b: b.update(municipality_code="131016"), "municipality_code"),
    ("bad postal code", lambda b: b.update(postal_code="98-0001"), "postal_code"),
    ("bad phone", lambda b: b.update(phone="12345"), "phone"),
    ("bad email", lambda b: b.update(email="not-an-email"), "email"),
    ("entity type", lambda b: b.update(entity_type="company"), "entity_type"),
    ("store name too long", lambda b: b.update(store_name="店" * 101), "store_name"),
    ("bank not an object", lambda b: b.update(bank="0125-100"), "bank"),
    ("honeypot filled", lambda b: b.update(website="http://spam.example"), "_body"),
    ("control character", lambda b: b.update(address="仙台市\u0000青葉区"), "address"),
    ("previous store id shape", lambda b: b.update(previous_store_id="XX1"), "previous_store_id"),
]


@pytest.mark.parametrize("case,mutate,field", BAD, ids=[c[0] for c in BAD])
def test_bad_input_gets_a_4xx_with_a_japanese_field_message_and_stores_nothing(api, case, mutate, field):
    body = application_body()
    mutate(body)
    code, answer = api.call("POST", "/applications", body)
    assert code in (400, 422), answer
    assert field in answer["error"]["fields"], answer
    message = answer["error"]["fields"][field]
    assert any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert queue(api) == []
    assert api.mail() == []


RAW = [
    ("broken json", b'{"store_name": '),
    ("not an object", b'["a"]'),
    ("empty body", b""),
    ("not utf-8", "{\"store_name\": \"\u5e97\"}".encode("cp932")),
    ("lone surrogate", b'{"store_name": "\\ud800"}'),
    ("huge body", b'{"goods": "' + b"a" * 40_000 + b'"}'),
    ("deep nesting", b"[" * 5000 + b"]" * 5000),
]


@pytest.mark.parametrize("case,raw", RAW, ids=[c[0] for c in RAW])
def test_malformed_bodies_are_4xx_never_500(api, case, raw):
    code, answer = api.call("POST", "/applications", raw=raw)
    assert 400 <= code < 500, (code, answer)
    assert answer["error"]["message"]
    assert queue(api) == []


def test_full_width_digits_and_halfwidth_holder_are_normalised(api):
    code, answer = submit(api, postal_code="９８０８５７０", phone="０２２－３９１－５５１８",
                          bank={"holder_kana": "ｶ)ﾐﾔｷﾞｼｮｳﾃﾝ", "account_number": "０１２３４５６"})
    assert code == 201, answer
    _, detail = api.call("GET", f"/applications/{answer['application_id']}", as_="screener")
    assert detail["postal_code"] == "980-8570"
    assert detail["bank"]["holder_kana"] == "ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ"


def test_postal_code_outside_miyagi_is_a_warning_not_a_rejection(api):
    code, answer = submit(api, postal_code="100-0001")
    assert code == 201
    _, detail = api.call("GET", f"/applications/{answer['application_id']}", as_="screener")
    assert detail["warnings"] == ["postal_code_outside_miyagi"]
    assert "980" in detail["warning_labels"][0]


def test_same_phone_email_or_account_is_flagged_for_the_screener(api):
    _, first = submit(api, phone="022-391-5518")
    _, second = submit(api, phone="022-391-5518", email="other@example.com")
    assert [i["duplicate_count"] for i in queue(api)] == [1, 1]  # the earlier one is flagged too
    _, detail = api.call("GET", f"/applications/{second['application_id']}", as_="screener")
    assert [(d["kind"], d["ref"]) for d in detail["duplicates"]] == [("phone", first["application_id"])]
    # the older one sees the newer one too (computed at view time)
    _, older = api.call("GET", f"/applications/{first['application_id']}", as_="screener")
    assert [(d["kind"], d["ref"]) for d in older["duplicates"]] == [("phone", second["application_id"])]


def test_a_duplicate_group_counts_applications_on_every_member_and_flagged_lists_them_all(api):
    body = application_body()
    ids = []
    for name in ("一号店", "二号店", "三号店"):
        code, answer = api.call("POST", "/applications", {**body, "store_name": name})
        assert code == 201, answer
        ids.append(answer["application_id"])
    code, other = submit(api)
    assert code == 201
    assert {i["application_id"]: i["duplicate_count"] for i in queue(api)} == {
        ids[0]: 2, ids[1]: 2, ids[2]: 2, other["application_id"]: 0}
    code, flagged = api.call("GET", "/applications?status=submitted&flagged=true", as_="screener")
    assert code == 200 and [i["application_id"] for i in flagged["items"]] == ids


def test_two_submissions_at_once_that_missed_each_other_are_linked_both_ways(api, monkeypatch):
    from chalicelib.applications import service

    body = application_body()
    real_link = service.link_duplicates
    # The first one read the group after its commit but before the second committed: it found nobody.
    monkeypatch.setattr(service, "link_duplicates", lambda deps, application_id, fields, own_store=None: set())
    _, first = submit(api, phone=body["phone"])
    monkeypatch.setattr(service, "link_duplicates", real_link)
    code, second = api.call("POST", "/applications", {**body, "store_name": "同時送信"})
    assert code == 201
    counts = {i["application_id"]: i["duplicate_count"] for i in queue(api)}
    assert counts == {first["application_id"]: 1, second["application_id"]: 1}


def test_opening_an_application_repairs_a_link_its_submission_left_out(api, monkeypatch):
    from chalicelib.applications import service

    body = application_body()
    monkeypatch.setattr(service, "link_duplicates", lambda deps, application_id, fields, own_store=None: set())
    _, first = submit(api, email=body["email"])
    _, second = api.call("POST", "/applications", body)
    monkeypatch.undo()
    assert [i["duplicate_count"] for i in queue(api)] == [0, 1]  # only what the second found at its submit
    code, detail = api.call("GET", f"/applications/{first['application_id']}", as_="screener")
    assert code == 200 and detail["duplicate_count"] == 1
    assert [(d["kind"], d["ref"]) for d in detail["duplicates"]] == [("email", second["application_id"])]
    assert [i["duplicate_count"] for i in queue(api)] == [1, 1]

"""What the application form asks the server while the applicant fills it in, and what its pages show of the
configuration (issue 11 point 8): the terms page, bank and branch search by name, the kana check, the call
center on the form and in the mails to the store.

Through chalice.test.Client on moto, as `chalice local` and Lambda run it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.applications import terms
from chalicelib.settings import get_settings
from tests.factories import application_body


def _page(api: Any, path: str) -> str:
    response = api.client.http.get(path)
    assert response.status_code == 200, path
    assert response.headers["Content-Type"].startswith("text/html")
    return str(response.body.decode("utf-8"))


def _kana(api: Any, body: Any) -> tuple[int, Any]:
    return api.call("POST", "/lookup/kana", raw=body if isinstance(body, bytes) else json.dumps(body))


# --- the terms page and the form's configuration ------------------------------------------------------


def test_the_terms_page_states_the_specification_word_for_word_and_the_call_center(api):
    html = _page(api, "/terms")
    assert "参加規約" in html
    for quote in (terms.SPEC_EXCLUDED_STORES, terms.SPEC_EXCLUDED_GOODS, terms.SPEC_TOBACCO):
        assert quote in html
    center = get_settings().call_center
    assert center.call_center_phone in html and "毎日 9:00〜17:30（祝日・年末年始を除く）" in html
    assert "<script" not in html  # a plain page: nothing to run, prints as it is


@pytest.mark.parametrize(("path", "terms_href"), [("/apply", "terms"), ("/apply/correct", "../terms"), ("/", "terms")])
def test_the_form_shows_the_call_center_the_terms_link_and_the_excluded_goods(api, path, terms_href):
    html = _page(api, path)
    center = get_settings().call_center
    # On the form, the done page and the correction banner (one template, three places), and the footer.
    assert html.count(center.call_center_phone) >= 4
    assert f'href="{terms_href}" id="terms-link"' in html
    assert terms.SPEC_EXCLUDED_GOODS in html and terms.SPEC_TOBACCO in html
    for key in ("no_antisocial", "not_adult_business", "no_excluded_goods", "accepts_terms"):
        assert f'id="decl-{key}"' in html  # filled from labels.js (DECLARATIONS)
    assert "切手" not in html  # not in the specification's list


def test_a_configured_terms_url_replaces_the_own_page(api, monkeypatch):
    from chalicelib.routes import public

    settings = get_settings()
    stores = settings.stores.model_copy(update={"terms_url": "https://www.pref.miyagi.jp/miyapo/terms.pdf"})
    monkeypatch.setattr(public, "get_settings", lambda: settings.model_copy(update={"stores": stores}))
    assert 'href="https://www.pref.miyagi.jp/miyapo/terms.pdf" id="terms-link"' in _page(api, "/apply")


# --- bank and branch search -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["七十七", "七十七銀行", "しちじゅうしち", "シチジュウシチ", "ｼﾁｼﾞﾕｳｼﾁ", "0125"])
def test_banks_are_found_by_name_in_kanji_kana_or_hiragana_or_by_code(api, query):
    code, found = api.call("GET", f"/lookup/banks?q={query}")
    assert code == 200, found
    assert found["items"][0] == {"bank_code": "0125", "name": "七十七", "kana": "ｼﾁｼﾞﾕｳｼﾁ"}


def test_a_bank_search_answers_at_most_twenty_and_may_be_cached(api):
    response = api.client.http.get("/lookup/banks?q=農協")
    body = json.loads(response.body)
    assert response.status_code == 200 and len(body["items"]) == 20 and body["limit"] == 20
    assert response.headers["Cache-Control"] == "public, max-age=86400"


def test_branches_are_found_by_name_within_a_bank(api):
    code, found = api.call("GET", "/lookup/banks/0125/branches?q=本店")
    assert code == 200, found
    assert found["bank_name"] == "七十七"
    assert found["items"][0]["branch_code"] == "100" and found["items"][0]["name"] == "本店営業部"
    code, found = api.call("GET", "/lookup/banks/0125/branches?q=せんだいえきまえ")
    assert code == 200 and [b["branch_code"] for b in found["items"]] == ["202"]


@pytest.mark.parametrize("path", ["/lookup/banks", "/lookup/banks?q=", "/lookup/banks?q=%20%20",
                                  f"/lookup/banks?q={'あ' * 51}", "/lookup/banks/0125/branches",
                                  "/lookup/banks/0125/branches?q="])
def test_a_search_without_words_or_with_too_many_is_refused_in_japanese(api, path):
    code, answer = api.call("GET", path)
    assert code == 422, answer
    assert answer["error"]["fields"]["q"]


@pytest.mark.parametrize("bank_code", ["9999", "12", "０１２５", "abcd"])
def test_branches_of_an_unknown_bank_are_not_found(api, bank_code):
    code, answer = api.call("GET", f"/lookup/banks/{bank_code}/branches?q=本店")
    assert code == 404, answer
    assert answer["error"]["message"] == "金融機関が見つかりません"


def test_nothing_found_is_an_empty_list(api):
    code, found = api.call("GET", "/lookup/banks?q=該当のない銀行名")
    assert code == 200 and found["items"] == []


# --- the kana check ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "normalized"), [
    ("bank.holder_kana", "みやぎ たろう", "ﾐﾔｷﾞ ﾀﾛｳ"),
    ("bank.holder_kana", "株式会社ミヤギショウテン", "ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ"),
    ("store_name_kana", "あおば こーひー", "アオバ コーヒー"),
])
def test_the_kana_check_answers_what_the_server_will_store(api, field, value, normalized):
    code, answer = _kana(api, {"field": field, "value": value})
    assert code == 200, answer
    assert answer == {"ok": True, "normalized": normalized, "message": ""}


def test_a_bad_kana_gets_the_servers_own_message(api):
    code, answer = _kana(api, {"field": "bank.holder_kana", "value": "宮城太郎"})
    assert code == 200 and answer["ok"] is False
    body = application_body()
    body["bank"]["holder_kana"] = "宮城太郎"
    status, refused = api.call("POST", "/applications", body)
    assert status == 422
    assert refused["error"]["fields"]["bank.holder_kana"] == answer["message"] == "『宮』は使えません。カナで入力してください"


@pytest.mark.parametrize("body", [
    {"field": "email", "value": "x"}, {"field": "bank.holder_kana"}, {"field": "bank.holder_kana", "value": 1},
    {"value": "ミヤギ"}, {"field": ["store_name_kana"], "value": "ミヤギ"},
    {"field": "store_name_kana", "value": "ア" * 201},
])
def test_a_malformed_kana_question_is_a_japanese_422(api, body):
    code, answer = _kana(api, body)
    assert code == 422, answer
    assert answer["error"]["message"] == "確認する内容が正しくありません"


@pytest.mark.parametrize("raw", [b"", b"[]", b"{", b'{"field": "\\udfff"}', b'{"value": "' + b"a" * 3000 + b'"}'])
def test_a_broken_or_oversized_kana_body_is_a_japanese_400(api, raw):
    code, answer = _kana(api, raw)
    assert code == 400, answer
    assert answer["error"]["message"]


# --- the call center in the store's mails -----------------------------------------------------------------


def test_the_received_mail_to_the_store_carries_the_call_centers_phone_and_hours(api):
    body = application_body()
    code, created = api.call("POST", "/applications", body)
    assert code == 201, created
    center = get_settings().call_center
    mails = [m for m in api.mail() if body["email"] in m["destinations"].get("ToAddresses", [])]
    assert mails
    text = mails[0]["body"]
    assert center.call_center_phone in text and "毎日 9:00〜17:30" in text

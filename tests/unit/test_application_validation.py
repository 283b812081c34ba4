"""The application form's rules, without AWS."""

from __future__ import annotations

import pytest

from chalicelib.applications.screening import parse_decision
from chalicelib.applications.validation import validate_application
from chalicelib.errors import InvalidInput
from tests.factories import application_body


def errors_of(body) -> dict[str, str]:
    with pytest.raises(InvalidInput) as info:
        validate_application(body)
    return info.value.fields


def test_a_valid_application_is_normalised():
    result = validate_application(application_body(
        store_name_kana="てすとしょうてん", postal_code="9808570", phone="022(391)5518",
        bank={"holder_kana": "株式会社ミヤギショウテン"}))
    f = result.fields
    assert f["store_name_kana"] == "テストショウテン"
    assert f["postal_code"] == "980-8570"
    assert f["phone"] == "0223915518"
    assert f["municipality_name"] == "仙台市青葉区" and f["region"] == "仙台"
    assert f["bank"]["holder_kana"] == "ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ"
    assert f["bank"]["bank_name"] == "七十七" and f["bank"]["branch_name"] == "本店営業部"
    assert result.warnings == ()


def test_all_problems_are_reported_at_once():
    body = application_body(phone="1234567890", email="a@b", municipality_code="041009",
                            bank={"holder_kana": "漢字", "bank_code": "9999"})
    fields = errors_of(body)
    assert set(fields) == {"phone", "email", "municipality_code", "bank.holder_kana", "bank.bank_code"}
    assert "漢" in fields["bank.holder_kana"]
    assert "区" in fields["municipality_code"]


def test_missing_fields_name_the_field_in_japanese():
    body = application_body()
    del body["email"], body["bank"]["account_number"]
    fields = errors_of(body)
    assert fields["email"] == "メールアドレスを入力してください"
    assert fields["bank.account_number"] == "口座番号を入力してください"


@pytest.mark.parametrize("phone,ok", [
    ("022-391-5518", True), ("090-1234-5678", True), ("0120-123-456", True),
    ("0223915518", True), ("22-391-5518", False), ("0000000000", False), ("090-1234-56789", False),
])
def test_phone_numbers(phone, ok):
    if ok:
        assert validate_application(application_body(phone=phone)).fields["phone"].startswith("0")
    else:
        assert "phone" in errors_of(application_body(phone=phone))


@pytest.mark.parametrize("postal,warn", [("980-8570", False), ("989-6800", False), ("100-0001", True),
                                         ("979-9999", True), ("990-0001", True)])
def test_postal_codes_outside_980_989_are_warnings(postal, warn):
    result = validate_application(application_body(postal_code=postal))
    assert ("postal_code_outside_miyagi" in result.warnings) is warn


def test_every_area_is_accepted_and_sendai_city_is_not():
    from chalicelib.kernel.areas import all_areas

    for area in all_areas():
        assert validate_application(application_body(municipality_code=area.code)).fields["region"] == area.region
    assert "municipality_code" in errors_of(application_body(municipality_code="041009"))


def test_honeypot_and_unknown_fields_are_refused():
    assert "_body" in errors_of(application_body(website="x"))
    assert errors_of(application_body(extra="1")) == {"extra": "この項目は受け付けていません"}


def test_strict_types_no_coercion():
    assert "declarations.accepts_terms" in errors_of(application_body(declarations={"accepts_terms": 1}))
    assert "bank.account_number" in errors_of(application_body(bank={"account_number": 1234567}))


def test_decisions():
    with pytest.raises(InvalidInput) as info:
        parse_decision({"decision": "approve", "checks": {"antisocial": True}})
    assert set(info.value.fields) == {"checks.adult_business", "checks.in_prefecture", "checks.excluded_goods",
                                      "checks.other"}
    with pytest.raises(InvalidInput) as info:
        parse_decision({"decision": "return", "reason": "  "})
    assert "reason" in info.value.fields
    with pytest.raises(InvalidInput) as info:
        parse_decision({"decision": "maybe"})
    assert "decision" in info.value.fields
    d = parse_decision({"decision": "reject", "checks": {"other": False}, "reason": "県の判断"})
    assert d.action == "reject" and d.checks["other"] is False and d.reason == "県の判断"


@pytest.mark.parametrize(("postal", "area", "warn"), [
    ("980-8570", "041017", False),  # 宮城県庁, 仙台市青葉区
    ("986-0000", "041017", True),  # 石巻市 with 青葉区: a typo in one of them
    ("986-0000", "042021", False),  # 石巻市
    ("989-6100", "042153", False),  # 大崎市
    ("989-6100", "044440", True),  # 大崎市's code with 色麻町
    ("989-0000", "041017", False),  # not a code Japan Post lists: nothing can be said
    ("100-0001", "041017", False),  # outside Miyagi: that warning, not this one
])
def test_a_postal_code_of_another_area_is_a_warning_for_the_screener(postal, area, warn):
    result = validate_application(application_body(postal_code=postal, municipality_code=area))
    assert ("postal_code_other_area" in result.warnings) is warn


def test_every_area_has_postal_codes_and_every_code_an_area():
    from chalicelib.kernel.areas import _postal_areas, all_areas
    table = _postal_areas()
    areas = {a.code for a in all_areas()} - {"041009"}
    assert len(table) > 3000 and set().union(*table.values()) == areas
    assert all(code.isdigit() and len(code) == 7 and 980 <= int(code[:3]) <= 989 for code in table)


ONE_LINE_FIELDS = ("store_name", "representative", "address", "email", "business_category")
#: What a one-line field refuses (QA A-F5: they went verbatim into the acknowledgement mail).
NOT_ONE_LINE = {
    "line feed": "店\n\n【重要】振込先変更のお知らせ https://example.com",
    "tab": "店\t名", "RLO": "\u202eshop", "LRI/PDI": "\u2066店\u2069", "LRM": "店\u200e名",
    "line separator": "店\u2028名", "paragraph separator": "店\u2029名",
    "ZWJ between letters": "店\u200d名", "ZWSP": "店\u200b名",
}


@pytest.mark.parametrize("field", ONE_LINE_FIELDS)
@pytest.mark.parametrize("text", NOT_ONE_LINE.values(), ids=NOT_ONE_LINE.keys())
def test_one_line_fields_refuse_line_breaks_controls_and_invisible_characters(field, text):
    from chalicelib.kernel.plain_text import SINGLE_LINE_MESSAGE

    assert errors_of(application_body(**{field: text})) == {field: SINGLE_LINE_MESSAGE}


@pytest.mark.parametrize("text", NOT_ONE_LINE.values(), ids=NOT_ONE_LINE.keys())
def test_kana_fields_name_the_character_they_cannot_take(text):
    # Their converters take kana only and name what they meet, as the form's live check does.
    bad = next(ch for ch in text if ch not in "店名shop")
    assert f"U+{ord(bad):04X}" in errors_of(application_body(store_name_kana=f"ミ{bad}セ"))["store_name_kana"]
    assert f"U+{ord(bad):04X}" in errors_of(application_body(bank={"holder_kana": f"ミ{bad}セ"}))["bank.holder_kana"]


def test_goods_keep_line_breaks_but_nothing_else_of_the_kind():
    from chalicelib.kernel.plain_text import MULTI_LINE_MESSAGE

    assert validate_application(application_body(goods="日用品\n食料品")).fields["goods"] == "日用品\n食料品"
    for text in ("日用品\t食料品", "\u202e日用品", "日用品\u2028食料品"):
        assert errors_of(application_body(goods=text)) == {"goods": MULTI_LINE_MESSAGE}


def test_a_store_name_may_carry_emoji_and_emoji_zwj_sequences():
    for name in ("カフェ\u2615", "\U0001f3f3\ufe0f\u200d\U0001f308 BAR", "\U0001f468\u200d\U0001f469\u200d\U0001f467 食堂"):
        assert validate_application(application_body(store_name=name)).fields["store_name"] == name


def test_each_area_s_own_postal_codes_are_its_own():
    from chalicelib.kernel.areas import areas_of_postal_code, postal_codes_in_area
    codes = postal_codes_in_area("042021")  # 石巻市
    assert "986-0000" in codes and all(areas_of_postal_code(c) == {"042021"} for c in codes)
    assert postal_codes_in_area("041009") == ()  # 仙台市 as a whole: its wards hold the codes


def test_a_decision_s_reason_and_question_keep_line_breaks_only():
    """They go into the applicant's (or the prefecture's) mail verbatim (QA A-F5)."""
    from chalicelib.applications.screening import parse_judgement
    from chalicelib.kernel.plain_text import MULTI_LINE_MESSAGE

    assert parse_decision({"decision": "return", "reason": "住所を\n確認してください"}).reason == "住所を\n確認してください"
    for bad in ("住所を\t確認", "\u202e住所", "住所\u2028確認", "住所\u200b確認"):
        with pytest.raises(InvalidInput) as info:
            parse_decision({"decision": "return", "reason": bad})
        assert info.value.fields == {"reason": MULTI_LINE_MESSAGE}
        with pytest.raises(InvalidInput) as info:
            parse_decision({"decision": "refer", "question": bad})
        assert info.value.fields == {"question": MULTI_LINE_MESSAGE}
        with pytest.raises(InvalidInput) as info:
            parse_judgement({"decision": "reject", "reason": bad})
        assert info.value.fields == {"reason": MULTI_LINE_MESSAGE}

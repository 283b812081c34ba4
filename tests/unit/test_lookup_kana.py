"""The form's live kana check (applications/kana_check.py, `POST /lookup/kana`) says exactly what the
server's check of a whole application says: the same normalised value or the same message."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.applications.kana_check import check_kana
from chalicelib.applications.validation import validate_application
from chalicelib.errors import InvalidInput
from tests.factories import application_body

SAMPLES = [
    "ミヤギ タロウ", "みやぎ たろう", "ﾐﾔｷﾞ ﾀﾛｳ", "宮城太郎", "カ）ミヤギショウテン", "株式会社ミヤギ商店", "株式会社",
    "（株）ミヤギ", "キャノン", "ヨーコ", "ヴァイオリン", "ヰスキー", "ヶ", "ABC ｼﾖｳﾃﾝ", "abc", "ミヤギ・タロウ", "",
    "   ", "ア" * 31, "ア" * 61, "ア" * 101, "ｶﾞ", "ﾞア", "アオバ\u3000コーヒー", "♪", "ミヤギ\tタロウ",
]


def _server(field: str, value: str) -> dict[str, Any]:
    body = application_body()
    if field == "bank.holder_kana":
        body["bank"]["holder_kana"] = value
    else:
        body[field] = value
    try:
        data = validate_application(body)
    except InvalidInput as exc:
        return {"ok": False, "message": exc.fields.get(field, "")}
    stored = data.fields["bank"]["holder_kana"] if field == "bank.holder_kana" else data.fields[field]
    return {"ok": True, "normalized": stored}


@pytest.mark.parametrize("field", ["bank.holder_kana", "store_name_kana"])
@pytest.mark.parametrize("value", SAMPLES)
def test_the_live_check_and_the_servers_check_agree(field: str, value: str) -> None:
    live = check_kana({"field": field, "value": value})
    server = _server(field, value)
    assert live["ok"] is server["ok"], (value, live, server)
    if live["ok"]:
        assert live["normalized"] == server["normalized"] and live["message"] == ""
    else:
        assert live["message"] == server["message"] and live["message"], (value, live, server)


@pytest.mark.parametrize("body", [
    {}, {"field": "email", "value": "a"}, {"field": "bank.holder_kana"}, {"field": "bank.holder_kana", "value": None},
    {"field": "store_name_kana", "value": ["ア"]}, {"field": 1, "value": "ア"}, {"field": "store_name_kana", "value": "ア" * 201},
])
def test_a_malformed_question_is_invalid_input_in_japanese(body: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_kana(body)
    assert caught.value.message == "確認する内容が正しくありません"
    assert set(caught.value.fields) <= {"field", "value"} and caught.value.fields

"""The application form's kana fields checked one at a time, while the applicant types (`POST /lookup/kana`).

The same rules and the same Japanese messages as the server's check of a whole application
(`validation.validate_application`): the length limits are read from the form's model, the conversion is
the same kernel function (furigana → `to_katakana_reading`, 口座名義 → `to_zengin_name`).
tests/unit/test_lookup_kana.py holds the two side by side. Pure; no AWS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from annotated_types import MaxLen
from pydantic import BaseModel

from chalicelib.applications.validation import LABELS, ApplicationInput, BankInput
from chalicelib.errors import InvalidInput
from chalicelib.kernel.kana import KanaError, to_katakana_reading, to_zengin_name

#: Longest text the endpoint looks at (a field's own limit is far below; the body is limited as well).
MAX_TEXT = 200

#: field (the form's dotted name) → (the model declaring it, its name there, the server's conversion)
_RULES: dict[str, tuple[type[BaseModel], str, Callable[[str], str]]] = {
    "store_name_kana": (ApplicationInput, "store_name_kana", to_katakana_reading),
    "bank.holder_kana": (BankInput, "holder_kana", to_zengin_name),
}


def _max_length(model: type[BaseModel], name: str) -> int:
    return next(m.max_length for m in model.model_fields[name].metadata if isinstance(m, MaxLen))


def check_kana(body: dict[str, Any]) -> dict[str, Any]:
    """`{"field": "bank.holder_kana" | "store_name_kana", "value": "…"}` → `{ok, normalized, message}`:
    what the server would store for the value, or the server's message about it."""
    field, value = body.get("field"), body.get("value")
    errors: dict[str, str] = {}
    if not isinstance(field, str) or field not in _RULES:
        errors["field"] = "確認する項目は store_name_kana か bank.holder_kana を指定してください"
    if not isinstance(value, str):
        errors["value"] = "確認する文字を文字列で指定してください"
    elif len(value) > MAX_TEXT:
        errors["value"] = f"確認できるのは{MAX_TEXT}文字までです"
    if errors:
        raise InvalidInput("確認する内容が正しくありません", errors)
    assert isinstance(field, str) and isinstance(value, str)
    model, name, convert = _RULES[field]
    label = LABELS[field]
    text = value.strip()  # the form's model trims before it checks
    limit = _max_length(model, name)
    if not text:
        return {"ok": False, "normalized": "", "message": f"{label}を入力してください"}
    if len(text) > limit:
        return {"ok": False, "normalized": "", "message": f"{label}は{limit}文字以内で入力してください"}
    try:
        return {"ok": True, "normalized": convert(text), "message": ""}
    except KanaError as exc:
        return {"ok": False, "normalized": "", "message": str(exc)}

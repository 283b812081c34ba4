"""Turn pydantic validation errors and odd input into Japanese field messages.

Field keys are dotted paths (`bank.account_number`); messages say what to do, in Japanese.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from pydantic import ValidationError

from chalicelib.errors import MalformedRequest


def parse_json_object(raw: bytes | None, max_bytes: int) -> dict[str, Any]:
    """The request body as a JSON object, or MalformedRequest (400) with a clear Japanese reason.

    Strings that cannot be stored or even encoded back (lone surrogates sent as `\\udfff`, control
    characters), in keys or values at any depth, are refused here, before any service sees them.
    """
    if not raw:
        raise MalformedRequest("送信内容が空です", {"_body": "JSON 形式で送信してください"})
    if len(raw) > max_bytes:
        raise MalformedRequest("送信内容が大きすぎます", {"_body": f"{max_bytes // 1024}KB 以下にしてください"})
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise MalformedRequest("送信内容を読み取れません", {"_body": "UTF-8 の JSON 形式で送信してください"}) from None
    if not isinstance(data, dict):
        raise MalformedRequest("送信内容の形式が正しくありません", {"_body": "JSON オブジェクトで送信してください"})
    try:
        bad = _first_bad_string(data)
    except RecursionError:
        raise MalformedRequest("送信内容の形式が正しくありません", {"_body": "入れ子が深すぎます"}) from None
    if bad:
        path, in_key = bad
        message = "項目名に使用できない文字が含まれています" if in_key else "制御文字や表示できない文字は使えません"
        raise MalformedRequest("使用できない文字が含まれています", {path: message})
    return data


#: Bidi controls (U+202A–U+202E, U+2066–U+2069, LRM/RLM, ALM): they make text read in another order than
#: it is stored (a mail, a CSV, the console), and no field of this app needs them.
BIDI_CONTROLS = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]))


def _bad_char(text: str) -> bool:
    # Control characters, lone surrogates and unassigned/private code points cannot be stored or
    # printed safely (and DynamoDB refuses lone surrogates); bidi controls and the line/paragraph
    # separators are refused in every field too. Line breaks and tabs are text here: each field's own
    # rule says whether it takes them (kernel.plain_text: a single-line field does not).
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cs", "Co", "Cn", "Zl", "Zp") or (cat == "Cc" and ch not in "\n\t") or ch in BIDI_CONTROLS:
            return True
    return False


def _first_bad_string(value: Any, path: str = "") -> tuple[str, bool] | None:
    """(field path, whether the bad characters are in a key) of the first string that cannot be stored.

    A bad key is reported at its parent's path, never echoed: a lone surrogate cannot even be encoded
    into the error answer.
    """
    if isinstance(value, str):
        return (path or "_body", False) if _bad_char(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            if _bad_char(str(key)):
                return path or "_body", True
            found = _first_bad_string(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _first_bad_string(item, f"{path}[{i}]")
            if found:
                return found
    return None


def field_errors(exc: ValidationError, labels: dict[str, str], hints: dict[str, str]) -> dict[str, str]:
    """Japanese messages for a pydantic ValidationError, one per field (the first problem)."""
    fields: dict[str, str] = {}
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "_body"
        if key in fields:
            continue
        fields[key] = _message(err, labels.get(key, "この項目"), hints.get(key))
    return fields


def _message(err: Any, label: str, hint: str | None) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return f"{label}を入力してください"
    if kind == "extra_forbidden":
        return "この項目は受け付けていません"
    if kind == "value_error" and "error" in ctx:
        # Our own validators raise ValueError with the Japanese message.
        return str(ctx["error"])
    if kind in ("string_too_short",) and ctx.get("min_length") == 1:
        return f"{label}を入力してください"
    if kind == "string_too_long":
        return f"{label}は{ctx.get('max_length')}文字以内で入力してください"
    if kind in ("string_type", "bool_type", "bool_parsing", "int_type", "dict_type", "model_type",
                "model_attributes_type", "literal_error", "string_pattern_mismatch", "enum"):
        return hint or f"{label}の形式が正しくありません"
    return hint or f"{label}の値が正しくありません"

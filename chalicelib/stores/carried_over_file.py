"""The prefecture's list of last year's stores, read (docs/carried-over.md): the file's encoding, its columns
by header (with the spellings the list and the application form use), each row as an application's data and
validated with the application's own rules. Pure: no AWS; carried_over.py uploads, matches and confirms."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
from typing import Any

from chalicelib.applications.validation import DECLARATION_TEXT, LABELS, validate_application
from chalicelib.errors import InvalidInput

MAX_ROWS = 5000
#: (key, header in the prefecture's list, required). docs/carried-over.md documents them.
COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("previous_store_id", "昨年度店舗番号", True),
    ("store_name", "店舗名", True),
    ("store_name_kana", "店舗名カナ", True),
    ("representative", "代表者名", True),
    ("postal_code", "郵便番号", True),
    ("municipality_code", "地域コード", True),
    ("address", "住所", True),
    ("phone", "電話番号", True),
    ("email", "メールアドレス", True),
    ("bank_code", "金融機関コード", True),
    ("branch_code", "支店コード", True),
    ("account_type", "預金種目", True),
    ("account_number", "口座番号", True),
    ("holder_kana", "口座名義カナ", True),
    ("entity_type", "事業者区分", False),
    ("business_category", "業種", False),
    ("goods", "取扱商品", False),
)
#: Other spellings of the headers (the application form's labels among them).
ALIASES = {
    "昨年度の店舗id": "previous_store_id", "昨年度店舗id": "previous_store_id", "前年度店舗番号": "previous_store_id",
    "店舗名(フリガナ)": "store_name_kana", "店舗名フリガナ": "store_name_kana", "店舗名かな": "store_name_kana",
    "代表者": "representative", "市区町村コード": "municipality_code", "エリアコード": "municipality_code",
    "電話": "phone", "メール": "email", "e-mail": "email", "銀行コード": "bank_code", "店番": "branch_code",
    "口座種別": "account_type", "口座名義(カナ)": "holder_kana", "口座名義": "holder_kana",
}
ACCOUNT_TYPES = {"1": "1", "2": "2", "4": "4", "9": "9", "普通": "1", "普通預金": "1", "当座": "2", "当座預金": "2",
                 "貯蓄": "4", "貯蓄預金": "4", "その他": "9"}
ENTITY_TYPES = {"": None, "法人": "corporation", "corporation": "corporation", "個人": "individual",
                "個人事業主": "individual", "individual": "individual"}
#: What an application asks and the prefecture's list may not have: validated with these, not stored.
PLACEHOLDER_ENTITY = "corporation"
PLACEHOLDER_TEXT = "（前年度から継続）"

def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with BOM, UTF-8, or CP932 (Shift_JIS as Windows writes it)."""
    if b"\x00" in data[:4096]:
        raise InvalidInput("CSV ファイルを読み取れません", {"file": "CSV（カンマ区切り）のファイルを選んでください"})
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8", "cp932"):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                continue
    raise InvalidInput("CSV ファイルの文字コードを判別できません",
                       {"file": "UTF-8 または Shift_JIS（CP932）で保存した CSV を選んでください"})


def _header_key(name: str) -> str | None:
    text = unicodedata.normalize("NFKC", name).strip().lower().replace(" ", "").replace("　", "")
    for key, header, _ in COLUMNS:
        if text in (key, unicodedata.normalize("NFKC", header).lower()):
            return key
    return ALIASES.get(text)


def parse_rows(text: str) -> list[tuple[int, dict[str, str]]]:
    """The file's data rows as (line number, {column key: cell}); blank rows are skipped."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("CSV ファイルが空です", {"file": "見出し行とデータ行のある CSV を選んでください"}) from None
    except csv.Error:
        raise InvalidInput("CSV ファイルを読み取れません", {"file": "CSV（カンマ区切り）のファイルを選んでください"}) from None
    keys = [_header_key(h) for h in header]
    missing = [h for k, h, required in COLUMNS if required and k not in keys]
    if missing:
        raise InvalidInput("CSV の見出し行に必要な列がありません",
                           {"file": "次の列がありません: " + "、".join(missing) + "（docs/carried-over.md の列名）"})
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            row = {k: "" for k, _, _ in COLUMNS}
            for key, cell in zip(keys, cells, strict=False):
                if key:
                    row[key] = cell.strip()
            rows.append((start, row))
            if len(rows) > MAX_ROWS:
                raise InvalidInput("行が多すぎます", {"file": f"{MAX_ROWS}行以下に分けてください"})
    except csv.Error:
        raise InvalidInput("CSV ファイルを読み取れません", {"file": f"{line}行目の引用符（\"）の対応を確認してください"}) from None
    return rows


def digest_of(rows: list[tuple[int, dict[str, str]]]) -> str:
    """The same rows give the same digest, whatever the encoding, the BOM or the column order."""
    canon = [[unicodedata.normalize("NFKC", row[k]) for k, _, _ in COLUMNS] for _, row in rows]
    return hashlib.sha256(json.dumps(canon, ensure_ascii=False).encode()).hexdigest()


def application_input(row: dict[str, str]) -> dict[str, Any]:
    """A row as the application form's data, for `validate_application` (the pledges are made later, by
    the store on its re-confirmation page; what the list lacks is a neutral placeholder)."""
    account_type = ACCOUNT_TYPES.get(unicodedata.normalize("NFKC", row["account_type"]).strip(), row["account_type"])
    entity = ENTITY_TYPES.get(row["entity_type"], "?")
    return {
        "store_name": row["store_name"], "store_name_kana": row["store_name_kana"],
        "entity_type": entity or PLACEHOLDER_ENTITY, "representative": row["representative"],
        "postal_code": row["postal_code"], "municipality_code": row["municipality_code"],
        "address": row["address"], "phone": row["phone"], "email": row["email"],
        "business_category": row["business_category"] or PLACEHOLDER_TEXT,
        "goods": row["goods"] or PLACEHOLDER_TEXT,
        "declarations": {k: True for k in DECLARATION_TEXT},
        "bank": {"bank_code": row["bank_code"], "branch_code": row["branch_code"], "account_type": account_type,
                 "account_number": row["account_number"], "holder_kana": row["holder_kana"]},
        "previous_store_id": row["previous_store_id"] or None,
    }


def _reason(fields: dict[str, str]) -> str:
    parts = []
    for key, message in fields.items():
        label = LABELS.get(key, "")
        if key == "entity_type":
            label, message = "事業者区分", "「法人」または「個人」と書いてください"
        parts.append(f"{label}: {message}" if label and not message.startswith(label) else message)
    return "、".join(parts)


def validate_row(row: dict[str, str]) -> tuple[dict[str, Any] | None, str | None, list[str]]:
    """(stored fields, None, warnings) or (None, the reason in Japanese, [])."""
    if not row["previous_store_id"]:
        return None, "昨年度店舗番号: 昨年度の店舗番号（MP で始まる8文字）を入力してください", []
    try:
        data = validate_application(application_input(row))
    except InvalidInput as exc:
        return None, _reason(exc.fields) or exc.message, []
    fields = {k: v for k, v in data.fields.items() if k != "declarations"}
    entity = ENTITY_TYPES.get(row["entity_type"])
    if entity:
        fields["entity_type"] = entity
    else:
        fields.pop("entity_type", None)
    for name in ("business_category", "goods"):
        if not row[name]:
            fields.pop(name, None)
    return fields, None, list(data.warnings)

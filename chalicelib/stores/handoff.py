"""The files exchanged about the store kit (pure: data in, bytes or rows out). docs/store-kit.md has the
same layouts for the app provider and the delivery company.

**Handoff list** (to the app provider; one file per batch, downloadable again at any time):
UTF-8 with BOM, CRLF, comma separated, a header row with these names, one row per store:

| # | column            | content                                                                  |
|---|-------------------|--------------------------------------------------------------------------|
| 1 | store_id          | the store id this system issued (`MP` + 6 digits); the provider's answer names it |
| 2 | request_type      | `new` (register the store) or `reissue` (issue a new initial password)   |
| 3 | store_name        | 店舗名                                                                    |
| 4 | store_name_kana   | 店舗名（フリガナ, full-width katakana）                                     |
| 5 | postal_code       | 郵便番号 `NNN-NNNN`                                                        |
| 6 | address           | 住所, starting with 宮城県                                                  |
| 7 | phone             | 店舗の電話番号                                                               |
| 8 | business_category | 業種                                                                       |
| 9 | approved_on       | 参加承認日 `YYYY-MM-DD` (JST)                                                |
| 10| batch_id          | the handoff batch (`HB` + 6 digits)                                        |
| 11| handed_off_on     | 引渡日 `YYYY-MM-DD` (JST)                                                    |

**Provider's answer** (`POST /stores/provider-answer`, `text/csv`): UTF-8 (BOM optional; CP932 is also
read), a header row naming `store_id,login_id,initial_password,qr_payload` (any order; other columns are
ignored), one row per store. `login_id` 1–64 and `initial_password` 8–64 printable ASCII characters,
`qr_payload` (what the store's payment QR code encodes) 1–1000 printable ASCII characters.

**Shipping list** (to the delivery company's label software, per batch): UTF-8 with BOM, CRLF, columns
`郵便番号, 住所, 宛名, 電話番号, 品名, 個数, お客様管理番号` (the last is the store id, to match the
tracking numbers back).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InvalidInput
from chalicelib.kernel.sheets import to_csv

HANDOFF_COLUMNS = ("store_id", "request_type", "store_name", "store_name_kana", "postal_code", "address", "phone",
                   "business_category", "approved_on", "batch_id", "handed_off_on")
ANSWER_COLUMNS = ("store_id", "login_id", "initial_password", "qr_payload")
SHIPPING_COLUMNS = ("郵便番号", "住所", "宛名", "電話番号", "品名", "個数", "お客様管理番号")
#: What goes in the parcel (the label's 品名).
KIT_GOODS = "みやぎポイント参加店舗キット（印刷物）"

MAX_ANSWER_BYTES = 2 * 1024 * 1024
MAX_ANSWER_ROWS = 20_000
STORE_ID = re.compile(r"^MP\d{6}$")
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")
_PAYLOAD = re.compile(r"^[\x20-\x7e]+$")


def full_address(store: dict[str, Any]) -> str:
    """The store's address as a label prints it: 宮城県 + municipality + the rest (each added if missing)."""
    address = str(store.get("address") or "").strip()
    municipality = str(store.get("municipality_name") or "")
    if municipality and not address.startswith(municipality) and not address.startswith("宮城県"):
        address = municipality + address
    return address if address.startswith("宮城県") else "宮城県" + address


def handoff_csv(rows: Iterable[dict[str, Any]]) -> bytes:
    """The handoff list: `rows` carry the HANDOFF_COLUMNS."""
    return to_csv([list(HANDOFF_COLUMNS), *([r.get(c, "") for c in HANDOFF_COLUMNS] for r in rows)])


def handoff_row(store: dict[str, Any], batch_id: str, request_type: str, handed_off_on: str) -> dict[str, Any]:
    return {
        "store_id": store["store_id"], "request_type": request_type, "store_name": store.get("store_name", ""),
        "store_name_kana": store.get("store_name_kana", ""), "postal_code": store.get("postal_code", ""),
        "address": full_address(store), "phone": store.get("phone", ""),
        "business_category": store.get("business_category", ""),
        "approved_on": str(store.get("approved_at", ""))[:10], "batch_id": batch_id, "handed_off_on": handed_off_on,
    }


def shipping_csv(stores: Iterable[dict[str, Any]]) -> bytes:
    rows: list[list[Any]] = [list(SHIPPING_COLUMNS)]
    for s in stores:
        rows.append([s.get("postal_code", ""), full_address(s), s.get("store_name", ""), s.get("phone", ""),
                     KIT_GOODS, 1, s["store_id"]])
    return to_csv(rows)


@dataclass(frozen=True)
class AnswerRow:
    line: int
    store_id: str
    login_id: str
    password: str
    qr_payload: str


@dataclass
class ParsedAnswer:
    rows: int
    valid: list[AnswerRow]
    rejected: list[dict[str, Any]]


def _decode(body: bytes) -> str:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return body.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("ファイルの文字コードを読み取れません", {"file": "UTF-8 または Shift_JIS（CP932）の CSV を指定してください"})


def _row_problem(values: dict[str, str]) -> str | None:
    if not STORE_ID.match(values["store_id"]):
        return "店舗IDの形式が正しくありません（MP と6桁の数字です）"
    if not values["login_id"] or len(values["login_id"]) > 64 or not _PRINTABLE.match(values["login_id"]):
        return "ログインIDが空か、使えない文字を含みます（半角英数記号64文字まで）"
    password = values["initial_password"]
    if not 8 <= len(password) <= 64 or not _PRINTABLE.match(password):
        return "初期パスワードは半角英数記号8〜64文字です"
    payload = values["qr_payload"]
    if not payload or len(payload) > 1000 or not _PAYLOAD.match(payload) or payload != payload.strip():
        return "二次元コードの内容（qr_payload）が正しくありません（半角英数記号1000文字まで、前後の空白なし）"
    return None


def parse_answer(body: bytes) -> ParsedAnswer:
    """The provider's answer: rows that are well formed, and every other row with its line and reason.

    A file that is not such an answer at all (empty, too large, no header naming the four columns) is
    refused whole (InvalidInput). Line numbers count the file's lines, the header being line 1. A store
    named twice keeps its first row; the later ones are rejected as duplicates.
    """
    if len(body) > MAX_ANSWER_BYTES:
        raise InvalidInput("ファイルが大きすぎます", {"file": "2MB までの CSV にしてください"})
    text = _decode(body)
    if not text.strip():
        raise InvalidInput("ファイルが空です", {"file": "アプリ事業者の回答ファイル（CSV）を指定してください"})
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, [])
    except csv.Error:
        raise InvalidInput("CSV として読み取れません", {"file": "CSV 形式のファイルを指定してください"}) from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in ANSWER_COLUMNS if c not in names]
    if missing:
        raise InvalidInput("アプリ事業者の回答ファイルではありません", {
            "file": "1行目に store_id,login_id,initial_password,qr_payload の列名が必要です（不足: "
                    + ", ".join(missing) + "）"})
    where = {c: names.index(c) for c in ANSWER_COLUMNS}
    parsed = ParsedAnswer(rows=0, valid=[], rejected=[])
    first_line: dict[str, int] = {}
    try:
        for record in reader:
            line = reader.line_num
            if not any(v.strip() for v in record):
                continue
            parsed.rows += 1
            if parsed.rows > MAX_ANSWER_ROWS:
                raise InvalidInput("行数が多すぎます", {"file": f"{MAX_ANSWER_ROWS}行までにしてください"})
            if len(record) <= max(where.values()):
                parsed.rejected.append({"line": line, "reason": f"列の数が足りません（{max(where.values()) + 1}列必要です）"})
                continue
            values = {c: record[i].strip() if c != "qr_payload" else record[i] for c, i in where.items()}
            values["store_id"] = values["store_id"].upper()
            problem = _row_problem(values)
            if problem:
                parsed.rejected.append({"line": line, "reason": problem})
                continue
            sid = values["store_id"]
            if sid in first_line:
                parsed.rejected.append({"line": line, "reason": f"同じ店舗IDがファイル内で重複しています（{first_line[sid]}行目と同じ）"})
                continue
            first_line[sid] = line
            parsed.valid.append(AnswerRow(line, sid, values["login_id"], values["initial_password"],
                                          values["qr_payload"]))
    except csv.Error:
        raise InvalidInput("CSV として読み取れません", {"file": f"{reader.line_num}行目の引用符が閉じていません"}) from None
    return parsed

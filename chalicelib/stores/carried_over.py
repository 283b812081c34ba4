"""Carried-over stores (issue 11 point 1; the prefecture's specification 7(1)ハ): the prefecture's list of last
year's stores is uploaded, previewed, confirmed into stores awaiting re-confirmation, and each store confirms
this year's pledges (and may correct its contact data) through a signed link in its mail.

- **Upload** (`upload`): CSV in UTF-8 (with or without BOM) or CP932, detected; the columns are
  docs/carried-over.md's. Each row is validated with the application's own rules
  (chalicelib/applications/validation.py `validate_application`: kana, bank and branch in the bank master,
  a Miyagi municipality or Sendai ward, postal code, phone, e-mail), then matched against the stores and
  applications already known: by previous store id (the key a carried-over store leaves) and by the phone,
  e-mail and bank-account fingerprints the applications area indexes (`find_duplicates`). A row is `new`,
  `matched` (with the differences) or `rejected` (with its line number and reason). The same rows uploaded
  again, in any encoding, answer the same import (a digest of the rows), so a rerun changes nothing.
- **Confirm** (`confirm`): each `new` row becomes a store (`MP` + 6 digits, status `awaiting_reconfirmation`,
  継続確認待ち) with its fingerprints and a `previous_store#…` key, and ONE mail (`carried-over#<store id>`)
  with its link. A claim per previous store id means no previous store is ever created twice; confirming an
  import again answers its stores and creates nothing.
- **Re-confirmation** (`reconfirmation_by_link`): the store's page shows its data and the pledges
  (applications/terms.py); confirming them, with any contact corrections validated as an application, makes
  the store active (audited).

`match_previous` answers, for an application naming a previous store id, which store it matches (for the
screener's view of the application).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from chalicelib.applications.service import find_duplicates
from chalicelib.applications.validation import DECLARATION_TEXT, LABELS, validate_application
from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.errors import Conflict, InvalidInput, LinkExpired, NotFound
from chalicelib.kernel.fingerprints import bank_account_key, fingerprint, normalise_email, normalise_phone
from chalicelib.kernel.masking import mask_account_number
from chalicelib.mail.outbox import Mail
from chalicelib.mail.templates import store_mail_footer
from chalicelib.observability import logger
from chalicelib.stores.carried_over_repository import AWAITING, CarriedOverRepository, carried_over_repository

if TYPE_CHECKING:
    from chalicelib.adapters.keys import KeyStore
    from chalicelib.deps import Deps
    from chalicelib.stores.repository import StoreRepository

AWAITING_LABEL = "継続確認待ち"
MAX_BYTES = 4 * 1024 * 1024
MAX_ROWS = 5000
#: Stores created per transaction: store, 3 fingerprints, previous-id key, claim, mail, audit = 8 items.
STORES_PER_TX = 10
LINK_DAYS = 30
_PURPOSE = "carried-over-confirm"
_BAD_LINK = {"token": "メールに記載されたリンクをそのまま開いてください"}
STALE = "他の担当者が同時に操作しました。画面を再読み込みしてください"

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
#: What the preview compares between a row and the store or application it matches.
COMPARED = ("store_name", "store_name_kana", "representative", "postal_code", "municipality_code", "address",
            "phone", "email", "bank.bank_code", "bank.branch_code", "bank.account_type", "bank.account_number",
            "bank.holder_kana")
MATCH_KINDS = {"previous": "昨年度店舗番号", "phone": "電話番号", "email": "メールアドレス", "bank": "振込口座"}
#: What the store may correct on its re-confirmation page.
CORRECTABLE = ("representative", "postal_code", "address", "phone", "email")


def _repo(deps: Deps) -> CarriedOverRepository:
    return carried_over_repository(deps)


# ---- reading the file ------------------------------------------------------------------------------------


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


# ---- matching -----------------------------------------------------------------------------------------


def previous_key(previous_store_id: str) -> str:
    return f"previous_store#{previous_store_id}"


def _value(data: dict[str, Any], path: str) -> Any:
    if path.startswith("bank."):
        return (data.get("bank") or {}).get(path[5:])
    return data.get(path)


def _shown(path: str, value: Any) -> Any:
    return mask_account_number(str(value)) if path == "bank.account_number" and value else value


def differences(current: dict[str, Any], incoming: dict[str, Any]) -> list[dict[str, Any]]:
    """The compared fields that differ (account numbers masked)."""
    found = []
    for path in COMPARED:
        old, new = _value(current, path), _value(incoming, path)
        if str(old or "") != str(new or ""):
            found.append({"field": path, "label": LABELS.get(path, path), "current": _shown(path, old),
                          "incoming": _shown(path, new)})
    return found


def _load_ref(deps: Deps, ref: str) -> dict[str, Any] | None:
    kind, _, ident = ref.partition("#")
    if kind == "store":
        return deps.store_repository.get(ident)
    if kind == "application":
        item = deps.application_repository.get(ident)
        if item is None:
            return None
        return {**item["data"], "status": item["status"], "store_id": item.get("store_id")}
    return None


def find_matches(deps: Deps, fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Stores and applications a row matches: by previous store id, phone, e-mail or bank account."""
    by: dict[str, list[str]] = {}
    for ref in deps.keys.refs(previous_key(fields["previous_store_id"])):
        by.setdefault(ref, []).append("previous")
    for found in find_duplicates(deps, fields, set()):
        by.setdefault(found["ref"], []).append(found["kind"])
    matches: list[dict[str, Any]] = []
    stores = {ref for ref in by if ref.startswith("store#")}
    for ref, kinds in sorted(by.items()):
        current = _load_ref(deps, ref)
        if current is None:
            continue
        # An approved application is shown through its store.
        if ref.startswith("application#") and current.get("store_id") and f"store#{current['store_id']}" in stores:
            continue
        if current.get("previous_store_id") == fields["previous_store_id"] and "previous" not in kinds:
            kinds.append("previous")
        matches.append({"ref": ref, "by": kinds, "by_labels": [MATCH_KINDS[k] for k in kinds],
                        "status": current.get("status"), "store_name": current.get("store_name"),
                        "differences": differences(current, fields)})
    return matches


def match_previous(store_repo: StoreRepository, previous_store_id: str | None, *, keys: KeyStore,
                   fields: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """For a new application naming `previous_store_id`: the carried-over store(s) of that previous id, each
    with whether it is the same store (and, given the application's `fields`, the differences). None when
    the application names none. For the screener's view of the application (chalicelib/applications/
    views.py `detail`, through applications/service.py `get_detail`)."""
    if not previous_store_id:
        return None
    found = []
    for ref in keys.refs(previous_key(previous_store_id)):
        store = store_repo.get(ref.partition("#")[2]) if ref.startswith("store#") else None
        if store is None:
            continue
        found.append({"store_id": store["store_id"], "status": store["status"], "store_name": store["store_name"],
                      "differences": differences(store, fields) if fields else []})
    return {"previous_store_id": previous_store_id, "matched": bool(found), "stores": found,
            "message": ("昨年度の店舗として登録済みです: " + "、".join(s["store_id"] for s in found)) if found
            else "この昨年度店舗番号の継続店舗は登録されていません"}


# ---- upload and preview ---------------------------------------------------------------------------------


def _classify(deps: Deps, parsed: list[tuple[int, dict[str, str]]]) -> list[dict[str, Any]]:
    seen: dict[str, int] = {}
    out: list[dict[str, Any]] = []
    for line, row in parsed:
        fields, reason, warnings = validate_row(row)
        previous = row["previous_store_id"]
        if fields is not None and previous in seen:
            fields, reason = None, f"昨年度店舗番号 {previous} が {seen[previous]}行目と重複しています"
        if fields is None:
            out.append({"line": line, "kind": "rejected", "reason": reason,
                        "previous_store_id": previous, "store_name": row["store_name"]})
            continue
        seen[previous] = line
        matches = find_matches(deps, fields)
        out.append({"line": line, "kind": "matched" if matches else "new", "fields": fields,
                    "warnings": warnings, "matches": matches, "previous_store_id": previous,
                    "store_name": fields["store_name"]})
    return out


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"rows": len(rows), **{k: sum(1 for r in rows if r["kind"] == k) for k in ("new", "matched", "rejected")}}


def upload(deps: Deps, body: bytes, principal: Principal, now: datetime) -> tuple[dict[str, Any], bool]:
    """Read, validate and match the prefecture's list; ({import_id, created}, created now?)."""
    if not body:
        raise InvalidInput("ファイルが空です", {"file": "CSV ファイルを選んでください"})
    if len(body) > MAX_BYTES:
        raise InvalidInput("ファイルが大きすぎます", {"file": f"{MAX_BYTES // 1024 // 1024}MB 以下にしてください"})
    text, encoding = decode(body)
    parsed = parse_rows(text)
    digest = digest_of(parsed)
    repo = _repo(deps)
    existing = repo.by_digest(digest)
    if existing:
        return {"import_id": existing, "created": False}, False
    rows = _classify(deps, parsed)
    import_id = f"SI{deps.keys.next_number('store-import'):06d}"
    counts = _counts(rows)
    record = {"import_id": import_id, "digest": digest, "version": 1, "state": "previewed", "encoding": encoding,
              "created_at": now.isoformat(), "created_by": principal.user, "counts": counts}
    tx = repo.new_tx()
    repo.create(tx, record, rows)
    deps.audit.add_to(tx, entry(Actor.of(principal), "store_import.upload", f"store_import#{import_id}", now,
                                after={"state": "previewed", **counts}, detail={"encoding": encoding}))
    try:
        tx.commit(STALE)
    except Conflict:
        # The same rows were uploaded at the same moment: the other upload holds them.
        again = repo.by_digest(digest)
        if again:
            return {"import_id": again, "created": False}, False
        raise
    logger.info("carried-over list uploaded", extra={"import_id": import_id, **counts})
    return {"import_id": import_id, "created": True}, True


def _load(deps: Deps, import_id: str) -> dict[str, Any]:
    record = _repo(deps).get(import_id) if isinstance(import_id, str) and len(import_id) <= 20 else None
    if record is None:
        raise NotFound("取込が見つかりません", {"import_id": "取込番号（SI…）を確認してください"})
    return record


def _preview_row(row: dict[str, Any], principal: Principal) -> dict[str, Any]:
    from chalicelib.applications.views import bank_fields, contact_fields

    shown: dict[str, Any] = {"line": row["line"], "kind": row["kind"], "previous_store_id": row["previous_store_id"],
                             "store_name": row.get("store_name")}
    if row["kind"] == "rejected":
        return {**shown, "reason": row["reason"]}
    fields = row["fields"]
    return {**shown, "store_name_kana": fields["store_name_kana"], "municipality_name": fields["municipality_name"],
            "postal_code": fields["postal_code"], "address": fields["address"],
            **contact_fields(fields, principal), "bank": bank_fields(fields["bank"], principal),
            "warnings": row.get("warnings", []), "matches": row.get("matches", [])}


def preview(deps: Deps, import_id: str, principal: Principal, now: datetime) -> dict[str, Any]:
    record = _load(deps, import_id)
    rows = record["rows"]
    deps.audit.append(entry(Actor.of(principal), "store_import.view", f"store_import#{import_id}", now,
                            detail={"rows": len(rows)}))
    counts = _counts(rows)
    return {"import_id": import_id, "state": record["state"], "encoding": record.get("encoding"),
            "created_at": record["created_at"], "created_by": record["created_by"],
            "confirmed_at": record.get("confirmed_at"), "confirmed_by": record.get("confirmed_by"),
            "stores": record.get("stores", []), **counts,
            "rejected": [{"line": r["line"], "reason": r["reason"]} for r in rows if r["kind"] == "rejected"],
            "preview": [_preview_row(r, principal) for r in rows]}


# ---- confirmation -------------------------------------------------------------------------------------------


def make_token(secret: str, store_id: str, now: datetime, days: int = LINK_DAYS) -> str:
    import jwt

    claims = {"sub": store_id, "pur": _PURPOSE, "iat": int(now.timestamp()),
              "exp": int((now + timedelta(days=days)).timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256")


def read_token(secret: str, token: object, now: datetime) -> str:
    import jwt

    if not isinstance(token, str) or not token or len(token) > 2000:
        raise InvalidInput("リンクが正しくありません", _BAD_LINK)
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"verify_exp": False,
                                                                          "require": ["exp", "sub"]})
    except jwt.PyJWTError:
        raise InvalidInput("リンクが正しくありません", _BAD_LINK) from None
    if claims.get("pur") != _PURPOSE:
        raise InvalidInput("リンクが正しくありません", _BAD_LINK)
    if int(now.timestamp()) >= int(claims["exp"]):
        raise LinkExpired("確認用リンクの有効期限が切れています。コールセンターまでお問い合わせください。")
    return str(claims["sub"])


def reconfirm_mail(store: dict[str, Any], link: str, expires: str) -> tuple[str, str]:
    subject = f"【みやぎポイント】今年度の参加継続のご確認のお願い（店舗ID {store['store_id']}）"
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        "昨年度に続き、今年度もみやぎポイントの参加店舗として、県から提供された情報をもとに登録しました。\n"
        f"今年度の店舗IDは {store['store_id']} です（昨年度の店舗番号 {store['previous_store_id']}）。\n\n"
        "ご利用を始めるには、下記のリンクから今年度の誓約事項をご確認のうえ同意してください。"
        "連絡先に変更があれば、同じページで修正できます。\n"
        f"{link}\n"
        f"（リンクの有効期限: {expires}）\n\n"
        "確認が済むまで、貴店は「継続確認待ち」のままで、利用の受付と精算は始まりません。"
        + store_mail_footer()
    )
    return subject, body


def _new_store(store_id: str, import_id: str, row: dict[str, Any], principal: Principal,
               now: datetime) -> dict[str, Any]:
    return {
        **row["fields"],
        "store_id": store_id,
        "status": AWAITING,
        "carried_over_import": import_id,
        "carried_over_line": row["line"],
        "created_at": now.isoformat(), "updated_at": now.isoformat(),
        "approved_at": now.isoformat(), "approved_by": principal.user,
        # Checked against the bank master and converted to the transfer-file set, as an application's.
        "bank_verified": True,
        "version": 1,
    }


def _store_fingerprints(secret: str, fields: dict[str, Any]) -> list[str]:
    bank = fields["bank"]
    return [fingerprint(secret, "phone", normalise_phone(fields["phone"])),
            fingerprint(secret, "email", normalise_email(fields["email"])),
            fingerprint(secret, "bank", bank_account_key(bank["bank_code"], bank["branch_code"],
                                                         bank["account_type"], bank["account_number"]))]


def _claim_key(previous_store_id: str) -> str:
    return f"carried_over#{previous_store_id}"


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _to_create(deps: Deps, record: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    """(rows to create, stores an earlier confirmation created, rows skipped with their reason)."""
    todo: list[dict[str, Any]] = []
    done: list[str] = []
    skipped: list[dict[str, Any]] = []
    for row in record["rows"]:
        if row["kind"] != "new":
            continue
        claimed = deps.keys.get(_claim_key(row["previous_store_id"]))
        if claimed:
            # An earlier (perhaps interrupted) confirmation created this store already.
            done.append(str(claimed["store_id"]))
        elif find_matches(deps, row["fields"]):
            skipped.append({"line": row["line"], "reason": "プレビューの後に一致する店舗または申込が登録されました"})
        else:
            todo.append(row)
    return todo, done, skipped


def _create_batch(deps: Deps, import_id: str, batch: list[dict[str, Any]], principal: Principal,
                  now: datetime) -> tuple[list[str], list[str]]:
    """Stage and commit one transaction of new stores; (store ids created, mail ids), or the stores the
    claims of a confirmation that won the race name (and no mails)."""
    secret = deps.settings.app_secret
    expires = (now + timedelta(days=LINK_DAYS)).strftime("%Y年%m月%d日")
    tx = _repo(deps).new_tx()
    ids: list[str] = []
    mails: list[str] = []
    for row in batch:
        store_id = f"MP{deps.keys.next_number('store'):06d}"
        store = _new_store(store_id, import_id, row, principal, now)
        deps.store_repository.create(tx, store)
        deps.keys.claim_in(tx, _claim_key(row["previous_store_id"]),
                           {"store_id": store_id, "import_id": import_id, "at": now.isoformat()})
        deps.keys.put_in(tx, previous_key(row["previous_store_id"]), f"store#{store_id}", {"at": now.isoformat()})
        for fp in _store_fingerprints(secret, row["fields"]):
            deps.keys.put_in(tx, fp, f"store#{store_id}", {"at": now.isoformat()})
        token = make_token(secret, store_id, now)
        subject, text = reconfirm_mail(store, f"{deps.settings.public_base_url}/store-reconfirm#t={token}", expires)
        mail = Mail(f"carried-over#{store_id}", store["email"], subject, text, "carried-over-reconfirm")
        deps.outbox.add_to(tx, mail, now)
        deps.audit.add_to(tx, entry(Actor.of(principal), "store.create_carried_over", f"store#{store_id}", now,
                                    after={"status": AWAITING, "previous_store_id": row["previous_store_id"]},
                                    detail={"import_id": import_id, "line": row["line"]}))
        ids.append(store_id)
        mails.append(mail.mail_id)
    try:
        tx.commit(STALE)
    except Conflict:
        # Another confirmation of the same rows won the race: take the stores its claims name.
        found = [deps.keys.get(_claim_key(row["previous_store_id"])) for row in batch]
        return [str(c["store_id"]) for c in found if c], []
    return ids, mails


def confirm(deps: Deps, import_id: str, principal: Principal, now: datetime) -> dict[str, Any]:
    """The import's new rows become stores awaiting re-confirmation, each mailed once. Idempotent."""
    record = _load(deps, import_id)
    if record["state"] == "confirmed":
        return {"import_id": import_id, "stores": record.get("stores", []), "created": 0, "skipped": []}
    todo, stores, skipped = _to_create(deps, record)
    mails: list[str] = []
    created = 0
    for batch in _batches(todo, STORES_PER_TX):
        ids, queued = _create_batch(deps, import_id, batch, principal, now)
        stores += ids
        mails += queued
        created += len(queued)
    repo = _repo(deps)
    tx = repo.new_tx()
    repo.mark_confirmed(tx, import_id, int(record["version"]), stores, principal.user, now.isoformat())
    deps.audit.add_to(tx, entry(Actor.of(principal), "store_import.confirm", f"store_import#{import_id}", now,
                                before={"state": record["state"]}, after={"state": "confirmed"},
                                detail={"stores": stores, "created": created, "skipped": len(skipped)}))
    try:
        tx.commit(STALE)
    except Conflict:
        stores = _load(deps, import_id).get("stores", stores)
    deps.outbox.deliver(mails, deps.sender, now)
    logger.info("carried-over list confirmed", extra={"import_id": import_id, "stores_created": created})
    return {"import_id": import_id, "stores": stores, "created": created, "skipped": skipped}


# ---- the store's re-confirmation -------------------------------------------------------------------------


def _declarations() -> list[dict[str, str]]:
    return [{"key": k, "label": v} for k, v in DECLARATION_TEXT.items()]


def _shown_store(store: dict[str, Any]) -> dict[str, Any]:
    bank = store.get("bank") or {}
    return {"store_id": store["store_id"], "store_name": store["store_name"],
            "previous_store_id": store.get("previous_store_id"),
            "contact": {k: store.get(k, "") for k in CORRECTABLE},
            "bank_name": bank.get("bank_name"), "branch_name": bank.get("branch_name"),
            "account_number_masked": mask_account_number(str(bank.get("account_number", ""))),
            "declarations": _declarations()}


def reconfirmation_by_link(deps: Deps, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The store's page: without `answer`, what it is asked to confirm; with `answer: "confirm"`, its
    pledges (every one true) and any corrections of `contact`: the store becomes active."""
    allowed = {"token", "answer", "declarations", "contact"}
    errors = {k: "この項目は受け付けていません" for k in set(body) - allowed}
    answer = body.get("answer")
    if answer is not None and answer != "confirm":
        errors["answer"] = "confirm を指定してください"
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    store_id = read_token(deps.settings.app_secret, body.get("token"), now)
    store = deps.store_repository.get(store_id)
    if not store or not store.get("previous_store_id"):
        raise InvalidInput("リンクが正しくありません", _BAD_LINK)
    state = "pending" if store["status"] == AWAITING else ("confirmed" if store.get("reconfirmed_at") else "closed")
    if answer is None or state != "pending":
        return {**_shown_store(store), "state": state}
    declarations = body.get("declarations")
    contact = body.get("contact") or {}
    errors = {}
    if not isinstance(declarations, dict) or set(declarations) - set(DECLARATION_TEXT):
        declarations = {}
    for key, text in DECLARATION_TEXT.items():
        if declarations.get(key) is not True:
            errors[f"declarations.{key}"] = f"「{text}」への同意が必要です"
    if not isinstance(contact, dict):
        contact = {}
        errors["contact"] = "連絡先の形式が正しくありません"
    errors.update({f"contact.{k}": "この項目は変更できません" for k in set(contact) - set(CORRECTABLE)})
    errors.update({f"contact.{k}": "文字列で入力してください" for k, v in contact.items() if not isinstance(v, str)})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    corrected = {k: v.strip() for k, v in contact.items() if k in CORRECTABLE and v.strip() != str(store.get(k, ""))}
    changes: dict[str, Any] = {"declarations": {k: True for k in DECLARATION_TEXT}}
    if corrected:
        changes.update(_validated_contact(store, corrected))
    repo = _repo(deps)
    tx = repo.new_tx()
    repo.reconfirm_store(tx, store_id, int(store["version"]), changes, now.isoformat())
    for fp in _store_fingerprints(deps.settings.app_secret, {**store, **changes}) if corrected else []:
        deps.keys.put_in(tx, fp, f"store#{store_id}", {"at": now.isoformat()})
    deps.audit.add_to(tx, entry(Actor("store", "store"), "store.reconfirm", f"store#{store_id}", now,
                                before={"status": store["status"]}, after={"status": "active"},
                                detail={"declarations": sorted(DECLARATION_TEXT),
                                        "corrected": sorted(k for k in changes if k != "declarations")}))
    tx.commit("この確認は既に済んでいます")
    logger.info("carried-over store reconfirmed", extra={"store_id": store_id, "corrected": len(corrected)})
    updated = deps.store_repository.get(store_id) or {**store, **changes, "status": "active"}
    return {**_shown_store(updated), "state": "confirmed"}


def _validated_contact(store: dict[str, Any], corrected: dict[str, str]) -> dict[str, Any]:
    """The corrected contact data, validated as an application (the rest of the store as it is)."""
    bank = store["bank"]
    data = {"store_name": store["store_name"], "store_name_kana": store["store_name_kana"],
            "entity_type": store.get("entity_type") or PLACEHOLDER_ENTITY,
            "representative": store["representative"], "postal_code": store["postal_code"],
            "municipality_code": store["municipality_code"], "address": store["address"], "phone": store["phone"],
            "email": store["email"], "business_category": store.get("business_category") or PLACEHOLDER_TEXT,
            "goods": store.get("goods") or PLACEHOLDER_TEXT, "declarations": {k: True for k in DECLARATION_TEXT},
            "bank": {k: bank[k] for k in ("bank_code", "branch_code", "account_type", "account_number")}
            | {"holder_kana": bank["holder_kana"]},
            **corrected}
    try:
        fields = validate_application(data).fields
    except InvalidInput as exc:
        raise InvalidInput("入力内容に誤りがあります",
                           {f"contact.{k}" if k in CORRECTABLE else k: v for k, v in exc.fields.items()}) from None
    return {k: fields[k] for k in corrected}

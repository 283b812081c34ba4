"""The incident query (issue 13 point 4; 別記2 第17): for a time window and optionally a user, an action
(a route's audited action, or a kind of personal data), a store or a file, which kinds of personal data
were involved, how many persons and records, where they are stored, whether encrypted, and who accessed
them — read from the audit log, which records every view, reveal, export and import of personal data.

Pure counting (`summarize`) apart from `query`, which reads the log day by day (its key) and the store's
application id. Answers and reports carry ids, counts and user names; never the personal data itself.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.adapters.resources import BUCKETS, TABLES
from chalicelib.audit.labels import action_label
from chalicelib.deps import Deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import JST, to_jst


@dataclass(frozen=True)
class Kind:
    label: str
    #: what the kind is made of, for the report
    items: str


KINDS: dict[str, Kind] = {
    "bank_account": Kind("口座情報", "金融機関・支店・口座番号・口座名義"),
    "contact": Kind("連絡先・氏名", "代表者・担当者の氏名、電話番号、メールアドレス、住所"),
    "caller": Kind("問い合わせ者の情報", "問い合わせ者の氏名・電話番号・問い合わせ内容"),
    "change_request": Kind("登録内容の変更依頼", "変更前後の氏名・連絡先・口座情報"),
    "store_list": Kind("継続店舗リスト", "前年度の店舗・代表者の情報（県から受領）"),
    "payment": Kind("精算・振込データ", "店舗名・支払額・振込先口座"),
}

VERBS: dict[str, str] = {"view": "閲覧", "reveal": "口座番号の表示", "export": "出力・ダウンロード",
                         "import": "取込"}


@dataclass(frozen=True)
class Touch:
    """What an audited action does to personal data: its kind, how (view, reveal, export, import), where."""

    kind: str
    verb: str
    tables: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()


#: Every audited action that touches personal data. Actions not named here (decisions, status changes,
#: jobs) record changes, not accesses, and are not part of an incident's access picture.
PERSONAL_ACTIONS: dict[str, Touch] = {
    "application.view": Touch("contact", "view", ("applications",)),
    "application.view_bank_account": Touch("bank_account", "reveal", ("applications",)),
    "store.view": Touch("contact", "view", ("stores",)),
    "store.view_bank_account": Touch("bank_account", "reveal", ("stores",)),
    "store.view_change_request": Touch("change_request", "view", ("storechanges",)),
    "inquiry.view": Touch("caller", "view", ("inquiries",)),
    "inquiry.monthly_export": Touch("caller", "export", ("inquiries",), ("documents",)),
    "store_import.upload": Touch("store_list", "import", ("storeimports",)),  # the list is read, never kept in S3
    "store_import.confirm": Touch("store_list", "import", ("storeimports", "stores")),
    "store_import.view": Touch("store_list", "view", ("storeimports",)),
    "storekit.print_kit": Touch("contact", "export", ("storekit", "stores"), ("documents",)),
    "storekit.print_kits": Touch("contact", "export", ("storekit", "stores"), ("documents",)),
    "storekit.download_handoff": Touch("contact", "export", ("storekit", "stores"), ("documents",)),
    "storekit.download_shipping_list": Touch("contact", "export", ("storekit", "stores"), ("documents",)),
    "storekit.credentials_letter": Touch("contact", "export", ("storekit", "stores"), ("documents",)),
    "settlement.download": Touch("payment", "export", ("settlements",), ("documents",)),
    "settlement.download_transfer_file": Touch("bank_account", "export", ("settlements", "stores"), ("documents",)),
}

#: Subject kinds that name one person (a store's owner, an applicant, a caller).
PERSON_SUBJECTS = ("store", "application", "inquiry", "change")
#: detail keys that say how many rows a batch action carried.
ROW_KEYS = ("rows", "stores", "count", "total_rows")
#: Personal attributes are sealed per field with KMS data keys before they reach these tables
#: (chalicelib/kernel/field_crypto.py; existing items by `python -m scripts.encrypt_fields`): a reader of
#: the table or of a backup sees `enc:v1:…` tokens, not the values.
FIELD_ENCRYPTION = True
#: The tables whose personal attributes are sealed. Of the files, only the kinds in adapters/files.py
#: `SEALED` (the bank's transfer file, payment notices, kit hand-offs, disposal records) are sealed at rest;
#: the prefecture's prefix and the uploads are SSE-KMS only, and an export hands its user a plain copy: an
#: incident that involves a bucket, or a table not named here (settlement records), is not reported as
#: encrypted.
SEALED_TABLES = frozenset({"applications", "stores", "storechanges", "storeimports", "inquiries", "outbox"})
MAX_DAYS = 93
DAY_LIMIT = 10_000
MAX_LISTED = 500
_USER = re.compile(r"[A-Za-z0-9._@+\-]{1,128}")
_STORE = re.compile(r"MP\d{6}")


@dataclass(frozen=True)
class IncidentQuery:
    start: datetime
    end: datetime
    actor: str | None = None
    store_id: str | None = None
    action: str | None = None
    file: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat(), "actor": self.actor,
                "store_id": self.store_id, "action": self.action, "file": self.file}


def _moment(value: str | None, name: str, errors: dict[str, str]) -> datetime | None:
    if not value:
        errors[name] = "日時を入力してください（例: 2026-11-01T00:00）"
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value.strip()), datetime.min.time())
        except ValueError:
            errors[name] = "日時は ISO 8601（例: 2026-11-01T09:00+09:00）で入力してください"
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=JST)


def parse_query(params: dict[str, str | None]) -> IncidentQuery:
    errors: dict[str, str] = {}
    start = _moment(params.get("from"), "from", errors)
    end = _moment(params.get("to"), "to", errors)
    if start and end and end <= start:
        errors["to"] = "終了日時は開始日時より後にしてください"
    elif start and end and end - start > timedelta(days=MAX_DAYS):
        errors["to"] = f"期間は{MAX_DAYS}日以内で指定してください"
    actor = (params.get("actor") or "").strip() or None
    if actor and not _USER.fullmatch(actor):
        errors["actor"] = "担当者のユーザー名を入力してください"
    store_id = unicodedata.normalize("NFKC", params.get("store_id") or "").strip().upper() or None
    if store_id and not _STORE.fullmatch(store_id):
        errors["store_id"] = "店舗IDは MP と6桁の数字です（例: MP000123）"
    action = (params.get("action") or "").strip() or None
    if action and action not in PERSONAL_ACTIONS and action not in KINDS:
        errors["action"] = "操作（例: store.view_bank_account）または情報の種類（例: bank_account）を指定してください"
    file = (params.get("file") or "").strip() or None
    if file and len(file) > 300:
        errors["file"] = "ファイル名は300文字以内で指定してください"
    if errors:
        raise InvalidInput("検索条件を確認してください", errors)
    assert start is not None and end is not None
    return IncidentQuery(start, end, actor, store_id, action, file)


def days_of(start: datetime, end: datetime) -> list[str]:
    """The JST days (the audit log's partitions) the window [start, end) touches."""
    first, last = to_jst(start).date(), to_jst(end - timedelta(microseconds=1)).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def _files_of(e: dict[str, Any]) -> list[str]:
    detail = e.get("detail") or {}
    found: list[str] = []
    for key in ("key", "filename", "files", "file"):
        value = detail.get(key)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found += [str(v) for v in value]
    return found


def _rows(e: dict[str, Any]) -> int | None:
    detail = e.get("detail") or {}
    for key in ROW_KEYS:
        value = detail.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return None


def matches(e: dict[str, Any], q: IncidentQuery, store_subjects: set[str]) -> bool:
    touch = PERSONAL_ACTIONS.get(str(e.get("action")))
    if touch is None:
        return False
    at = datetime.fromisoformat(str(e["at"]))
    if not q.start <= at < q.end:
        return False
    if q.actor and e.get("user") != q.actor:
        return False
    if q.action and q.action not in (e.get("action"), touch.kind):
        return False
    if q.store_id:
        detail = e.get("detail") or {}
        if e.get("subject") not in store_subjects and detail.get("store_id") != q.store_id:
            return False
    if q.file and not any(q.file in f for f in _files_of(e)):
        return False
    return True


def summarize(entries: Iterable[dict[str, Any]], tables: dict[str, str] | None = None,
              buckets: dict[str, str] | None = None) -> dict[str, Any]:
    """Counts over matching entries (already filtered): kinds, persons, records, locations, accessors.

    - a single-record action (a view, a reveal) counts its subject once, however often it was seen;
    - a batch action (an export, an import) adds the rows its audit detail recorded (or one when it
      recorded none: then `exact` is False) — rows of two exports may be the same persons, so persons
      from batches are an upper bound.
    """
    tables = tables or {}
    buckets = buckets or {}
    subjects: set[str] = set()
    persons: set[str] = set()
    batch_rows = 0
    exact = True
    kinds: Counter[str] = Counter()
    verbs: Counter[str] = Counter()
    where_tables: set[str] = set()
    where_buckets: set[str] = set()
    people: dict[str, dict[str, Any]] = {}
    listed: list[dict[str, Any]] = []
    for e in sorted(entries, key=lambda x: str(x["entry_id"])):
        action = str(e["action"])
        touch = PERSONAL_ACTIONS[action]
        kinds[touch.kind] += 1
        verbs[touch.verb] += 1
        where_tables.update(touch.tables)
        where_buckets.update(touch.buckets)
        subject = str(e.get("subject") or "")
        if touch.verb in ("view", "reveal"):
            subjects.add(f"{touch.kind}|{subject}")
            if subject.split("#", 1)[0] in PERSON_SUBJECTS:
                persons.add(subject)
        else:
            rows = _rows(e)
            if rows is None:
                exact = False
                rows = 1
            batch_rows += rows
        user = str(e.get("user"))
        who = people.setdefault(user, {"user": user, "role": e.get("role"), "count": 0, "first": e["at"],
                                       "last": e["at"], "actions": Counter()})
        who["count"] += 1
        who["last"] = e["at"]
        who["actions"][action] += 1
        if len(listed) < MAX_LISTED:
            listed.append({"at": e["at"], "user": user, "role": e.get("role"), "action": action,
                           "action_label": action_label(action), "subject": subject, "kind": touch.kind,
                           "kind_label": KINDS[touch.kind].label, "verb": VERBS[touch.verb],
                           "rows": _rows(e), "files": _files_of(e)})
    # Encrypted only if every place the involved data lives holds it sealed (and something was involved).
    sealed = FIELD_ENCRYPTION and not where_buckets and where_tables <= SEALED_TABLES
    accessed_by = [{**w, "actions": [{"action": a, "label": action_label(a), "count": n}
                                     for a, n in sorted(w["actions"].items())]}
                   for w in sorted(people.values(), key=lambda w: (-int(w["count"]), str(w["user"])))]
    kind_names = sorted(kinds, key=list(KINDS).index)
    return {
        "kinds": kind_names,
        "kind_details": [{"kind": k, "label": KINDS[k].label, "items": KINDS[k].items, "events": kinds[k]}
                         for k in kind_names],
        "persons": len(persons) + batch_rows,
        "persons_single": len(persons),
        "records": len(subjects) + batch_rows,
        "batch_rows": batch_rows,
        "exact": exact and batch_rows == 0,
        "events": sum(kinds.values()),
        "by_verb": {VERBS[v]: n for v, n in sorted(verbs.items())},
        "stored_in": [{"kind": "table", "name": n, "physical": tables.get(n, n)} for n in sorted(where_tables)]
        + [{"kind": "bucket", "name": n, "physical": buckets.get(n, n)} for n in sorted(where_buckets)],
        "encrypted": sealed,
        "encryption": {
            "at_rest": True,
            "at_rest_how": "DynamoDB・S3 とも KMS のカスタマー管理キーで保存時暗号化",
            "field_level": FIELD_ENCRYPTION,
            "field_level_where": sorted(where_tables & SEALED_TABLES),
            "plain_where": sorted(where_tables - SEALED_TABLES) + sorted(where_buckets),
            "note": ("個人情報の項目はテーブルへの書き込み前に KMS のデータキーで項目単位に暗号化しています"
                     "（AES-256-GCM）。" + ("" if sealed else
                     "ただし対象にファイル（出力・取込・振込データ）または精算記録が含まれ、これらは保存時暗号化のみで"
                     "項目単位の暗号化はないため、「暗号化の有無」は「なし」として報告します。")),
        },
        "accessed_by": accessed_by,
        "entries": listed,
        "entries_truncated": sum(kinds.values()) > len(listed),
    }


def _locations(deps: Deps) -> tuple[dict[str, str], dict[str, str]]:
    tables = {t.name: str(getattr(deps.settings.tables, f"{t.name}_table", t.name)) for t in TABLES}
    buckets = {b.name: str(getattr(deps.settings.buckets, f"{b.name}_bucket", b.name)) for b in BUCKETS}
    return tables, buckets


def day_entries(deps: Deps, day: str) -> list[dict[str, Any]]:
    """Every entry of a JST day. The log's `by_day` answers one page (DynamoDB stops a Query at 1 MB, a few
    thousand entries); an incident or a monthly count must not miss the rest, so the DynamoDB log is read
    page by page here (a Query on its key, as `by_day` does)."""
    from chalicelib.audit.log import AuditLog

    if type(deps.audit) is AuditLog:
        from chalicelib.adapters import aws
        from chalicelib.adapters.dynamo import query_all

        return query_all(aws.table(deps.audit.table_name), KeyConditionExpression="#d = :d",
                         ExpressionAttributeNames={"#d": "day"}, ExpressionAttributeValues={":d": day})
    return deps.audit.by_day(day, DAY_LIMIT)


def matching_entries(deps: Deps, q: IncidentQuery) -> list[dict[str, Any]]:
    store_subjects: set[str] = set()
    if q.store_id:
        store_subjects.add(f"store#{q.store_id}")
        store = deps.store_repository.get(q.store_id)
        if store and store.get("application_id"):
            store_subjects.add(f"application#{store['application_id']}")
    found: list[dict[str, Any]] = []
    for day in days_of(q.start, q.end):
        found += [e for e in day_entries(deps, day) if matches(e, q, store_subjects)]
    return found


def query(deps: Deps, q: IncidentQuery) -> dict[str, Any]:
    """`GET /privacy/incident`: the acceptance contract's `{kinds, persons, records, encrypted, accessed_by}`
    and the detail behind it."""
    tables, buckets = _locations(deps)
    return {"query": q.to_json(), **summarize(matching_entries(deps, q), tables, buckets)}


# --- the first report (CSV / XLSX / PDF) ---------------------------------------------------------------

REPORT_TITLE = "個人情報の漏えい等に関する報告（速報）資料"
ENTRY_HEADER = ["日時", "担当者", "役割", "操作", "対象", "情報の種類", "行数"]


def _jst(value: str) -> str:
    return to_jst(datetime.fromisoformat(value)).strftime("%Y/%m/%d %H:%M:%S")


def report_lines(result: dict[str, Any], now: datetime) -> list[tuple[str, str]]:
    """The report's items in the order of the prefecture's first report (発生日時, 対象, 件数, 人数, 暗号化, 経緯…)."""
    q = result["query"]
    entries = result["entries"]
    first_last = f"{_jst(entries[0]['at'])} 〜 {_jst(entries[-1]['at'])}" if entries else "該当する操作なし"
    conditions = [f"期間 {_jst(q['from'])} 〜 {_jst(q['to'])}"]
    conditions += [f"{label} {q[key]}" for key, label in (("actor", "担当者"), ("store_id", "店舗ID"),
                                                           ("action", "操作・種類"), ("file", "ファイル")) if q[key]]
    kinds = "、".join(f"{d['label']}（{d['items']}）" for d in result["kind_details"]) or "なし"
    where = "、".join(f"{'テーブル' if s['kind'] == 'table' else 'バケット'} {s['physical']}"
                      for s in result["stored_in"]) or "なし"
    exact = "" if result["exact"] else "（出力・取込の行数を含む上限値。重複を含む可能性があります）"
    how = "、".join(f"{verb} {n}件" for verb, n in result["by_verb"].items()) or "なし"
    who = "、".join(f"{w['user']}（{w['role']}）{w['count']}件 {_jst(w['first'])}〜{_jst(w['last'])}"
                    for w in result["accessed_by"]) or "なし"
    return [
        ("作成日時", to_jst(now).strftime("%Y/%m/%d %H:%M")),
        ("抽出条件", "／".join(conditions)),
        ("発生日時（該当する操作の最初と最後）", first_last),
        ("漏えい等の対象（個人情報の種類）", kinds),
        ("件数（記録）", f"{result['records']:,}件{exact}"),
        ("人数", f"{result['persons']:,}人{exact}"),
        ("保存場所", where),
        ("暗号化の有無", "なし（ファイル・精算記録は保存時暗号化のみ: KMS カスタマー管理キー）"
         if not result["encrypted"] else "あり（項目単位の暗号化、KMS）"),
        ("経緯（監査ログ上の操作）", how),
        ("アクセス者", who),
    ]


def _entry_rows(result: dict[str, Any]) -> list[list[Any]]:
    return [[_jst(e["at"]), e["user"], e["role"], e["action_label"], e["subject"], e["kind_label"],
             e["rows"] if e["rows"] is not None else ""] for e in result["entries"]]


def csv_file(result: dict[str, Any], now: datetime) -> bytes:
    from chalicelib.kernel.sheets import to_csv

    rows: list[list[Any]] = [["項目", "内容"], *[[k, v] for k, v in report_lines(result, now)], [],
                             ENTRY_HEADER, *_entry_rows(result)]
    return to_csv(rows)


def xlsx_file(result: dict[str, Any], now: datetime) -> bytes:
    from chalicelib.kernel.sheets import Sheet, to_xlsx

    summary = [["項目", "内容"], *[[k, v] for k, v in report_lines(result, now)]]
    return to_xlsx([Sheet("報告", summary, heading=REPORT_TITLE),
                    Sheet("操作の一覧", [ENTRY_HEADER, *_entry_rows(result)])], now)


def pdf_file(result: dict[str, Any], now: datetime) -> bytes:
    """A4 portrait: the items as a two-column table, then the operations (as many as fit on the pages)."""
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from chalicelib.kernel.pdf import GOTHIC, register_japanese_font, wrap

    register_japanese_font()
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(REPORT_TITLE)
    width, height = A4
    left, right, top, bottom = 18 * mm, width - 18 * mm, height - 20 * mm, 18 * mm
    y = top

    def line(text: str, size: float, x: float = left, max_width: float | None = None) -> None:
        nonlocal y
        for part in wrap(text, size, max_width or (right - x), GOTHIC):
            if y < bottom:
                page.showPage()
                y = top
            page.setFont(GOTHIC, size)
            page.drawString(x, y, part)
            y -= size * 1.5

    line(REPORT_TITLE, 15)
    y -= 4
    label_width = 58 * mm
    for label, value in report_lines(result, now):
        start = y
        line(label, 9.5, left, label_width - 4)
        after_label = y
        y = start
        line(value, 9.5, left + label_width)
        y = min(y, after_label) - 3
        page.setLineWidth(0.3)
        page.line(left, y + 9, right, y + 9)
    y -= 8
    line("操作の一覧（監査ログより）", 11)
    for e in _entry_rows(result):
        line("  ".join(str(v) for v in e if v != ""), 8)
    if result["entries_truncated"]:
        line(f"（ほか {result['events'] - len(result['entries']):,} 件は CSV・Excel で確認してください）", 8)
    page.showPage()
    page.save()
    return buffer.getvalue()


FORMATS = {"csv": csv_file, "xlsx": xlsx_file, "pdf": pdf_file}


def report_file(deps: Deps, principal: Any, q: IncidentQuery, fmt: str, now: datetime) -> bytes:
    """The report as a file; the export is audited (who produced it, for which window)."""
    from chalicelib.audit.log import Actor, entry

    if fmt not in FORMATS:
        raise InvalidInput("形式の指定が正しくありません", {"format": "csv・xlsx・pdf のいずれかを指定してください"})
    result = query(deps, q)
    body = FORMATS[fmt](result, now)
    deps.audit.append(entry(Actor.of(principal), "privacy.incident_export", "privacy#incident", now,
                            detail={"format": fmt, **{k: v for k, v in q.to_json().items() if v},
                                    "events": result["events"]}))
    return body

"""The monthly access report (issue 13 point 5; 別記2 第14・第15): per staff user, how often they viewed,
revealed, exported and imported personal data in a month, counted from the audit log; delivered to the
prefecture's prefix of the documents bucket (`prefecture/access-reports/YYYY-MM.csv|xlsx`) and by mail
on the prefecture's first office day after the month, exactly once.

The delivery follows chalicelib/sessions/reporting.py: the files are put first (same key on a re-run),
then the claim in the keys table, the mails and the audit entry land in one transaction; a run that
finds the month claimed, or loses the claim to a concurrent run, does nothing. Also: the prefecture's
view of the audit log restricted to personal-data actions (`audit_entries`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from chalicelib.audit.labels import action_label
from chalicelib.audit.log import SYSTEM, Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import InvalidInput
from chalicelib.inquiries.repository import commit_or_yield
from chalicelib.kernel.calendars import month_range, next_office_day, parse_month, to_jst
from chalicelib.mail.delivery import KeyMarks, Marks, send_with_earlier
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.privacy.incident import KINDS, PERSONAL_ACTIONS, VERBS, day_entries

REPORT_PREFIX = "prefecture/access-reports/"
REPORT_MAIL = "access-report#"
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Months looked back for an undelivered report (a missed run is caught up; older months are not sent late).
CATCH_UP_MONTHS = 2
HEADER = ["担当者", "役割", "閲覧", "口座番号の表示", "出力・ダウンロード", "取込", "合計", "最初の操作", "最後の操作"]
VERB_ORDER = ("view", "reveal", "export", "import")
MAX_AUDIT_DAYS = 31


class Files(Protocol):
    bucket: str

    def put(self, key: str, body: bytes, content_type: str) -> None: ...


@dataclass(frozen=True)
class AccessPorts:
    marks: Marks
    files: Files


def ports(deps: Deps) -> AccessPorts:
    files: Files | None = getattr(deps, "documents", None)
    marks: Marks | None = getattr(deps, "access_marks", None)
    if files is None:
        from chalicelib.adapters.files import FileStore

        files = FileStore(deps.settings.buckets.documents_bucket)
    return AccessPorts(marks or KeyMarks(deps, "privacy#"), files)


def _days(first: date, last: date) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def month_entries(deps: Deps, month: str) -> list[dict[str, Any]]:
    """The month's audit entries of personal-data actions (JST days: the log's partitions)."""
    first, last = month_range(month)
    found: list[dict[str, Any]] = []
    for day in _days(first, last):
        found += [e for e in day_entries(deps, day) if e.get("action") in PERSONAL_ACTIONS]
    return found


@dataclass(frozen=True)
class AccessRow:
    user: str
    role: str
    counts: dict[str, int]
    first: str
    last: str

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def access_rows(entries: list[dict[str, Any]]) -> list[AccessRow]:
    """One row per staff user (system entries are not a person's access), by user name."""
    by_user: dict[str, dict[str, Any]] = {}
    for e in sorted(entries, key=lambda x: str(x["entry_id"])):
        touch = PERSONAL_ACTIONS.get(str(e.get("action")))
        user = str(e.get("user"))
        if touch is None or e.get("role") in ("system", "public"):
            continue
        row = by_user.setdefault(user, {"role": str(e.get("role")), "counts": Counter(), "first": e["at"],
                                        "last": e["at"]})
        row["counts"][touch.verb] += 1
        row["last"] = e["at"]
    return [AccessRow(u, r["role"], {v: int(r["counts"][v]) for v in VERB_ORDER}, r["first"], r["last"])
            for u, r in sorted(by_user.items())]


def _jst(value: str) -> str:
    return to_jst(datetime.fromisoformat(value)).strftime("%Y/%m/%d %H:%M")


def table(rows: list[AccessRow]) -> list[list[Any]]:
    lines: list[list[Any]] = [HEADER]
    lines += [[r.user, r.role, *(r.counts[v] for v in VERB_ORDER), r.total, _jst(r.first), _jst(r.last)]
              for r in rows]
    lines.append(["合計", "", *(sum(r.counts[v] for r in rows) for v in VERB_ORDER), sum(r.total for r in rows),
                  "", ""])
    return lines


def jp_month(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year}年{mon}月"


def files(month: str, rows: list[AccessRow], now: datetime) -> tuple[bytes, bytes]:
    from chalicelib.kernel.sheets import Sheet, to_csv, to_xlsx

    lines = table(rows)
    title = f"個人情報へのアクセス状況（{jp_month(month)}）"
    return to_csv(lines), to_xlsx([Sheet("アクセス状況", lines, heading=title, sum_columns=(2, 3, 4, 5, 6))], now)


def report_json(deps: Deps, month: str) -> dict[str, Any]:
    """`GET /privacy/access-report?month=`: the rows, and whether (and when) the month went to the prefecture."""
    rows = access_rows(month_entries(deps, month))
    mark = ports(deps).marks.delivered(f"access-report#{month}")
    return {"month": month, "verbs": {v: VERBS[v] for v in VERB_ORDER},
            "rows": [{"user": r.user, "role": r.role, **r.counts, "total": r.total, "first": r.first,
                      "last": r.last} for r in rows],
            "delivered_at": mark.get("at") if mark else None, "files": mark.get("files") if mark else None}


def report_file(deps: Deps, principal: Principal, month: str, fmt: str, now: datetime) -> bytes:
    if fmt not in ("csv", "xlsx"):
        raise InvalidInput("形式の指定が正しくありません", {"format": "csv または xlsx を指定してください"})
    csv_bytes, xlsx_bytes = files(month, access_rows(month_entries(deps, month)), now)
    deps.audit.append(entry(Actor.of(principal), "privacy.access_report_export", f"privacy#access-report#{month}",
                            now, detail={"format": fmt, "month": month}))
    return csv_bytes if fmt == "csv" else xlsx_bytes


def mail_text(month: str, rows: list[AccessRow], links: list[str]) -> tuple[str, str]:
    subject = f"【みやぎポイント】個人情報アクセス月報（{jp_month(month)}）"
    lines = ["宮城県 みやぎポイント担当 御中", "",
             f"{jp_month(month)}に運営担当者が個人情報を閲覧・表示・出力・取込した件数を、担当者ごとにご報告します"
             "（監査ログより集計。個人情報そのものは含みません）。", "",
             f"担当者数: {len(rows)}人"]
    for v in VERB_ORDER:
        lines.append(f"{VERBS[v]}: {sum(r.counts[v] for r in rows):,}件")
    lines += ["", "■ 報告ファイル", *[f"  {link}" for link in links], "",
              "対象となる情報の種類: " + "、".join(k.label for k in KINDS.values()), ""]
    return subject, "\n".join(lines)


def months_due(today: date) -> list[str]:
    """The last CATCH_UP_MONTHS months whose report is due by `today` (from the first office day after)."""
    months: list[str] = []
    year, mon = today.year, today.month
    for _ in range(CATCH_UP_MONTHS):
        year, mon = (year, mon - 1) if mon > 1 else (year - 1, 12)
        month = f"{year:04d}-{mon:02d}"
        if today >= next_office_day(month_range(month)[1]):
            months.append(month)
    return sorted(months)


def _deliver(deps: Deps, p: AccessPorts, month: str, now: datetime) -> list[Mail]:
    rows = access_rows(month_entries(deps, month))
    csv_bytes, xlsx_bytes = files(month, rows, now)
    base = f"{REPORT_PREFIX}{month}"
    names = [f"{base}.csv", f"{base}.xlsx"]
    p.files.put(names[0], csv_bytes, CSV)
    p.files.put(names[1], xlsx_bytes, XLSX)
    subject, body = mail_text(month, rows, [f"s3://{p.files.bucket}/{n}" for n in names])
    mailboxes = deps.settings.mail
    sent = [Mail(f"{REPORT_MAIL}{month}#prefecture", mailboxes.prefecture_mailbox, subject, body, "access-report"),
            Mail(f"{REPORT_MAIL}{month}#staff", mailboxes.staff_mailbox, subject, body, "access-report")]
    figures = {"users": len(rows), **{v: sum(r.counts[v] for r in rows) for v in VERB_ORDER}}
    tx = deps.store_repository.new_tx()
    p.marks.claim_in(tx, f"access-report#{month}", {**figures, "files": names,
                                                     "at": now.isoformat(timespec="seconds")})
    for mail in sent:
        deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(SYSTEM, "privacy.access_report", f"privacy#access-report#{month}", now,
                                detail={**figures, "files": names}))
    if not commit_or_yield(tx):
        return []
    logger.info("access report delivered", extra={"month": month, **figures})
    return sent


def report_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    """Deliver each due month's access report once."""
    p = ports(deps)
    delivered: list[str] = []
    mail_ids: list[str] = []
    for month in months_due(to_jst(now).date()):
        if p.marks.delivered(f"access-report#{month}"):
            continue
        sent = _deliver(deps, p, month, now)
        if sent:
            delivered.append(month)
            mail_ids += [m.mail_id for m in sent]
    return {"delivered": delivered, "files": [f"{REPORT_PREFIX}{m}.{x}" for m in delivered for x in ("csv", "xlsx")],
            **send_with_earlier(deps, REPORT_MAIL, mail_ids, now)}


# --- the prefecture's view of the audit log -------------------------------------------------------------


def audit_entries(deps: Deps, principal: Principal, start: date, end: date, kind: str | None,
                  now: datetime) -> dict[str, Any]:
    """`GET /privacy/audit`: the audit entries of personal-data actions between two JST days (inclusive),
    optionally of one kind; the reading is itself audited."""
    if end < start or (end - start).days >= MAX_AUDIT_DAYS:
        raise InvalidInput("期間を確認してください", {"to": f"開始日以降、{MAX_AUDIT_DAYS}日以内で指定してください"})
    if kind and kind not in KINDS and kind not in VERBS:
        raise InvalidInput("種類の指定が正しくありません", {"kind": "、".join([*KINDS, *VERBS]) + " のいずれかです"})
    items: list[dict[str, Any]] = []
    for day in _days(start, end):
        for e in day_entries(deps, day):
            touch = PERSONAL_ACTIONS.get(str(e.get("action")))
            if touch is None or (kind and kind not in (touch.kind, touch.verb)):
                continue
            items.append({"at": e["at"], "user": e.get("user"), "role": e.get("role"), "action": e["action"],
                          "action_label": action_label(str(e["action"])), "subject": e.get("subject"),
                          "kind": touch.kind, "kind_label": KINDS[touch.kind].label, "verb": VERBS[touch.verb],
                          "detail": e.get("detail")})
    items.sort(key=lambda i: str(i["at"]), reverse=True)
    deps.audit.append(entry(Actor.of(principal), "privacy.audit_view", "privacy#audit", now,
                            detail={"from": start.isoformat(), "to": end.isoformat(), "kind": kind,
                                    "rows": len(items)}))
    return {"from": start.isoformat(), "to": end.isoformat(), "kind": kind, "items": items,
            "kinds": [{"value": k, "label": v.label} for k, v in KINDS.items()],
            "verbs": [{"value": k, "label": v} for k, v in VERBS.items()]}

"""The audit log as a CSV register (issue 13 point 7): 日時, 担当者, ロール, 操作, 対象, 内容, with the action
named in Japanese and the details as 「項目: 値」 pairs (never raw JSON). Filters as the screen's (a day or
a span of days, a subject, a plain id or store name, an actor, a kind); bounded (MAX_DAYS days, MAX_ROWS
rows: beyond is a 422). Every export is itself audited (`audit.export`, with the filter and the row count).

The admin exports any entries (`GET /audit/export`); the prefecture exports only personal-data actions
(`GET /privacy/audit/export`), as `GET /privacy/audit` shows them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.audit import search
from chalicelib.audit.labels import FIELD_LABELS, PERSONAL_KIND, SECTION_LABELS, SUBJECT_KINDS, action_label
from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import ROLE_LABELS, Principal
from chalicelib.deps import Deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import to_jst
from chalicelib.kernel.sheets import to_csv

MAX_DAYS = 31
MAX_ROWS = 50_000
HEADER = ["日時", "担当者", "ロール", "操作", "対象", "内容"]
OTHER_ROLES = {"system": "システム", "public": "申請者"}


@dataclass(frozen=True)
class ExportFilter:
    """What to export: a subject or search text (`q`), else the JST days `start` … `end`; then actor, kind."""

    start: date | None = None
    end: date | None = None
    subject: str | None = None
    q: str | None = None
    actor: str | None = None
    kind: str | None = None
    #: the prefecture's narrower kind: a kind of personal data or a verb (chalicelib/privacy/incident.py)
    touch: str | None = None

    def to_json(self) -> dict[str, Any]:
        found = {"from": self.start.isoformat() if self.start else None,
                 "to": self.end.isoformat() if self.end else None,
                 "subject": self.subject, "q": self.q, "actor": self.actor, "kind": self.kind, "touch": self.touch}
        return {k: v for k, v in found.items() if v is not None}


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("日付の形式が正しくありません", {name: "YYYY-MM-DD で指定してください"}) from None


def parse_filter(params: dict[str, str | None], today: date, *, personal_only: bool = False) -> ExportFilter:
    """The query's filter: `date` (one day) or `from`/`to` (at most MAX_DAYS days), or `subject`/`q`; with
    `actor` and `kind`. The prefecture (`personal_only`) has days only and the personal-data kind."""
    actor = search.check_actor(params.get("actor"))
    touch: str | None = None
    if personal_only:
        from chalicelib.privacy.incident import KINDS, VERBS

        # As `GET /privacy/audit`: a kind of personal data (bank_account, …) or a verb (view, reveal, …).
        touch = (params.get("kind") or "").strip() or None
        if touch == PERSONAL_KIND:
            touch = None
        if touch is not None and touch not in KINDS and touch not in VERBS:
            raise InvalidInput("種類の指定が正しくありません", {"kind": "、".join([*KINDS, *VERBS]) + " のいずれかです"})
        kind: str | None = PERSONAL_KIND
    else:
        kind = search.check_kind(params.get("kind"))
    subject = None if personal_only else (params.get("subject") or "").strip() or None
    q = None if personal_only else (params.get("q") or "").strip() or None
    if subject or q:
        if subject and len(subject) > 200:
            raise InvalidInput("対象の指定が正しくありません", {"subject": "200文字以内で指定してください"})
        return ExportFilter(subject=subject, q=q, actor=actor, kind=kind)
    one = (params.get("date") or "").strip()
    first = (params.get("from") or "").strip() or one
    last = (params.get("to") or "").strip() or first
    start = _day(first, "from") if first else today
    end = _day(last, "to") if last else start
    if end < start:
        raise InvalidInput("期間を確認してください", {"to": "終了日は開始日以降にしてください"})
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput("期間が長すぎます", {"to": f"出力できるのは{MAX_DAYS}日以内です"})
    return ExportFilter(start=start, end=end, actor=actor, kind=kind, touch=touch)


def entries(deps: Deps, f: ExportFilter) -> list[dict[str, Any]]:
    """The filter's entries, newest first; more than MAX_ROWS is a 422 (narrow the filter)."""
    from chalicelib.privacy.incident import day_entries

    found: list[dict[str, Any]] = []
    if f.subject or f.q:
        subjects = [f.subject] if f.subject and not f.q else search.subjects_for(deps, f.q or "")[0]
        by_id: dict[str, dict[str, Any]] = {}
        for s in subjects:
            for e in deps.audit.by_subject(s, MAX_ROWS + 1):
                by_id[str(e["entry_id"])] = e
        found = list(by_id.values())
    else:
        assert f.start is not None and f.end is not None
        for i in range((f.end - f.start).days + 1):
            found += day_entries(deps, (f.start + timedelta(days=i)).isoformat())
    kept = [e for e in found if (f.actor is None or e.get("user") == f.actor) and search.of_kind(e, f.kind)
            and _touches(e, f.touch)]
    if len(kept) > MAX_ROWS:
        raise InvalidInput("出力する件数が多すぎます",
                           {"rows": f"{MAX_ROWS:,}件以内になるよう期間・担当者・種類で絞り込んでください"})
    return sorted(kept, key=lambda e: str(e["entry_id"]), reverse=True)


def _touches(e: dict[str, Any], touch: str | None) -> bool:
    if touch is None:
        return True
    from chalicelib.privacy.incident import PERSONAL_ACTIONS

    t = PERSONAL_ACTIONS.get(str(e.get("action")))
    return t is not None and touch in (t.kind, t.verb)


# --- rendering ----------------------------------------------------------------------------------------


def value_text(value: Any) -> str:
    """A detail's value as the screen shows it (console-audit.js valueText)."""
    if value is None or value == "":
        return "—"
    if value is True:
        return "はい"
    if value is False:
        return "いいえ"
    if isinstance(value, (list, tuple, set)):
        return "、".join(value_text(v) for v in value) if value else "—"
    if isinstance(value, dict):
        return "／".join(f"{FIELD_LABELS.get(str(k), str(k))}: {value_text(v)}" for k, v in value.items())
    return str(value)


def details_text(e: dict[str, Any]) -> str:
    """before / after / detail as 「【変更前】状態: 受付／版: 2　【内容】…」."""
    parts: list[str] = []
    for section in ("before", "after", "detail"):
        data = e.get(section)
        if not isinstance(data, dict) or not data:
            continue
        fields = "／".join(f"{FIELD_LABELS.get(str(k), str(k))}: {value_text(v)}" for k, v in data.items())
        parts.append(f"【{SECTION_LABELS.get(section, section)}】{fields}")
    return "　".join(parts) or "—"


def role_text(role: Any) -> str:
    names = [r for r in str(role or "").split(",") if r]
    return "・".join(OTHER_ROLES.get(r) or ROLE_LABELS.get(r, r) for r in names) or "—"


def subject_text(subject: Any) -> str:
    kind, _, ident = str(subject or "").partition("#")
    return f"{SUBJECT_KINDS.get(kind, kind)} {ident}".strip() if ident else SUBJECT_KINDS.get(kind, kind) or "—"


def moment(at: Any) -> datetime | str:
    try:
        return to_jst(datetime.fromisoformat(str(at)))
    except ValueError:
        return str(at or "")


def row(e: dict[str, Any]) -> list[Any]:
    action = str(e.get("action") or "")
    return [moment(e.get("at")), str(e.get("user") or "—"), role_text(e.get("role")), action_label(action),
            subject_text(e.get("subject")), details_text(e)]


def csv_bytes(found: list[dict[str, Any]]) -> bytes:
    return to_csv([HEADER, *(row(e) for e in found)])


def export(deps: Deps, principal: Principal, f: ExportFilter, now: datetime, *, scope: str) -> bytes:
    """The CSV of the filter's entries; the export is audited (its filter, scope and row count)."""
    found = entries(deps, f)
    body = csv_bytes(found)
    deps.audit.append(entry(Actor.of(principal), "audit.export", "audit#export", now,
                            detail={**f.to_json(), "scope": scope, "rows": len(found)}))
    return body

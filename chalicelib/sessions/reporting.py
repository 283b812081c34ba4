"""The sessions' reports and sweeps: the monthly report to the prefecture, the coverage warnings to
staff, and the announcement of each session to the participating stores of its area.

The same pattern as the call center's reports (chalicelib/inquiries/reporting.py): each sweep is
idempotent. A delivery is claimed in the keys table in the same transaction as its e-mail and audit
entry, after its files are in S3 (same key on a re-run: the bucket keeps versions), so a run that
fails midway leaves nothing claimed and the next run completes it; a run that finds it claimed, or
loses the claim to a concurrent run, does nothing. Mail ids are deterministic (`session-report#2025-06#
prefecture`, `session-announcement#SS000001#MP000123`), so nothing is ever queued twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.audit.log import SYSTEM, Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import InvalidInput
from chalicelib.inquiries.repository import commit_or_yield
from chalicelib.kernel.areas import find_area
from chalicelib.kernel.calendars import month_range, next_office_day, to_jst
from chalicelib.mail.delivery import KeyMarks, Marks, send_with_earlier
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.sessions import mails, report_files
from chalicelib.sessions.model import Session
from chalicelib.sessions.reports import SessionReport, build_report
from chalicelib.sessions.repository import SessionRepository, months_between

REPORT_PREFIX = "prefecture/monthly-sessions/"
REPORT_MAIL = "session-report#"
WARNING_MAIL = "session-coverage-warning#"
ANNOUNCE_MAIL = "session-announcement#"
CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Store mails sent in the announcing run; the rest wait for the mail sweep (every 5 minutes).
INLINE_STORE_MAILS = 50
#: Longest proposals text (about four A4 pages of Japanese).
MAX_PROPOSALS = 4_000


class Files(Protocol):
    bucket: str

    def put(self, key: str, body: bytes, content_type: str) -> None: ...


@dataclass(frozen=True)
class SessionPorts:
    sessions: SessionRepository
    marks: Marks
    files: Files


def ports(deps: Deps) -> SessionPorts:
    """The adapters over the shared deps; tests give `deps.documents` / `deps.session_marks` twins."""
    files: Files | None = getattr(deps, "documents", None)
    marks: Marks | None = getattr(deps, "session_marks", None)
    if files is None:
        from chalicelib.adapters.files import FileStore

        files = FileStore(deps.settings.buckets.documents_bucket)
    return SessionPorts(deps.session_repository, marks or KeyMarks(deps, "sessions#"), files)


def _stamp(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


# --- the monthly report ----------------------------------------------------------------------------


def month_report(deps: Deps, month: str) -> SessionReport:
    repo = ports(deps).sessions
    proposals = repo.get_proposals(month)
    return build_report(month, repo.list_month(month), repo.surveys_for_month(month),
                        proposals=proposals.text if proposals else "",
                        proposals_version=proposals.version if proposals else None)


def report_json(deps: Deps, month: str) -> dict[str, Any]:
    """`GET /sessions/report?month=`: the report, and whether (and when) it went to the prefecture."""
    mark = ports(deps).marks.delivered(f"report#{month}")
    return {**month_report(deps, month).to_json(), "delivered_at": mark.get("at") if mark else None}


def report_file(deps: Deps, principal: Principal, month: str, fmt: str, now: datetime) -> bytes:
    """The month's report as CSV or XLSX for download; the export is audited."""
    report = month_report(deps, month)
    body = report_files.csv_file(report) if fmt == "csv" else report_files.xlsx_file(report, now)
    deps.audit.append(entry(Actor.of(principal), "session.report_export", f"session-report#{month}", now,
                            detail={"format": fmt}))
    return body


def save_proposals(deps: Deps, principal: Principal, month: str, body: dict[str, Any],
                   now: datetime) -> dict[str, Any]:
    """The coordinator's proposals (改善提案) for `month`. `version` is the one the writer read (none or 0:
    the first); a stale version is a Conflict (409)."""
    text, version = _check_proposals(body)
    repo = ports(deps).sessions
    current = repo.get_proposals(month)
    tx = repo.new_tx()
    repo.put_proposals(tx, month, text, principal.user, _stamp(now), version)
    deps.audit.add_to(tx, entry(Actor.of(principal), "session.proposals", f"session-report#{month}", now,
                                before={"version": current.version if current else 0},
                                after={"version": version + 1, "length": len(text)}))
    tx.commit("他の担当者が先に改善提案を保存しました。画面を再読み込みしてから、もう一度保存してください")
    return {"month": month, "version": version + 1, "text": text}


def _check_proposals(body: dict[str, Any]) -> tuple[str, int]:
    errors: dict[str, str] = {}
    unknown = set(body) - {"text", "version"}
    errors.update({k: "この項目は受け付けていません" for k in sorted(unknown)})
    text = body.get("text")
    if not isinstance(text, str):
        errors["text"] = "改善提案を文章で入力してください"
    elif len(text) > MAX_PROPOSALS:
        errors["text"] = f"改善提案は{MAX_PROPOSALS:,}文字以内で入力してください（現在 {len(text):,}文字）"
    version = body.get("version", 0)
    if version is None:
        version = 0
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        errors["version"] = "版数は0以上の整数で指定してください（画面を再読み込みしてください）"
    if errors:
        raise InvalidInput("入力内容を確認してください", errors)
    assert isinstance(text, str) and isinstance(version, int)
    return text.replace("\r\n", "\n").strip(), version


def report_months_due(deps: Deps, today: date) -> Iterator[str]:
    """The months of the session period whose report is due by `today`: from the prefecture's first
    office day after the month (a missed morning is caught up by any later run)."""
    rules = deps.settings.sessions
    for month in months_between(rules.session_period_start, min(today, rules.session_period_end)):
        if today >= next_office_day(month_range(month)[1]):
            yield month


def _deliver_report(deps: Deps, p: SessionPorts, month: str, now: datetime) -> list[Mail]:
    report = month_report(deps, month)
    csv_bytes, xlsx_bytes = report_files.files(report, now)
    base = f"{REPORT_PREFIX}{month}"
    p.files.put(f"{base}.csv", csv_bytes, CSV)
    p.files.put(f"{base}.xlsx", xlsx_bytes, XLSX)
    names = [f"{base}.csv", f"{base}.xlsx"]
    subject, body = mails.monthly_report(report, [f"s3://{p.files.bucket}/{n}" for n in names])
    mailboxes = deps.settings.mail
    sent = [Mail(f"{REPORT_MAIL}{month}#prefecture", mailboxes.prefecture_mailbox, subject, body, "session-report"),
            Mail(f"{REPORT_MAIL}{month}#staff", mailboxes.staff_mailbox, subject, body, "session-report")]
    figures = {"sessions": len(report.lines), "sessions_held": report.sessions_held, "attendees": report.attendees,
               "surveys": report.surveys, "proposals_version": report.proposals_version}
    tx = p.sessions.new_tx()
    p.marks.claim_in(tx, f"report#{month}", {**figures, "files": names, "at": _stamp(now)})
    for mail in sent:
        deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(SYSTEM, "session.monthly_report", f"session-report#{month}", now,
                                detail={**figures, "files": names}))
    if not commit_or_yield(tx):
        return []  # a concurrent run delivered it, or is racing us: the next run checks again
    logger.info("session report delivered", extra={"month": month, **figures})
    return sent


def report_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    """Deliver each month's session report once, from the prefecture's first office day after it.

    Months of the session period that held sessions (any status: a month whose sessions were all
    cancelled is reported too); a month without sessions has nothing to report.
    """
    p = ports(deps)
    today = to_jst(now).date()
    delivered: list[str] = []
    mail_ids: list[str] = []
    for month in report_months_due(deps, today):
        if p.marks.delivered(f"report#{month}") or not p.sessions.list_month(month):
            continue
        sent = _deliver_report(deps, p, month, now)
        if sent:
            delivered.append(month)
            mail_ids += [m.mail_id for m in sent]
    files = [f"{REPORT_PREFIX}{m}.{ext}" for m in delivered for ext in ("csv", "xlsx")]
    return {"delivered": delivered, "files": files, **send_with_earlier(deps, REPORT_MAIL, mail_ids, now)}


# --- coverage warnings -----------------------------------------------------------------------------


def coverage_warning_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    """At most one mail a day to staff: areas with nothing planned as the period runs out, and where
    the season is crowded (sessions/coverage.py decides both). Nothing to say, no mail."""
    from chalicelib.sessions.service import coverage_of

    p = ports(deps)
    today = to_jst(now).date()
    key = f"warning#{today.isoformat()}"
    if p.marks.delivered(key):
        return {"sent_today": True, "missing": [], "crowding": [], **send_with_earlier(deps, WARNING_MAIL, [], now)}
    board = coverage_of(deps, today)
    missing = [a for a in (find_area(code) for code in board.needs_warning) if a is not None]
    crowded = [c.message for c in board.crowding]
    result: dict[str, Any] = {"sent_today": False, "missing": [a.code for a in missing], "crowding": crowded}
    if not missing and not crowded:
        return {**result, **send_with_earlier(deps, WARNING_MAIL, [], now)}
    subject, body = mails.coverage_warnings(today, board.period_end, missing, crowded,
                                            f"{deps.settings.public_base_url.rstrip('/')}/console/sessions")
    mail = Mail(f"{WARNING_MAIL}{today.isoformat()}", deps.settings.mail.staff_mailbox, subject, body,
                "session-coverage-warning")
    tx = p.sessions.new_tx()
    p.marks.claim_in(tx, key, {"missing": result["missing"], "crowding": len(crowded), "at": _stamp(now)})
    deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(SYSTEM, "session.coverage_warning", f"session-coverage#{today.isoformat()}", now,
                                detail={"missing": result["missing"], "crowding": crowded}))
    sent = [mail.mail_id] if commit_or_yield(tx) else []
    return {**result, "sent_today": bool(sent), **send_with_earlier(deps, WARNING_MAIL, sent, now)}


# --- announcements to stores -----------------------------------------------------------------------


def announcements_due(sessions: list[Session], now: datetime) -> list[Session]:
    """Sessions announced by today (announce_on ≤ today), not cancelled and not begun yet."""
    today = to_jst(now).date()
    return [s for s in sessions if s.status != "cancelled" and s.announced(today) and s.starts_at > now]


def _active_stores_by_area(deps: Deps, areas: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Active stores of `areas` (their municipality code: a Sendai store names its ward), by area."""
    found: dict[str, list[dict[str, Any]]] = {code: [] for code in areas}
    cursor: str | None = None
    while True:
        page, cursor = deps.store_repository.list_page("active", 200, cursor, secret=deps.settings.app_secret)
        for store in page:
            if store.get("municipality_code") in found and store.get("email"):
                found[str(store["municipality_code"])].append(store)
        if not cursor:
            return found


def _announce(deps: Deps, p: SessionPorts, session: Session, stores: list[dict[str, Any]],
              now: datetime) -> list[str] | None:
    """Queue one mail per store (the outbox refuses an id queued before), then claim the session."""
    area = find_area(session.area_code)
    if area is None:
        return []
    base = deps.settings.public_base_url.rstrip("/")
    flyer_url, page_url = f"{base}/sessions/{session.session_id}/flyer.pdf", f"{base}/sessions"
    queued: list[str] = []
    for store in stores:
        subject, body = mails.store_announcement(store, session, area, flyer_url=flyer_url, page_url=page_url,
                                                 call_center=deps.settings.call_center)
        mail = Mail(f"{ANNOUNCE_MAIL}{session.session_id}#{store['store_id']}", str(store["email"]), subject, body,
                    "session-announcement")
        if deps.outbox.add(mail, now):
            queued.append(mail.mail_id)
    tx = p.sessions.new_tx()
    p.marks.claim_in(tx, f"announced#{session.session_id}", {"stores": len(stores), "at": _stamp(now)})
    deps.audit.add_to(tx, entry(SYSTEM, "session.announce_to_stores", f"session#{session.session_id}", now,
                                detail={"area_code": session.area_code, "stores": len(stores),
                                        "queued": len(queued)}))
    return queued if commit_or_yield(tx) else None


def announcement_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    """Each announced session goes to every active store of its area in one mail per (session, store),
    once: reruns and concurrent runs queue nothing twice (deterministic mail ids), and a session is
    marked announced once every store's mail is queued."""
    p = ports(deps)
    today = to_jst(now).date()
    last = max(deps.settings.sessions.session_period_end, today)
    due = [s for s in announcements_due(p.sessions.list_between(today, last), now)
           if not p.marks.delivered(f"announced#{s.session_id}")]
    announced: list[str] = []
    queued: list[str] = []
    if due:
        stores = _active_stores_by_area(deps, {s.area_code for s in due})
        for session in due:
            ids = _announce(deps, p, session, stores[session.area_code], now)
            if ids is None:
                continue
            announced.append(session.session_id)
            queued += ids
    counts = deps.outbox.deliver(queued[:INLINE_STORE_MAILS], deps.sender, now)
    return {"announced": announced, "queued": len(queued), **counts}

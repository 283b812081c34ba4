"""Building and delivering the year-end pack, exactly once per fiscal year.

The same claim pattern as the monthly reports (chalicelib/inquiries/reporting.py,
chalicelib/sessions/reporting.py): the files go to S3 first (same keys on a re-run), then one transaction
claims the year (the keys table, `yearend#<year>` / `v<n>`, holding the index), queues the prefecture's mail
under a deterministic id and writes the audit entry. A run that fails midway leaves nothing claimed and the
next run completes it; a run that finds the year claimed, or loses the claim to a concurrent run, answers
the claimed index and sends nothing. `force` (an admin's rebuild) claims the next version, in its own folder.
A pack built while its year is still running is marked interim (中間集計); the first run after the year ends
builds the final version the same way, so a mid-year run never stands in for the completion report.

Other areas are read through their public functions only:
- rounds: `settlement.repository.settlement_store` (`latest_round_before`, `get_round`, `round_lines`), their
  files through `settlement.release.documents_store` (S3 via chalicelib/adapters/files.py);
- inquiries: `overview.sources.inquiries` (`month_items`), counted by `inquiries.reports.summarize_month`; what
  the monthly report stated through `inquiries.repository.ReportMarks.delivered`;
- sessions: `deps.session_repository` (`list_month`, `surveys_for_month`), `sessions.reports.build_report`;
  what the monthly report stated through `sessions.reporting.ports(deps).marks`;
- the funds ledger: `overview.ledger.build`.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from chalicelib.adapters.dynamo import MemoryTx, Transaction, Tx
from chalicelib.audit.log import SYSTEM, Actor, entry
from chalicelib.deps import Deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import month_range, to_jst
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.yearend import mails, model, pack
from chalicelib.yearend.model import RoundData, StoredFile, YearData

MAIL_PREFIX = "year-end-pack#"
#: More versions than this for one year is not a rebuild but a loop.
MAX_VERSIONS = 50
MAX_ROUNDS = 120


# --- ports ---------------------------------------------------------------------------------------------------


class Files(Protocol):
    bucket: str

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...


class Marks(Protocol):
    """The claimed versions of each year's pack."""

    def new_tx(self) -> Transaction: ...

    def get(self, year: int, version: int) -> dict[str, Any] | None: ...

    def claim_in(self, tx: Transaction, year: int, version: int, attrs: dict[str, Any]) -> None:
        """Claim the version with the change that delivers it; a version claimed before is a Conflict."""
        ...


class KeyMarks:
    """Marks in the keys table (pk `yearend#<year>`, sk `v<n>`), through the shared KeyStore."""

    def __init__(self, deps: Deps) -> None:
        self.keys = deps.keys

    def new_tx(self) -> Transaction:
        return Tx()

    def get(self, year: int, version: int) -> dict[str, Any] | None:
        return self.keys.get(f"yearend#{year}", f"v{version}")

    def claim_in(self, tx: Transaction, year: int, version: int, attrs: dict[str, Any]) -> None:
        self.keys.claim_in(tx, f"yearend#{year}", attrs, sk=f"v{version}")


class InMemoryMarks:
    """The twin of KeyMarks; `tables` is shared with the outbox and audit twins' MemoryTx."""

    def __init__(self) -> None:
        self.claims: dict[tuple[int, int], dict[str, Any]] = {}
        self.tables: dict[str, list[dict[str, Any]]] = {}

    def new_tx(self) -> Transaction:
        return MemoryTx(self.tables)

    def get(self, year: int, version: int) -> dict[str, Any] | None:
        found = self.claims.get((year, version))
        return copy.deepcopy(found) if found else None

    def claim_in(self, tx: Transaction, year: int, version: int, attrs: dict[str, Any]) -> None:
        if not isinstance(tx, MemoryTx):
            raise TypeError("stage the twin's marks in a MemoryTx")
        item = json.loads(json.dumps(attrs))
        tx.add(lambda: (year, version) not in self.claims, lambda: self.claims.__setitem__((year, version), item))


@dataclass(frozen=True)
class Ports:
    files: Files
    marks: Marks


def ports(deps: Deps) -> Ports:
    """The adapters over the shared deps; unit tests give `deps.documents` / `deps.yearend_marks` twins."""
    from chalicelib.settlement.release import documents_store

    files: Any = documents_store(deps)  # deps.documents (a twin) when the deps carry one, else S3
    marks: Marks | None = getattr(deps, "yearend_marks", None)
    return Ports(files, marks or KeyMarks(deps))


# --- reading the year ----------------------------------------------------------------------------------------


def _rounds(deps: Deps, files: Files, year: int) -> list[RoundData]:
    from chalicelib.settlement.repository import settlement_store

    store = settlement_store(deps)
    months = set(model.year_months(year))
    found: list[RoundData] = []
    month = store.latest_round_before(f"{year + 1}-04")
    while month and month >= f"{year}-04" and len(found) < MAX_ROUNDS:
        item = store.get_round(month)
        if item and month in months:
            found.append(_round(store, files, item))
        month = store.latest_round_before(month)
    return list(reversed(found))


SUMMARY_FIGURES = ("paid_total", "stores_paid", "held_total", "fee", "usage_total")


def _round(store: Any, files: Files, item: dict[str, Any]) -> RoundData:
    stored: list[StoredFile] = []
    summary_agrees: bool | None = None
    for kind, key in sorted(dict(item.get("files") or {}).items()):
        body = files.get(str(key))
        stored.append(StoredFile(kind, str(key), len(body) if body is not None else None,
                                 model.sha256(body) if body is not None else None))
        if kind == "summary" and body is not None:
            try:
                summary = json.loads(body)
                summary_agrees = all(int(summary.get(k, -1)) == int(item.get(k) or 0) for k in SUMMARY_FIGURES)
            except (ValueError, TypeError):
                summary_agrees = False
    lines = store.round_lines(str(item["month"]), int(item["version"])) if item.get("version") is not None else []
    held = tuple({"store_id": line["store_id"], "amount": int(line.get("carried_out") or 0),
                  "reason": line.get("reason")} for line in lines if line.get("status") == "hold")
    return RoundData(item=item, files=tuple(stored), held=held, summary_agrees=summary_agrees)


def _finished_months(year: int, first: date, last: date, today: date) -> list[str]:
    """Months of the year overlapping [first, last] whose last day is before `today`."""
    return [m for m in model.year_months(year)
            if month_range(m)[1] < today and month_range(m)[1] >= first and month_range(m)[0] <= last]


def _inquiries(deps: Deps, year: int, today: date) -> tuple[list[Any], dict[str, int | None], list[dict[str, Any]]]:
    from chalicelib.inquiries.config import categories
    from chalicelib.inquiries.reports import summarize_month
    from chalicelib.overview.sources import inquiries

    cc = deps.settings.call_center
    repo = inquiries(deps)
    marks = _inquiry_marks(deps)
    summaries, reported, escalations = [], {}, []
    for month in _finished_months(year, cc.call_center_service_start, cc.call_center_service_end, today):
        first, last = month_range(month)
        items = repo.month_items(month)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        summaries.append(summarize_month(month, items, categories(deps.settings), cc.inquiry_forecast_monthly, days))
        mark = marks(month)
        reported[month] = int(mark["total"]) if mark and mark.get("total") is not None else None
        for i in sorted(items, key=lambda x: str(x.get("received_at"))):
            escalation = i.get("escalation")
            if escalation:
                escalations.append({
                    "inquiry_id": i["inquiry_id"], "received_at": i.get("received_at"), "category": i.get("category"),
                    "caller_type": i.get("caller_type"), "escalated_at": escalation.get("at"),
                    "notified_at": escalation.get("notice_queued_at"), "status": i.get("status"),
                    "answered": bool(i.get("prefecture_answer"))})
    return summaries, reported, escalations


def _inquiry_marks(deps: Deps) -> Callable[[str], dict[str, Any] | None]:
    twin = getattr(deps, "inquiry_marks", None)
    if twin is not None:
        return lambda month: twin.delivered("monthly", month)
    from chalicelib.inquiries.repository import ports as inquiry_ports

    marks = inquiry_ports(deps).marks
    return lambda month: marks.delivered("monthly", month)


def _sessions(deps: Deps, year: int, today: date) -> tuple[list[Any], dict[str, dict[str, Any] | None]]:
    from chalicelib.sessions.reporting import ports as session_ports
    from chalicelib.sessions.reports import build_report

    rules = deps.settings.sessions
    p = session_ports(deps)
    reports, reported = [], {}
    for month in _finished_months(year, rules.session_period_start, rules.session_period_end, today):
        sessions = p.sessions.list_month(month)
        if not sessions:
            continue
        reports.append(build_report(month, sessions, p.sessions.surveys_for_month(month)))
        reported[month] = p.marks.delivered(f"report#{month}")
    return reports, reported


def year_data(deps: Deps, year: int, now: datetime) -> YearData:
    from chalicelib.inquiries.config import categories
    from chalicelib.overview import ledger

    today = to_jst(now).date()
    p = ports(deps)
    rounds = _rounds(deps, p.files, year)
    summaries, reported, escalations = _inquiries(deps, year, today)
    sessions, sessions_reported = _sessions(deps, year, today)
    cc = deps.settings.call_center
    return YearData(
        fiscal_year=year, as_of=to_jst(now), rounds=tuple(rounds),
        ledger=ledger.build([r.item for r in rounds], deps.settings.settlement.planned_points),
        inquiry_months=tuple(summaries), categories=categories(deps.settings), inquiry_reported=reported,
        escalations=tuple(escalations), session_reports=tuple(sessions), session_reported=sessions_reported,
        forecast_monthly=cc.inquiry_forecast_monthly, forecast_total=cc.inquiry_forecast_total,
    )


# --- delivering ----------------------------------------------------------------------------------------------


def fiscal_year(now: datetime, requested: Any = None) -> int:
    if requested is None:
        return model.pack_year(to_jst(now).date())
    if isinstance(requested, bool) or not isinstance(requested, int) or not 2000 <= requested <= 2100:
        raise InvalidInput("年度の指定が正しくありません", {"fiscal_year": "西暦の年度（例: 2025）を整数で指定してください"})
    return requested


def _latest(marks: Marks, year: int) -> tuple[int, dict[str, Any] | None]:
    """The latest claimed version of `year` and its mark (0, None when none)."""
    version, found = 0, None
    for v in range(1, MAX_VERSIONS + 1):
        mark = marks.get(year, v)
        if mark is None:
            break
        version, found = v, mark
    return version, found


def _answer(mark: dict[str, Any], created: bool) -> dict[str, Any]:
    index = mark["index"]
    keys = [f["key"] for f in index["files"]] + [index["prefix"] + "index.json", index["prefix"] + "index.csv"]
    return {"fiscal_year": index["fiscal_year"], "version": index["version"], "final": index.get("final", True),
            "created": created,
            "delivered_at": mark.get("at"), "mail_id": mark.get("mail_id"), "files": keys, "index": index}


def year_end_pack(deps: Deps, now: datetime, *, year: int | None = None, force: bool = False,
                  actor: Actor = SYSTEM) -> dict[str, Any]:
    """Build and deliver the pack of `year` (default: the year containing `now` minus one month) once:
    `{fiscal_year, version, created, files: [keys], index}`. A rerun answers the claimed index and sends
    nothing; `force` builds the next version into its own folder (`prefecture/year-end/<year>/v2/`). A pack
    built before the year ended is an interim one: the first run after the year builds the final version."""
    year = fiscal_year(now, year)
    p = ports(deps)
    latest, mark = _latest(p.marks, year)
    # An interim pack (built before the year ended) is answered until the year is over; the first run after
    # it builds the final version. A final pack is answered for good.
    year_over = to_jst(now).date() > model.last_day(year)
    if mark is not None and not force and (mark["index"].get("final", True) or not year_over):
        return _answer(mark, created=False)
    version = latest + 1
    data = year_data(deps, year, now)
    files = pack.build_files(data, version)
    index = pack.index_of(data, files, version)
    prefix = index["prefix"]
    for f in [*files, *pack.index_files(index)]:
        p.files.put(prefix + f.name, f.body, f.content_type)
    mail_id = f"{MAIL_PREFIX}{year}#v{version}#prefecture"
    subject, body = mails.pack_mail(index, str(getattr(p.files, "bucket", "documents")))
    mail = Mail(mail_id, deps.settings.mail.prefecture_mailbox, subject, body, "year-end-pack")
    claimed = {"index": index, "mail_id": mail_id, "at": now.isoformat(timespec="seconds")}
    tx = p.marks.new_tx()
    p.marks.claim_in(tx, year, version, claimed)
    deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(actor, "yearend.pack", f"yearend#{year}", now, detail={
        "version": version, "files": len(index["files"]) + 2, "totals": index["totals"], "forced": force}))
    from chalicelib.inquiries.repository import commit_or_yield

    if not commit_or_yield(tx):  # a concurrent run claimed it first: its index is the answer
        _, mark = _latest(p.marks, year)
        if mark is None:
            raise RuntimeError("year-end pack claim lost but no claim found")
        return _answer(mark, created=False)
    logger.info("year-end pack delivered", extra={"fiscal_year": year, "version": version,
                                                  "files": len(index["files"]) + 2})
    deps.outbox.deliver([mail_id], deps.sender, now)
    return _answer(claimed, created=True)

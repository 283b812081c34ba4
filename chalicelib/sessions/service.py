"""The consultation sessions' rules (相談会, issue 10; docs/SPEC.md §4.6): planning, editing and cancelling
sessions, recording attendance, survey answers from paper and from the public page, the installation
manual's versions, the coverage board and what the public page lists.

Persistence is `deps.session_repository` (sessions/repository.py); the checks are sessions/rules.py, the
board sessions/coverage.py, what each screen sees sessions/views.py. Every change is audited in the same
transaction (`session.<verb>`, subject `session#SS000001`). Takes `deps` and a timezone-aware `now`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any, Protocol

from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.kernel.areas import Area
from chalicelib.kernel.calendars import to_jst
from chalicelib.observability import logger
from chalicelib.sessions import rules, views
from chalicelib.sessions.coverage import Coverage, coverage
from chalicelib.sessions.model import Session, SurveyAnswer
from chalicelib.sessions.repository import ManualVersion, SessionRepository

STALE = "他の人がこの相談会を変更しました。画面を再読み込みしてください"
PUBLIC = Actor("public", "public")
#: The installation manual: a PDF of at most this size.
MAX_MANUAL_BYTES = 10 * 1024 * 1024
#: The longest range `GET /sessions/list` answers (the season is ten months).
MAX_LIST_DAYS = 400


class Documents(Protocol):
    """The documents bucket as this area uses it (adapters/files.FileStore; a dict-backed fake in tests)."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...


def _documents(deps: Deps) -> Documents:
    found: Documents | None = getattr(deps, "documents", None)
    if found is not None:
        return found
    from chalicelib.adapters.files import FileStore

    return FileStore(deps.settings.buckets.documents_bucket)


def _repo(deps: Deps) -> SessionRepository:
    return deps.session_repository


def _session(deps: Deps, session_id: str) -> Session:
    found = _repo(deps).get(session_id) if rules.SESSION_ID.fullmatch(session_id or "") else None
    if found is None:
        raise NotFound("相談会が見つかりません", {"session_id": "相談会の番号（SS で始まる8文字）を確認してください"})
    return found


def _stamp(now: datetime) -> str:
    return now.isoformat(timespec="seconds")


def _today(now: datetime) -> date:
    return to_jst(now).date()


def _audit_fields(session: Session) -> dict[str, Any]:
    return {"area_code": session.area_code, "venue": session.venue, "starts_at": session.starts_at.isoformat(),
            "ends_at": session.ends_at.isoformat(), "capacity": session.capacity,
            "announce_on": session.announce_on.isoformat(), "status": session.status,
            "attendees": session.attendees, "manuals": session.manuals}


def _write(deps: Deps, principal: Principal | None, action: str, before: Session | None, after: Session,
           now: datetime, *, create: bool = False, detail: dict[str, Any] | None = None) -> None:
    repo = _repo(deps)
    tx = repo.new_tx()
    if create:
        repo.create(tx, after)
    else:
        assert before is not None
        repo.update(tx, after, before.version)
    actor = Actor.of(principal) if principal else PUBLIC
    deps.audit.add_to(tx, entry(actor, action, f"session#{after.session_id}", now,
                                before=_audit_fields(before) if before else None, after=_audit_fields(after),
                                detail=detail))
    tx.commit(STALE)


# --- planning ---------------------------------------------------------------------------------------

def plan(deps: Deps, body: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    """A new session (coordinator, admin). Answers `{session_id, …the detail}`."""
    planned, _ = rules.check_session(body, deps.settings.sessions)
    session_id = f"SS{deps.keys.next_number('session'):06d}"
    at = _stamp(now)
    session = Session(session_id=session_id, area_code=planned.area_code, venue=planned.venue,
                      address=planned.address, starts_at=planned.starts_at, ends_at=planned.ends_at,
                      capacity=planned.capacity, announce_on=planned.announce_on, partner=planned.partner,
                      staff=planned.staff, notes=planned.notes, created_at=at, created_by=principal.user,
                      updated_at=at, updated_by=principal.user)
    _write(deps, principal, "session.create", None, session, now, create=True)
    logger.info("session planned", extra={"session_id": session_id})
    return {"session_id": session_id, **views.session_view(session, [], _today(now))}


def edit(deps: Deps, session_id: str, body: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    """Change a planned session; `body` holds the fields to change and the `version` the editor read.
    A held or cancelled session is not changed (409); a session changed since it was read is not either."""
    current = _session(deps, session_id)
    rules.check_editable(current)
    merged = rules.session_form(current) | body
    planned, version = rules.check_session(merged, deps.settings.sessions, edit=True)
    rules.check_version(current, version)
    changed = replace(current, area_code=planned.area_code, venue=planned.venue, address=planned.address,
                      starts_at=planned.starts_at, ends_at=planned.ends_at, capacity=planned.capacity,
                      announce_on=planned.announce_on, partner=planned.partner, staff=planned.staff,
                      notes=planned.notes, updated_at=_stamp(now), updated_by=principal.user)
    _write(deps, principal, "session.edit", current, changed, now)
    return views.session_view(replace(changed, version=current.version + 1), _repo(deps).surveys_for(session_id),
                              _today(now))


def cancel(deps: Deps, session_id: str, body: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    """Cancel a planned session with a reason; the record and the reason are kept (shown as 中止)."""
    reason, version = rules.check_cancel(body)
    current = _session(deps, session_id)
    if current.status == "cancelled":
        raise Conflict("この相談会は既に中止になっています", {"status": "この相談会は中止です"})
    if current.status == "held":
        raise Conflict("開催済みの相談会は中止できません", {"status": "この相談会は開催済みです"})
    rules.check_version(current, version)
    changed = replace(current, status="cancelled", cancel_reason=reason, updated_at=_stamp(now),
                      updated_by=principal.user)
    _write(deps, principal, "session.cancel", current, changed, now, detail={"reason": reason})
    return views.session_view(replace(changed, version=current.version + 1), _repo(deps).surveys_for(session_id),
                              _today(now))


def record_attendance(deps: Deps, session_id: str, body: dict[str, Any], principal: Principal,
                      now: datetime) -> dict[str, Any]:
    """Attendance and manuals handed out, on or after the session's day; marks it held. A held
    session's counts may be corrected later (audited with before and after)."""
    attendees, manuals, version = rules.check_attendance(body)
    current = _session(deps, session_id)
    rules.check_attendance_allowed(current, _today(now))
    rules.check_version(current, version)
    changed = replace(current, status="held", attendees=attendees, manuals=manuals, updated_at=_stamp(now),
                      updated_by=principal.user)
    _write(deps, principal, "session.attendance", current, changed, now)
    return views.session_view(replace(changed, version=current.version + 1), _repo(deps).surveys_for(session_id),
                              _today(now))


# --- surveys ----------------------------------------------------------------------------------------

def _token_key(session_id: str, token: str) -> str:
    return f"client_token#session-survey#{session_id}#{token}"


def _replayed(deps: Deps, session_id: str, token: str | None) -> str | None:
    found = deps.keys.get(_token_key(session_id, token)) if token else None
    return str(found["answer_id"]) if found else None


def _slot_key(session_id: str, slot: int) -> str:
    return f"survey-slot#{session_id}#{slot}"


#: How often an answer is retried when another answer to the same session took its slot at the same moment.
SLOT_TRIES = 5
FULL = "この相談会のアンケートは受付数の上限に達しました。ご協力ありがとうございました"
BUSY = "混み合っています。少し待ってからもう一度送信してください"


def _store_answer(deps: Deps, session: Session, checked: rules.CheckedSurvey, source: str,
                  principal: Principal | None, now: datetime) -> str:
    """Store one answer (once per client token: a double submit answers the first answer's id).

    Every answer claims the session's next answer slot (`survey-slot#<session>#<n>`, n = the answers
    stored + 1) in its transaction, so two answers at once cannot both pass the bound: the public page's
    answers stop at `rules.survey_limit` (attendance once recorded, capacity before) with 409; staff's
    paper entries claim a slot too but are not bounded."""
    token = checked.client_token
    replayed = _replayed(deps, session.session_id, token)
    if replayed:
        return replayed
    repo = _repo(deps)
    answer_id = ""
    for _ in range(SLOT_TRIES):
        slot = len(repo.surveys_for(session.session_id)) + 1
        if source == "public" and slot > rules.survey_limit(session):
            logger.info("session survey full", extra={"session_id": session.session_id})
            raise Conflict(FULL, {"session_id": "この相談会の回答数は参加者の人数に達しています"})
        answer_id = answer_id or f"SV{deps.keys.next_number('session-survey'):06d}"
        answer = SurveyAnswer(session_id=session.session_id, age_band=checked.age_band, purposes=checked.purposes,
                              could_do=checked.could_do, satisfaction=checked.satisfaction, needs=checked.needs,
                              source="public" if source == "public" else "staff", answer_id=answer_id,
                              received_at=to_jst(now).replace(microsecond=0))
        tx = repo.new_tx()
        deps.keys.claim_in(tx, _slot_key(session.session_id, slot), {"answer_id": answer_id, "at": _stamp(now)})
        if token:
            deps.keys.claim_in(tx, _token_key(session.session_id, token), {"answer_id": answer_id,
                                                                          "at": _stamp(now)})
        repo.add_survey(tx, session, answer)
        actor = Actor.of(principal) if principal else PUBLIC
        deps.audit.add_to(tx, entry(actor, f"session.survey_{source}", f"session#{session.session_id}", now,
                                    detail={"answer_id": answer_id}))
        try:
            tx.commit(STALE)
        except Conflict:
            # Two submits of one form raced: the other one stored it. Otherwise another answer took
            # this slot: count again.
            replayed = _replayed(deps, session.session_id, token)
            if replayed:
                return replayed
            continue
        return answer_id
    raise Conflict(BUSY, {"session_id": BUSY})


def add_survey(deps: Deps, session_id: str, body: dict[str, Any], principal: Principal,
               now: datetime) -> dict[str, Any]:
    """A paper survey form typed in by staff (on or after the session's day; not for a cancelled one)."""
    checked = rules.check_survey(body)
    session = _session(deps, session_id)
    if session.status == "cancelled":
        raise Conflict("中止した相談会のアンケートは登録できません", {"status": "この相談会は中止です"})
    if _today(now) < session.starts_at.date():
        raise Conflict("開催日より前にアンケートは登録できません",
                       {"session_id": f"開催日（{rules.day_label(session.starts_at.date())}）以降に登録してください"})
    answer_id = _store_answer(deps, session, checked, "staff", principal, now)
    return {"answer_id": answer_id, "session_id": session_id, "needs": checked.needs}


def add_public_survey(deps: Deps, session_id: str, body: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One submission of the public survey page (the QR code on the flyer and handout). Taken for a held
    session, or one that starts today or started within the last 30 days. A filled honeypot answers like
    a success and stores nothing."""
    checked = rules.check_survey(body, public=True)
    session = _session(deps, session_id)
    if checked.bot:
        logger.info("session survey honeypot", extra={"session_id": session_id})
        return {"received": True, "message": "ご回答ありがとうございました"}
    if not rules.public_survey_open(session, _today(now)):
        raise Conflict("この相談会のアンケートは受け付けていません",
                       {"session_id": "相談会の当日から30日以内にお答えください"})
    _store_answer(deps, session, checked, "public", None, now)
    return {"received": True, "message": "ご回答ありがとうございました"}


# --- manuals ----------------------------------------------------------------------------------------

def manual_key(version: int) -> str:
    return f"sessions/manuals/v{version}.pdf"


def upload_manual(deps: Deps, data: bytes | None, filename: str, principal: Principal,
                  now: datetime) -> dict[str, Any]:
    """A new version of the installation manual (a PDF of at most 10 MB), stored in the documents bucket;
    the public page links the latest."""
    if not data:
        raise InvalidInput("ファイルがありません", {"file": "PDF ファイルを選んでください"})
    if len(data) > MAX_MANUAL_BYTES:
        raise InvalidInput("ファイルが大きすぎます", {"file": "10MB 以下の PDF にしてください"})
    if not data.startswith(b"%PDF"):
        raise InvalidInput("PDF ではありません", {"file": "PDF ファイルを選んでください"})
    name = "".join(c for c in filename if c.isprintable())[:100]
    version = deps.keys.next_number("session-manual")
    key = manual_key(version)
    _documents(deps).put(key, data, "application/pdf")
    manual = ManualVersion(version, key, len(data), principal.user, _stamp(now), name)
    repo = _repo(deps)
    tx = repo.new_tx()
    repo.add_manual(tx, manual)
    deps.audit.add_to(tx, entry(Actor.of(principal), "session.manual_upload", f"session-manual#v{version}", now,
                                detail={"size": len(data), "filename": name}))
    tx.commit(STALE)
    return _manual_json(manual)


def _manual_json(manual: ManualVersion) -> dict[str, Any]:
    return {"version": manual.version, "size": manual.size, "uploaded_by": manual.uploaded_by,
            "uploaded_at": manual.uploaded_at, "filename": manual.filename, "url": "sessions/manual.pdf"}


def list_manuals(deps: Deps) -> list[dict[str, Any]]:
    return [_manual_json(m) for m in _repo(deps).list_manuals()]


def latest_manual(deps: Deps) -> bytes:
    """The latest manual's PDF (public)."""
    manual = _repo(deps).latest_manual()
    data = _documents(deps).get(manual.key) if manual else None
    if data is None:
        raise NotFound("手引きはまだ用意されていません", {"file": "しばらくしてからもう一度ご覧ください"})
    return data


# --- reading ----------------------------------------------------------------------------------------

def list_sessions(deps: Deps, first: date, last: date) -> list[dict[str, Any]]:
    """The sessions starting from `first` to `last` (JST days, inclusive), by start."""
    if last < first:
        raise InvalidInput("期間の指定が正しくありません", {"to": "終了日は開始日以降にしてください"})
    if (last - first).days > MAX_LIST_DAYS:
        raise InvalidInput("期間が長すぎます", {"to": f"期間は{MAX_LIST_DAYS}日以内で指定してください"})
    return [views.list_row(s) for s in _repo(deps).list_between(first, last)]


def detail(deps: Deps, session_id: str, now: datetime) -> dict[str, Any]:
    session = _session(deps, session_id)
    return views.session_view(session, _repo(deps).surveys_for(session_id), _today(now))


def coverage_of(deps: Deps, today: date) -> Coverage:
    """The coverage board of `today` (also what the coverage-warning job reads)."""
    return coverage(_repo(deps).list_all(), today, deps.settings.sessions)


def coverage_board(deps: Deps, now: datetime) -> dict[str, Any]:
    return coverage_of(deps, _today(now)).to_json()


def public_sessions(deps: Deps, now: datetime) -> list[Session]:
    """What the public page may list today: announced (announce_on ≤ today) and not over (the session's
    day ≥ today), cancelled ones included (the page marks them 中止)."""
    today = _today(now)
    last = max(deps.settings.sessions.session_period_end, today)
    return [s for s in _repo(deps).list_between(today, last) if s.announced(today)]


def public_listing(deps: Deps, now: datetime) -> dict[str, Any]:
    """`GET /sessions/public.json`: the public page's data, grouped by region and area (master order)."""
    from chalicelib.kernel.areas import all_areas

    sessions = public_sessions(deps, now)
    regions: dict[str, list[dict[str, Any]]] = {}
    for area in all_areas():
        mine = [views.public_row(s) for s in sessions if s.area_code == area.code]
        if mine:
            regions.setdefault(area.region, []).append({"code": area.code, "name": area.name, "sessions": mine})
    from chalicelib.sessions.model import WHAT_TO_BRING

    return {"today": _today(now).isoformat(), "phone": deps.settings.call_center.call_center_phone,
            "what_to_bring": list(WHAT_TO_BRING), "manual": _repo(deps).latest_manual() is not None,
            "regions": [{"region": r, "areas": a} for r, a in regions.items()]}


def announced_session(deps: Deps, session_id: str, now: datetime) -> tuple[Session, Area]:
    """A session the public may see (its flyer, its survey page): announced and not cancelled."""
    from chalicelib.kernel.areas import find_area

    found = _repo(deps).get(session_id) if rules.SESSION_ID.fullmatch(session_id or "") else None
    area = find_area(found.area_code) if found else None
    if found is None or area is None or not found.announced(_today(now)) or found.status == "cancelled":
        raise NotFound("相談会が見つかりません", {"session_id": "ページのアドレスを確認してください"})
    return found, area


def flyer(deps: Deps, session_id: str, now: datetime) -> bytes:
    """The session's A4 flyer (helper module sessions/flyer.py), for announced sessions only."""
    session, area = announced_session(deps, session_id, now)
    from chalicelib.sessions.flyer import render_flyer

    base = deps.settings.public_base_url.rstrip("/")
    return render_flyer(session, area, phone=deps.settings.call_center.call_center_phone,
                        survey_url=f"{base}/sessions/{session_id}/survey", page_url=f"{base}/sessions")


def survey_heading(deps: Deps, session_id: str, now: datetime) -> str:
    """What the public survey page names the session by ("6月14日（土） 白石市中央公民館")."""
    session, _ = announced_session(deps, session_id, now)
    day = session.starts_at.date()
    return f"{day.month}月{day.day}日（{'月火水木金土日'[day.weekday()]}） {session.venue}"


"""What the session screens and the public page see: pure functions of a session (and its answers).

Sessions hold no personal data (venues, counts, staff user names); survey answers hold none either (the
free text is masked before it is stored), so every staff role that reads sessions sees the same thing.
The public sees only what the public page prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from typing import Any

from chalicelib.kernel.areas import find_area
from chalicelib.sessions.model import AGE_BANDS, COULD_DO, PURPOSES, STATUS_LABELS, Session, SurveyAnswer
from chalicelib.sessions.rules import day_label, survey_limit


def _area_fields(code: str) -> dict[str, str]:
    area = find_area(code)
    return {"area_code": code, "area_name": area.name if area else code, "region": area.region if area else ""}


def list_row(session: Session) -> dict[str, Any]:
    """One row of `GET /sessions/list` (the acceptance contract's fields first)."""
    return {
        "session_id": session.session_id, "area_code": session.area_code,
        "starts_at": session.starts_at.isoformat(), "status": session.status, "attendees": session.attendees,
        **_area_fields(session.area_code),
        "ends_at": session.ends_at.isoformat(), "date_label": day_label(session.starts_at.date()),
        "time_label": f"{session.starts_at:%H:%M}〜{session.ends_at:%H:%M}", "venue": session.venue,
        "announce_on": session.announce_on.isoformat(), "capacity": session.capacity, "manuals": session.manuals,
        "status_label": STATUS_LABELS[session.status], "version": session.version,
    }


def survey_row(answer: SurveyAnswer) -> dict[str, Any]:
    return {
        "answer_id": answer.answer_id, "age_band": answer.age_band, "age_band_label": AGE_BANDS.get(answer.age_band, ""),
        "purposes": list(answer.purposes), "could_do": list(answer.could_do), "satisfaction": answer.satisfaction,
        "needs": answer.needs, "source": answer.source,
        "received_at": answer.received_at.isoformat() if answer.received_at else None,
    }


def survey_summary(answers: Iterable[SurveyAnswer]) -> dict[str, Any]:
    answers = list(answers)
    ages = Counter(a.age_band for a in answers)
    purposes = Counter(p for a in answers for p in a.purposes)
    could = Counter(c for a in answers for c in a.could_do)
    sat = Counter(a.satisfaction for a in answers)
    return {
        "count": len(answers),
        "by_age_band": {code: ages.get(code, 0) for code in AGE_BANDS},
        "purposes": {code: purposes.get(code, 0) for code in PURPOSES},
        "could_do": {code: could.get(code, 0) for code in COULD_DO},
        "satisfaction": {str(n): sat.get(n, 0) for n in range(1, 6)},
    }


def session_view(session: Session, answers: list[SurveyAnswer], today: date) -> dict[str, Any]:
    """The session detail screen: the session, its bookkeeping, and its survey answers."""
    return {
        **list_row(session),
        "address": session.address, "partner": session.partner, "staff": list(session.staff),
        "notes": session.notes, "cancel_reason": session.cancel_reason,
        "announced": session.announced(today),
        "announce_label": day_label(session.announce_on),
        "editable": session.status == "scheduled",
        "attendance_open": session.status != "cancelled" and today >= session.starts_at.date(),
        "created_at": session.created_at, "created_by": session.created_by,
        "updated_at": session.updated_at, "updated_by": session.updated_by,
        "surveys": [survey_row(a) for a in answers],
        "survey_summary": survey_summary(answers),
        # One answer per participant: the public page stops at this bound; more answers than it (paper
        # entries after a low attendance) are shown as a warning.
        "survey_limit": survey_limit(session),
        "survey_over_limit": len(answers) > survey_limit(session),
        "flyer_url": f"sessions/{session.session_id}/flyer.pdf",
        "survey_url": f"sessions/{session.session_id}/survey",
    }


def public_row(session: Session) -> dict[str, Any]:
    """A session as the public page (and `GET /sessions/public.json`) shows it: no staff, notes or counts."""
    cancelled = session.status == "cancelled"
    return {
        "session_id": session.session_id, **_area_fields(session.area_code),
        "starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
        "announce_on": session.announce_on.isoformat(),
        "date_label": day_label(session.starts_at.date()),
        "time_label": f"{session.starts_at:%H:%M}〜{session.ends_at:%H:%M}",
        "venue": session.venue, "address": session.address, "partner": session.partner,
        "capacity": session.capacity, "status": session.status, "cancelled": cancelled,
        "status_label": STATUS_LABELS[session.status],
        "flyer_url": None if cancelled else f"sessions/{session.session_id}/flyer.pdf",
    }

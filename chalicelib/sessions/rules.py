"""What staff send when planning a session, recording it and entering survey answers, and what the
public survey page sends: shape (pydantic), then the rules. Pure; no AWS, no clock.

Each `check_*` answers normalised values or raises InvalidInput with a Japanese message per field (every
field's problem at once). Times carry an offset and are kept in JST; a session lies within one JST day.
The rules come from the prefecture's specification 7(3) (docs/SPEC.md §4.6) and their numbers from
`settings.sessions` (the period, the minimum announcement lead time).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError

from chalicelib.clock import parse_aware
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.kernel.areas import SENDAI_CITY_CODE, Area, find_area
from chalicelib.kernel.calendars import parse_day
from chalicelib.kernel.plain_text import MULTI_LINE, SINGLE_LINE
from chalicelib.sessions.model import AGE_BANDS, COULD_DO, PURPOSES, STATUS_LABELS, Session
from chalicelib.settings import SessionSettings

#: The largest capacity a session may have (a large hall; beyond this it is a typo).
MAX_CAPACITY = 500
#: The largest attendance or manual count one session may record.
MAX_COUNT = 2_000
#: How long after its start a session still takes answers from the public survey page.
PUBLIC_SURVEY_DAYS = 30

SESSION_ID = re.compile(r"SS\d{6}", re.ASCII)


def _trim(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _blank_to_empty(value: Any) -> Any:
    return "" if value is None else _trim(value)


def _code(value: Any) -> Any:
    # Full-width digits typed on a Japanese keyboard (０４２０２１).
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


#: One line (a venue, an address, a name: on the public page, the flyer and the mails): kernel.plain_text.
Text = Annotated[str, BeforeValidator(_trim), SINGLE_LINE]
OptionalText = Annotated[str, BeforeValidator(_blank_to_empty), SINGLE_LINE]
#: Free text over several lines (notes, a reason, the survey's wishes): line breaks only.
LongText = Annotated[str, BeforeValidator(_trim), MULTI_LINE]
OptionalLongText = Annotated[str, BeforeValidator(_blank_to_empty), MULTI_LINE]
Code = Annotated[str, BeforeValidator(_code)]

_FORBID = ConfigDict(extra="forbid", strict=True)


class SessionInput(BaseModel):
    """A session as the planning screen sends it (create, and edit merged over the stored one)."""

    model_config = _FORBID
    area_code: Code = Field(min_length=1, max_length=6)
    venue: Text = Field(min_length=1, max_length=100)
    address: Text = Field(min_length=1, max_length=200)
    starts_at: str = Field(min_length=1, max_length=40)
    ends_at: str = Field(min_length=1, max_length=40)
    capacity: StrictInt = Field(ge=1, le=MAX_CAPACITY)
    announce_on: str = Field(min_length=1, max_length=10)
    partner: OptionalText = Field(default="", max_length=100)
    notes: OptionalLongText = Field(default="", max_length=1000)
    staff: list[Annotated[str, BeforeValidator(_trim), SINGLE_LINE, Field(min_length=1, max_length=60)]] = Field(
        default_factory=list, max_length=20)


class SessionEdit(SessionInput):
    #: The version the editor read: a session changed since is refused (409), never overwritten.
    version: StrictInt = Field(ge=1)


class CancelInput(BaseModel):
    model_config = _FORBID
    reason: LongText = Field(min_length=1, max_length=500)
    version: StrictInt | None = Field(default=None, ge=1)


class AttendanceInput(BaseModel):
    model_config = _FORBID
    attendees: StrictInt = Field(ge=0, le=MAX_COUNT)
    manuals: StrictInt = Field(ge=0, le=MAX_COUNT)
    version: StrictInt | None = Field(default=None, ge=1)


class SurveyInput(BaseModel):
    """One paper form typed in by staff, or one submission of the public survey page."""

    model_config = _FORBID
    age_band: str = Field(min_length=1, max_length=20)
    purposes: list[Annotated[str, Field(max_length=40)]] = Field(min_length=1, max_length=len(PURPOSES))
    could_do: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=len(COULD_DO))
    satisfaction: StrictInt = Field(ge=1, le=5)
    needs: OptionalLongText = Field(default="", max_length=1000)
    #: One per form (the screen makes it): a double submit stores the answer once.
    client_token: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$")


class PublicSurveyInput(SurveyInput):
    #: Honeypot: hidden from people, filled by bots. Must stay empty.
    website: str | None = Field(default=None, max_length=200)


LABELS = {
    "area_code": "地域", "venue": "会場名", "address": "会場の住所", "starts_at": "開始日時", "ends_at": "終了日時",
    "capacity": "定員", "announce_on": "告知開始日", "partner": "協力機関", "notes": "備考", "staff": "担当スタッフ",
    "version": "版", "reason": "中止の理由", "attendees": "参加者数", "manuals": "マニュアル配布数",
    "age_band": "年代", "purposes": "参加の目的", "could_do": "できるようになったこと", "satisfaction": "満足度",
    "needs": "ご要望", "website": "この項目", "client_token": "送信の識別子",
}
HINTS = {
    "area_code": "39地域（市町村・仙台市の各区）から選んでください",
    "starts_at": "開始日時をタイムゾーン付きの ISO 8601 形式（例: 2025-06-14T10:00:00+09:00）で指定してください",
    "ends_at": "終了日時をタイムゾーン付きの ISO 8601 形式（例: 2025-06-14T12:00:00+09:00）で指定してください",
    "capacity": f"定員は1〜{MAX_CAPACITY}の整数で入力してください",
    "announce_on": "告知開始日を YYYY-MM-DD（例: 2025-05-20）で指定してください",
    "staff": "担当スタッフは名前の一覧で指定してください（20人まで）",
    "version": "画面を再読み込みしてからやり直してください",
    "attendees": f"参加者数は0〜{MAX_COUNT}の整数で入力してください",
    "manuals": f"マニュアル配布数は0〜{MAX_COUNT}の整数で入力してください",
    "age_band": "年代を選んでください",
    "purposes": "参加の目的を1つ以上選んでください",
    "could_do": "できるようになったことを一覧から選んでください",
    "satisfaction": "満足度は1〜5から選んでください",
    "client_token": "画面を再読み込みしてから送信してください",
}


def _validate(model: type[BaseModel], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = _top_level(exc)
        raise InvalidInput("入力内容を確認してください", fields) from None


def _top_level(exc: ValidationError) -> dict[str, str]:
    """One Japanese message per top-level field (a bad list item is reported on its list)."""
    from chalicelib.kernel.input_errors import field_errors

    fields: dict[str, str] = {}
    for key, message in field_errors(exc, LABELS, HINTS).items():
        top = key.split(".")[0]
        if top != key or (message.endswith("の値が正しくありません") and top in HINTS):
            message = HINTS.get(top, message)
        fields.setdefault(top, message)
    return fields


@dataclass(frozen=True)
class PlannedSession:
    """A checked session payload: what `Session` needs besides its id, status and bookkeeping."""

    area_code: str
    venue: str
    address: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    announce_on: date
    partner: str
    notes: str
    staff: tuple[str, ...]


def session_area(code: str) -> Area | None:
    """The area a session may be held in: one of the 39 (Sendai city as a whole is not: its wards are)."""
    return None if code == SENDAI_CITY_CODE else find_area(code)


def _time(errors: dict[str, str], field: str, value: str) -> datetime | None:
    try:
        return parse_aware(value, field)
    except InvalidInput as exc:
        errors[field] = HINTS[field] if "ISO 8601" in exc.fields.get(field, "") else exc.fields.get(
            field, HINTS[field])
        return None


def _shape(model: type[BaseModel], data: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """The validated model, or None and the shape errors (the rules still check the other fields)."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        return None, _top_level(exc)


def _raw_text(data: dict[str, Any], name: str, errors: dict[str, str]) -> str | None:
    value = data.get(name)
    return value.strip() if isinstance(value, str) and name not in errors else None


def check_session(data: dict[str, Any], rules: SessionSettings, *, edit: bool = False) -> tuple[PlannedSession, int]:
    """A create (or, with `edit`, an edit carrying `version`) payload checked against the rules; every
    field's problem at once (shape and rules). Answers the planned session and the version the editor
    read (0 for a create)."""
    model, errors = _shape(SessionEdit if edit else SessionInput, data)
    area_code = _raw_text(data, "area_code", errors)
    if area_code is not None and session_area(_code(area_code)) is None:
        errors["area_code"] = ("仙台市の場合は区を選んでください" if _code(area_code) == SENDAI_CITY_CODE
                               else HINTS["area_code"])
    raw_starts, raw_ends = _raw_text(data, "starts_at", errors), _raw_text(data, "ends_at", errors)
    starts = _time(errors, "starts_at", raw_starts) if raw_starts is not None else None
    ends = _time(errors, "ends_at", raw_ends) if raw_ends is not None else None
    raw_announce = _raw_text(data, "announce_on", errors)
    announce_on: date | None = None
    if raw_announce is not None:
        try:
            announce_on = parse_day(raw_announce)
        except (TypeError, ValueError):
            errors["announce_on"] = HINTS["announce_on"]
    start, end = rules.session_period_start, rules.session_period_end
    if starts is not None:
        if not start <= starts.date() <= end:
            errors["starts_at"] = (f"相談会の実施期間（{_day_label(start)}〜{_day_label(end)}）の日時を"
                                   "指定してください")
        if ends is not None and "ends_at" not in errors:
            if ends <= starts:
                errors["ends_at"] = "終了日時は開始日時より後にしてください"
            elif ends.date() != starts.date():
                errors["ends_at"] = "終了日時は開始日と同じ日にしてください（1日で終わる相談会として登録してください）"
        if announce_on is not None and "announce_on" not in errors:
            latest = starts.date() - timedelta(days=rules.session_min_lead_days)
            if announce_on > latest:
                errors["announce_on"] = (f"告知開始日は開催日の{rules.session_min_lead_days}日前"
                                         f"（{_day_label(latest)}）までにしてください")
    if errors or model is None:
        raise InvalidInput("入力内容を確認してください", errors or {"_body": "入力内容を確認してください"})
    assert starts is not None and ends is not None and announce_on is not None
    staff = tuple(dict.fromkeys(s for s in model.staff if s))
    planned = PlannedSession(model.area_code, model.venue, model.address, starts, ends, model.capacity, announce_on,
                             model.partner, model.notes, staff)
    return planned, (model.version if edit else 0)


def session_form(session: Session) -> dict[str, Any]:
    """A stored session as an edit payload (an edit merges the changed fields over this)."""
    return {
        "area_code": session.area_code, "venue": session.venue, "address": session.address,
        "starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
        "capacity": session.capacity, "announce_on": session.announce_on.isoformat(), "partner": session.partner,
        "notes": session.notes, "staff": list(session.staff),
    }


def check_editable(session: Session) -> None:
    """Only a planned session can be changed: a held or cancelled one keeps what it was (409)."""
    if session.status != "scheduled":
        raise Conflict(f"{STATUS_LABELS[session.status]}の相談会は変更できません",
                       {"status": f"この相談会は{STATUS_LABELS[session.status]}です"})


def check_version(session: Session, version: int | None) -> None:
    """An explicit version the screen read must still be the stored one (a lost update is refused)."""
    if version is not None and version != session.version:
        raise Conflict("他の人がこの相談会を変更しました。画面を再読み込みしてください",
                       {"version": HINTS["version"]})


def check_cancel(data: dict[str, Any]) -> tuple[str, int | None]:
    model = _validate(CancelInput, data)
    return model.reason, model.version


def check_attendance(data: dict[str, Any]) -> tuple[int, int, int | None]:
    model = _validate(AttendanceInput, data)
    return model.attendees, model.manuals, model.version


def check_attendance_allowed(session: Session, today: date) -> None:
    if session.status == "cancelled":
        raise Conflict("中止した相談会には参加者を記録できません", {"status": "この相談会は中止です"})
    if today < session.starts_at.date():
        raise Conflict("開催日より前に参加者数は記録できません",
                       {"attendees": f"開催日（{_day_label(session.starts_at.date())}）以降に記録してください"})


@dataclass(frozen=True)
class CheckedSurvey:
    age_band: str
    purposes: tuple[str, ...]
    could_do: tuple[str, ...]
    satisfaction: int
    needs: str
    #: the honeypot was filled (public page): answer like a success, store nothing
    bot: bool = False
    client_token: str | None = None


def _codes(errors: dict[str, str], field: str, values: Any, allowed: dict[str, str]) -> tuple[str, ...]:
    if field in errors or not isinstance(values, list):
        return ()
    if any(v not in allowed for v in values):
        errors[field] = HINTS[field]
    # In the code list's order, once each.
    return tuple(code for code in allowed if code in values)


def check_survey(data: dict[str, Any], *, public: bool = False) -> CheckedSurvey:
    """A survey answer; its free text with phone numbers and e-mail addresses masked (no personal data)."""
    model, errors = _shape(PublicSurveyInput if public else SurveyInput, data)
    age_band = _raw_text(data, "age_band", errors)
    if age_band is not None and age_band not in AGE_BANDS:
        errors["age_band"] = HINTS["age_band"]
    purposes = _codes(errors, "purposes", data.get("purposes"), PURPOSES)
    could_do = _codes(errors, "could_do", data.get("could_do", []), COULD_DO)
    if errors or model is None:
        raise InvalidInput("入力内容を確認してください", errors or {"_body": "入力内容を確認してください"})
    bot = bool(public and getattr(model, "website", None))
    return CheckedSurvey(model.age_band, purposes, could_do, model.satisfaction, mask_contacts(model.needs), bot,
                         model.client_token)


def public_survey_open(session: Session, today: date) -> bool:
    """The public survey page takes answers for a held session, or one that starts today or started
    within the last PUBLIC_SURVEY_DAYS days (never a cancelled one, never ahead of the day)."""
    if session.status == "cancelled":
        return False
    if session.status == "held":
        return True
    start = session.starts_at.date()
    return start <= today <= start + timedelta(days=PUBLIC_SURVEY_DAYS)


def survey_limit(session: Session) -> int:
    """How many answers (paper and public page together) a session can have received: one per participant,
    so its recorded attendance once there is one, its capacity before. The public page takes no answer
    beyond it; staff's paper entry is not refused (the forms in hand are the evidence), and the detail
    screen shows when the answers exceed it."""
    return session.attendees if session.attendees is not None else session.capacity


# --- masking of free text -------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# A run of digits with the separators people write in phone numbers (hyphens, dashes, spaces, brackets).
_DIGIT_RUN = re.compile(r"\+?\d[\d\-‐‑–—―−ー()\s]*\d")
PHONE_MASK = "［電話番号］"
EMAIL_MASK = "［メールアドレス］"


def mask_contacts(text: str) -> str:
    """`text` with what looks like a phone number (10–13 digits, separators allowed, full-width too) or an
    e-mail address replaced by a placeholder. Dates, prices and short numbers are left as they are."""
    if not text:
        return text
    normal = unicodedata.normalize("NFKC", text)
    normal = _EMAIL.sub(EMAIL_MASK, normal)

    def phone(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = sum(c.isdigit() for c in run)
        return PHONE_MASK if 10 <= digits <= 13 else run

    return _DIGIT_RUN.sub(phone, normal)


_WEEKDAYS = "月火水木金土日"


def _day_label(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日（{_WEEKDAYS[day.weekday()]}）"


def day_label(day: date) -> str:
    """The "2025年6月14日（土）" form: how the screens, the public page and the messages write a day."""
    return _day_label(day)

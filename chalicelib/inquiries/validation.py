"""What an agent sends when logging or changing an inquiry: shape (pydantic), then the rules. Pure; no AWS.

Each function answers a normalised dict or raises InvalidInput with a Japanese message per field.
Times without an offset are read as JST: every business time is Asia/Tokyo (docs/SPEC.md §5.1) and the
agent screen's date-time field has no offset.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, ValidationError

from chalicelib.errors import InvalidInput
from chalicelib.kernel.calendars import JST
from chalicelib.kernel.input_errors import field_errors
from chalicelib.kernel.plain_text import MULTI_LINE, SINGLE_LINE

#: How far ahead of the server clock a received_at may be (clock skew between PCs), and how far back
#: an inquiry may still be logged (a callback noted on paper, a mail read late).
FUTURE_TOLERANCE = timedelta(minutes=10)
MAX_AGE = timedelta(days=31)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _trim(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _code(value: Any) -> Any:
    # Full-width digits and letters typed on a Japanese keyboard (ＭＰ０００１２３, ０９０－…).
    value = _blank_to_none(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip().upper().replace("ー", "-").replace("−", "-")
    return value


Text = Annotated[str, BeforeValidator(_trim)]
#: Free text that may run over several lines (a summary, an answer, a reason): line breaks only, no other
#: control or invisible character (kernel.plain_text).
LongText = Annotated[str, BeforeValidator(_trim), MULTI_LINE]
#: A name on one line (it goes into the escalation mail's lines and the CSVs).
OptionalText = Annotated[str | None, BeforeValidator(lambda v: _trim(_blank_to_none(v))), SINGLE_LINE]
OptionalCode = Annotated[str | None, BeforeValidator(_code)]

_FORBID = ConfigDict(extra="forbid", strict=True)

Channel = Literal["phone", "email", "web", "other"]
CallerType = Literal["store", "resident", "municipality", "other"]
STORE_ID = r"^MP\d{6}$"
PHONE = r"^[0-9()\- ]{10,16}$"


class InquiryInput(BaseModel):
    model_config = _FORBID
    received_at: str
    channel: Channel
    caller_type: CallerType
    category: str
    summary: LongText = Field(min_length=1, max_length=2000)
    answer: LongText = Field(default="", max_length=4000)
    status: Literal["resolved", "pending"]
    store_id: OptionalCode = Field(default=None, pattern=STORE_ID)
    caller_name: OptionalText = Field(default=None, max_length=60)
    caller_phone: OptionalCode = Field(default=None, pattern=PHONE)
    handling_minutes: StrictInt | None = Field(default=None, ge=0, le=600)
    #: Same token on a double submit → the same inquiry (the screen makes one per form).
    client_token: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{8,64}$")


class InquiryChanges(BaseModel):
    """A correction of a logged inquiry; `version` is the one the agent saw (lost updates are refused)."""

    model_config = _FORBID
    version: StrictInt = Field(ge=1)
    received_at: str | None = None
    channel: Channel | None = None
    caller_type: CallerType | None = None
    category: str | None = None
    summary: LongText | None = Field(default=None, min_length=1, max_length=2000)
    answer: LongText | None = Field(default=None, max_length=4000)
    status: Literal["resolved", "pending"] | None = None
    store_id: OptionalCode = Field(default=None, pattern=STORE_ID)
    caller_name: OptionalText = Field(default=None, max_length=60)
    caller_phone: OptionalCode = Field(default=None, pattern=PHONE)
    handling_minutes: StrictInt | None = Field(default=None, ge=0, le=600)


class EscalationInput(BaseModel):
    model_config = _FORBID
    reason: LongText = Field(min_length=1, max_length=1000)


class AnswerInput(BaseModel):
    model_config = _FORBID
    answer: LongText = Field(min_length=1, max_length=4000)


class CloseInput(BaseModel):
    model_config = _FORBID
    answer: LongText | None = Field(default=None, max_length=4000)
    handling_minutes: StrictInt | None = Field(default=None, ge=0, le=600)


LABELS = {
    "received_at": "受付日時", "channel": "受付方法", "caller_type": "問合せ者", "category": "分類",
    "summary": "問合せ内容", "answer": "回答", "status": "状態", "store_id": "店舗ID",
    "caller_name": "氏名", "caller_phone": "電話番号", "handling_minutes": "対応時間（分）",
    "client_token": "送信トークン", "version": "版", "reason": "エスカレーションの理由",
}
HINTS = {
    "channel": "受付方法は 電話・メール・Webフォーム・その他 から選んでください",
    "caller_type": "問合せ者は 店舗・県民・市町村・その他 から選んでください",
    "status": "状態は「解決」または「対応中」を選んでください",
    "store_id": "店舗IDは MP で始まる8文字です（例: MP000123）",
    "caller_phone": "電話番号は市外局番から10桁または11桁の数字で入力してください",
    "handling_minutes": "対応時間は 0〜600 の整数（分）で入力してください",
    "client_token": "画面を再読み込みしてから登録してください",
    "version": "画面を再読み込みしてから保存してください",
    "received_at": "受付日時は 2025-06-07T10:30 の形式で入力してください",
}


def _parse(model: type[BaseModel], raw: dict[str, Any]) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        fields = field_errors(exc, LABELS, HINTS)
        for key, message in list(fields.items()):
            # Range errors (ge/le) come back generic: the hint says what is accepted.
            if message.endswith("の値が正しくありません") and key in HINTS:
                fields[key] = HINTS[key]
        raise InvalidInput("入力内容を確認してください", fields) from None


def parse_received_at(value: str, now: datetime) -> datetime:
    """The time the inquiry came in, as JST; naive is JST; not in the future, not older than MAX_AGE."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput("入力内容を確認してください", {"received_at": HINTS["received_at"]}) from None
    parsed = (parsed.replace(tzinfo=JST) if parsed.tzinfo is None else parsed).replace(microsecond=0)
    # Compared before moving to JST: an instant far outside the window (year 1 at +09:00, year 9999 at
    # -12:00) cannot be moved at all, while comparing aware datetimes always works.
    if parsed > now + FUTURE_TOLERANCE:
        raise InvalidInput("入力内容を確認してください", {"received_at": "受付日時が未来になっています"})
    if parsed < now - MAX_AGE:
        raise InvalidInput("入力内容を確認してください",
                           {"received_at": f"{MAX_AGE.days}日より前の受付は登録できません。管理者に相談してください"})
    return parsed.astimezone(JST)


def _check_category(category: str, codes: set[str]) -> None:
    if category not in codes:
        raise InvalidInput("入力内容を確認してください", {"category": "分類を一覧から選んでください"})


def validate_new(raw: dict[str, Any], now: datetime, category_codes: set[str]) -> dict[str, Any]:
    """A new inquiry's fields, normalised (received_at as a JST datetime)."""
    data: InquiryInput = _parse(InquiryInput, raw)
    _check_category(data.category, category_codes)
    if data.status == "resolved" and not data.answer:
        raise InvalidInput("入力内容を確認してください", {"answer": "解決した問い合わせは回答を入力してください"})
    fields = data.model_dump()
    fields["received_at"] = parse_received_at(data.received_at, now)
    return fields


def validate_changes(raw: dict[str, Any], now: datetime, category_codes: set[str]) -> dict[str, Any]:
    """The fields the agent sent (only those), normalised; `version` included."""
    data: InquiryChanges = _parse(InquiryChanges, raw)
    changes = {k: getattr(data, k) for k in data.model_fields_set}
    for key in ("received_at", "channel", "caller_type", "category", "summary", "answer", "status"):
        if key in changes and changes[key] is None:
            raise InvalidInput("入力内容を確認してください", {key: f"{LABELS[key]}は空にできません"})
    if "category" in changes:
        _check_category(changes["category"], category_codes)
    if "received_at" in changes:
        changes["received_at"] = parse_received_at(changes["received_at"], now)
    if len(changes) == 1:
        raise InvalidInput("変更する項目がありません", {"_body": "変更する項目を送信してください"})
    return changes


def validate_escalation(raw: dict[str, Any]) -> str:
    return _parse(EscalationInput, raw).reason


def validate_answer(raw: dict[str, Any]) -> str:
    return _parse(AnswerInput, raw).answer


def validate_close(raw: dict[str, Any]) -> dict[str, Any]:
    data: CloseInput = _parse(CloseInput, raw)
    return {k: getattr(data, k) for k in data.model_fields_set if getattr(data, k) is not None}

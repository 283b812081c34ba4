"""The eligibility checklist (docs/SPEC.md §2) and what a screening decision needs. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from chalicelib.applications.terms import CHECKLIST_EXCLUDED_GOODS
from chalicelib.errors import InvalidInput
from chalicelib.kernel.input_errors import field_errors
from chalicelib.kernel.plain_text import MULTI_LINE

QUESTION_MAX = 2000
#: A reason or a question: it goes into the applicant's mail or the prefecture's; line breaks only, no other
#: control or invisible character (kernel.plain_text).
ReasonText = Annotated[str | None, MULTI_LINE]
#: The prefecture's judgement on a referral (spec 7(1)ニ①②: the items the prefecture judges).
JUDGEMENT_LABELS = {"approve": "承認して差し支えない", "reject": "不承認とすべき"}

#: The checklist, item by item; `True` means the screener confirmed the store passes the item.
CHECKLIST: dict[str, str] = {
    "antisocial": "暴力団等反社会的勢力との関係がない（宮城県暴力団排除条例第2条）",
    "adult_business": "風営法第2条第5項の性風俗関連特殊営業に該当しない",
    "in_prefecture": "宮城県内に所在する施設である",
    # The specification's list, word for word (applications/terms.py), as the form's pledge has it.
    "excluded_goods": CHECKLIST_EXCLUDED_GOODS,
    "other": "その他、県が本事業の趣旨から適当でないと認める事情がない",
}


class Checks(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    antisocial: StrictBool | None = None
    adult_business: StrictBool | None = None
    in_prefecture: StrictBool | None = None
    excluded_goods: StrictBool | None = None
    other: StrictBool | None = None


class DecisionInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    decision: Literal["approve", "return", "reject", "refer"]
    checks: Checks = Field(default_factory=Checks)
    reason: ReasonText = Field(default=None, max_length=2000)
    #: what the prefecture is asked (only with "refer")
    question: ReasonText = Field(default=None, max_length=QUESTION_MAX)


class JudgementInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    decision: Literal["approve", "reject"]
    reason: ReasonText = Field(default=None, max_length=2000)


@dataclass(frozen=True)
class Decision:
    action: str
    checks: dict[str, bool | None]
    reason: str
    question: str = ""


@dataclass(frozen=True)
class Judgement:
    """The prefecture's answer to a referral: what it would decide, and why."""

    decision: str
    reason: str


_LABELS = {"decision": "判定", "reason": "理由", "checks": "チェックリスト", "question": "県への照会事項"}
_HINTS = {"decision": "approve / return / reject / refer のいずれかを指定してください",
          "question": f"照会事項は{QUESTION_MAX}文字以内で入力してください"}
for _k in CHECKLIST:
    _LABELS[f"checks.{_k}"] = "チェック項目"
    _HINTS[f"checks.{_k}"] = "true または false で指定してください"


def parse_decision(data: dict[str, Any]) -> Decision:
    try:
        model = DecisionInput.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("判定の内容に誤りがあります", field_errors(exc, _LABELS, _HINTS)) from None
    checks = model.checks.model_dump()
    reason = (model.reason or "").strip()
    errors: dict[str, str] = {}
    if model.decision == "refer":
        # Referring is asking, not deciding: the checklist is recorded as far as it went; the question is
        # what the screener could not decide (typically "other", which the prefecture judges).
        question = (model.question or "").strip()
        if not question:
            errors["question"] = "県に確認したい内容（照会事項）を入力してください"
        if errors:
            raise InvalidInput("照会の内容に誤りがあります", errors)
        return Decision(action="refer", checks=checks, reason=reason, question=question)
    if model.decision == "approve":
        for key, label in CHECKLIST.items():
            if checks[key] is not True:
                errors[f"checks.{key}"] = f"承認するには「{label}」を確認してください"
    else:
        if not reason:
            errors["reason"] = "差し戻し・不承認には理由が必要です（申請者へのメールに記載されます）"
    if checks.get("other") is False and not reason:
        errors["reason"] = "「その他」に該当する場合は理由を記入してください"
    if errors:
        raise InvalidInput("判定の内容に誤りがあります", errors)
    return Decision(action=model.decision, checks=checks, reason=reason)


_JUDGEMENT_LABELS = {"decision": "県の判断", "reason": "理由"}
_JUDGEMENT_HINTS = {"decision": "approve（承認して差し支えない）または reject（不承認とすべき）を指定してください",
                    "reason": "理由は2000文字以内で入力してください"}


def parse_judgement(data: dict[str, Any]) -> Judgement:
    """The prefecture's judgement; a "reject" needs its reason (the screener and, in the end, the store read it)."""
    try:
        model = JudgementInput.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("県の判断の内容に誤りがあります",
                           field_errors(exc, _JUDGEMENT_LABELS, _JUDGEMENT_HINTS)) from None
    reason = (model.reason or "").strip()
    if model.decision == "reject" and not reason:
        raise InvalidInput("県の判断の内容に誤りがあります",
                           {"reason": "不承認とすべきと判断する場合は理由を入力してください"})
    return Judgement(decision=model.decision, reason=reason)

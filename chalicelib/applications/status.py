"""The application's status machine, as a table. Anything not in the table is illegal (409)."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.errors import Conflict


class Status(StrEnum):
    SUBMITTED = "submitted"  # waiting for screening (also after a resubmission)
    REFERRED = "referred"  # a screener asked the prefecture to judge (spec 7(1)ニ①②); waiting for its answer
    JUDGED = "judged"  # the prefecture answered; back in the screener's queue to complete
    RETURNED = "returned"  # sent back to the applicant for correction
    APPROVED = "approved"  # a store was created
    REJECTED = "rejected"


class Action(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    RESUBMIT = "resubmit"
    REFER = "refer"  # screener: ask the prefecture
    JUDGE = "judge"  # prefecture: record its judgement (not final: the screener completes)


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.SUBMITTED, Action.APPROVE): Status.APPROVED,
    (Status.SUBMITTED, Action.RETURN): Status.RETURNED,
    (Status.SUBMITTED, Action.REJECT): Status.REJECTED,
    (Status.SUBMITTED, Action.REFER): Status.REFERRED,
    (Status.REFERRED, Action.JUDGE): Status.JUDGED,
    # The screener completes after the prefecture's judgement (or asks it again).
    (Status.JUDGED, Action.APPROVE): Status.APPROVED,
    (Status.JUDGED, Action.RETURN): Status.RETURNED,
    (Status.JUDGED, Action.REJECT): Status.REJECTED,
    (Status.JUDGED, Action.REFER): Status.REFERRED,
    (Status.RETURNED, Action.RESUBMIT): Status.SUBMITTED,
    # An applicant who never answers can still be closed.
    (Status.RETURNED, Action.REJECT): Status.REJECTED,
}

STATUS_LABELS = {
    Status.SUBMITTED: "審査待ち",
    Status.REFERRED: "県に照会中",
    Status.JUDGED: "県の判断あり",
    Status.RETURNED: "差し戻し中",
    Status.APPROVED: "承認済み",
    Status.REJECTED: "不承認",
}


class IllegalTransition(Conflict):
    pass


def next_status(current: Status | str, action: Action | str) -> Status:
    try:
        key = (Status(current), Action(action))
    except ValueError:
        raise IllegalTransition("この操作はできません") from None
    if key not in TRANSITIONS:
        raise IllegalTransition(
            f"現在の状態（{STATUS_LABELS[key[0]]}）ではこの操作はできません",
            {"decision": "申込の状態が変わっています。画面を再読み込みしてください"},
        )
    return TRANSITIONS[key]

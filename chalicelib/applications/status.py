"""The application's status machine, as a table. Anything not in the table is illegal (409)."""

from __future__ import annotations

from enum import StrEnum

from chalicelib.errors import Conflict


class Status(StrEnum):
    SUBMITTED = "submitted"  # waiting for screening (also after a resubmission)
    RETURNED = "returned"  # sent back to the applicant for correction
    APPROVED = "approved"  # a store was created
    REJECTED = "rejected"


class Action(StrEnum):
    APPROVE = "approve"
    RETURN = "return"
    REJECT = "reject"
    RESUBMIT = "resubmit"


TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.SUBMITTED, Action.APPROVE): Status.APPROVED,
    (Status.SUBMITTED, Action.RETURN): Status.RETURNED,
    (Status.SUBMITTED, Action.REJECT): Status.REJECTED,
    (Status.RETURNED, Action.RESUBMIT): Status.SUBMITTED,
    # An applicant who never answers can still be closed.
    (Status.RETURNED, Action.REJECT): Status.REJECTED,
}

STATUS_LABELS = {
    Status.SUBMITTED: "審査待ち",
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

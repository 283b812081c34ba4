"""The pure parts of the call-center adapters: update expressions and who wins a race."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from chalicelib.errors import Conflict
from chalicelib.inquiries.repository import InquiryTable, commit_or_yield


class RecordingTx:
    def __init__(self, error: Exception | None = None) -> None:
        self.error = error
        self.updates: list[tuple] = []

    def update(self, table, key, expression, *, condition=None, names=None, values=None):
        self.updates.append((table, key, expression, condition, names, values))
        return self

    def commit(self, *args):
        if self.error:
            raise self.error


def cancelled(*reasons: str) -> ClientError:
    return ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
                        "CancellationReasons": [{"Code": r} for r in reasons]}, "TransactWriteItems")


def test_update_sets_removes_and_conditions():
    tx = RecordingTx()
    InquiryTable("t").update_in(tx, "IQ000001", set_values={"status": "resolved", "closed_at": None},
                                remove=("notice_state",), expect={"version": 3, "prefecture_answer": None})
    table, key, expression, condition, names, values = tx.updates[0]
    assert (table, key) == ("t", {"inquiry_id": "IQ000001"})
    assert expression == "SET #s0 = :s0 REMOVE #s1, #r0"
    assert condition == "#e0 = :e0 AND attribute_not_exists(#e1)"
    assert names == {"#s0": "status", "#s1": "closed_at", "#r0": "notice_state", "#e0": "version",
                     "#e1": "prefecture_answer"}
    assert values == {":s0": "resolved", ":e0": 3}


def test_commit_or_yield():
    assert commit_or_yield(RecordingTx()) is True
    assert commit_or_yield(RecordingTx(Conflict("taken"))) is False
    assert commit_or_yield(RecordingTx(cancelled("None", "TransactionConflict"))) is False
    with pytest.raises(ClientError):
        commit_or_yield(RecordingTx(cancelled("ValidationError")))
    with pytest.raises(ClientError):
        commit_or_yield(RecordingTx(ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}},
                                                "TransactWriteItems")))

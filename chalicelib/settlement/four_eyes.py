"""Four eyes on money: pure rules, no AWS.

No single person can cause a payment, change an amount or change where money goes. Everyone who
shaped a round is recorded on it when it is drafted: the drafter, whoever uploaded the month's usage,
and, for each store line the round pays, whoever entered its adjustments or returns (a late usage
adjustment: whoever uploaded it), whoever changed or confirmed its bank account (since that store was
last paid), and whoever shaped an amount held earlier and carried into it. The approver must be none
of them, and at least two different people must stand behind every round — a round drafted by the
system, with nobody else involved, needs a person to draft it again before someone else approves.

A held line pays nothing in its round: whoever shaped it does not shape that round (else one return
recorded by the usual approver would leave no one to approve the month, issue of QA B #2). Its
shapers are kept on the line and carried with the held amount to the round that pays it, where they
count: whoever shaped what is paid never approves the payment. When everyone who could approve shaped
a line the round pays (two accountants, one recorded a return, the other uploaded the month), any of
them puts that line off to the next round (`POST /settlements/{m}/holds/{store}/defer`: holding moves
no money) and drafts again; the next round pays it, approved by one who shaped none of it (the one
who shaped the line uploads and drafts that month).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.errors import Forbidden

#: Actors that are not people: they never count as one of the four eyes.
NOT_PEOPLE = frozenset({"system", "store", "applicant", ""})


def shapers(*, drafted_by: str, uploads: Iterable[str], adjustments: Iterable[Mapping[str, Any]],
            import_uploaders: Mapping[str, str], paid_stores: Iterable[Mapping[str, Any]]) -> list[str]:
    """The people whose input a round pays, sorted (stored on the round at draft time)."""
    people = {drafted_by, *uploads}
    for adjustment in adjustments:
        people.add(str(adjustment.get("created_by") or ""))
        # Late usage becomes an adjustment created by the system: the person is whoever uploaded it.
        if adjustment.get("import_id"):
            people.add(import_uploaders.get(str(adjustment["import_id"]), ""))
    for store in paid_stores:
        if store.get("bank_changed_pending"):
            people.add(str(store.get("bank_changed_by") or ""))
            people.add(str(store.get("bank_confirmed_by") or ""))
    return sorted(people - NOT_PEOPLE)


def round_shapers(*, drafted_by: str, uploads: Iterable[str], line_shapers: Mapping[str, Iterable[str]],
                  paid: Iterable[str]) -> list[str]:
    """The people who shaped what a round pays, sorted: the drafter, the month's uploaders, and the
    shapers (``line_shapers``, per store) of the lines it pays (``paid``, store ids)."""
    people = {drafted_by, *uploads}
    for store_id in paid:
        people.update(line_shapers.get(store_id, ()))
    return sorted(people - NOT_PEOPLE)


def check_approver(approver: str, drafted_by: str, shaped_by: Iterable[str]) -> None:
    """Raise Forbidden unless ``approver`` is a second person for everything the round pays."""
    involved = (set(shaped_by) | {drafted_by}) - NOT_PEOPLE
    if approver == drafted_by:
        raise Forbidden("下書きを作成した担当者とは別の経理担当者が承認してください",
                        {"approver": "二人目の経理担当者でログインしてください"})
    if approver in involved:
        raise Forbidden("この精算の内容（利用実績の取込・調整・返却・口座変更など）に関わった担当者は承認できません",
                        {"approver": "この回の入力に関わっていない別の経理担当者が承認してください。承認できる担当者がいない"
                         "場合は、関わった店舗の支払を「次回に回す」で保留にし、下書きを作り直してください"})
    if not involved:
        raise Forbidden("システムが作成した下書きには、まだ担当者が関わっていません。担当者が下書きを作り直し、"
                        "別の担当者が承認してください", {"approver": "二人の担当者による確認が必要です"})

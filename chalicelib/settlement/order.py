"""The order of settlement rounds (chalicelib.settlement.service drafts and approves through these checks).

Rounds pay the program's usage months (settings.program) in month order: the first round is the earliest
month with committed usage, every later month is drafted only once the previous round is approved (a month
with no usage gets an empty round), and once a later round is approved an earlier month is closed: its usage
imported then is late usage, paid by the next round (repository.frozen_months). After the program's last
month a round is drafted only while something is still owed. Approval reads the order again (``follows``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalicelib.deps import Deps
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.kernel import calendars
from chalicelib.settlement.repository import FROZEN, settlement_store
from chalicelib.settlement.views import get_round
from chalicelib.usage.repository import usage_totals


def previous_month(month: str) -> str:
    y, m = calendars.parse_month(month)
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def _latest_round_before(deps: Deps, month: str) -> str | None:
    return settlement_store(deps).latest_round_before(month)


def _frozen_round_after(deps: Deps, month: str) -> str | None:
    """The first later month whose round is approved (or being approved), if any."""
    return next((m for m in settlement_store(deps).months_with_rounds()
                 if m > month and (get_round(deps, m) or {}).get("status") in FROZEN), None)


def _earlier_usage_month(deps: Deps, month: str) -> str | None:
    """The earliest program month before ``month`` with committed usage (none: ``month`` may be the
    first round). Rounds start with the earliest month that has usage, so none is left behind."""
    first = deps.settings.program.settlement_first_month
    m = previous_month(month)
    found = None
    while m >= first:
        _, imports = usage_totals(deps).usage_for_month(m)
        if imports:
            found = m
        m = previous_month(m)
    return found


def _something_owed(deps: Deps, month: str) -> bool:
    previous = get_round(deps, previous_month(month))
    return bool(previous and int(previous.get("held_total", 0)) != 0) or bool(settlement_store(deps).open_adjustments())


def _check_in_program(deps: Deps, month: str) -> None:
    """Rounds pay the program's usage months (settings.program). After the last one, a round is drafted
    only while something is still owed (amounts held by the round before, open adjustments such as
    the re-payment of a returned transfer): it pays them, and nothing else is owed after it."""
    program = deps.settings.program
    first, last = program.settlement_first_month, program.settlement_last_month
    period = f"精算期間は {first} 〜 {last} 利用分です"
    if month < first:
        raise InvalidInput(f"{month} は精算期間の前の月です（{period}）",
                           {"month": f"{first} 以降の月を指定してください"})
    if month > last and not _something_owed(deps, month):
        raise InvalidInput(f"{month} は精算期間の後の月で、保留中の金額も未精算の調整もありません（{period}）",
                           {"month": f"{last} までの月を指定してください"})


def _check_order(deps: Deps, month: str) -> str | None:
    """Months go in order. A month cannot be settled once a later month's round is approved (its usage
    is then late usage, paid by the next round); a month follows the approved round of the month
    before; the first round is the earliest month with usage. Answers the month whose round this one
    follows (None for the first round)."""
    later = _frozen_round_after(deps, month)
    if later is not None:
        raise Conflict(f"{later} の精算が既に承認されているため、{month} の精算は作成・承認できません。"
                       f"{month} の利用分は、確定後の取込として次回の精算で支払われます", {"month": later})
    before = previous_month(month)
    latest = _latest_round_before(deps, month)
    if latest is not None and latest < deps.settings.program.settlement_first_month and latest != before:
        latest = None  # a round of a month before the program (drafted before this rule) is none to follow
    if latest is None:
        earlier = _earlier_usage_month(deps, month)
        if earlier is not None:
            raise Conflict(f"{earlier} の利用実績が取り込まれています。精算は月の順に行います。先に {earlier} の精算を"
                           "作成し、承認してください", {"month": earlier})
        return None
    if latest != before:
        # A gap would let two rounds pay the same open adjustment or carry: months go in order.
        raise Conflict(f"{before} の精算がありません。精算は月の順に行います。先に {before} の精算"
                       "（利用実績がなければ0件の精算）を作成し、承認してください", {"month": before})
    previous = get_round(deps, before)
    if previous and previous["status"] != "approved":
        raise Conflict(f"前月（{previous['month']}）の精算が未承認です。先に承認してください")
    return before


def check_can_draft(deps: Deps, month: str, now: datetime) -> tuple[dict[str, Any] | None, str | None]:
    """(the round's current draft if any, the month of the approved round it follows)."""
    _check_in_program(deps, month)
    first_of_next = calendars.month_range(month)[1] + timedelta(days=1)
    if now.date() < first_of_next:
        raise Conflict(f"{month} はまだ終わっていません。翌月になってから下書きを作成してください")
    existing = get_round(deps, month)
    if existing and existing["status"] in FROZEN:
        raise Conflict(f"{month} の精算は承認済みです。修正は調整として次回の精算で行います")
    return existing, _check_order(deps, month)


def check_can_approve(deps: Deps, item: dict[str, Any]) -> None:
    """The draft still follows the round it was drafted after, and still may be settled (the rules
    of ``_check_order``, read again: a round drafted before an earlier month's usage or round
    appeared is drafted again first)."""
    month = item["month"]
    if month < deps.settings.program.settlement_first_month:
        _check_in_program(deps, month)
    follows = _check_order(deps, month)
    if follows != item.get("follows"):
        raise Conflict(f"下書きの作成後に前の月（{follows or previous_month(month)}）の精算の状態が変わりました。"
                       "下書きを作り直してから承認してください", {"month": month})

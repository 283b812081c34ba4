"""The daily settlement sweep: draft last month's round once its usage is in; warn staff in time; once a
round is past its approval deadline, tell the prefecture and the staff that the transfer will be late.

Outside the settlement period (settings.program: the usage months settlement_first_month …
settlement_last_month) the sweep is quiet: no point is used before the first month, none after the last."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chalicelib.audit.log import SYSTEM
from chalicelib.auth.roles import Role
from chalicelib.deps import Deps
from chalicelib.errors import Conflict
from chalicelib.jobs.registry import job
from chalicelib.kernel import calendars
from chalicelib.mail.outbox import Mail
from chalicelib.settlement import mails, service, views
from chalicelib.usage.service import usage_for_month

#: Start warning about missing usage this many bank business days before the approval deadline.
USAGE_WARNING_DAYS = 3


def _previous_month(now: datetime) -> str:
    y, m = now.year, now.month
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def _warn(deps: Deps, kind: str, month: str, today: date, subject: str, lines: list[str], now: datetime) -> str:
    # One warning per kind, month and day, however often the sweep runs.
    mail_subject, body = mails.staff_warning(subject, lines)
    mail = Mail(f"settlement-warning#{kind}#{month}#{today.isoformat()}", deps.settings.mail.staff_mailbox,
                mail_subject, body, "settlement-warning")
    deps.outbox.add(mail, now)  # deterministic id: a second run the same day queues nothing
    deps.outbox.deliver([mail.mail_id], deps.sender, now)
    return kind


@job("settlement-sweep", roles=(Role.ACCOUNTANT, Role.ADMIN))
def settlement_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    month = _previous_month(now)
    today = now.date()
    pay = service.payment_date(deps, month)
    deadline = service.approval_deadline(deps, month)
    done: list[str] = []
    program = deps.settings.program
    if not program.settlement_first_month <= month <= program.settlement_last_month:
        return {"month": month, "payment_date": pay.isoformat(), "approval_deadline": deadline.isoformat(),
                "round_status": (views.get_round(deps, month) or {}).get("status", "none"), "usage_imports": 0,
                "actions": [], "outside_settlement_period": True}
    round_item = views.get_round(deps, month)
    _, imports = usage_for_month(deps, month)
    if round_item is None and imports:
        try:
            service.draft(deps, month, SYSTEM, now)
            done.append("drafted")
        except Conflict as exc:
            done.append(f"not drafted: {exc.message}")
    elif round_item is None and today >= calendars.bank_business_days_before(deadline, USAGE_WARNING_DAYS):
        done.append(_warn(deps, "usage-missing", month, today, f"{month} の利用実績が未取り込みです", [
            f"{month} 利用分の利用実績がまだ取り込まれていません。",
            f"支払日 {pay.isoformat()} に間に合うよう、{deadline.isoformat()} までに精算を承認する必要があります。",
            "管理コンソールから利用実績をエクスポートし、取り込み画面からアップロードしてください。"], now))
    elif round_item is not None and round_item["status"] == "draft":
        if round_item.get("drafted_by") == SYSTEM.user and round_item.get("imports") != imports:
            service.draft(deps, month, SYSTEM, now)
            done.append("redrafted")
        if today >= deadline:
            done.append(_warn(deps, "approval-late", month, today, f"{month} の精算が未承認です", [
                f"{month} 利用分の精算がまだ承認されていません（承認期限 {deadline.isoformat()}）。",
                f"支払日は {pay.isoformat()} です。金融機関への振込データ送信に間に合うよう、至急承認してください。"], now))
    status = (views.get_round(deps, month) or {}).get("status", "none")
    # Past the deadline and still not approved: the prefecture and the staff are told, once (point 6 of
    # issue 12). A month with neither usage nor a round has only the staff's usage warning above.
    if today > deadline and status != "approved" and (status != "none" or imports):
        if service.notify_late(deps, month, now):
            done.append("late-notice")
    return {"month": month, "payment_date": pay.isoformat(), "approval_deadline": deadline.isoformat(),
            "round_status": status, "usage_imports": len(imports), "actions": done}

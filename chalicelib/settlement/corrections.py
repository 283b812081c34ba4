"""Inputs to a round besides usage: returned transfers, adjustments, the second person's
confirmation of an amount above the per-store ceiling, and the clearing of a hold a person must look
at (usage dated before the store became active). Each records who entered it: that person
shaped the round that pays it and cannot approve that round (chalicelib.settlement.four_eyes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import Conflict, Forbidden, InvalidInput
from chalicelib.kernel.money import yen
from chalicelib.kernel.plain_text import MULTI_LINE_MESSAGE, first_unsafe, line_feeds
from chalicelib.mail.outbox import Mail
from chalicelib.settlement import mails
from chalicelib.settlement.repository import SettlementStore, settlement_store, store_ledger
from chalicelib.settlement.rounds import CLEARABLE_HOLDS, HOLD_REASONS


def _store(deps: Deps) -> SettlementStore:
    return settlement_store(deps)


def _text(errors: dict[str, str], body: dict[str, Any], name: str, message: str) -> str:
    """A reason: free text that may reach a store's mail (line breaks kept as \n, no other control or
    invisible character: kernel.plain_text)."""
    value = body.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > 500:
        errors[name] = message
        return ""
    value = line_feeds(value.strip())
    if first_unsafe(value, multi_line=True) is not None:
        errors[name] = MULTI_LINE_MESSAGE
        return ""
    return value


def _unknown(errors: dict[str, str], body: dict[str, Any], allowed: set[str]) -> None:
    errors.update({k: "この項目は受け付けていません" for k in set(body) - allowed})


def _store_id(errors: dict[str, str], body: dict[str, Any]) -> str:
    value = body.get("store_id")
    if not isinstance(value, str) or not value or len(value) > 20:
        errors["store_id"] = "店舗IDを指定してください"
        return ""
    return value


def record_return(deps: Deps, month: str, body: dict[str, Any], principal: Principal, now: datetime,
                  item: dict[str, Any], lines: list[dict[str, Any]]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    store_id = _store_id(errors, body)
    reason = _text(errors, body, "reason", "返却理由（振込不能・組戻しの理由）を500文字以内で入力してください")
    _unknown(errors, body, {"store_id", "reason"})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    if item["status"] != "approved":
        raise Conflict("承認済みの精算にのみ返却を記録できます")
    # The bank learns a transfer cannot be credited (振込不能) on the transfer date at the earliest, and a
    # 組戻し follows it. Before that date the file is still at the bank and will pay: a return recorded
    # then would owe the money a second time.
    transfer_date = str(item.get("transfer_date") or item.get("payment_date") or "")
    if transfer_date and now.date().isoformat() < transfer_date:
        raise Conflict(f"この回の振込日は {transfer_date} です。振込日より前には返却を記録できません"
                       "（振込データは金融機関にあり、振込日に支払われます）", {"transfer_date": transfer_date})
    line = next((x for x in lines if x["store_id"] == store_id), None)
    if line is None or line["status"] != "pay":
        raise InvalidInput("この店舗はこの回に支払っていません", {"store_id": "支払対象の店舗IDを指定してください"})
    repo = _store(deps)
    ledger = store_ledger(deps)
    store = ledger.by_ids([store_id])[store_id]
    amount = int(line["paid"])
    tx = repo.transaction()
    repo.add_return_in(tx, month, store_id, {
        "store_id": store_id, "amount": amount, "reason": reason,
        "recorded_by": principal.user, "recorded_at": now.isoformat()})
    # The money did not arrive: it is owed again, in the next round, once the bank data is fixed.
    repo.add_adjustment_in(tx, f"return#{month}#{store_id}", {
        "adjustment_id": f"return-{month}-{store_id}",
        "store_id": store_id, "amount": amount, "reason": f"{month} 分の振込返却（再払い）",
        "created_by": principal.user, "created_at": now.isoformat(), "state": "open"})
    ledger.mark_transfer_returned_in(tx, store_id, month, now.isoformat())
    subject, text = mails.transfer_returned(store, month, amount, reason)
    mail = Mail(f"transfer-returned#{month}#{store_id}", store["email"], subject, text, "transfer-returned")
    deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(Actor.of(principal), "settlement.return", f"store#{store_id}", now,
                                detail={"month": month, "amount": amount}))
    tx.commit("この店舗の返却は既に記録されています")
    deps.outbox.deliver([mail.mail_id], deps.sender, now)
    return {"month": month, "store_id": store_id, "amount": amount, "status": "hold",
            "reason": "transfer_returned"}


def add_adjustment(deps: Deps, body: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    errors: dict[str, str] = {}
    store_id = _store_id(errors, body)
    amount = body.get("amount")
    limit = deps.settings.settlement.max_adjustment
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > limit:
        errors["amount"] = f"調整額は0以外の整数（円）で、±{yen(limit)}以内で指定してください（減額はマイナス）"
    reason = _text(errors, body, "reason", "理由を500文字以内で入力してください")
    _unknown(errors, body, {"store_id", "amount", "reason"})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    if not deps.store_repository.get(store_id):
        raise InvalidInput("店舗が見つかりません", {"store_id": "店舗IDを確認してください"})
    adjustment_id = f"ADJ{deps.keys.next_number('adjustment'):06d}"
    repo = _store(deps)
    tx = repo.transaction()
    repo.add_adjustment_in(tx, f"manual#{adjustment_id}", {
        "adjustment_id": adjustment_id, "store_id": store_id,
        "amount": amount, "reason": reason, "created_by": principal.user, "created_at": now.isoformat(),
        "state": "open"})
    deps.audit.add_to(tx, entry(Actor.of(principal), "settlement.adjustment", f"store#{store_id}", now,
                                detail={"adjustment_id": adjustment_id, "amount": amount}))
    tx.commit()
    return {"adjustment_id": adjustment_id, "store_id": store_id, "amount": amount, "state": "open"}


def list_adjustments(deps: Deps) -> list[dict[str, Any]]:
    items = _store(deps).adjustments()
    return [{k: a.get(k) for k in ("adjustment_id", "store_id", "amount", "reason", "created_by", "created_at",
                                   "state", "settled_in")} for a in items]


def confirm_over_ceiling(deps: Deps, month: str, body: dict[str, Any], principal: Principal, now: datetime,
                         line: dict[str, Any] | None, line_shapers: list[str]) -> dict[str, Any]:
    """A second person confirms one store's amount above the per-store ceiling for one round.

    The confirmation names the exact amount: if the amount changes on a re-draft, it is held again.
    The person who confirms must not be one who entered that store's inputs."""
    errors: dict[str, str] = {}
    store_id = _store_id(errors, body)
    amount = body.get("amount")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        errors["amount"] = "確認する支払額（円）を正の整数で指定してください"
    reason = _text(errors, body, "reason", "確認の根拠を500文字以内で入力してください")
    _unknown(errors, body, {"store_id", "amount", "reason"})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    if line is None or line.get("reason") != "over_ceiling":
        raise InvalidInput("この店舗は上限額による保留になっていません", {"store_id": "上限額超過で保留中の店舗を指定してください"})
    due = int(line["carried_out"])
    if amount != due:
        raise InvalidInput("金額が下書きと一致しません", {"amount": f"下書きの金額 {yen(due)} を指定してください"})
    if principal.user in line_shapers:
        raise Forbidden("この店舗の調整・口座変更などを入力した担当者は、上限額超過を確認できません",
                        {"confirmed_by": "別の担当者が確認してください"})
    repo = _store(deps)
    tx = repo.transaction()
    repo.confirm_ceiling_in(tx, month, store_id, {
        "store_id": store_id, "amount": amount, "reason": reason,
        "confirmed_by": principal.user, "confirmed_at": now.isoformat()})
    deps.audit.add_to(tx, entry(Actor.of(principal), "settlement.confirm_over_ceiling", f"settlement#{month}", now,
                                detail={"store_id": store_id, "amount": amount}))
    tx.commit()
    return {"month": month, "store_id": store_id, "amount": amount, "confirmed_by": principal.user,
            "next": "下書きを作り直すと、この金額で支払対象になります"}


def ceiling_confirmations(deps: Deps, month: str) -> dict[str, int]:
    return _store(deps).ceiling_confirmations(month)


def _clearances_key(month: str, reason: str) -> str:
    # Kept beside the ceiling confirmations, one partition per round and hold reason
    # (`ceiling#YYYY-MM#hold#usage_before_active` / store): the same item shape (store, amount, who, why).
    return f"{month}#hold#{reason}"


def hold_clearances(deps: Deps, month: str, reason: str) -> dict[str, int]:
    """Per store, the amount a person cleared of a ``reason`` hold in this round."""
    return _store(deps).ceiling_confirmations(_clearances_key(month, reason))


def clear_hold(deps: Deps, month: str, store_id: str, body: dict[str, Any], principal: Principal, now: datetime,
               line: dict[str, Any] | None, line_shapers: list[str]) -> dict[str, Any]:
    """Clear one store's hold in one round, with a reason: the shape of ``confirm_over_ceiling``.

    The clearance names the held amount: if the amount changes on a re-draft, it is held again. The
    person who clears must not be one who entered that store's inputs (four eyes)."""
    errors: dict[str, str] = {}
    reason = _text(errors, body, "reason", "解除の理由（確認した内容）を500文字以内で入力してください")
    _unknown(errors, body, {"reason"})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    if line is None or line.get("status") != "hold":
        raise InvalidInput("この店舗はこの回で保留になっていません", {"store_id": "保留中の店舗を指定してください"})
    held_for = str(line.get("reason") or "")
    if held_for not in CLEARABLE_HOLDS:
        what = HOLD_REASONS.get(held_for, held_for)
        raise InvalidInput(f"この保留（{what}）はここでは解除できません",
                           {"store_id": "原因（口座・店舗の状態など）を直してから下書きを作り直してください"
                            if held_for != "over_ceiling" else "上限額超過は「上限額の確認」で確認してください"})
    if principal.user in line_shapers:
        raise Forbidden("この店舗の調整・口座変更などを入力した担当者は、保留を解除できません",
                        {"cleared_by": "別の担当者が解除してください"})
    amount = int(line["carried_out"])
    repo = _store(deps)
    tx = repo.transaction()
    repo.confirm_ceiling_in(tx, _clearances_key(month, held_for), store_id, {
        "store_id": store_id, "amount": amount, "reason": reason, "hold_reason": held_for,
        "confirmed_by": principal.user, "confirmed_at": now.isoformat()})
    deps.audit.add_to(tx, entry(Actor.of(principal), "settlement.clear_hold", f"settlement#{month}", now,
                                detail={"store_id": store_id, "amount": amount, "hold_reason": held_for,
                                        "reason": reason}))
    tx.commit()
    return {"month": month, "store_id": store_id, "amount": amount, "hold_reason": held_for,
            "cleared_by": principal.user, "next": "下書きを作り直すと、この金額で支払対象になります"}


#: Where a round's deferrals are kept: beside its hold clearances (`ceiling#YYYY-MM#hold#deferred`).
DEFERRED = "deferred"


def deferrals(deps: Deps, month: str) -> set[str]:
    """The stores whose payment a person put off to the next round, in this round."""
    return set(_store(deps).ceiling_confirmations(_clearances_key(month, DEFERRED)))


def defer_line(deps: Deps, month: str, store_id: str, body: dict[str, Any], principal: Principal, now: datetime,
               line: dict[str, Any] | None) -> dict[str, Any]:
    """Put one store's payment in a draft off to the next round, with a reason (audited).

    Holding moves no money, so anyone in accounting may do it, even a person who shaped the line: it
    is the way out when everyone who could approve shaped a line the round pays (four eyes, e.g. the
    re-payment of a return the usual approver recorded). The held amount and its shapers are carried to
    the next round, where a person who shaped none of it approves it. A re-draft holds the line."""
    errors: dict[str, str] = {}
    reason = _text(errors, body, "reason", "次回に回す理由を500文字以内で入力してください")
    _unknown(errors, body, {"reason"})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    if line is None or line.get("status") != "pay":
        raise InvalidInput("この店舗はこの回の支払対象ではありません", {"store_id": "支払対象の店舗IDを指定してください"})
    amount = int(line["paid"])
    repo = _store(deps)
    tx = repo.transaction()
    repo.confirm_ceiling_in(tx, _clearances_key(month, DEFERRED), store_id, {
        "store_id": store_id, "amount": amount, "reason": reason, "hold_reason": DEFERRED,
        "confirmed_by": principal.user, "confirmed_at": now.isoformat()})
    deps.audit.add_to(tx, entry(Actor.of(principal), "settlement.defer", f"settlement#{month}", now,
                                detail={"store_id": store_id, "amount": amount, "reason": reason}))
    tx.commit()
    return {"month": month, "store_id": store_id, "amount": amount, "deferred_by": principal.user,
            "next": "下書きを作り直すと、この店舗の支払は保留になり、次回の精算に繰り越されます"}

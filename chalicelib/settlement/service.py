"""Settlement rounds: draft, approve (four eyes, then release), reopen, downloads.

A round is `round#YYYY-MM`: the round item (status, totals, who drafted/approved and who shaped it,
file keys) and its lines, written under the draft's version (`line#v3#MP000001`) so a re-draft never
leaves a mix. Rounds go in month order (chalicelib.settlement.order). Every line is checked at draft time against what the
bank file needs; a line that fails is held with its reason, never the whole round. Approval is by a
person who shaped nothing in the round (chalicelib.settlement.four_eyes); it claims the round's
adjustments atomically with the move draft → approving, then the release (chalicelib.settlement.
release) writes and verifies the files and approves the round in one write with its notices.

This module holds what changes a round (draft, approve, reopen, holds, returns, adjustments) and its
downloads. Reading a round and the shapes it is shown in (`view`, `get_view`, `lines_view`, `lines_page`)
live in chalicelib.settlement.views; they are imported here too, for the callers that use this module.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chalicelib.audit.log import SYSTEM, Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.kernel import calendars
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.settlement import corrections, four_eyes, mails, order, release, transfer_fees
from chalicelib.settlement.payees import bank_problem, payment_signature
from chalicelib.settlement.repository import (
    HELD_INDEXED,
    SettlementStore,
    is_late_usage,
    settlement_store,
    store_ledger,
)
from chalicelib.settlement.rounds import Line, StoreState, compute_round
from chalicelib.settlement.views import check_month, get_round, get_view, require_round, round_lines, round_totals, view
from chalicelib.usage.repository import usage_totals


def _previous_month(month: str) -> str:
    return order.previous_month(month)


def _store(deps: Deps) -> SettlementStore:
    return settlement_store(deps)


def payment_date(deps: Deps, month: str) -> date:
    return calendars.payment_date(month, deps.settings.settlement.payment_day)


def approval_deadline(deps: Deps, month: str) -> date:
    return calendars.bank_business_days_before(payment_date(deps, month), deps.settings.settlement.approval_lead_days)


def _open_adjustments(deps: Deps, committed: set[str]) -> list[dict[str, Any]]:
    items = _store(deps).open_adjustments()
    # Late usage of an import that is not committed yet does not count (its import may still fail).
    return [a for a in items if not a.get("import_id") or a["import_id"] in committed]


def _carried_in(deps: Deps, month: str) -> dict[str, int]:
    """What the previous approved round held and carried forward."""
    return {sid: amount for sid, (amount, _, _) in _carried_lines(deps, month).items()}


def _carried_lines(deps: Deps, month: str) -> dict[str, tuple[int, str | None, list[str]]]:
    """Per store, what the previous round held and carried forward, why it held it, and who shaped it
    (they shape the round that pays it: chalicelib.settlement.four_eyes)."""
    previous = get_round(deps, _previous_month(month))
    if previous is None:
        return {}
    return {line["store_id"]: (int(line["carried_out"]), line.get("reason"), list(line.get("shaped_by") or []))
            for line in round_lines(deps, previous) if int(line["carried_out"]) != 0}


def active_since(store: dict[str, Any]) -> str | None:
    """The day (JST, YYYY-MM-DD) a store became active: its approval or, for a store carried over from
    last year, its reconfirmation ("9999-12-31" while it awaits it: nothing counts yet). None when the
    store records neither (nothing to compare with)."""
    if store.get("carried_over_import"):
        at = store.get("reconfirmed_at")
        if not at:
            return "9999-12-31"
    else:
        at = store.get("approved_at") or store.get("created_at")
    if not at:
        return None
    moment = datetime.fromisoformat(str(at))
    return (moment if moment.tzinfo else moment.replace(tzinfo=calendars.JST)).astimezone(calendars.JST).date().isoformat()


def _usage_before_active(store: dict[str, Any], first_day: str | None, carried_early: bool) -> bool:
    if carried_early:  # held for it last round and not cleared: still held
        return True
    since = active_since(store)
    return bool(first_day and since and first_day < since)


def _state(deps: Deps, store: dict[str, Any], month: str, confirmed: int | None, *, early: bool = False,
           early_cleared: int | None = None, deferred: bool = False) -> StoreState:
    return StoreState(
        store["store_id"], exists=True, bank_verified=bool(store.get("bank_verified")),
        suspended=store.get("status") == "suspended", transfer_returned=bool(store.get("transfer_returned")),
        bank_problem=bank_problem(store, month, deps.settings.settlement.transfer_kind), ceiling_confirmed=confirmed,
        usage_before_active=early, usage_before_active_cleared=early_cleared, deferred=deferred,
    )


def _line_shapers(adjustments: list[dict[str, Any]], uploaders: dict[str, str],
                  stores: dict[str, dict[str, Any]], carried: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per store, the people who entered or changed what its line pays: its adjustments, its bank
    change, and whoever shaped an amount held before and carried into this line."""
    per_store: dict[str, list[dict[str, Any]]] = {}
    for a in adjustments:
        per_store.setdefault(a["store_id"], []).append(a)
    return {sid: four_eyes.shapers(drafted_by="system", uploads=carried.get(sid, ()), adjustments=per_store.get(sid, []),
                                   import_uploaders=uploaders, paid_stores=[stores[sid]] if sid in stores else [])
            for sid in set(per_store) | set(stores) | set(carried)}


def draft(deps: Deps, month: str, actor: Actor, now: datetime) -> dict[str, Any]:
    """Compute (or recompute) the draft of a round from committed usage, adjustments and carries."""
    check_month(month)
    existing, follows = order.check_can_draft(deps, month, now)
    usage_port = usage_totals(deps)
    usage, imports = usage_port.usage_for_month(month)
    uploaders = usage_port.import_uploaders()
    adjustments_list = _open_adjustments(deps, set(uploaders))
    adjustments: dict[str, int] = {}
    late_usage: dict[str, int] = {}  # the part of the adjustments that is point usage counted first here
    for a in adjustments_list:
        adjustments[a["store_id"]] = adjustments.get(a["store_id"], 0) + int(a["amount"])
        if is_late_usage(a):
            late_usage[a["store_id"]] = late_usage.get(a["store_id"], 0) + int(a["amount"])
    carried_lines = _carried_lines(deps, month)
    carried = {sid: amount for sid, (amount, _, _) in carried_lines.items()}
    store = _store(deps)
    stores = store_ledger(deps).by_ids(set(usage) | set(adjustments) | set(carried))
    confirmed = corrections.ceiling_confirmations(deps, month)
    # Usage dated before a store became active is held, never paid unasked, until a person clears it.
    first_days = usage_port.first_days(month)
    cleared = corrections.hold_clearances(deps, month, "usage_before_active")
    deferred = corrections.deferrals(deps, month)
    states = {sid: _state(deps, s, month, confirmed.get(sid), early_cleared=cleared.get(sid), early=_usage_before_active(
        s, first_days.get(sid), carried_lines.get(sid, (0, None, []))[1] == "usage_before_active"),
        deferred=sid in deferred) for sid, s in stores.items()}
    figures = compute_round(month, payment_date(deps, month), usage, adjustments, carried, states,
                            Decimal(deps.settings.settlement.fee_rate), deps.settings.settlement.fee_rounding,
                            ceiling=deps.settings.settlement.store_payment_ceiling, late_usage=late_usage)
    fees = transfer_costs(deps, figures.paid_lines(), stores)
    per_line = _line_shapers(adjustments_list, uploaders, stores,
                             {sid: who for sid, (_, _, who) in carried_lines.items()})
    shaped_by = four_eyes.round_shapers(drafted_by=actor.user, uploads=[uploaders.get(i, "") for i in imports],
                                        line_shapers=per_line, paid=[line.store_id for line in figures.paid_lines()])
    version = int(existing["version"]) + 1 if existing else 1
    store.put_lines(month, version, [{
        "store_id": line.store_id,
        "usage": line.usage, "adjustments": line.adjustments, "late_usage": late_usage.get(line.store_id, 0),
        "carried_in": line.carried_in, "paid": line.paid, "carried_out": line.carried_out, "status": line.status, "reason": line.reason,
        "note": (states[line.store_id].bank_problem if line.reason == "bank_invalid"
                 else _early_note(stores[line.store_id], first_days.get(line.store_id))
                 if line.reason == "usage_before_active" else None),
        "sig": payment_signature(deps.settings.app_secret, stores[line.store_id]) if line.store_id in stores else None,
        "shaped_by": per_line.get(line.store_id, []),
        "transfer_fee": fees.get(line.store_id, 0),
    } for line in figures.lines])
    item = {
        "month": month, "status": "draft", "version": version,
        "payment_date": figures.payment_date.isoformat(), "approval_deadline": approval_deadline(deps, month).isoformat(),
        "drafted_by": actor.user, "drafted_at": now.isoformat(), "imports": imports, "shaped_by": shaped_by,
        "follows": follows,  # the approved round whose carry this draft took (None: the first round)
        "adjustment_keys": [a["sk"] for a in adjustments_list],
        **round_totals(figures),
        HELD_INDEXED: True,  # the summary reads this item and the held lines only (repository.held_lines)
        # The operator's bank fees for these transfers: reported, never deducted from a store (7(1)イ).
        "transfer_cost": transfer_fees.round_cost(fees.values()),
    }
    tx = store.transaction()
    store.save_draft_in(tx, item, int(existing["version"]) if existing else None)
    deps.audit.add_to(tx, entry(actor, "settlement.draft", f"settlement#{month}", now,
                                after={"version": version, "paid_total": figures.paid_total,
                                       "held_total": figures.held_total, "stores_paid": figures.stores_paid,
                                       "fee_base": figures.fee_base, "fee": figures.fee,
                                       "transfer_cost": item["transfer_cost"], "shaped_by": shaped_by}))
    tx.commit("同時に別の操作が行われました。画面を再読み込みしてください")
    logger.info("settlement drafted", extra={"month": month, "version": version, "lines": len(figures.lines)})
    return view(deps, item)


def _early_note(store: dict[str, Any], first_day: str | None) -> str:
    since = active_since(store)
    if since == "9999-12-31":
        return "前年度からの継続確認がまだ済んでいません"
    parts = [f"参加承認日 {since}"] if since else []
    if first_day:
        parts.append(f"最初の利用日 {first_day}")
    return "、".join(parts) or "前回の精算で保留した利用分を含みます"


def transfer_costs(deps: Deps, paid: list[Line], stores: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Per paid line, what the operator's bank charges to transfer it (from the requester's account)."""
    s = deps.settings.settlement
    try:
        table = transfer_fees.parse_table(s.transfer_fee_table_json)
    except transfer_fees.FeeTableInvalid as exc:  # configuration, not input: the operator must fix it
        raise RuntimeError(f"TRANSFER_FEE_TABLE_JSON: {exc}") from None
    return {line.store_id: transfer_fees.transfer_fee(
        table, s.requester_bank_code, s.requester_branch_code, str(stores[line.store_id]["bank"]["bank_code"]),
        str(stores[line.store_id]["bank"]["branch_code"]), line.paid) for line in paid}


# --- approval ---------------------------------------------------------------------------------------


def transfer_date_on(deps: Deps, month: str, day: date) -> date:
    """The date the transfer happens if the round is approved on ``day``.

    Approved by the deadline: the payment date. Later, the bank still needs its lead time
    (`approval_lead_days` bank business days, at least one), so the transfer moves to that many bank
    business days after the approval — never earlier than the payment date. The stores and the
    prefecture are told of the change (their notices and report name both dates)."""
    pay = payment_date(deps, month)
    if day <= approval_deadline(deps, month) and day < pay:
        return pay
    moved = day
    for _ in range(max(deps.settings.settlement.approval_lead_days, 1)):
        moved = calendars.next_bank_business_day(moved, inclusive=False)
    return max(pay, moved)


def _transfer_date(deps: Deps, month: str, now: datetime) -> date:
    return transfer_date_on(deps, month, now.date())


def notify_late(deps: Deps, month: str, now: datetime) -> list[str]:
    """The round of ``month`` was not approved by its deadline: tell the prefecture and the staff, once
    (deterministic mail ids: reruns of the sweep, that day or later, queue nothing more). Answers the
    ids queued by this call."""
    item = get_round(deps, month)
    pay, deadline = payment_date(deps, month), approval_deadline(deps, month)
    expected = transfer_date_on(deps, month, now.date())
    subject, body = mails.approval_late(month, pay, deadline, expected, (item or {}).get("status"))
    queued = []
    for who, to in (("prefecture", deps.settings.mail.prefecture_mailbox), ("staff", deps.settings.mail.staff_mailbox)):
        mail = Mail(f"settlement-late#{month}#{who}", to, subject, body, "settlement-late")
        if deps.outbox.add(mail, now):
            queued.append(mail.mail_id)
    if queued:
        deps.audit.append(entry(SYSTEM, "settlement.late_notice", f"settlement#{month}", now,
                                detail={"deadline": deadline.isoformat(), "payment_date": pay.isoformat(),
                                        "expected_transfer_date": expected.isoformat(), "mails": queued}))
        deps.outbox.deliver(queued, deps.sender, now)
    return queued


def _changed_since_draft(deps: Deps, lines: list[dict[str, Any]]) -> list[str]:
    paid = [line for line in lines if line["status"] == "pay"]
    stores = store_ledger(deps).by_ids(line["store_id"] for line in paid)
    return [line["store_id"] for line in paid if line["store_id"] not in stores
            or payment_signature(deps.settings.app_secret, stores[line["store_id"]]) != line.get("sig")]


def _enter_approving(deps: Deps, item: dict[str, Any], lines: list[dict[str, Any]], principal: Principal,
                     now: datetime) -> None:
    """draft → approving, claiming every adjustment the round settles in the same transaction (one
    concurrent caller wins; an adjustment can never be settled by two rounds)."""
    month = item["month"]
    _, imports = usage_totals(deps).usage_for_month(month)
    if imports != item.get("imports", []):
        raise Conflict("下書きの作成後に利用実績が取り込まれました。下書きを作り直してから承認してください")
    changed = _changed_since_draft(deps, lines)
    if changed:
        raise Conflict("下書きの作成後に口座情報や状態が変わった店舗があります: " + "、".join(changed[:20])
                       + "。下書きを作り直してから承認してください", {"stores": "、".join(changed[:20])})
    keys = list(item.get("adjustment_keys", []))
    if len(keys) > 99:  # TransactWriteItems takes 100 items: the round and 99 claims
        raise Conflict("1回の精算で扱える調整は99件までです。調整の一部を次回に回してください")
    store = _store(deps)
    tx = store.transaction()
    store.start_approval_in(tx, month, int(item["version"]), {
        "approved_by": principal.user, "approved_at": now.isoformat(),
        "transfer_date": _transfer_date(deps, month, now).isoformat(),
        "late": now.date() > date.fromisoformat(item["approval_deadline"])})
    store.claim_adjustments_in(tx, month, keys)
    tx.commit("この精算は他の担当者が承認処理中か、内容（調整など）が更新されました。画面を再読み込みし、"
              "必要なら下書きを作り直してください")
    deps.audit.append(entry(Actor.of(principal), "settlement.approve_started", f"settlement#{month}", now,
                            before={"status": "draft"}, after={"status": "approving"}))


def approve(deps: Deps, month: str, principal: Principal, now: datetime) -> dict[str, Any]:
    item = require_round(deps, month)
    if item["status"] == "approved":
        release.complete(deps, month, now)  # follow-ups a crash may have cut off; a no-op otherwise
        return view(deps, item)
    four_eyes.check_approver(principal.user, str(item.get("drafted_by") or ""), item.get("shaped_by", []))
    lines = round_lines(deps, item)
    if item["status"] == "draft":
        order.check_can_approve(deps, item)
        _enter_approving(deps, item, lines, principal, now)
        item = require_round(deps, month)
    release.release(deps, item, lines, Actor.of(principal), now)
    return view(deps, require_round(deps, month), lines)


def reopen(deps: Deps, month: str, body: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    """A release that failed before its files were verified goes back to draft (nothing was paid or
    announced); its adjustments are open again. Audited with the reason."""
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500 or set(body) - {"reason"}:
        raise InvalidInput("入力内容に誤りがあります", {"reason": "下書きに戻す理由を500文字以内で入力してください"})
    item = require_round(deps, month)
    if item["status"] != "approving" or item.get("files_verified_at"):
        raise Conflict("承認処理が途中で止まった精算（振込データの確認前）だけを下書きに戻せます")
    store = _store(deps)
    tx = store.transaction()
    store.reopen_in(tx, month, now.isoformat())
    store.release_claims_in(tx, month, item.get("adjustment_keys", []))
    deps.audit.add_to(tx, entry(Actor.of(principal), "settlement.reopen", f"settlement#{month}", now,
                                before={"status": "approving", "approved_by": item.get("approved_by"),
                                        "release_error": item.get("release_error")},
                                after={"status": "draft"}, detail={"reason": reason.strip()}))
    tx.commit("この精算の状態が変わりました。画面を再読み込みしてください")
    return get_view(deps, month)


def clear_hold(deps: Deps, month: str, store_id: str, body: dict[str, Any], principal: Principal,
               now: datetime) -> dict[str, Any]:
    """A person who shaped nothing in the store's line clears its hold (usage before the store became
    active) for the held amount; the next draft pays it."""
    item = require_round(deps, month)
    if item["status"] != "draft":
        raise Conflict("下書きの精算でのみ保留を解除できます")
    line = next((x for x in round_lines(deps, item) if x["store_id"] == store_id), None)
    return corrections.clear_hold(deps, month, store_id, body, principal, now, line, (line or {}).get("shaped_by", []))


def defer_line(deps: Deps, month: str, store_id: str, body: dict[str, Any], principal: Principal,
               now: datetime) -> dict[str, Any]:
    """Put a store's payment in a draft off to the next round (chalicelib.settlement.corrections)."""
    item = require_round(deps, month)
    if item["status"] != "draft":
        raise Conflict("下書きの精算でのみ次回に回せます")
    line = next((x for x in round_lines(deps, item) if x["store_id"] == store_id), None)
    return corrections.defer_line(deps, month, store_id, body, principal, now, line)


def confirm_over_ceiling(deps: Deps, month: str, body: dict[str, Any], principal: Principal,
                         now: datetime) -> dict[str, Any]:
    item = require_round(deps, month)
    if item["status"] != "draft":
        raise Conflict("下書きの精算でのみ確認できます")
    store_id = body.get("store_id")
    line = next((x for x in round_lines(deps, item) if x["store_id"] == store_id), None)
    return corrections.confirm_over_ceiling(deps, month, body, principal, now, line,
                                            (line or {}).get("shaped_by", []))


# --- downloads --------------------------------------------------------------------------------------


def transfer_file_bytes(deps: Deps, month: str, principal: Principal, now: datetime) -> tuple[str, bytes]:
    item = require_round(deps, month)
    key = (item.get("files") or {}).get("transfer_file")
    if item["status"] != "approved" or not key:
        raise Conflict("振込データは承認後にダウンロードできます" if item["status"] != "approved"
                       else "この回は振込対象がありません")
    data = release.documents_store(deps).get(key)
    if data is None:
        raise NotFound("振込データが見つかりません")
    deps.audit.append(entry(Actor.of(principal), "settlement.download_transfer_file", f"settlement#{month}", now,
                            detail={"key": key, "bytes": len(data)}))
    return key.rsplit("/", 1)[1], data


def document_bytes(deps: Deps, month: str, name: str, principal: Principal, now: datetime) -> tuple[str, bytes]:
    item = require_round(deps, month)
    files = item.get("files") or {}
    if item["status"] != "approved" or name not in ("statement_csv", "statement_xlsx", "summary") or name not in files:
        raise NotFound("その帳票はありません", {"name": "statement_csv, statement_xlsx, summary のいずれかです"})
    data = release.documents_store(deps).get(files[name])
    if data is None:
        raise NotFound("帳票が見つかりません")
    deps.audit.append(entry(Actor.of(principal), "settlement.download", f"settlement#{month}", now,
                            detail={"key": files[name]}))
    return files[name].rsplit("/", 1)[1], data


# --- returns and adjustments -----------------------------------------------------------------------


def record_return(deps: Deps, month: str, body: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    item = require_round(deps, month)
    return corrections.record_return(deps, month, body, principal, now, item,
                                     round_lines(deps, item) if item["status"] == "approved" else [])


def add_adjustment(deps: Deps, body: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    return corrections.add_adjustment(deps, body, principal, now)


def list_adjustments(deps: Deps) -> list[dict[str, Any]]:
    return corrections.list_adjustments(deps)


def system_actor() -> Actor:
    return SYSTEM


"""Settlement rounds: draft, approve (freeze + files + notices), returns, adjustments.

A round is `round#YYYY-MM`: the round item (status, totals, who drafted/approved, file keys) and its
lines, written under the draft's version (`line#v3#MP000001`) so a re-draft never leaves a mix.
Approval is by another accountant than the drafter; it moves the round draft → approving (one
concurrent caller wins), then writes the files, reads the transfer file back with the independent
reader and reconciles it, queues every mail under a deterministic id, and only then marks the round
approved. Every step is idempotent, so re-running an interrupted approval completes it; an approved
round never changes (corrections are adjustments, settled in the next round).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from chalicelib.adapters import aws
from chalicelib.adapters.dynamo import Tx, batch_get, batch_put, plain, query_all
from chalicelib.adapters.files import FileStore
from chalicelib.audit.log import SYSTEM, Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.deps import Deps
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.kernel import banks, calendars
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.settlement import documents, mails
from chalicelib.settlement.rounds import HOLD_REASONS, Line, RoundFigures, StoreState, compute_round
from chalicelib.settlement.zengin_reader import parse_transfer_file, reconcile
from chalicelib.settlement.zengin_writer import Requester
from chalicelib.usage.service import committed_imports, usage_for_month

FROZEN = ("approving", "approved")


class ReconciliationFailed(RuntimeError):
    """The transfer file read back does not match the approved round: nothing is released."""


def _check_month(month: str) -> str:
    try:
        calendars.parse_month(month)
    except (ValueError, TypeError):
        raise InvalidInput("月の指定が正しくありません", {"month": "YYYY-MM の形式で指定してください（例: 2025-06）"}) from None
    return month


def _previous_month(month: str) -> str:
    y, m = calendars.parse_month(month)
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def _table(deps: Deps) -> Any:
    return aws.table(deps.settings.settlements_table)


def get_round(deps: Deps, month: str) -> dict[str, Any] | None:
    item = _table(deps).get_item(Key={"pk": f"round#{month}", "sk": "round"}, ConsistentRead=True).get("Item")
    return plain(item) if item else None


def _require_round(deps: Deps, month: str) -> dict[str, Any]:
    item = get_round(deps, _check_month(month))
    if not item:
        raise NotFound(f"{month} の精算はまだ作成されていません", {"month": "先に下書きを作成してください"})
    return item


def round_lines(deps: Deps, item: dict[str, Any]) -> list[dict[str, Any]]:
    prefix = f"line#v{item['version']}#"
    return query_all(_table(deps), KeyConditionExpression=Key("pk").eq(f"round#{item['month']}")
                     & Key("sk").begins_with(prefix), ConsistentRead=True)


def payment_date(deps: Deps, month: str) -> date:
    return calendars.payment_date(month, deps.settings.payment_day)


def approval_deadline(deps: Deps, month: str) -> date:
    return calendars.bank_business_days_before(payment_date(deps, month), deps.settings.approval_lead_days)


def _open_adjustments(deps: Deps) -> list[dict[str, Any]]:
    committed = {i["import_id"] for i in committed_imports(deps)}
    items = query_all(_table(deps), KeyConditionExpression=Key("pk").eq("adjustments"), ConsistentRead=True)
    # Late usage of an import that is not committed yet does not count (its import may still fail).
    return [a for a in items if a.get("state") == "open" and (not a.get("import_id") or a["import_id"] in committed)]


def _carried_in(deps: Deps, month: str) -> dict[str, int]:
    """What the previous approved round held and carried forward."""
    previous = get_round(deps, _previous_month(month))
    if previous is None:
        return {}
    return {line["store_id"]: int(line["carried_out"]) for line in round_lines(deps, previous)
            if int(line["carried_out"]) != 0}


def _states(deps: Deps, store_ids: Iterable[str]) -> tuple[dict[str, StoreState], dict[str, dict[str, Any]]]:
    stores = batch_get(deps.settings.stores_table, "store_id", list(store_ids))
    states = {}
    for store_id, s in stores.items():
        states[store_id] = StoreState(
            store_id, exists=True, bank_verified=bool(s.get("bank_verified")),
            suspended=s.get("status") == "suspended", transfer_returned=bool(s.get("transfer_returned")),
        )
    return states, stores


def _check_can_draft(deps: Deps, month: str, now: datetime) -> dict[str, Any] | None:
    first_of_next = calendars.month_range(month)[1] + timedelta(days=1)
    if now.date() < first_of_next:
        raise Conflict(f"{month} はまだ終わっていません。翌月になってから下書きを作成してください")
    existing = get_round(deps, month)
    if existing and existing["status"] in FROZEN:
        raise Conflict(f"{month} の精算は承認済みです。修正は調整として次回の精算で行います")
    previous = get_round(deps, _previous_month(month))
    if previous and previous["status"] != "approved":
        raise Conflict(f"前月（{previous['month']}）の精算が未承認です。先に承認してください")
    return existing


def draft(deps: Deps, month: str, actor: Actor, now: datetime) -> dict[str, Any]:
    """Compute (or recompute) the draft of a round from committed usage, adjustments and carries."""
    _check_month(month)
    existing = _check_can_draft(deps, month, now)
    usage, imports = usage_for_month(deps, month)
    adjustments_list = _open_adjustments(deps)
    adjustments: dict[str, int] = {}
    for a in adjustments_list:
        adjustments[a["store_id"]] = adjustments.get(a["store_id"], 0) + int(a["amount"])
    carried = _carried_in(deps, month)
    states, _ = _states(deps, set(usage) | set(adjustments) | set(carried))
    pay_date = payment_date(deps, month)
    figures = compute_round(month, pay_date, usage, adjustments, carried, states,
                            Decimal(deps.settings.fee_rate), deps.settings.fee_rounding)
    version = int(existing["version"]) + 1 if existing else 1
    batch_put(deps.settings.settlements_table, [{
        "pk": f"round#{month}", "sk": f"line#v{version}#{line.store_id}", "store_id": line.store_id,
        "usage": line.usage, "adjustments": line.adjustments, "carried_in": line.carried_in,
        "paid": line.paid, "carried_out": line.carried_out, "status": line.status, "reason": line.reason,
    } for line in figures.lines])
    item = {
        "pk": f"round#{month}", "sk": "round", "month": month, "status": "draft", "version": version,
        "payment_date": pay_date.isoformat(), "approval_deadline": approval_deadline(deps, month).isoformat(),
        "drafted_by": actor.user, "drafted_at": now.isoformat(), "imports": imports,
        "adjustment_keys": [a["sk"] for a in adjustments_list],
        **_totals(figures),
    }
    condition = "attribute_not_exists(pk)" if not existing else "#s = :draft AND version = :v"
    try:
        _table(deps).put_item(
            Item=item, ConditionExpression=condition,
            **({"ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":draft": "draft", ":v": existing["version"]}} if existing else {}))
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            raise Conflict("同時に別の操作が行われました。画面を再読み込みしてください") from None
        raise
    deps.audit.append(entry(actor, "settlement.draft", f"settlement#{month}", now,
                            after={"version": version, "paid_total": figures.paid_total,
                                   "held_total": figures.held_total, "stores_paid": figures.stores_paid}))
    logger.info("settlement drafted", extra={"month": month, "version": version, "lines": len(figures.lines)})
    return view(deps, item)


def _totals(figures: RoundFigures) -> dict[str, Any]:
    return {
        "usage_total": figures.usage_total, "adjustments_total": figures.adjustments_total,
        "carried_in_total": figures.carried_in_total, "paid_total": figures.paid_total,
        "held_total": figures.held_total, "stores_paid": figures.stores_paid,
        "stores_held": len(figures.held_lines()), "fee": figures.fee, "fee_rate": str(figures.fee_rate),
        "fee_rounding": figures.fee_rounding,
    }


def view(deps: Deps, item: dict[str, Any], lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The round as SPEC §8 shows it (plus more)."""
    lines = lines if lines is not None else round_lines(deps, item)
    held = [{"store_id": line["store_id"], "amount": int(line["carried_out"]), "reason": line["reason"],
             "reason_label": HOLD_REASONS.get(line["reason"] or "", "")}
            for line in lines if line["status"] == "hold"]
    return {
        "month": item["month"], "status": item["status"], "version": item["version"],
        "payment_date": item["payment_date"], "approval_deadline": item.get("approval_deadline"),
        "transfer_date": item.get("transfer_date"),
        "stores_paid": item["stores_paid"], "total_amount": item["paid_total"], "fee": item["fee"],
        "fee_rate": item["fee_rate"], "usage_total": item["usage_total"],
        "adjustments_total": item["adjustments_total"], "carried_in_total": item["carried_in_total"],
        "held_total": item["held_total"], "held": held,
        "drafted_by": item.get("drafted_by"), "drafted_at": item.get("drafted_at"),
        "approved_by": item.get("approved_by"), "approved_at": item.get("approved_at"),
        "imports": item.get("imports", []), "files": item.get("files", {}),
        "late": bool(item.get("late", False)), "release_error": item.get("release_error"),
    }


def get_view(deps: Deps, month: str) -> dict[str, Any]:
    return view(deps, _require_round(deps, month))


def lines_view(deps: Deps, month: str) -> list[dict[str, Any]]:
    item = _require_round(deps, month)
    return [{k: line.get(k) for k in ("store_id", "usage", "adjustments", "carried_in", "paid", "carried_out",
                                      "status", "reason")} for line in round_lines(deps, item)]


# --- approval ---------------------------------------------------------------------------------------


def _transfer_date(deps: Deps, month: str, now: datetime) -> date:
    """The payment date; if that has passed, the next bank business day (a file must carry a valid date)."""
    pay = payment_date(deps, month)
    if now.date() < pay:
        return pay
    return calendars.next_bank_business_day(now.date() + timedelta(days=1))


def approve(deps: Deps, month: str, principal: Principal, now: datetime) -> dict[str, Any]:
    item = _require_round(deps, month)
    if item["status"] == "approved":
        return view(deps, item)
    if principal.user == item.get("drafted_by"):
        raise Forbidden("下書きを作成した担当者とは別の経理担当者が承認してください",
                        {"approver": "二人目の経理担当者でログインしてください"})
    if item["status"] == "draft":
        _, imports = usage_for_month(deps, month)
        if imports != item.get("imports", []):
            raise Conflict("下書きの作成後に利用実績が取り込まれました。下書きを作り直してから承認してください")
        transfer_date = _transfer_date(deps, month, now)
        try:
            _table(deps).update_item(
                Key={"pk": f"round#{month}", "sk": "round"},
                UpdateExpression="SET #s = :approving, approved_by = :by, approved_at = :at, transfer_date = :td, "
                                 "late = :late",
                ConditionExpression="#s = :draft AND version = :v",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":approving": "approving", ":draft": "draft", ":v": item["version"],
                                           ":by": principal.user, ":at": now.isoformat(),
                                           ":td": transfer_date.isoformat(),
                                           ":late": now.date() > date.fromisoformat(item["approval_deadline"])},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise Conflict("この精算は他の担当者が承認処理中か、内容が更新されました。画面を再読み込みしてください") from None
            raise
        item = _require_round(deps, month)
    return _release(deps, item, Actor.of(principal), now)


def _requester(deps: Deps) -> Requester:
    s = deps.settings
    bank = banks.find_bank(s.requester_bank_code)
    branch = banks.find_branch(s.requester_bank_code, s.requester_branch_code)
    if bank is None or branch is None:
        raise RuntimeError("requester bank/branch in settings do not exist in the bank master")
    return Requester(s.requester_code, s.requester_name, s.requester_bank_code, bank.kana, s.requester_branch_code,
                     branch.kana, s.requester_account_type, s.requester_account_number)


def _payee(store: dict[str, Any], month: str) -> documents.Payee:
    bank = store["bank"]
    bank_info = banks.find_bank(bank["bank_code"])
    branch_info = banks.find_branch(bank["bank_code"], bank["branch_code"])
    if bank_info is None or branch_info is None:
        raise RuntimeError(f"store {store['store_id']}: bank data no longer in the bank master")
    first = store.get("first_paid_month") in (None, month)
    changed = bool(store.get("bank_changed_pending")) or store.get("bank_change_paid_month") == month
    return documents.Payee(
        store_id=store["store_id"], store_name=store["store_name"], municipality_name=store["municipality_name"],
        bank_code=bank["bank_code"], bank_kana=bank_info.kana, branch_code=bank["branch_code"],
        branch_kana=branch_info.kana, account_type=bank["account_type"], account_number=bank["account_number"],
        holder_kana=bank["holder_kana"], new_code="1" if first else ("2" if changed else "0"),
        email=store.get("email", ""),
    )


def figures_from(item: dict[str, Any], lines: list[dict[str, Any]]) -> RoundFigures:
    """The frozen round's figures, rebuilt from its stored lines (never recomputed from usage)."""
    built = tuple(Line(line["store_id"], int(line["usage"]), int(line["adjustments"]), int(line["carried_in"]),
                       int(line["paid"]), int(line["carried_out"]), line["status"], line.get("reason"))
                  for line in sorted(lines, key=lambda x: x["store_id"]))
    return RoundFigures(
        month=item["month"], payment_date=date.fromisoformat(item["payment_date"]), lines=built,
        usage_total=int(item["usage_total"]), adjustments_total=int(item["adjustments_total"]),
        carried_in_total=int(item["carried_in_total"]), paid_total=int(item["paid_total"]),
        held_total=int(item["held_total"]), stores_paid=int(item["stores_paid"]), fee=int(item["fee"]),
        fee_rate=Decimal(item["fee_rate"]), fee_rounding=item["fee_rounding"],
    )


def _write_files(deps: Deps, item: dict[str, Any], figures: RoundFigures, stores: dict[str, dict[str, Any]],
                 payees: dict[str, documents.Payee], transfer_date: date) -> dict[str, str]:
    month = item["month"]
    docs = FileStore(deps.settings.documents_bucket)
    names = {sid: (s["store_name"], s["municipality_name"]) for sid, s in stores.items()}
    line_ending = b"\r\n" if deps.settings.transfer_line_ending == "crlf" else b""
    files = {
        "transfer_file": f"settlements/{month}/zengin-sogo-furikomi-{month}.txt",
        "statement_csv": f"prefecture/settlements/{month}/statement-{month}.csv",
        "statement_xlsx": f"prefecture/settlements/{month}/statement-{month}.xlsx",
        "summary": f"prefecture/settlements/{month}/summary-{month}.json",
    }
    if figures.paid_lines():
        docs.put(files["transfer_file"], documents.transfer_file(
            figures, payees, _requester(deps), transfer_date, deps.settings.transfer_kind, line_ending),
            "application/octet-stream")
    else:
        files.pop("transfer_file")
    docs.put(files["statement_csv"], documents.statement_csv(figures, names), "text/csv; charset=utf-8")
    docs.put(files["statement_xlsx"], documents.statement_xlsx(figures, names),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    docs.put(files["summary"], documents.summary_json(figures, {"transfer_date": transfer_date.isoformat()}),
             "application/json")
    for line in figures.paid_lines():
        docs.put(f"settlements/{month}/notices/{line.store_id}.txt",
                 documents.payment_notice(line, payees[line.store_id], figures, transfer_date), "text/plain; charset=utf-8")
    return files


def _verify_transfer_file(deps: Deps, key: str, figures: RoundFigures, payees: dict[str, documents.Payee],
                          transfer_date: date) -> None:
    """Read the stored file back with the independent reader and reconcile it with the round."""
    data = FileStore(deps.settings.documents_bucket).get(key)
    if data is None:
        raise ReconciliationFailed("transfer file missing after write")
    parsed = parse_transfer_file(data)
    problems = reconcile(parsed, documents.expected_rows(figures, payees))
    if parsed.trailer_total != figures.paid_total or parsed.trailer_count != figures.stores_paid:
        problems.append(f"trailer {parsed.trailer_count}/{parsed.trailer_total} != round "
                        f"{figures.stores_paid}/{figures.paid_total}")
    if parsed.header.transfer_date != transfer_date.strftime("%m%d"):
        problems.append(f"transfer date {parsed.header.transfer_date} != {transfer_date:%m%d}")
    if problems:
        raise ReconciliationFailed("; ".join(problems[:20]))


def _queue_mail(deps: Deps, mail: Mail, now: datetime) -> None:
    # A mail queued by an earlier run is not queued again: exactly once.
    deps.outbox.add(mail, now)


def _release(deps: Deps, item: dict[str, Any], actor: Actor, now: datetime) -> dict[str, Any]:
    month = item["month"]
    lines = round_lines(deps, item)
    figures = figures_from(item, lines)
    transfer_date = date.fromisoformat(item["transfer_date"])
    stores = batch_get(deps.settings.stores_table, "store_id", [line.store_id for line in figures.lines])
    payees = {line.store_id: _payee(stores[line.store_id], month) for line in figures.paid_lines()}
    files = _write_files(deps, item, figures, stores, payees, transfer_date)
    if "transfer_file" in files:
        try:
            _verify_transfer_file(deps, files["transfer_file"], figures, payees, transfer_date)
        except Exception as exc:
            _table(deps).update_item(Key={"pk": f"round#{month}", "sk": "round"},
                                     UpdateExpression="SET release_error = :e",
                                     ExpressionAttributeValues={":e": str(exc)[:2000]})
            logger.error("transfer file failed reconciliation", extra={"month": month})
            raise
    mail_ids = []
    by_store = {line["store_id"]: line for line in lines}
    for line in figures.paid_lines():
        store = stores[line.store_id]
        subject, body = mails.payment_notice(store, by_store[line.store_id], month, transfer_date)
        mail = Mail(f"payment-notice#{month}#{line.store_id}", store["email"], subject, body, "payment-notice")
        _queue_mail(deps, mail, now)
        mail_ids.append(mail.mail_id)
    for key in item.get("adjustment_keys", []):
        _table(deps).update_item(
            Key={"pk": "adjustments", "sk": key}, UpdateExpression="SET #st = :settled, settled_in = :m",
            ConditionExpression="#st = :open OR settled_in = :m", ExpressionAttributeNames={"#st": "state"},
            ExpressionAttributeValues={":settled": "settled", ":open": "open", ":m": month})
    for line in figures.paid_lines():
        _mark_paid(deps, stores[line.store_id], month)
    try:
        _table(deps).update_item(
            Key={"pk": f"round#{month}", "sk": "round"},
            UpdateExpression="SET #s = :approved, files = :f, released_at = :at REMOVE release_error",
            ConditionExpression="#s = :approving", ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":approved": "approved", ":approving": "approving", ":f": files,
                                       ":at": now.isoformat()})
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
    final = _require_round(deps, month)
    result = view(deps, final, lines)
    subject, body = mails.prefecture_report(result, files)
    report_mail = Mail(f"prefecture-settlement-report#{month}", deps.settings.prefecture_mailbox, subject, body,
                       "prefecture-settlement-report")
    _queue_mail(deps, report_mail, now)
    deps.audit.append(entry(actor, "settlement.approve", f"settlement#{month}", now,
                            before={"status": "draft"}, after={"status": "approved", "paid_total": figures.paid_total,
                                                               "stores_paid": figures.stores_paid}))
    logger.info("settlement approved", extra={"month": month, "stores_paid": figures.stores_paid})
    # The first mails go now; the mail sweep sends the rest (a Lambda must answer within API limits).
    deps.outbox.deliver([report_mail.mail_id, *mail_ids[:50]], deps.sender, now)
    return result


def _mark_paid(deps: Deps, store: dict[str, Any], month: str) -> None:
    expression = "SET first_paid_month = if_not_exists(first_paid_month, :m), last_paid_month = :m"
    if store.get("bank_changed_pending"):
        expression += ", bank_changed_pending = :f, bank_change_paid_month = :m"
    aws.table(deps.settings.stores_table).update_item(
        Key={"store_id": store["store_id"]}, UpdateExpression=expression,
        ExpressionAttributeValues={":m": month, **({":f": False} if store.get("bank_changed_pending") else {})})


def transfer_file_bytes(deps: Deps, month: str, principal: Principal, now: datetime) -> tuple[str, bytes]:
    item = _require_round(deps, month)
    key = (item.get("files") or {}).get("transfer_file")
    if item["status"] != "approved" or not key:
        raise Conflict("振込データは承認後にダウンロードできます" if item["status"] != "approved"
                       else "この回は振込対象がありません")
    data = FileStore(deps.settings.documents_bucket).get(key)
    if data is None:
        raise NotFound("振込データが見つかりません")
    deps.audit.append(entry(Actor.of(principal), "settlement.download_transfer_file", f"settlement#{month}", now,
                            detail={"key": key, "bytes": len(data)}))
    return key.rsplit("/", 1)[1], data


def document_bytes(deps: Deps, month: str, name: str, principal: Principal, now: datetime) -> tuple[str, bytes]:
    item = _require_round(deps, month)
    files = item.get("files") or {}
    if name not in ("statement_csv", "statement_xlsx", "summary") or name not in files:
        raise NotFound("その帳票はありません", {"name": "statement_csv, statement_xlsx, summary のいずれかです"})
    data = FileStore(deps.settings.documents_bucket).get(files[name])
    if data is None:
        raise NotFound("帳票が見つかりません")
    deps.audit.append(entry(Actor.of(principal), "settlement.download", f"settlement#{month}", now,
                            detail={"key": files[name]}))
    return files[name].rsplit("/", 1)[1], data


# --- returns and adjustments -----------------------------------------------------------------------


def record_return(deps: Deps, month: str, body: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    store_id, reason = body.get("store_id"), body.get("reason")
    errors = {}
    if not isinstance(store_id, str) or not store_id:
        errors["store_id"] = "店舗IDを指定してください"
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        errors["reason"] = "返却理由（振込不能・組戻しの理由）を500文字以内で入力してください"
    if set(body) - {"store_id", "reason"}:
        errors.update({k: "この項目は受け付けていません" for k in set(body) - {"store_id", "reason"}})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    item = _require_round(deps, month)
    if item["status"] != "approved":
        raise Conflict("承認済みの精算にのみ返却を記録できます")
    line = next((x for x in round_lines(deps, item) if x["store_id"] == store_id), None)
    if line is None or line["status"] != "pay":
        raise InvalidInput("この店舗はこの回に支払っていません", {"store_id": "支払対象の店舗IDを指定してください"})
    store = batch_get(deps.settings.stores_table, "store_id", [store_id])[store_id]
    amount = int(line["paid"])
    tx = Tx()
    tx.put(deps.settings.settlements_table, {
        "pk": f"returns#{month}", "sk": store_id, "store_id": store_id, "amount": amount, "reason": reason.strip(),
        "recorded_by": principal.user, "recorded_at": now.isoformat()}, condition="attribute_not_exists(pk)")
    # The money did not arrive: it is owed again, in the next round, once the bank data is fixed.
    tx.put(deps.settings.settlements_table, {
        "pk": "adjustments", "sk": f"return#{month}#{store_id}", "adjustment_id": f"return-{month}-{store_id}",
        "store_id": store_id, "amount": amount, "reason": f"{month} 分の振込返却（再払い）",
        "created_by": principal.user, "created_at": now.isoformat(), "state": "open"},
        condition="attribute_not_exists(pk)")
    tx.update(deps.settings.stores_table, {"store_id": store_id}, "SET transfer_returned = :m, updated_at = :at",
              values={":m": month, ":at": now.isoformat()})
    subject, text = mails.transfer_returned(store, month, amount, reason.strip())
    mail = Mail(f"transfer-returned#{month}#{store_id}", store["email"], subject, text, "transfer-returned")
    deps.outbox.add_to(tx, mail, now)
    deps.audit.add_to(tx, entry(Actor.of(principal), "settlement.return", f"store#{store_id}", now,
                                detail={"month": month, "amount": amount}))
    tx.commit("この店舗の返却は既に記録されています")
    deps.outbox.deliver([mail.mail_id], deps.sender, now)
    return {"month": month, "store_id": store_id, "amount": amount, "status": "hold",
            "reason": "transfer_returned"}


def add_adjustment(deps: Deps, body: dict[str, Any], principal: Principal, now: datetime) -> dict[str, Any]:
    store_id, amount, reason = body.get("store_id"), body.get("amount"), body.get("reason")
    errors = {}
    if not isinstance(store_id, str) or not store_id:
        errors["store_id"] = "店舗IDを指定してください"
    if isinstance(amount, bool) or not isinstance(amount, int) or amount == 0 or abs(amount) > 9_999_999_999:
        errors["amount"] = "調整額は0以外の整数（円）で指定してください（減額はマイナス）"
    if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
        errors["reason"] = "理由を500文字以内で入力してください"
    unknown = set(body) - {"store_id", "amount", "reason"}
    errors.update({k: "この項目は受け付けていません" for k in unknown})
    if errors:
        raise InvalidInput("入力内容に誤りがあります", errors)
    if not deps.stores.get(store_id):
        raise InvalidInput("店舗が見つかりません", {"store_id": "店舗IDを確認してください"})
    adjustment_id = f"ADJ{deps.keys.next_number('adjustment'):06d}"
    tx = Tx()
    tx.put(deps.settings.settlements_table, {
        "pk": "adjustments", "sk": f"manual#{adjustment_id}", "adjustment_id": adjustment_id, "store_id": store_id,
        "amount": amount, "reason": reason.strip(), "created_by": principal.user, "created_at": now.isoformat(),
        "state": "open"}, condition="attribute_not_exists(pk)")
    deps.audit.add_to(tx, entry(Actor.of(principal), "settlement.adjustment", f"store#{store_id}", now,
                                detail={"adjustment_id": adjustment_id, "amount": amount}))
    tx.commit()
    return {"adjustment_id": adjustment_id, "store_id": store_id, "amount": amount, "state": "open"}


def list_adjustments(deps: Deps) -> list[dict[str, Any]]:
    items = query_all(_table(deps), KeyConditionExpression=Key("pk").eq("adjustments"))
    return [{k: a.get(k) for k in ("adjustment_id", "store_id", "amount", "reason", "created_by", "created_at",
                                   "state", "settled_in")} for a in items]


def system_actor() -> Actor:
    return SYSTEM

"""Releasing an approved round: files, the independent read-back, then one write that approves it.

Order, each step idempotent so an interrupted release is completed by running it again:
1. build the payees from the stores, refusing (409, round stays `approving`, can be reopened) if a
   store changed since the draft — what is paid is exactly what the second person approved;
2. write the transfer file, the statements, the summary and the per-store notices to S3; read the
   transfer file back with the independent reader and reconcile it; record the files as verified;
3. one DynamoDB transaction marks the round approved *and* queues the prefecture's report and the
   "notices due" marker (and the audit entry) — before it, nothing tells anyone money is coming;
4. follow-ups from the marker: per paid store the notice file, one payment notice mail under a
   deterministic id, and the paid mark. Done in the request for a round of up to
   `inline_notice_limit` stores, otherwise (and after any crash) by the mail sweep.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from chalicelib.adapters.files import FileStore
from chalicelib.audit.log import Actor, entry
from chalicelib.deps import Deps
from chalicelib.errors import Conflict
from chalicelib.kernel import banks
from chalicelib.mail.outbox import Mail
from chalicelib.observability import logger
from chalicelib.settlement import documents, mails
from chalicelib.settlement.payees import BankDataInvalid, payee, payment_signature
from chalicelib.settlement.repository import SettlementStore, settlement_store, store_ledger
from chalicelib.settlement.rounds import Line, RoundFigures
from chalicelib.settlement.views import view
from chalicelib.settlement.zengin_reader import parse_transfer_file, reconcile
from chalicelib.settlement.zengin_writer import Requester


class ReconciliationFailed(RuntimeError):
    """The transfer file read back does not match the approved round: nothing is released."""


class Documents(Protocol):
    """Where a round's files go (S3's documents bucket; a twin in unit tests)."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...


def documents_store(deps: Deps) -> Documents:
    """`deps.documents` when the deps carry one (unit tests), else the documents bucket (the transfer file
    and the notices sealed with the field key: adapters/files.py `SEALED`)."""
    found: Documents | None = getattr(deps, "documents", None)
    return found if found is not None else FileStore(deps.settings.buckets.documents_bucket,
                                                     getattr(deps, "cipher", None))


def _store(deps: Deps) -> SettlementStore:
    return settlement_store(deps)


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
        # A round drafted before the fee base existed charged its month's usage only: read as such.
        late_usage_total=int(item.get("late_usage_total", 0)),
        fee_base=int(item.get("fee_base", item["usage_total"])),
        transfer_cost=int(item["transfer_cost"]) if item.get("transfer_cost") is not None else None,
    )


def requester(deps: Deps) -> Requester:
    s = deps.settings.settlement
    bank = banks.find_bank(s.requester_bank_code)
    branch = banks.find_branch(s.requester_bank_code, s.requester_branch_code)
    if bank is None or branch is None:
        raise RuntimeError("requester bank/branch in settings do not exist in the bank master")
    return Requester(s.requester_code, s.requester_name, s.requester_bank_code, bank.kana, s.requester_branch_code,
                     branch.kana, s.requester_account_type, s.requester_account_number)


def _record_error(deps: Deps, month: str, message: str) -> None:
    _store(deps).record_release_error(month, message)


def _payees(deps: Deps, item: dict[str, Any], lines: list[dict[str, Any]], figures: RoundFigures,
            stores: dict[str, dict[str, Any]]) -> dict[str, documents.Payee]:
    month = item["month"]
    by_store = {line["store_id"]: line for line in lines}
    changed, invalid = [], []
    payees = {}
    for line in figures.paid_lines():
        store = stores.get(line.store_id)
        if store is None or payment_signature(deps.settings.app_secret, store) != by_store[line.store_id].get("sig"):
            changed.append(line.store_id)
            continue
        try:
            payees[line.store_id] = payee(store, month)
        except BankDataInvalid:
            invalid.append(line.store_id)
    if changed or invalid:
        message = ("承認処理中に店舗の口座情報または状態が変わりました: " + "、".join((changed + invalid)[:20])
                   + "。「下書きに戻す」で下書きに戻し、作り直してから承認してください")
        _record_error(deps, month, message)
        raise Conflict(message, {"stores": "、".join((changed + invalid)[:20])})
    return payees


def _write_files(deps: Deps, item: dict[str, Any], figures: RoundFigures, stores: dict[str, dict[str, Any]],
                 payees: dict[str, documents.Payee], transfer_date: date) -> dict[str, str]:
    month = item["month"]
    docs = documents_store(deps)
    names = {sid: (s.get("store_name", ""), s.get("municipality_name", "")) for sid, s in stores.items()}
    line_ending = b"\r\n" if deps.settings.settlement.transfer_line_ending == "crlf" else b""
    files = {
        "transfer_file": f"settlements/{month}/zengin-sogo-furikomi-{month}.txt",
        "statement_csv": f"prefecture/settlements/{month}/statement-{month}.csv",
        "statement_xlsx": f"prefecture/settlements/{month}/statement-{month}.xlsx",
        "summary": f"prefecture/settlements/{month}/summary-{month}.json",
    }
    if figures.paid_lines():
        docs.put(files["transfer_file"], documents.transfer_file(
            figures, payees, requester(deps), transfer_date, deps.settings.settlement.transfer_kind, line_ending),
            "application/octet-stream")
    else:
        files.pop("transfer_file")
    docs.put(files["statement_csv"], documents.statement_csv(figures, names), "text/csv; charset=utf-8")
    docs.put(files["statement_xlsx"], documents.statement_xlsx(figures, names),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    docs.put(files["summary"], documents.summary_json(figures, {"transfer_date": transfer_date.isoformat()}),
             "application/json")
    return files


def _verify_transfer_file(deps: Deps, key: str, figures: RoundFigures, payees: dict[str, documents.Payee],
                          transfer_date: date) -> None:
    """Read the stored file back with the independent reader and reconcile it with the round."""
    data = documents_store(deps).get(key)
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


def _files(deps: Deps, item: dict[str, Any], lines: list[dict[str, Any]], figures: RoundFigures) -> dict[str, str]:
    """Steps 1–2: the files, written and verified once (a re-run after verification reuses them)."""
    if item.get("files_verified_at"):
        return dict(item["files"])
    month = item["month"]
    transfer_date = date.fromisoformat(item["transfer_date"])
    stores = store_ledger(deps).by_ids(line.store_id for line in figures.lines)
    payees = _payees(deps, item, lines, figures, stores)
    files = _write_files(deps, item, figures, stores, payees, transfer_date)
    if "transfer_file" in files:
        try:
            _verify_transfer_file(deps, files["transfer_file"], figures, payees, transfer_date)
        except ReconciliationFailed as exc:
            _record_error(deps, month, f"振込データの照合に失敗しました: {exc}")
            logger.error("transfer file failed reconciliation", extra={"month": month})
            raise Conflict("振込データの照合に失敗しました。支払いは行われていません。「下書きに戻す」で下書きに戻し、"
                           "事務局の管理者に連絡してください") from None
    # False when a concurrent run approved it first: the final write will say so.
    _store(deps).mark_files_verified(month, files, item["approved_at"])
    return files


def release(deps: Deps, item: dict[str, Any], lines: list[dict[str, Any]], actor: Actor, now: datetime,
            ) -> dict[str, Any]:
    """Steps 1–4 for a round in `approving`."""
    month = item["month"]
    figures = figures_from(item, lines)
    files = _files(deps, item, lines, figures)
    approved = {**item, "status": "approved", "files": files, "released_at": now.isoformat()}
    approved.pop("release_error", None)
    subject, body = mails.prefecture_report(view(deps, approved, lines), files)
    report = Mail(f"prefecture-settlement-report#{month}", deps.settings.mail.prefecture_mailbox, subject, body,
                  "prefecture-settlement-report")
    store = _store(deps)
    tx = store.transaction()
    store.approve_in(tx, month, files, now.isoformat())  # and the "notices due" marker
    deps.outbox.add_to(tx, report, now)
    deps.audit.add_to(tx, entry(actor, "settlement.approve", f"settlement#{month}", now,
                                before={"status": "approving"},
                                after={"status": "approved", "paid_total": figures.paid_total,
                                       "stores_paid": figures.stores_paid}))
    try:
        tx.commit("この精算は既に承認されています")
    except Conflict:
        logger.info("settlement approved by a concurrent run", extra={"month": month})
        return approved
    logger.info("settlement approved", extra={"month": month, "stores_paid": figures.stores_paid})
    # Per-store work (notice files, notices, paid marks) is ~3 writes a store: a large round leaves it
    # to the mail sweep (every 5 minutes, its own timeout) so an approval answers within API limits.
    mail_ids = complete(deps, month, now) if figures.stores_paid <= deps.settings.settlement.inline_notice_limit else []
    deps.outbox.deliver([report.mail_id, *mail_ids[:50]], deps.sender, now)
    return approved


def complete(deps: Deps, month: str, now: datetime) -> list[str]:
    """Step 4 for an approved round whose marker is still there: stores marked paid, notices queued."""
    store = _store(deps)
    if not store.has_notices_pending(month):
        return []
    item = store.get_round(month)
    if item is None or item["status"] != "approved":  # never: the marker is written with the approval
        raise RuntimeError(f"notices marker for round {month} in status {(item or {}).get('status')}")
    lines = store.round_lines(month, int(item["version"]))
    paid = [line for line in lines if line["status"] == "pay"]
    ledger = store_ledger(deps)
    stores = ledger.by_ids(line["store_id"] for line in paid)
    transfer_date = date.fromisoformat(item["transfer_date"])
    figures = figures_from(item, lines)
    by_store = {line.store_id: line for line in figures.paid_lines()}
    docs = documents_store(deps)
    mail_ids = []
    for line in paid:
        paid_store = stores[line["store_id"]]
        # The notice kept with the round (支払通知書); written before the store is marked paid, so a
        # re-run writes the same bytes.
        docs.put(f"settlements/{month}/notices/{line['store_id']}.txt",
                 documents.payment_notice(by_store[line["store_id"]], payee(paid_store, month), figures,
                                          transfer_date),
                 "text/plain; charset=utf-8")
        if paid_store.get("email"):
            subject, body = mails.payment_notice(paid_store, line, month, transfer_date, figures.payment_date)
            mail = Mail(f"payment-notice#{month}#{line['store_id']}", paid_store["email"], subject, body,
                        "payment-notice")
            deps.outbox.add(mail, now)  # deterministic id: queued once, however often this runs
            mail_ids.append(mail.mail_id)
        else:  # the notice file is kept; a store without an address is still paid
            logger.warning("paid store has no e-mail address for its notice", extra={"store_id": line["store_id"]})
        ledger.mark_paid(paid_store, month)
    store.clear_notices_pending(month)
    return mail_ids


def complete_pending(deps: Deps, now: datetime) -> list[str]:
    """Every approved round whose follow-ups a crash cut off (run by the mail sweep)."""
    months = _store(deps).notices_pending()
    for month in months:
        complete(deps, month, now)
    return months


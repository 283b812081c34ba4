"""Banks change (issue 11 point 7): stores whose bank or branch left the bank master.

- The daily job `bank-master-check` pages the active stores and, for each whose bank or branch is no longer
  in the pinned zengin-code data (the settlement round holds such a store with `bank_invalid`), sends ONE
  mail per store and bank code (`bank-master#<store id>#<bank code>`, a deterministic outbox id) with the
  successor the configured table proposes (chalicelib/stores/successors.py) and the store's change link
  (chalicelib/stores/changes.py `change_link`: the public change page, whose request a screener decides).
- The store's staff view shows `bank_problem` and `bank_successor` (chalicelib/stores/views.py), so the
  screener deciding the change request sees the proposal.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.audit.log import SYSTEM, entry
from chalicelib.auth.roles import Role
from chalicelib.errors import Conflict
from chalicelib.jobs.registry import job
from chalicelib.kernel.masking import mask_account_number
from chalicelib.mail.outbox import Mail
from chalicelib.mail.templates import store_mail_footer
from chalicelib.observability import logger
from chalicelib.stores import changes, successors

if TYPE_CHECKING:
    from chalicelib.deps import Deps

PAGE = 200


def notice_mail(store: dict[str, Any], problem: str, proposal: successors.Proposal | None,
                link: str) -> tuple[str, str]:
    bank = store.get("bank") or {}
    suggestion = (f"後継の金融機関の候補: {proposal.text()}\n" + (f"（{proposal.note}）\n" if proposal.note else "")
                  if proposal else "後継の金融機関は登録されていません。通帳などで現在の金融機関コードと支店コードをご確認ください。\n")
    subject = f"【みやぎポイント】精算金の振込口座の変更のお願い（店舗ID {store['store_id']}）"
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        "ご登録の振込口座の金融機関または支店が、合併などにより現在の金融機関コード表にありません。"
        "このままでは精算金をお振り込みできず、保留となります。\n\n"
        f"ご登録の口座: {bank.get('bank_name', '')}（{bank.get('bank_code', '')}） "
        f"{bank.get('branch_name', '')}（{bank.get('branch_code', '')}） "
        f"口座番号 {mask_account_number(str(bank.get('account_number', '')))}\n"
        f"理由: {problem}\n"
        f"{suggestion}\n"
        "下記のリンクの変更申請のページで、振込口座の変更を申請してください（新しい金融機関コード・支店コード、"
        "口座番号が変わった場合は口座番号も）。事務局で確認のうえ、次回以降の精算から新しい口座にお振り込みします。\n"
        f"{link}"
        + store_mail_footer()
    )
    return subject, body


def _active_stores(deps: Deps) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page, cursor = deps.store_repository.list_page("active", PAGE, cursor, secret=deps.settings.app_secret)
        found += page
        if not cursor or not page:
            return found


@job("bank-master-check", roles=(Role.SCREENER, Role.ADMIN))
def bank_master_check(deps: Deps, now: datetime) -> dict[str, Any]:
    """Mail each active store whose bank or branch left the bank master, once per store and bank code."""
    checked = problems = mailed = 0
    sent: list[str] = []
    for store in _active_stores(deps):
        checked += 1
        bank = store.get("bank") or {}
        problem = successors.bank_problem(bank)
        if not problem or not store.get("email"):
            continue
        problems += 1
        code = str(bank.get("bank_code", ""))
        mail_id = f"bank-master#{store['store_id']}#{code}"
        if deps.outbox.get(mail_id):
            continue
        proposal = successors.propose_successor(code, str(bank.get("branch_code", "")))
        subject, text = notice_mail(store, problem, proposal, changes.change_link(deps, store["store_id"], now))
        tx = deps.store_repository.new_tx()
        deps.outbox.add_to(tx, Mail(mail_id, store["email"], subject, text, "bank-master"), now)
        deps.audit.add_to(tx, entry(SYSTEM, "store.bank_master_notice", f"store#{store['store_id']}", now,
                                    detail={"bank_code": code, "branch_code": bank.get("branch_code"),
                                            "successor": proposal.as_dict() if proposal else None}))
        try:
            tx.commit()
        except Conflict:
            continue  # another run queued it
        mailed += 1
        sent.append(mail_id)
    deps.outbox.deliver(sent, deps.sender, now)
    logger.info("bank master checked", extra={"checked": checked, "problems": problems, "mailed": mailed})
    return {"checked": checked, "problems": problems, "mailed": mailed}

"""The store kit's rules, part 2 (issue 11 points 3 and 4): the credentials letter, the printed kit and
its shipping.

- **Credentials letter**: one A4 PDF per store with the provider's login id and initial password.
  Producing it erases the stored (encrypted) password in the same transaction that records the fact,
  the time and who printed it, with the audit entry: the letter is the only copy. A second request is
  refused (409) saying when and by whom it was issued; a new password comes only from the provider, by
  asking for a re-issue (`request_reissue`), which puts the store in the next handoff batch.
- **Kit**: the QR mount sheet, poster and flyer (chalicelib/stores/kit_pdf.py) once the provider's
  answer brought the store's QR payload; 409 before that. Every print is audited.
- **Shipping**: a shipping list per batch for the delivery company's label software, and per store the
  shipped date and tracking number, a return (宛先不明) and a re-issue (the kit goes out again).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.errors import Conflict, InvalidInput
from chalicelib.observability import logger
from chalicelib.stores import credentials, handoff, kit_pdf, letter_pdf
from chalicelib.stores.kit import (
    STALE,
    batch_members,
    bump,
    chunks,
    expected,
    kit_repo,
    load_batch,
    load_store,
    register_row,
    text_field,
)
from chalicelib.stores.kit_repository import StoreKitRepository

if TYPE_CHECKING:
    from chalicelib.deps import Deps

TRACKING = re.compile(r"^[0-9A-Za-z-]{6,30}$")


def console_url(deps: Deps) -> str:
    return deps.settings.stores.store_console_url


def _hours(deps: Deps) -> str:
    cc = deps.settings.call_center
    return kit_pdf.call_center_hours(cc.call_center_open, cc.call_center_close)


def jp_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _issued_message(record: dict[str, Any]) -> str:
    at = str(record.get("credentials_issued_at", ""))
    return (f"この店舗の初期パスワードは {at[:10]} {at[11:16]} に {record.get('credentials_issued_by', '')} が"
            "通知書を印刷して発行済みです（パスワードは保管していません）。紛失などで再度お知らせする場合は、"
            "「再発行を依頼」でアプリ事業者に新しいパスワードを依頼してください。")


def credentials_letter(deps: Deps, store_id: str, principal: Principal, now: datetime,
                       kit: StoreKitRepository | None = None) -> tuple[str, bytes]:
    """The letter's PDF; the stored password is erased as it is produced (all or nothing)."""
    kit = kit or kit_repo(deps)
    store = load_store(deps, store_id)
    record = kit.get(store_id)
    actor = Actor.of(principal)
    if record and not record.get("password_ciphertext") and record.get("credentials_issued_at") \
            and not record.get("awaiting_answer") and not record.get("reissue_requested_at"):
        deps.audit.append(entry(actor, "storekit.credentials_letter_refused", f"store#{store_id}", now,
                                detail={"reason": "already_issued"}))
        raise Conflict(_issued_message(record), {"reissue": "再発行を依頼できます"})
    if not record or not record.get("password_ciphertext"):
        if record and (record.get("reissue_requested_at") or record.get("awaiting_answer")) \
                and record.get("credentials_issued_at"):
            raise Conflict("この店舗は初期パスワードの再発行を依頼中です（アプリ事業者の回答を取り込むと印刷できます）")
        raise Conflict("アプリ事業者からのID・パスワードがまだ取り込まれていません（回答ファイルの取込後に印刷できます）")
    try:
        password = credentials.decrypt_password(deps.settings.app_secret, store_id, record["password_ciphertext"])
    except credentials.CredentialError:
        logger.error("storekit password does not decrypt", extra={"store_id": store_id})
        raise Conflict("保管中のパスワードを復号できません。再発行を依頼してください", {"reissue": "再発行を依頼できます"}) \
            from None
    pdf = letter_pdf.render_letter(kit_pdf.kit_store(store), login_id=str(record.get("login_id", "")),
                                password=password, console_url=console_url(deps),
                                phone=deps.settings.call_center.call_center_phone, issued_on=jp_date(now.date()),
                                hours=_hours(deps))
    del password
    issues = list(record.get("credentials_issues", []))
    issues.append({"at": now.isoformat(), "by": principal.user, "how": "letter", "batch_id": record.get("batch_id")})
    tx = kit.new_tx()
    kit.save(tx, bump(record, store_id, now, password_ciphertext=None, credentials_issued_at=now.isoformat(),
                      credentials_issued_by=principal.user, credentials_issued_how="letter",
                      credentials_issues=issues), expected(record))
    deps.audit.add_to(tx, entry(actor, "storekit.credentials_letter", f"store#{store_id}", now,
                                after={"password": "erased"},
                                detail={"how": "letter", "batch_id": record.get("batch_id")}))
    tx.commit("他の担当者が先に通知書を印刷しました。画面を再読み込みしてください")
    logger.info("storekit credentials letter printed", extra={"store_id": store_id})
    return f"credentials-{store_id}.pdf", pdf


#: Letters and kits one request prints at most (a batch's rest is printed by asking again).
MAX_LETTERS = 300
MAX_KITS = 200
#: Stores whose password one transaction erases (each with its audit entry; DynamoDB takes 100 items).
ERASE_CHUNK = 45


def batch_letters(deps: Deps, batch_id: str, principal: Principal, now: datetime,
                  kit: StoreKitRepository | None = None) -> tuple[str, bytes, int]:
    """The letters of a batch's stores whose password is waiting (up to MAX_LETTERS), one page each, and
    how many are still waiting after them. Each password is erased (with its audit entry) before the PDF is
    made; a store someone else printed meanwhile is left out."""
    kit = kit or kit_repo(deps)
    batch = load_batch(kit, batch_id)
    ready = [(s, r) for s, r, _ in batch_members(deps, kit, batch) if r.get("password_ciphertext")]
    if not ready:
        raise Conflict("このバッチに印刷できる通知書はありません（回答待ちか、すべて発行済みです）")
    secret, actor = deps.settings.app_secret, Actor.of(principal)
    letters: list[letter_pdf.Letter] = []
    for part in chunks(ready[:MAX_LETTERS], ERASE_CHUNK):
        staged: list[letter_pdf.Letter] = []
        tx = kit.new_tx()
        for store, record in part:
            try:
                password = credentials.decrypt_password(secret, store["store_id"], record["password_ciphertext"])
            except credentials.CredentialError:
                logger.error("storekit password does not decrypt", extra={"store_id": store["store_id"]})
                continue
            staged.append(letter_pdf.Letter(kit_pdf.kit_store(store), str(record.get("login_id", "")), password))
            issues = [*record.get("credentials_issues", []),
                      {"at": now.isoformat(), "by": principal.user, "how": "letter", "batch_id": batch_id}]
            kit.save(tx, bump(record, store["store_id"], now, password_ciphertext=None,
                              credentials_issued_at=now.isoformat(), credentials_issued_by=principal.user,
                              credentials_issued_how="letter", credentials_issues=issues), expected(record))
            deps.audit.add_to(tx, entry(actor, "storekit.credentials_letter", f"store#{store['store_id']}", now,
                                        after={"password": "erased"}, detail={"how": "letter", "batch_id": batch_id}))
        try:
            tx.commit(STALE)
        except Conflict:
            logger.info("storekit letters skipped: printed meanwhile", extra={"batch_id": batch_id})
            continue
        letters.extend(staged)
    if not letters:
        raise Conflict("他の担当者が先に通知書を印刷しました。画面を再読み込みしてください")
    pdf = letter_pdf.render_letters(letters, console_url=console_url(deps),
                                 phone=deps.settings.call_center.call_center_phone, issued_on=jp_date(now.date()),
                                 hours=_hours(deps), title=f"管理コンソール ログイン情報のお知らせ（{batch_id}）",
                                 subject=f"ID通知書 {batch_id}")
    logger.info("storekit credentials letters printed", extra={"batch_id": batch_id, "letters": len(letters)})
    return f"credentials-{batch_id}.pdf", pdf, max(0, len(ready) - len(letters))


def batch_kits(deps: Deps, batch_id: str, principal: Principal, now: datetime, include_all: bool = False,
               kit: StoreKitRepository | None = None) -> tuple[str, bytes]:
    """The kits of a batch's stores that are to be shipped (as the shipping list; `include_all`: every
    store whose kit can be printed), three pages each, up to MAX_KITS stores; the print is audited."""
    kit = kit or kit_repo(deps)
    batch = load_batch(kit, batch_id)
    chosen = []
    for store, record, _ in batch_members(deps, kit, batch):
        state = register_row(store, record)["kit"]["state"]
        if state in ("ready", "reissue") or (include_all and state != "not_ready"):
            chosen.append((kit_pdf.kit_store(store), str(record["qr_payload"])))
    if not chosen:
        raise Conflict("このバッチに印刷できるキットはありません（回答待ちか、すべて発送済みです）")
    chosen = chosen[:MAX_KITS]
    pdf = kit_pdf.render_kits(chosen, phone=deps.settings.call_center.call_center_phone, hours=_hours(deps),
                              title=f"みやぎポイント 店舗キット（{batch_id}）", subject=f"店舗キット {batch_id}")
    deps.audit.append(entry(Actor.of(principal), "storekit.print_kits", f"storekit-batch#{batch_id}", now,
                            detail={"stores": [k.store_id for k, _ in chosen]}))
    return f"kits-{batch_id}.pdf", pdf


def request_reissue(deps: Deps, store_id: str, body: dict[str, Any], principal: Principal, now: datetime,
                    kit: StoreKitRepository | None = None) -> dict[str, Any]:
    """Ask the provider for a new initial password: the store goes into the next handoff batch."""
    kit = kit or kit_repo(deps)
    store = load_store(deps, store_id)
    reason = text_field(body, "reason", "再発行の理由を入力してください（200文字まで）")
    record = kit.get(store_id)
    if not record or not record.get("batch_id"):
        raise Conflict("この店舗はまだアプリ事業者に引き渡していません（次の引渡しで新規に発行されます）")
    if record.get("reissue_requested_at") or record.get("awaiting_answer"):
        raise Conflict("この店舗はすでに再発行を依頼中か、アプリ事業者の回答待ちです")
    new = bump(record, store_id, now, reissue_requested_at=now.isoformat(), reissue_requested_by=principal.user,
               reissue_reason=reason)
    tx = kit.new_tx()
    kit.save(tx, new, expected(record))
    deps.audit.add_to(tx, entry(Actor.of(principal), "storekit.credentials_reissue", f"store#{store_id}", now,
                                detail={"reason": reason}))
    tx.commit(STALE)
    return register_row(store, new)


def kit_file(deps: Deps, store_id: str, principal: Principal, now: datetime,
             kit: StoreKitRepository | None = None) -> tuple[str, bytes]:
    """The store's printed kit (mount sheet with its QR code, poster, flyer); the print is audited."""
    kit = kit or kit_repo(deps)
    store = load_store(deps, store_id)
    record = kit.get(store_id)
    if not record or not record.get("qr_payload"):
        raise Conflict("アプリ事業者からの回答（決済用二次元コード）がまだ取り込まれていないため、キットを作成できません")
    pdf = kit_pdf.render_kit(kit_pdf.kit_store(store), str(record["qr_payload"]),
                             phone=deps.settings.call_center.call_center_phone, hours=_hours(deps))
    deps.audit.append(entry(Actor.of(principal), "storekit.print_kit", f"store#{store_id}", now,
                            detail={"pages": 3}))
    return f"kit-{store_id}.pdf", pdf


def shipping_file(deps: Deps, batch_id: str, principal: Principal, now: datetime, include_all: bool = False,
                  kit: StoreKitRepository | None = None) -> tuple[str, bytes]:
    """The batch's shipping list: its stores whose kit can be printed and is not shipped yet (or is to
    be sent again); `include_all` lists every store of the batch whose kit can be printed."""
    kit = kit or kit_repo(deps)
    batch = load_batch(kit, batch_id)
    stores = []
    for store, record, _ in batch_members(deps, kit, batch):
        state = register_row(store, record)["kit"]["state"]
        if state in ("ready", "reissue") or (include_all and state != "not_ready"):
            stores.append(store)
    deps.audit.append(entry(Actor.of(principal), "storekit.download_shipping_list", f"storekit-batch#{batch_id}",
                            now, detail={"rows": len(stores), "all": include_all}))
    return f"shipping-{batch_id}.csv", handoff.shipping_csv(stores)


def _day(body: dict[str, Any], name: str, now: datetime) -> str:
    raw = body.get(name)
    if raw is None or raw == "":
        return now.date().isoformat()
    try:
        day = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None or day > now.date() or day.year < 2000:
        raise InvalidInput("日付を確認してください", {name: "今日以前の日付を YYYY-MM-DD で入力してください"})
    return day.isoformat()


def _change_kit(deps: Deps, kit: StoreKitRepository, store_id: str, principal: Principal, now: datetime,
                action: str, check: Any, changes: dict[str, Any], detail: dict[str, Any]) -> dict[str, Any]:
    store = load_store(deps, store_id)
    record = kit.get(store_id)
    problem = check(record)
    if problem:
        raise Conflict(problem)
    assert record is not None
    events = list(record.get("kit_events", []))
    events.append({"action": action, "at": now.isoformat(), "by": principal.user, **detail})
    new = bump(record, store_id, now, kit_events=events, **changes)
    tx = kit.new_tx()
    kit.save(tx, new, expected(record))
    deps.audit.add_to(tx, entry(Actor.of(principal), f"storekit.{action}", f"store#{store_id}", now, detail=detail))
    tx.commit(STALE)
    return register_row(store, new)


def record_shipment(deps: Deps, store_id: str, body: dict[str, Any], principal: Principal, now: datetime,
                    kit: StoreKitRepository | None = None) -> dict[str, Any]:
    """The kit went out: `{shipped_on?: YYYY-MM-DD (today), tracking_number}`."""
    kit = kit or kit_repo(deps)
    shipped_on = _day(body, "shipped_on", now)
    tracking = text_field(body, "tracking_number", "お問い合わせ伝票番号を半角英数字とハイフン6〜30文字で入力してください", 30)
    if not TRACKING.match(tracking):
        raise InvalidInput("入力内容を確認してください",
                           {"tracking_number": "お問い合わせ伝票番号を半角英数字とハイフン6〜30文字で入力してください"})

    def check(record: dict[str, Any] | None) -> str | None:
        if not record or not record.get("qr_payload"):
            return "キットをまだ作成できない店舗です（アプリ事業者の回答待ち）"
        if record.get("kit_shipped_on") and not record.get("kit_reissue_requested_at"):
            return "この店舗のキットは発送済みです（再送する場合は先に再発行を記録してください）"
        return None

    return _change_kit(deps, kit, store_id, principal, now, "kit_shipped", check,
                       {"kit_shipped_on": shipped_on, "kit_tracking_number": tracking, "kit_shipped_by": principal.user,
                        "kit_returned_on": None, "kit_return_reason": None, "kit_reissue_requested_at": None,
                        "kit_reissue_reason": None},
                       {"shipped_on": shipped_on, "tracking_number": tracking})


def record_return(deps: Deps, store_id: str, body: dict[str, Any], principal: Principal, now: datetime,
                  kit: StoreKitRepository | None = None) -> dict[str, Any]:
    """The kit came back: `{returned_on?: YYYY-MM-DD, reason?: "宛先不明"}`."""
    kit = kit or kit_repo(deps)
    returned_on = _day(body, "returned_on", now)
    reason = text_field(body, "reason", "返送の理由は200文字までです", required=False) or "宛先不明"

    def check(record: dict[str, Any] | None) -> str | None:
        if not record or not record.get("kit_shipped_on"):
            return "この店舗のキットはまだ発送していません"
        if record.get("kit_returned_on"):
            return "この店舗のキットは返送済みとして記録されています"
        return None

    return _change_kit(deps, kit, store_id, principal, now, "kit_returned", check,
                       {"kit_returned_on": returned_on, "kit_return_reason": reason},
                       {"returned_on": returned_on, "reason": reason})


def request_kit_reissue(deps: Deps, store_id: str, body: dict[str, Any], principal: Principal, now: datetime,
                        kit: StoreKitRepository | None = None) -> dict[str, Any]:
    """The kit is to be sent again (after a return, once the address is right, or when it was lost)."""
    kit = kit or kit_repo(deps)
    reason = text_field(body, "reason", "再送の理由を入力してください（200文字まで）")

    def check(record: dict[str, Any] | None) -> str | None:
        if not record or not record.get("kit_shipped_on"):
            return "この店舗のキットはまだ発送していません（発送リストに載っています）"
        if record.get("kit_reissue_requested_at"):
            return "この店舗のキットはすでに再送待ちです"
        return None

    return _change_kit(deps, kit, store_id, principal, now, "kit_reissue", check,
                       {"kit_reissue_requested_at": now.isoformat(), "kit_reissue_reason": reason},
                       {"reason": reason})

"""Settlement e-mails in Japanese: payment notices, the prefecture's monthly report, returns, warnings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from chalicelib.kernel.money import yen
from chalicelib.mail.templates import FOOTER, store_mail_footer


def _d(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def date_change(planned: date, actual: date) -> str:
    """The sentence stores and the prefecture read when a late approval moved the transfer ("" if not)."""
    if actual == planned:
        return ""
    return f"振込日は当初予定の{planned.month}月{planned.day}日から{actual.month}月{actual.day}日に変更になりました。"


def payment_notice(store: dict[str, Any], line: dict[str, Any], month: str, transfer_date: date,
                   planned_date: date | None = None) -> tuple[str, str]:
    y, m = month.split("-")
    subject = f"【みやぎポイント】{int(y)}年{int(m)}月ご利用分のお支払いについて（店舗ID {store['store_id']}）"
    changed = date_change(planned_date, transfer_date) if planned_date else ""
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        f"{int(y)}年{int(m)}月にご利用いただいたみやぎポイントの精算金を、下記のとおりお振り込みします。\n"
        + (f"{changed}事務局の手続きが遅れ、ご迷惑をおかけして申し訳ありません。\n" if changed else "")
        + "\n"
        f"店舗ID: {store['store_id']}\n"
        f"お支払日: {_d(transfer_date)}\n"
        f"ご利用ポイント: {int(line['usage']):,} ポイント\n"
        + (f"調整額: {yen(int(line['adjustments']))}\n" if int(line["adjustments"]) else "")
        + (f"前回からの繰越: {yen(int(line['carried_in']))}\n" if int(line["carried_in"]) else "")
        + f"お支払額: {yen(int(line['paid']))}\n"
        f"振込先: ご登録の口座（口座番号 下3桁 {store['bank']['account_number'][-3:]}）\n\n"
        "振込手数料は事務局が負担します。1ポイント＝1円で全額をお支払いします。\n"
        "金額についてのお問い合わせは、店舗IDを添えてコールセンターまでご連絡ください。" + store_mail_footer()
    )
    return subject, body


def prefecture_report(view: dict[str, Any], files: dict[str, str]) -> tuple[str, str]:
    month = view["month"]
    subject = f"【みやぎポイント】{month} 利用分 精算報告"
    held = view["held"]
    moved = (date_change(date.fromisoformat(view["payment_date"]), date.fromisoformat(view["transfer_date"]))
             if view.get("transfer_date") else "")
    body = (
        "宮城県 ご担当者様\n\n"
        f"みやぎポイント {month} 利用分の精算が確定しましたので報告します。\n\n"
        + (f"{moved}（承認期限 {view.get('approval_deadline')} を過ぎて承認されたため）\n\n" if moved else "")
        + f"支払日: {view['transfer_date'] or view['payment_date']}\n"
        f"利用ポイント合計（ポイント原資）: {view['usage_total']:,} ポイント\n"
        f"支払店舗数: {view['stores_paid']:,} 店舗\n"
        f"支払額合計: {yen(view['total_amount'])}\n"
        f"保留・繰越: {len(held)} 店舗 {yen(view['held_total'])}\n"
        + fee_line(view)
        + (f"振込手数料（事務局負担。店舗への支払額からは差し引いていません）: {yen(view['transfer_cost'])}\n"
           if view.get("transfer_cost") is not None else "")
        + "\n"
        "精算明細（CSV・Excel）は県用フォルダに格納しました:\n"
        + "".join(f"  {name}: {key}\n" for name, key in sorted(files.items()) if key.startswith("prefecture/"))
        + FOOTER
    )
    return subject, body


ROUNDING_LABELS = {"down": "円未満切り捨て", "half_up": "円未満四捨五入", "up": "円未満切り上げ"}


def _rate(rate: str) -> str:
    return f"{(Decimal(rate) * 100).normalize():f}%"


def fee_line(view: dict[str, Any]) -> str:
    """The system fee with its base, rate and rounding (7(1)ヌ: 原資の0.5%)."""
    late = int(view.get("late_usage_total") or 0)
    base = int(view.get("fee_base", view["usage_total"]))
    return (f"システム手数料: {yen(view['fee'])}（対象額 {yen(base)} × {_rate(view['fee_rate'])}、"
            f"{ROUNDING_LABELS.get(view.get('fee_rounding') or 'down', '')}）\n"
            + (f"  対象額のうち、確定後に取り込まれた過去月の利用分: {yen(late)}\n" if late else ""))


def transfer_returned(store: dict[str, Any], month: str, amount: int, reason: str) -> tuple[str, str]:
    subject = f"【みやぎポイント】精算金のお振り込みができませんでした（店舗ID {store['store_id']}）"
    body = (
        f"{store['store_name']} ご担当者様\n\n"
        f"{month} ご利用分の精算金 {yen(amount)} をお振り込みしましたが、金融機関から返却されました。\n"
        f"理由: {reason}\n\n"
        "お手数ですが、コールセンターへご連絡のうえ、正しい振込口座をお知らせください。\n"
        "口座の確認ができ次第、次回の精算でお支払いします（お支払いが失われることはありません）。" + store_mail_footer()
    )
    return subject, body


def approval_late(month: str, pay: date, deadline: date, expected: date, status: str | None) -> tuple[str, str]:
    """To the prefecture and the staff, once, the first day a round is past its approval deadline."""
    y, m = month.split("-")
    state = {"draft": "下書き（承認待ち）", "approving": "承認処理中"}.get(status or "", "未作成")
    subject = f"【みやぎポイント】{int(y)}年{int(m)}月ご利用分の精算が承認期限までに承認されませんでした（振込日が遅れます）"
    body = (
        "宮城県 ご担当者様\n事務局 各位\n\n"
        f"みやぎポイント {int(y)}年{int(m)}月ご利用分の精算は、承認期限（{_d(deadline)}）までに承認されませんでした。\n"
        f"そのため、店舗へのお振り込みは当初予定の {_d(pay)} に間に合いません。\n\n"
        f"精算の状態: {state}\n"
        f"本日承認された場合の振込日: {_d(expected)}（金融機関の受付期限による）\n\n"
        "事務局は至急承認を行います。承認後、各店舗への支払通知と県への精算報告で、実際の振込日をお知らせします。"
        "\n（このお知らせは1回だけお送りします。）\n" + FOOTER
    )
    return subject, body


def staff_warning(subject: str, lines: list[str]) -> tuple[str, str]:
    return f"[miyapo-ops] {subject}", "\n".join(lines) + "\n"

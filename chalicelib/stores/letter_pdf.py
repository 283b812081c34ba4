"""The credentials letter (the prefecture's specification 7(1)ホ: the contractor issues the stores' IDs and
passwords), one A4 page per store: store name and id, the app console's URL, login id and initial
password, how to change the password, and the call center's number. Same fonts and helpers as the kit
(chalicelib/stores/kit_pdf.py); ids and passwords in Courier, where 0/O and 1/l differ.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from chalicelib.stores.kit_pdf import (
    _DARK,
    _GREEN,
    CALL_CENTER_HOURS,
    FOOTER,
    GOTHIC,
    MONO,
    KitStore,
    _footer,
    _new_canvas,
    _text,
)

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas


#: How a store changes its initial password (printed on the letter).
CHANGE_STEPS = (
    "1. 上記の管理コンソールURLをパソコンまたはスマートフォンのブラウザで開きます。",
    "2. ログインIDと初期パスワードを入力してログインします。",
    "3. 初回ログイン時にパスワード変更画面が表示されます。英字・数字を含む8文字以上の新しいパスワードを設定してください。",
    "4. 以後は新しいパスワードでログインします。管理コンソールではポイントの利用実績を確認できます。",
)
NOTES = (
    "・初期パスワードはこの通知書でのみお知らせします。事務局では保管していません。",
    "・パスワードを変更したら、この通知書は他人の目に触れないよう保管するか、細かく裁断して破棄してください。",
    "・通知書を紛失した場合やログインできない場合は、コールセンターへご連絡ください（新しい初期パスワードを発行します）。",
)


@dataclass(frozen=True)
class Letter:
    store: KitStore
    login_id: str
    password: str = field(repr=False)


def render_letter(store: KitStore, *, login_id: str, password: str, console_url: str, phone: str,
                  issued_on: str, hours: str = CALL_CENTER_HOURS) -> bytes:
    """The credentials letter: one A4 page for one store."""
    return render_letters([Letter(store, login_id, password)], console_url=console_url, phone=phone,
                          issued_on=issued_on, hours=hours, title=f"管理コンソール ログイン情報のお知らせ（{store.store_id}）",
                          subject=f"ID通知書 {store.store_id}")


def render_letters(letters: list[Letter], *, console_url: str, phone: str, issued_on: str, title: str,
                   subject: str, hours: str = CALL_CENTER_HOURS) -> bytes:
    """Several stores' letters in one PDF, one page each."""
    buffer = io.BytesIO()
    c = _new_canvas(buffer, title, subject)
    for letter in letters:
        _letter_page(c, letter.store, login_id=letter.login_id, password=letter.password, console_url=console_url,
                     phone=phone, issued_on=issued_on, hours=hours)
        c.showPage()
    c.save()
    return buffer.getvalue()


def _letter_page(c: Canvas, store: KitStore, *, login_id: str, password: str, console_url: str, phone: str,
                 issued_on: str, hours: str) -> None:
    from reportlab.lib.pagesizes import A4

    w, h = A4
    c.setFillColorRGB(*_DARK)
    c.setFont(GOTHIC, 11)
    c.drawRightString(w - 50, h - 50, f"発行日 {issued_on}")
    c.drawRightString(w - 50, h - 66, f"店舗ID {store.store_id}")
    c.setFont(GOTHIC, 16)
    c.drawString(50, h - 100, f"{store.store_name} 御中")
    c.setFont(GOTHIC, 20)
    c.drawCentredString(w / 2, h - 150, "みやぎポイント 管理コンソール")
    c.drawCentredString(w / 2, h - 176, "ログイン情報のお知らせ")
    y = _text(c, 50, h - 215, "このたびは、みやぎポイントにご参加いただきありがとうございます。ポイントの利用実績を確認する管理"
              "コンソールのログイン情報をお知らせします。大切に保管してください。", 12, w - 100, 1.6)
    rows: list[tuple[str, str, str, float]] = [
        ("管理コンソールURL", console_url, "Courier", 12), ("ログインID", login_id, MONO, 16),
        ("初期パスワード", password, MONO, 18)]
    top = y - 10
    row_h = 40.0
    c.setStrokeColorRGB(*_DARK)
    c.setLineWidth(1)
    c.rect(50, top - row_h * len(rows), w - 100, row_h * len(rows), stroke=1, fill=0)
    for i, (label, value, font, size) in enumerate(rows):
        ry = top - row_h * (i + 1)
        c.setFillColorRGB(0.93, 0.97, 0.94)
        c.rect(50, ry, 140, row_h, stroke=1, fill=1)
        c.setFillColorRGB(*_DARK)
        c.setFont(GOTHIC, 12)
        c.drawString(60, ry + 15, label)
        c.setFont(font, size)
        c.drawString(200, ry + 14, value)
    y = top - row_h * len(rows) - 36
    c.setFillColorRGB(*_GREEN)
    c.setFont(GOTHIC, 15)
    c.drawString(50, y, "■ 初期パスワードの変更方法")
    y -= 24
    for step in CHANGE_STEPS:
        y = _text(c, 60, y, step, 12, w - 120, 1.6) - 2
    y -= 14
    c.setFillColorRGB(*_GREEN)
    c.setFont(GOTHIC, 15)
    c.drawString(50, y, "■ ご注意")
    y -= 24
    for note in NOTES:
        y = _text(c, 60, y, note, 11, w - 120, 1.6) - 2
    y -= 20
    c.setStrokeColorRGB(*_DARK)
    c.rect(50, y - 62, w - 100, 76, stroke=1, fill=0)
    c.setFillColorRGB(*_DARK)
    c.setFont(GOTHIC, 12)
    c.drawString(62, y - 4, "お問い合わせ: みやぎポイント コールセンター")
    c.setFont(GOTHIC, 20)
    c.drawString(62, y - 30, f"☎ {phone}")
    c.setFont(GOTHIC, 11)
    c.drawString(62, y - 50, hours)
    _footer(c, w, FOOTER)

"""A session's A4 flyer (チラシ) for municipal newsletters, store counters and notice boards.

Large type for older readers (title 30 pt, body 18 pt), plain Japanese, a Japanese CID font (no font
file to ship: the PDF names HeiseiKakuGo-W5, which every PDF reader in Japan carries), and two QR
codes: the survey and the public page of sessions. A cancelled session's flyer says 中止 in red
across the top. The output is deterministic (reportlab's invariant mode): the same session gives
the same bytes.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from chalicelib.kernel.areas import Area
from chalicelib.kernel.pdf import GOTHIC, register_japanese_font, wrap
from chalicelib.sessions.model import WHAT_TO_BRING, Session
from chalicelib.sessions.reports import jp_when

if TYPE_CHECKING:
    from reportlab.pdfgen.canvas import Canvas

TITLE = "みやぎポイント アプリ相談会"
TITLE_PT = 30
BODY_PT = 18
SMALL_PT = 12

_GREEN = (0.10, 0.45, 0.30)
_RED = (0.80, 0.05, 0.05)


def _qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


MARGIN = 40.0
LEAD = 1.45


class _Page:
    """The canvas and the pen's height as the flyer is written from the top down."""

    def __init__(self, canvas: Canvas, width: float, height: float, accent: tuple[float, float, float]) -> None:
        self.canvas, self.page_w, self.y, self.accent = canvas, width, height, accent
        self.width = width - 2 * MARGIN

    def paragraph(self, text: str, rgb: tuple[float, float, float] = (0, 0, 0)) -> None:
        self.canvas.setFillColorRGB(*rgb)
        self.canvas.setFont(GOTHIC, BODY_PT)
        for line in wrap(text, BODY_PT, self.width):
            self.canvas.drawString(MARGIN, self.y, line)
            self.y -= BODY_PT * 1.5
        self.y -= 6

    def item(self, label: str, value: str, label_w: float = 140.0) -> None:
        self.canvas.setFont(GOTHIC, BODY_PT)
        self.canvas.setFillColorRGB(*self.accent)
        self.canvas.drawString(MARGIN, self.y, f"■ {label}")
        self.canvas.setFillColorRGB(0, 0, 0)
        for line in wrap(value, BODY_PT, self.width - label_w):
            self.canvas.drawString(MARGIN + label_w, self.y, line)
            self.y -= BODY_PT * LEAD
        self.y -= 4

    def band(self, title: str, subtitle: str, height: float = 96.0) -> None:
        c = self.canvas
        c.setFillColorRGB(*self.accent)
        c.rect(0, self.y - height, self.page_w, height, stroke=0, fill=1)
        c.setFillColorRGB(1, 1, 1)
        c.setFont(GOTHIC, TITLE_PT)
        c.drawCentredString(self.page_w / 2, self.y - 52, title)
        c.setFont(GOTHIC, BODY_PT)
        c.drawCentredString(self.page_w / 2, self.y - 80, subtitle)
        self.y -= height + 30

    def stamp(self, text: str, height: float = 86.0) -> None:
        c = self.canvas
        c.setFillColorRGB(*_RED)
        c.setStrokeColorRGB(*_RED)
        c.setLineWidth(4)
        c.rect(MARGIN, self.y - height, self.width, height, stroke=1, fill=0)
        c.setFont(GOTHIC, 60)
        c.drawCentredString(self.page_w / 2, self.y - 66, text)
        self.y -= height + 24

    def bring(self) -> None:
        self.y -= 4
        self.canvas.setFillColorRGB(*self.accent)
        self.canvas.drawString(MARGIN, self.y, "■ お持ちいただくもの")
        self.canvas.setFillColorRGB(0, 0, 0)
        self.y -= BODY_PT * LEAD
        for item in WHAT_TO_BRING:
            for line in wrap(f"・{item}", BODY_PT, self.width - 20):
                self.canvas.drawString(MARGIN + 20, self.y, line)
                self.y -= BODY_PT * LEAD

    def call_center(self, phone: str, hours: str, height: float = 92.0) -> None:
        c = self.canvas
        self.y -= 8
        c.setStrokeColorRGB(0, 0, 0)
        c.setLineWidth(1.5)
        c.rect(MARGIN, self.y - height + BODY_PT + 6, self.width, height, stroke=1, fill=0)
        c.setFont(GOTHIC, BODY_PT)
        c.drawString(MARGIN + 12, self.y, "お問い合わせ: みやぎポイント コールセンター")
        c.setFont(GOTHIC, 26)
        c.drawString(MARGIN + 12, self.y - 32, f"☎ {phone}")
        c.setFont(GOTHIC, 16)
        c.drawString(MARGIN + 12, self.y - 56, hours)

    def codes(self, codes: list[tuple[str, str]], size: float = 130.0, foot: float = 48.0) -> None:
        """QR codes at the foot of the page, each with its caption and its URL in small print."""
        c = self.canvas
        for i, (caption, url) in enumerate(codes):
            x = MARGIN + i * (self.width / 2)
            _qr(c, url, x, foot, size)
            text_x, text_w, text_y = x + size + 8, self.width / 2 - size - 16, foot + size - 20
            c.setFont(GOTHIC, 15)
            for line in wrap(caption, 15, text_w):
                c.drawString(text_x, text_y, line)
                text_y -= 20
            c.setFont(GOTHIC, 9)
            for line in wrap(url, 9, text_w):
                c.drawString(text_x, text_y, line)
                text_y -= 11


def render_flyer(session: Session, area: Area, *, phone: str, survey_url: str, page_url: str,
                 call_center_hours: str | None = None) -> bytes:
    """The session's flyer as a one-page A4 PDF (the call center's hours: as the public pages print them,
    from the configured call center unless given)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    register_japanese_font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(f"{TITLE}（{area.name}）")
    canvas.setAuthor("みやぎポイント事務局")
    canvas.setSubject(f"相談会 {session.session_id}")
    cancelled = session.status == "cancelled"
    page = _Page(canvas, A4[0], A4[1], _RED if cancelled else _GREEN)
    if cancelled:
        page.band(TITLE, f"{area.name}の相談会は中止になりました")
        page.stamp("中止")
        page.paragraph("この相談会は中止になりました。ご迷惑をおかけし申し訳ありません。"
                       "ほかの日程は下の二次元コードのページでご案内しています。", _RED)
    else:
        page.band(TITLE, f"{area.name}で開催します")
        page.paragraph("スマートフォンに「みやぎポイント」のアプリを入れる方法、マイナンバーカードの登録、"
                       "ポイントの使い方を、係員がていねいにお手伝いします。")
    page.item("日時", jp_when(session))
    page.item("会場", session.venue)
    page.item("住所", session.address)
    page.item("定員", f"{session.capacity}名（先着順）")
    if session.partner.strip():
        page.item("共催・協力", session.partner.strip())
    if not cancelled:
        page.item("参加費", "無料（予約は不要です。直接会場へお越しください）")
        page.bring()
    if call_center_hours is None:
        from chalicelib.mail.templates import call_center_hours as hours_of
        from chalicelib.mail.templates import configured_call_center

        call_center_hours = hours_of(configured_call_center())
    page.call_center(phone, call_center_hours)
    codes = [("相談会の日程・最新のお知らせ", page_url)]
    if not cancelled:
        codes.insert(0, ("参加された方はアンケートにご協力ください", survey_url))
    page.codes(codes)
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setFont(GOTHIC, 10)
    canvas.drawCentredString(A4[0] / 2, 24, f"みやぎポイント事務局（宮城県 委託事業）  相談会番号 {session.session_id}")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()

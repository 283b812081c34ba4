"""The printed store kit and the credentials letter (the prefecture's specification 7(1)ホ), as A4 PDFs.

- **Kit** (`render_kit`, three pages): 1. the mount sheet (台紙) for the store's payment QR code — the
  provider's `qr_payload` as a raster QR image (error correction M, 4-module quiet zone, 10 cm square,
  black on white: what a phone and a decoder read), the store's name and id, and the rules (excluded
  goods and tobacco, the specification's words); 2. a poster for the shop window; 3. a flyer for customers.
- The credentials letter is chalicelib/stores/letter_pdf.py (same fonts and helpers).

Japanese text uses the CID font HeiseiKakuGo-W5 (no font file to ship; every PDF reader in Japan has
it); ids and passwords use Courier, where 0/O and 1/l differ. Output is deterministic (invariant mode).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING, Any

from chalicelib.applications.terms import SPEC_EXCLUDED_GOODS, SPEC_TOBACCO
from chalicelib.kernel.pdf import GOTHIC, register_japanese_font, wrap

if TYPE_CHECKING:
    from PIL.Image import Image
    from reportlab.pdfgen.canvas import Canvas

MONO = "Courier-Bold"
#: ① of 7(1)ニ, which ② refers to, for a reader who has not seen the specification.
SPEC_NOTE_1 = "①に規定する店舗：風俗営業等の規制及び業務の適正化等に関する法律第２条第５項に該当する店舗"


def call_center_hours(opens: time, closes: time) -> str:
    """The call center's days and hours as printed (reference/calendars-and-rules.md: every day, Saturdays
    and Sundays included; closed on national holidays and 29 Dec – 3 Jan); the hours come from settings."""
    return f"毎日 {opens.hour}:{opens.minute:02d}〜{closes.hour}:{closes.minute:02d}（祝日・年末年始を除く）"


#: The hours printed when a caller passes none (the settings' defaults).
CALL_CENTER_HOURS = call_center_hours(time(9, 0), time(17, 30))
FOOTER = "みやぎポイント事務局（宮城県 委託事業）"

_GREEN = (0.10, 0.45, 0.30)
_DARK = (0.1, 0.1, 0.1)
MM = 72 / 25.4
#: QR module size in image pixels and quiet zone in modules.
QR_PIXELS = 12
QR_QUIET = 4


@dataclass(frozen=True)
class KitStore:
    store_id: str
    store_name: str


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR code's modules (True = dark), error correction M, smallest version that holds `payload`."""
    from reportlab.graphics.barcode import qrencoder

    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    code.make()
    n = code.getModuleCount()
    return [[bool(code.isDark(r, c)) for c in range(n)] for r in range(n)]


def qr_image(payload: str) -> Image:
    """The QR code as a black-and-white raster with its quiet zone (what page 1 embeds)."""
    from PIL import Image as PilImage

    matrix = qr_matrix(payload)
    n = len(matrix) + 2 * QR_QUIET
    small = PilImage.new("L", (n, n), 255)
    pixels = small.load()
    assert pixels is not None
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                pixels[c + QR_QUIET, r + QR_QUIET] = 0
    return small.resize((n * QR_PIXELS, n * QR_PIXELS), PilImage.Resampling.NEAREST)


def _new_canvas(buffer: io.BytesIO, title: str, subject: str) -> Canvas:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    register_japanese_font()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(title)
    canvas.setAuthor("みやぎポイント事務局")
    canvas.setSubject(subject)
    return canvas


def _band(c: Canvas, width: float, top: float, height: float, title: str, subtitle: str,
          size: float = 30) -> None:
    c.setFillColorRGB(*_GREEN)
    c.rect(0, top - height, width, height, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    c.setFont(GOTHIC, size)
    c.drawCentredString(width / 2, top - height / 2 + 4, title)
    if subtitle:
        c.setFont(GOTHIC, 14)
        c.drawCentredString(width / 2, top - height + 14, subtitle)


def _text(c: Canvas, x: float, y: float, text: str, size: float, width: float, lead: float = 1.5,
          rgb: tuple[float, float, float] = _DARK) -> float:
    c.setFillColorRGB(*rgb)
    c.setFont(GOTHIC, size)
    for line in wrap(text, size, width):
        c.drawString(x, y, line)
        y -= size * lead
    return y


def _footer(c: Canvas, width: float, text: str) -> None:
    c.setFillColorRGB(0.3, 0.3, 0.3)
    c.setFont(GOTHIC, 9)
    c.drawCentredString(width / 2, 20, text)


def _rules(c: Canvas, x: float, y: float, width: float, size: float = 10) -> float:
    """The rules box: excluded goods and tobacco in the specification's words."""
    lines = [*wrap(SPEC_EXCLUDED_GOODS, size, width - 20), *wrap(SPEC_TOBACCO, size, width - 20),
             *wrap(SPEC_NOTE_1, size - 1, width - 20)]
    height = 30 + len(lines) * size * 1.45 + 10
    c.setStrokeColorRGB(0.75, 0.1, 0.1)
    c.setLineWidth(1.5)
    c.rect(x, y - height, width, height, stroke=1, fill=0)
    c.setFillColorRGB(0.75, 0.1, 0.1)
    c.setFont(GOTHIC, 13)
    c.drawString(x + 10, y - 20, "ポイントをご利用いただけないもの（宮城県の仕様書より）")
    yy = y - 40
    yy = _text(c, x + 10, yy, SPEC_EXCLUDED_GOODS, size, width - 20, 1.45)
    yy = _text(c, x + 10, yy, SPEC_TOBACCO, size, width - 20, 1.45)
    _text(c, x + 10, yy, SPEC_NOTE_1, size - 1, width - 20, 1.45, (0.3, 0.3, 0.3))
    return y - height


def _mount_sheet(c: Canvas, store: KitStore, payload: str, phone: str, hours: str) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader

    w, h = A4
    _band(c, w, h, 90, "みやぎポイント お支払い用二次元コード", "アプリでこのコードを読み取ってお支払いください", 24)
    side = 100 * MM
    x, y = (w - side) / 2, h - 110 - side
    c.setFillColorRGB(1, 1, 1)
    c.rect(x - 6, y - 6, side + 12, side + 12, stroke=0, fill=1)
    c.drawImage(ImageReader(qr_image(payload)), x, y, side, side)
    c.setStrokeColorRGB(*_GREEN)
    c.setLineWidth(2)
    c.rect(x - 10, y - 10, side + 20, side + 20, stroke=1, fill=0)
    c.setFillColorRGB(*_DARK)
    c.setFont(GOTHIC, 22)
    name_lines = list(wrap(store.store_name, 22, w - 80))[:2]
    ty = y - 44
    for line in name_lines:
        c.drawCentredString(w / 2, ty, line)
        ty -= 28
    c.setFont(GOTHIC, 14)
    c.drawCentredString(w / 2, ty, f"店舗ID  {store.store_id}")
    ty -= 24
    c.setFont(GOTHIC, 11)
    for line in wrap("この台紙はレジの近くなど、お客様が読み取りやすい場所に掲示してください。"
                     "汚れや破れがあると読み取れません。", 11, w - 100):
        c.drawCentredString(w / 2, ty, line)
        ty -= 16
    _rules(c, 40, ty - 4, w - 80)
    _footer(c, w, f"{FOOTER}  お問い合わせ: コールセンター {phone}（{hours}）")


def _poster(c: Canvas, store: KitStore, phone: str) -> None:
    from reportlab.lib.pagesizes import A4

    w, h = A4
    c.setFillColorRGB(*_GREEN)
    c.rect(0, 0, w, h, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    c.roundRect(30, 30, w - 60, h - 60, 24, stroke=0, fill=1)
    c.setFillColorRGB(*_GREEN)
    c.setFont(GOTHIC, 34)
    c.drawCentredString(w / 2, h - 140, "みやぎポイント")
    c.setFont(GOTHIC, 64)
    c.drawCentredString(w / 2, h - 240, "つかえます")
    c.setFillColorRGB(*_DARK)
    c.setFont(GOTHIC, 18)
    c.drawCentredString(w / 2, h - 300, "宮城県のデジタル身分証アプリでためたポイントを")
    c.drawCentredString(w / 2, h - 328, "1ポイント＝1円としてお支払いに使えます")
    c.setFillColorRGB(0.93, 0.97, 0.94)
    c.roundRect(70, 250, w - 140, 200, 16, stroke=0, fill=1)
    c.setFillColorRGB(*_DARK)
    c.setFont(GOTHIC, 20)
    c.drawCentredString(w / 2, 410, "お支払いのしかた")
    y = _text(c, 100, 375, "1. アプリを開いて「支払う」を選びます", 16, w - 200)
    y = _text(c, 100, y - 4, "2. レジの二次元コードを読み取ります", 16, w - 200)
    _text(c, 100, y - 4, "3. 金額を入力し、店員に画面を見せて確定します", 16, w - 200)
    c.setFont(GOTHIC, 18)
    for i, line in enumerate(list(wrap(store.store_name, 18, w - 140))[:2]):
        c.drawCentredString(w / 2, 200 - i * 24, line)
    c.setFont(GOTHIC, 11)
    c.drawCentredString(w / 2, 140, "商品券・プリペイドカード等の換金性の高いもの、たばこ等にはご利用いただけません。")
    c.drawCentredString(w / 2, 120, f"お問い合わせ: みやぎポイント コールセンター {phone}")
    c.setFillColorRGB(0.3, 0.3, 0.3)
    c.setFont(GOTHIC, 9)
    c.drawCentredString(w / 2, 50, f"{FOOTER}  店舗ID {store.store_id}")


def _flyer(c: Canvas, store: KitStore, phone: str, hours: str) -> None:
    from reportlab.lib.pagesizes import A4

    w, h = A4
    _band(c, w, h, 100, "みやぎポイントのご案内", f"{store.store_name} ではみやぎポイントをご利用いただけます", 30)
    y = h - 150
    width = w - 100
    sections = [
        ("みやぎポイントとは",
         "宮城県のデジタル身分証アプリで受け取れるデジタルポイントです。県内の参加店舗で、1ポイント＝1円としてお買い物や"
         "サービスのお支払いに使えます。"),
        ("使い方",
         "① アプリを開き「支払う」を選びます。② 店舗に掲示された二次元コードを読み取ります。③ 金額を入力し、店員に画面を"
         "見せてから確定します。お釣りは出ません。"),
        ("はじめての方へ",
         "アプリの入れ方やマイナンバーカードの登録は、県内各地で開く相談会で係員がお手伝いします。日程はコールセンター"
         "でもご案内しています。"),
    ]
    for title, body in sections:
        c.setFillColorRGB(*_GREEN)
        c.setFont(GOTHIC, 18)
        c.drawString(50, y, f"■ {title}")
        y = _text(c, 60, y - 26, body, 14, width - 10, 1.6) - 14
    y = _rules(c, 50, y, width, 10) - 30
    c.setStrokeColorRGB(*_DARK)
    c.setLineWidth(1.2)
    c.rect(50, y - 70, width, 84, stroke=1, fill=0)
    c.setFillColorRGB(*_DARK)
    c.setFont(GOTHIC, 14)
    c.drawString(62, y - 6, "お問い合わせ: みやぎポイント コールセンター")
    c.setFont(GOTHIC, 24)
    c.drawString(62, y - 36, f"☎ {phone}")
    c.setFont(GOTHIC, 12)
    c.drawString(62, y - 58, hours)
    _footer(c, w, f"{FOOTER}  店舗ID {store.store_id}")


def render_kit(store: KitStore, qr_payload: str, *, phone: str, hours: str = CALL_CENTER_HOURS) -> bytes:
    """The kit: page 1 the QR mount sheet, page 2 the poster, page 3 the flyer (A4 each)."""
    return render_kits([(store, qr_payload)], phone=phone, hours=hours,
                       title=f"みやぎポイント 店舗キット（{store.store_id}）", subject=f"店舗キット {store.store_id}")


def render_kits(kits: list[tuple[KitStore, str]], *, phone: str, title: str, subject: str,
                hours: str = CALL_CENTER_HOURS) -> bytes:
    """Several stores' kits in one PDF, three pages each (a batch printed in one go)."""
    buffer = io.BytesIO()
    c = _new_canvas(buffer, title, subject)
    for store, qr_payload in kits:
        _mount_sheet(c, store, qr_payload, phone, hours)
        c.showPage()
        _poster(c, store, phone)
        c.showPage()
        _flyer(c, store, phone, hours)
        c.showPage()
    c.save()
    return buffer.getvalue()


def kit_store(store: dict[str, Any]) -> KitStore:
    return KitStore(str(store["store_id"]), str(store.get("store_name") or ""))

"""The session flyer: a one-page A4 PDF in a Japanese CID font, with QR codes; deterministic; 中止 when cancelled."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from pypdf import PdfReader

from chalicelib.kernel.areas import find_area
from chalicelib.sessions.flyer import GOTHIC, wrap
from chalicelib.sessions.flyer import render_flyer as render
from chalicelib.sessions.model import Session

JST = ZoneInfo("Asia/Tokyo")
AREA = find_area("041017")
SESSION = Session(
    session_id="SS000001", area_code="041017", venue="アエル 5階 情報プラザ", address="仙台市青葉区中央一丁目3番1号",
    starts_at=datetime(2025, 6, 14, 10, 0, tzinfo=JST), ends_at=datetime(2025, 6, 14, 12, 0, tzinfo=JST), capacity=30,
    announce_on=date(2025, 5, 20), partner="仙台市青葉区役所",
)
LINKS = {"phone": "0120-390-390", "survey_url": "https://miyapo.example.jp/sessions/SS000001/survey",
         "page_url": "https://miyapo.example.jp/sessions"}


def flyer(session: Session = SESSION) -> bytes:
    assert AREA is not None
    return render(session, AREA, **LINKS)


def page_text(pdf: bytes) -> str:
    return str(PdfReader(io.BytesIO(pdf)).pages[0].extract_text()).replace(" ", "").replace("\n", "")


def page_content(pdf: bytes) -> bytes:
    return bytes(PdfReader(io.BytesIO(pdf)).pages[0].get_contents().get_data())


def test_the_flyer_is_a_one_page_a4_pdf_in_a_japanese_font():
    pdf = flyer()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert 3_000 < len(pdf) < 200_000
    assert GOTHIC.encode() in pdf and b"UniJIS-UCS2-H" in pdf  # the CID font and its Unicode encoding
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    assert "相談会" in str(reader.metadata.title) and "仙台市青葉区" in str(reader.metadata.title)


def test_the_flyer_is_deterministic_and_differs_per_session():
    assert flyer() == flyer()
    other = replace(SESSION, session_id="SS000002", starts_at=SESSION.starts_at.replace(day=21),
                    ends_at=SESSION.ends_at.replace(day=21))
    assert flyer(other) != flyer()


def test_large_type_and_the_texts_the_reader_needs():
    pdf = flyer()
    sizes = {float(s) for s in re.findall(rb"/F\d+ ([\d.]+) Tf", page_content(pdf))}
    assert max(sizes) >= 28 and 18 in sizes
    text = page_text(pdf)
    for needed in ("みやぎポイントアプリ相談会", "仙台市青葉区で開催します", "2025年6月14日（土）10:00〜12:00", "アエル5階",
                   "30名（先着順）", "共催・協力仙台市青葉区役所", "マイナンバーカードの暗証番号", "スマートフォン",
                   "0120-390-390", "アンケート", LINKS["page_url"]):
        assert needed in text, needed


def test_a_cancelled_session_says_chuushi_and_drops_the_survey_code():
    normal, cancelled = flyer(), flyer(replace(SESSION, status="cancelled", cancel_reason="台風の接近"))
    assert normal != cancelled
    content = page_content(cancelled)
    assert b"/F2 60 Tf" in content and b".8 .05 .05 rg" in content  # the 中止 stamp, in red
    text = page_text(cancelled)
    assert "中止" in text and "相談会は中止になりました" in text
    assert "台風" not in text  # the internal reason stays off the flyer
    assert "アンケート" not in text and LINKS["survey_url"] not in text and LINKS["page_url"] in text


def test_wrap_breaks_japanese_lines_within_the_width():
    from reportlab.pdfbase.pdfmetrics import stringWidth

    flyer()  # registers the font
    lines = list(wrap("あ" * 100, 18, 200))
    assert len(lines) > 1 and all(stringWidth(line, GOTHIC, 18) <= 200 for line in lines)
    assert "".join(lines) == "あ" * 100

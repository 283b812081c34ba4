"""What every printed document (session flyers, store kits, credentials letters) shares: reportlab's
Japanese CID font, registered once, and line wrapping for Japanese text, which may break between any
two characters. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterator

#: reportlab's built-in Japanese gothic (a CID font: nothing to embed or ship, every PDF reader has it).
GOTHIC = "HeiseiKakuGo-W5"


def register_japanese_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if GOTHIC not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(GOTHIC))


def wrap(text: str, size: float, width: float, font: str = GOTHIC) -> Iterator[str]:
    """Lines of `text` no wider than `width` points (Japanese breaks between any two characters)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    for paragraph in text.splitlines() or [""]:
        line = ""
        for ch in paragraph:
            if line and stringWidth(line + ch, font, size) > width:
                yield line
                line = ch.lstrip()
            else:
                line += ch
        yield line

"""Charts as SVG strings, drawn on the server (issue 12 point 1): no chart library, no script.

Pure: numbers in, an SVG document out. Integer arithmetic only (coordinates are ints of the viewBox).
Every chart carries a <title> and a <desc> with its numbers, colour is never the only cue (values are
written on the bars), and nothing in it runs: no <script>, no event attributes, no external references,
no style attributes (presentation attributes only), so it is safe as an <img> under the console's CSP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

WIDTH = 640
FONT = "'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Yu Gothic', sans-serif"
BAR = "#1f6fb2"
BAR_ALT = "#8fb8dc"
REFERENCE = "#c0392b"
AXIS = "#555555"
GRID = "#dddddd"
TEXT = "#222222"
#: Tile shades for 0 and for the four quarters of the largest value (light to dark), and the text on them.
SHADES = ("#f2f2f2", "#d6e6f4", "#a9cbe8", "#5b9bd5", "#1f5f99")
SHADE_TEXT = (TEXT, TEXT, TEXT, "#ffffff", "#ffffff")


def yen(n: int) -> str:
    return f"{n:,}"


def short(n: int) -> str:
    """A compact axis label: 443,750,000 → "4.4億", 12,500,000 → "1,250万"."""
    if abs(n) >= 100_000_000:
        tenths = abs(n) * 10 // 100_000_000
        return f"{'-' if n < 0 else ''}{tenths // 10}.{tenths % 10}億"
    if abs(n) >= 10_000:
        return f"{n // 10_000:,}万"
    return f"{n:,}"


def _attrs(**attrs: object) -> str:
    return "".join(f" {k.rstrip('_').replace('_', '-')}={quoteattr(str(v))}" for k, v in attrs.items() if v is not None)


def _text(x: int, y: int, text: str, *, size: int = 12, anchor: str = "start", fill: str = TEXT,
          weight: str | None = None) -> str:
    return f"<text{_attrs(x=x, y=y, font_size=size, text_anchor=anchor, fill=fill, font_weight=weight)}>{escape(text)}</text>"


def _document(title: str, desc: str, width: int, height: int, body: list[str], name: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg"{_attrs(viewBox=f"0 0 {width} {height}", width=width, height=height)}'
        f' role="img" aria-labelledby="{name}-title {name}-desc"{_attrs(font_family=FONT)}>'
        f'<title id="{name}-title">{escape(title)}</title><desc id="{name}-desc">{escape(desc)}</desc>'
        f'<rect{_attrs(x=0, y=0, width=width, height=height, fill="#ffffff")}/>'
        + _text(12, 24, title, size=15, weight="bold") + "".join(body) + "</svg>"
    )


#: Tick steps per decade (as tenths): 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k.
_STEPS = (10, 12, 15, 20, 25, 30, 40, 50, 60, 80)


def _nice_max(value: int) -> int:
    """A round ceiling for a four-tick axis at or above `value` (4 × a round step; at least 4)."""
    need = max(1, -(-value // 4))
    decade = 1
    while True:
        for m in _STEPS:
            step = m * decade // 10
            if step >= need and step * 10 == m * decade:
                return step * 4
        decade *= 10


@dataclass(frozen=True)
class Reference:
    """A horizontal line across a chart (the planned points, the forecast)."""

    value: int
    label: str


def bar_chart(name: str, title: str, labels: Sequence[str], values: Sequence[int], *,
              reference: Reference | None = None, unit: str = "", height: int = 300,
              line: Sequence[int] | None = None, line_label: str = "") -> str:
    """Vertical bars (one per label) with their values, an optional reference line and an optional
    cumulative line drawn over the bars (`line`, same length as `values`)."""
    left, right, top, bottom = 64, 16, 44, 44
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_value = max([0, *values, *(line or []), reference.value if reference else 0])
    axis_max = _nice_max(top_value)
    n = max(1, len(values))
    slot = plot_w // n
    bar_w = max(2, slot * 6 // 10)
    body: list[str] = []
    for i in range(5):  # gridlines and axis labels at 0, 25, 50, 75, 100 %
        v = axis_max * i // 4
        y = top + plot_h - plot_h * i // 4
        body.append(f"<line{_attrs(x1=left, y1=y, x2=left + plot_w, y2=y, stroke=GRID if i else AXIS)}/>")
        body.append(_text(left - 6, y + 4, short(v), size=11, anchor="end", fill=AXIS))
    every = max(1, n // 12)  # at most about 12 category labels
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * max(0, value) // axis_max
        x = left + slot * i + (slot - bar_w) // 2
        body.append(f"<rect{_attrs(x=x, y=top + plot_h - h, width=bar_w, height=max(h, 0), fill=BAR)}>"
                    f"<title>{escape(f'{label}: {yen(value)}{unit}')}</title></rect>")
        if n <= 16:
            body.append(_text(x + bar_w // 2, top + plot_h - h - 4, short(value), size=10, anchor="middle"))
        if i % every == 0:
            body.append(_text(x + bar_w // 2, top + plot_h + 16, label, size=11, anchor="middle", fill=AXIS))
    if line:
        points = " ".join(f"{left + slot * i + slot // 2},{top + plot_h - plot_h * max(0, v) // axis_max}"
                          for i, v in enumerate(line))
        body.append(f"<polyline{_attrs(points=points, fill='none', stroke=BAR_ALT, stroke_width=3)}/>")
        for i, v in enumerate(line):
            body.append(f"<circle{_attrs(cx=left + slot * i + slot // 2, cy=top + plot_h - plot_h * max(0, v) // axis_max, r=4, fill=BAR_ALT)}>"
                        f"<title>{escape(f'{labels[i]} {line_label}: {yen(v)}{unit}')}</title></circle>")
    if not values:
        body.append(_text(left + plot_w // 2, top + plot_h // 2, "データがありません", size=13, anchor="middle", fill=AXIS))
    legend = []
    if reference:
        y = top + plot_h - plot_h * reference.value // axis_max
        body.append(f"<line{_attrs(x1=left, y1=y, x2=left + plot_w, y2=y, stroke=REFERENCE, stroke_width=2, stroke_dasharray='6 4')}/>")
        body.append(_text(left + plot_w, y - 6, f"{reference.label} {yen(reference.value)}{unit}", size=11, anchor="end", fill=REFERENCE))
        legend.append(f"{reference.label} {yen(reference.value)}{unit}")
    body.append(_text(left, height - 8, f"単位: {unit}" if unit else "", size=11, fill=AXIS))
    if line:
        body.append(f"<rect{_attrs(x=WIDTH - 200, y=height - 20, width=14, height=4, fill=BAR_ALT)}/>")
        body.append(_text(WIDTH - 180, height - 14, line_label, size=11, fill=AXIS))
    desc = "、".join(f"{lbl} {yen(v)}{unit}" for lbl, v in zip(labels, values, strict=True)) or "データなし"
    if line:
        desc += f"。{line_label}: " + "、".join(f"{lbl} {yen(v)}{unit}" for lbl, v in zip(labels, line, strict=True))
    if legend:
        desc += "。" + "、".join(legend)
    return _document(title, desc, WIDTH, height, body, name)


def hbar_chart(name: str, title: str, rows: Sequence[tuple[str, int]], *, unit: str = "") -> str:
    """Horizontal bars, one row per label, with the value written after each bar."""
    left, right, top, row_h = 200, 90, 44, 26
    height = top + row_h * max(1, len(rows)) + 16
    plot_w = WIDTH - left - right
    axis_max = max([1, *(v for _, v in rows)])
    body: list[str] = []
    for i, (label, value) in enumerate(rows):
        y = top + row_h * i
        w = plot_w * max(0, value) // axis_max
        body.append(_text(left - 8, y + 16, label, size=12, anchor="end"))
        body.append(f"<rect{_attrs(x=left, y=y + 4, width=max(w, 1), height=row_h - 8, fill=BAR)}>"
                    f"<title>{escape(f'{label}: {yen(value)}{unit}')}</title></rect>")
        body.append(_text(left + w + 6, y + 17, f"{yen(value)}{unit}", size=12))
    if not rows:
        body.append(_text(left, top + 16, "データがありません", fill=AXIS))
    desc = "、".join(f"{lbl} {yen(v)}{unit}" for lbl, v in rows) or "データなし"
    return _document(title, desc, WIDTH, height, body, name)


@dataclass(frozen=True)
class Tile:
    code: str
    name: str
    value: int
    note: str = ""


def tile_grid(name: str, title: str, groups: Sequence[tuple[str, Sequence[Tile]]], *, unit: str = "") -> str:
    """Areas as tiles grouped by region (the 39 areas), shaded by value and labelled with it."""
    cols, tile_w, tile_h, gap, left, top = 6, 98, 44, 4, 12, 40
    top_value = max([0, *(t.value for _, tiles in groups for t in tiles)])
    body: list[str] = []
    y = top
    for region, tiles in groups:
        body.append(_text(left, y + 14, f"{region}（{len(tiles)}）", size=12, weight="bold"))
        y += 20
        for i, t in enumerate(tiles):
            x = left + (i % cols) * (tile_w + gap)
            ty = y + (i // cols) * (tile_h + gap)
            level = 0 if t.value <= 0 or top_value <= 0 else min(4, 1 + (t.value * 4 - 1) // top_value)
            body.append(f"<g{_attrs(data_area=t.code)}><rect{_attrs(x=x, y=ty, width=tile_w, height=tile_h, rx=4, fill=SHADES[level], stroke='#bbbbbb')}>"
                        f"<title>{escape(f'{t.name}: {yen(t.value)}{unit}{(' ' + t.note) if t.note else ''}')}</title></rect>")
            body.append(_text(x + 5, ty + 17, t.name.replace("仙台市", ""), size=11, fill=SHADE_TEXT[level]))
            body.append(_text(x + tile_w - 5, ty + 36, f"{yen(t.value)}{unit}", size=13, anchor="end",
                              fill=SHADE_TEXT[level], weight="bold") + "</g>")
        y += ((len(tiles) + cols - 1) // cols) * (tile_h + gap) + 6
    height = y + 8
    desc = "、".join(f"{t.name} {yen(t.value)}{unit}" for _, tiles in groups for t in tiles) or "データなし"
    return _document(title, desc, WIDTH, height, body, name)

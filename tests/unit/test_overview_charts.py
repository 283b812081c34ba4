"""The server-drawn charts (chalicelib/overview/svg.py): valid XML that carries its numbers, nothing that
runs, and int coordinates only."""

from __future__ import annotations

import re
import xml.dom.minidom

import pytest

from chalicelib.overview import svg
from chalicelib.overview.svg import Reference, Tile

FORBIDDEN = re.compile(r"<script|\son[a-z]+=|javascript:|style=|xlink:href|href=|<foreignObject", re.IGNORECASE)


def parsed(text: str) -> xml.dom.minidom.Document:
    doc = xml.dom.minidom.parseString(text)
    assert doc.documentElement.tagName == "svg"
    assert doc.documentElement.getAttribute("xmlns") == "http://www.w3.org/2000/svg"
    assert not FORBIDDEN.search(text)
    return doc


def numbers_of(doc: xml.dom.minidom.Document, attr: str) -> list[str]:
    return [e.getAttribute(attr) for e in doc.getElementsByTagName("rect") if e.getAttribute(attr)]


def test_a_bar_chart_is_valid_svg_with_every_value_and_the_reference():
    text = svg.bar_chart("usage", "月別のポイント利用", ["2025-05", "2025-06", "2025-07"],
                         [12_345_678, 40_000_000, 0], unit="pt", reference=Reference(443_750_000, "計画"))
    doc = parsed(text)
    desc = doc.getElementsByTagName("desc")[0].firstChild.data
    assert "2025-05 12,345,678pt" in desc and "2025-07 0pt" in desc and "計画 443,750,000pt" in desc
    assert doc.getElementsByTagName("title")[0].firstChild.data == "月別のポイント利用"
    # one bar per month, each titled with its exact value
    bars = [r for r in doc.getElementsByTagName("rect") if r.getElementsByTagName("title")]
    assert [b.getElementsByTagName("title")[0].firstChild.data for b in bars] == [
        "2025-05: 12,345,678pt", "2025-06: 40,000,000pt", "2025-07: 0pt"]
    assert all(re.fullmatch(r"-?\d+", v) for v in numbers_of(doc, "height") + numbers_of(doc, "y"))


def test_bars_scale_in_proportion_and_never_go_below_the_axis():
    doc = parsed(svg.bar_chart("c", "t", ["a", "b", "c"], [100, 50, -5]))
    heights = [int(r.getAttribute("height")) for r in doc.getElementsByTagName("rect") if r.getElementsByTagName("title")]
    assert heights[0] == 2 * heights[1] and heights[2] == 0


def test_labels_are_escaped():
    text = svg.hbar_chart("h", "<分類> & \"x\"", [("<script>alert(1)</script>", 3)], unit="件")
    doc = parsed(text)
    assert "&lt;script&gt;" in text
    assert doc.getElementsByTagName("title")[0].firstChild.data == "<分類> & \"x\""


def test_a_horizontal_bar_chart_writes_each_value():
    doc = parsed(svg.hbar_chart("s", "状態別", [("利用中", 1_500), ("利用停止", 3), ("退会", 0)], unit="店"))
    texts = [t.firstChild.data for t in doc.getElementsByTagName("text") if t.firstChild]
    assert {"1,500店", "3店", "0店", "利用中", "退会"} <= set(texts)


def test_the_area_grid_has_a_tile_per_area_with_its_number():
    from chalicelib.kernel.areas import all_areas

    areas = all_areas()
    groups: dict[str, list[Tile]] = {}
    for i, a in enumerate(areas):
        groups.setdefault(a.region, []).append(Tile(a.code, a.name, i))
    doc = parsed(svg.tile_grid("g", "地域別", list(groups.items()), unit="店"))
    tiles = [g for g in doc.getElementsByTagName("g") if g.getAttribute("data-area")]
    assert len(tiles) == len(areas) == 39
    first = next(g for g in tiles if g.getAttribute("data-area") == areas[38].code)
    assert "38店" in [t.firstChild.data for t in first.getElementsByTagName("text")]


@pytest.mark.parametrize("value, expected", [(0, "0"), (9_999, "9,999"), (12_500_000, "1,250万"),
                                             (443_750_000, "4.4億"), (-200_000_000, "-2.0億")])
def test_short_axis_labels(value, expected):
    assert svg.short(value) == expected


def test_an_empty_chart_is_still_valid():
    parsed(svg.bar_chart("e", "空", [], []))
    parsed(svg.hbar_chart("e", "空", []))
    parsed(svg.tile_grid("e", "空", []))

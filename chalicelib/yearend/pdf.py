"""The year-end report as an A4 PDF (Japanese, reportlab): the key figures, the rounds, the funds against the
plan, the inquiries and the sessions, each with a simple bar chart drawn by reportlab.graphics from the same
figures as the pack's CSVs. Pure: the year's data in, bytes out; reportlab's invariant mode makes the same
data give the same bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from chalicelib.kernel.pdf import GOTHIC, register_japanese_font
from chalicelib.yearend.figures import ROUND_STATUS, fee_base, satisfaction_average, survey_figures, totals
from chalicelib.yearend.model import YearData, fiscal_label

if TYPE_CHECKING:
    from reportlab.graphics.shapes import Drawing

BLUE = (0.12, 0.44, 0.70)


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("body", fontName=GOTHIC, fontSize=10, leading=15, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=20, leading=28, spaceAfter=10),
        "h1": ParagraphStyle("h1", parent=base, fontSize=14, leading=20, spaceBefore=12, spaceAfter=6),
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=11),
    }


def _reported(n: int | None) -> str | int:
    return "未報告" if n is None else n


def _yen(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def bar_chart(title: str, labels: Sequence[str], values: Sequence[int], unit: str, width: float = 480,
              height: float = 170) -> Drawing:
    """A titled vertical bar chart with its values written on the bars (colour is never the only cue)."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String
    from reportlab.lib import colors

    drawing = Drawing(width, height)
    drawing.add(String(0, height - 14, f"{title}（単位: {unit}）", fontName=GOTHIC, fontSize=10))
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 56, 30, width - 70, height - 60
    chart.data = [list(values) or [0]]
    chart.categoryAxis.categoryNames = list(labels) or ["—"]
    chart.categoryAxis.labels.fontName = GOTHIC
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 30 if len(labels) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 8 else "n"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = GOTHIC
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = lambda v: f"{int(v):,}"
    top = max([0, *values])
    chart.valueAxis.valueMax = max(1, top + top // 8 + 1)
    chart.bars[0].fillColor = colors.Color(*BLUE)
    chart.barLabels.fontName = GOTHIC
    chart.barLabels.fontSize = 7
    chart.barLabelFormat = lambda v: f"{int(v):,}"
    chart.barLabels.nudge = 6
    drawing.add(chart)
    return drawing


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float] | None = None) -> Any:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    shown = [["" if v is None else (f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v))
              for v in row] for row in rows]
    table = Table(shown, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), GOTHIC), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.87, 0.92, 0.97)),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    table.setStyle(TableStyle(style))
    return table


def report_pdf(data: YearData, version: int = 1) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer

    register_japanese_font()
    st = _styles()
    t = totals(data)
    label = fiscal_label(data.fiscal_year)
    y = data.fiscal_year
    story: list[Any] = [
        Paragraph(f"みやぎポイント {label} 業務完了報告（データ編）" + ("" if data.final else "　中間集計"), st["title"]),
        Paragraph(f"対象期間: {y}年4月1日〜{y + 1}年3月31日　集計日: {data.day:%Y年%m月%d日}"
                  + (f"　第{version}版" if version > 1 else ""), st["body"]),
        Paragraph("本書の数値は、各月に県へお送りした精算報告・問い合わせ報告・相談会報告と同じ記録から集計しています。"
                  "各ファイルの SHA-256 は同梱の索引（index.csv / index.json）に記載しています。", st["body"]),
        Spacer(1, 8),
        Paragraph("1. 主な数値", st["h1"]),
        _table([["項目", "値"],
                ["精算の回数（うち承認済み）", f"{t['rounds']} 回（{t['rounds_approved']} 回）"],
                ["店舗への支払額合計", f"{_yen(t['paid_total'])} 円"],
                ["ポイント原資（手数料の基礎）合計", f"{_yen(t['fee_base'])} 円"],
                ["システム手数料合計", f"{_yen(t['fee'])} 円"],
                ["請求額合計（原資＋手数料）", f"{_yen(t['claim'])} 円"],
                ["計画ポイントに対する累計利用", f"{_yen(t['used_points'])} / {_yen(t['planned_points'])} pt"
                                                 f"（{t['share_of_plan']}%）"],
                ["問い合わせ件数（うちエスカレーション）", f"{_yen(t['inquiries'])} 件（{_yen(t['escalations'])} 件）"],
                ["相談会 開催数 / 参加者数 / アンケート回答数",
                 f"{t['sessions_held']} 回 / {_yen(t['attendees'])} 人 / {_yen(t['surveys'])} 件"]],
               [220, 260]),
        Paragraph("2. 精算（月別）", st["h1"]),
    ]
    rounds = [r.item for r in data.rounds]
    story.append(bar_chart("月別の支払額", [str(r["month"]) for r in rounds], [int(r.get("paid_total") or 0)
                                                                               for r in rounds], "円"))
    story.append(_table([["利用月", "状態", "支払店舗数", "支払額（円）", "原資（円）", "手数料（円）", "保留額（円）"]]
                        + [[str(r["month"]), ROUND_STATUS.get(str(r.get("status")), str(r.get("status"))),
                            int(r.get("stores_paid") or 0), int(r.get("paid_total") or 0), fee_base(r),
                            int(r.get("fee") or 0), int(r.get("held_total") or 0)] for r in rounds]
                        + [["合計", "", t["stores_paid"], t["paid_total"], t["fee_base"], t["fee"], t["held_total"]]]))
    months = data.ledger.get("months", [])
    story += [Spacer(1, 8), bar_chart(f"累計のポイント原資（計画 {t['planned_points']:,} pt に対し {t['share_of_plan']}%）",
                                      [m["month"] for m in months], [int(m["cumulative"]) for m in months], "pt"),
              PageBreak(), Paragraph("3. 問い合わせ（月別）", st["h1"])]
    inquiries = data.inquiry_months
    story.append(bar_chart(f"月別の問い合わせ件数（月間見込み {data.forecast_monthly:,} 件）",
                           [m.month for m in inquiries], [m.total for m in inquiries], "件"))
    story.append(_table([["対象月", "受付件数", "月報で報告した件数", "エスカレーション", "受付時間外"]]
                        + [[m.month, m.total, _reported(data.inquiry_reported.get(m.month)), m.escalated, m.outside_hours]
                           for m in inquiries]
                        + [["合計", t["inquiries"], sum(v or 0 for v in data.inquiry_reported.values()),
                            sum(m.escalated for m in inquiries), sum(m.outside_hours for m in inquiries)]]))
    story.append(Paragraph(f"日別の件数は fy{data.fiscal_year}-inquiries-daily.csv、エスカレーションの一覧は fy{data.fiscal_year}-escalations.csv に"
                           "あります。", st["small"]))
    story.append(Paragraph("4. 相談会とアンケート", st["h1"]))
    reports = data.session_reports
    story.append(bar_chart("月別の相談会参加者数", [r.month for r in reports], [r.attendees for r in reports], "人"))
    story.append(_table([["対象月", "相談会の数", "開催済み", "参加者数", "アンケート回答数"]]
                        + [[r.month, len(r.lines), r.sessions_held, r.attendees, r.surveys] for r in reports]
                        + [["合計", t["sessions"], t["sessions_held"], t["attendees"], t["surveys"]]]))
    sat = survey_figures(data)["satisfaction"]
    average = satisfaction_average(sat)
    story.append(Spacer(1, 8))
    story.append(bar_chart(f"満足度の分布（平均 {average if average is not None else '—'}）",
                           list(sat), list(sat.values()), "件", height=160))
    story.append(Paragraph(f"会場別の一覧は fy{data.fiscal_year}-sessions.csv、アンケートの集計は fy{data.fiscal_year}-surveys.csv にあります。"
                           , st["small"]))

    buffer = io.BytesIO()

    def footer(canvas: Any, doc: Any) -> None:
        canvas.setFont(GOTHIC, 8)
        canvas.drawRightString(A4[0] - 36, 20, f"みやぎポイント {label} 完了報告 — {doc.page}")

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=36, rightMargin=36, topMargin=36, bottomMargin=36,
                            title=f"みやぎポイント {label} 完了報告", author="みやぎポイント事務局", invariant=1)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()

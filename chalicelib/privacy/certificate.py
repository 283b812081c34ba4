"""The disposal certificate (廃棄証明書, 別記2 第10): a Japanese A4 PDF and the mail to the prefecture.

What was disposed of, how many records, when, how, by whom (who ran the dry run, who executed it), what was
kept and why, and the exceptions the prefecture ordered. Pure: the run's certificate data in, bytes out.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from chalicelib.kernel.pdf import GOTHIC, register_japanese_font, wrap
from chalicelib.privacy.retention import BY_KIND

HOW = {
    "delete": "削除（DynamoDB の項目を削除、S3 は旧バージョン・削除マーカーを含む全バージョンを削除）",
    "anonymize": "匿名化（店舗ID・金額・日付を残し、店舗名・口座・連絡先・自由記述を消去）",
}


def _label(kind: str) -> str:
    row = BY_KIND.get(kind)
    if row is not None:
        return row.label
    if kind == "settlement_figures":
        return "精算の数値（匿名化して保存）"
    return kind


def _when(iso: str) -> str:
    at = datetime.fromisoformat(iso)
    return f"{at.year}年{at.month}月{at.day}日 {at.hour:02d}:{at.minute:02d}"


def removed_lines(cert: dict[str, Any]) -> list[str]:
    lines = []
    for kind, n in sorted(cert["counts"].items()):
        row = BY_KIND.get(kind)
        place = f"{row.location}{'（' + row.selector + '）' if row and row.where == 'bucket' else ''}" if row else ""
        how = HOW.get(row.at_disposal if row else "delete", HOW["delete"]).split("（")[0]
        lines.append(f"・{_label(kind)}: {int(n):,}件 — {how}（保存場所: {place}）")
    return lines or ["・廃棄の対象はありませんでした"]


def kept_lines(cert: dict[str, Any]) -> list[str]:
    lines = []
    for kind, n in sorted(cert["kept"].items()):
        row = BY_KIND.get(kind)
        why = row.basis if row else ("仕様書 7(1)チ、SPEC §6.3（精算の数値は法令の期間保存）"
                                     if kind == "settlement_figures" else "分類外（個別に確認）")
        lines.append(f"・{_label(kind)}: {int(n):,}件 — 理由: {why}")
    lines.append("・ログ（CloudWatch Logs、S3 アクセスログ）: 個人情報を含まず、保存期間の満了で自動的に消去")
    return lines


def sections(cert: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [
        ("廃棄の概要", [
            f"証明書番号: {cert['certificate_id']}（廃棄番号 {cert['run_id']}）",
            f"実施日時: {_when(cert['executed_at'])}",
            f"ドライラン（対象の確認）: {cert['dry_run_by']}（{_when(cert['dry_run_at'])}）",
            f"実行（二人目の確認者）: {cert['executed_by']}",
            "根拠: 宮城県 個人情報取扱特記事項（別記2）第10（資料の返還等）、仕様書 7(1)チ",
        ]),
        ("廃棄した個人情報（種類・件数・方法）", removed_lines(cert)),
        ("方法", [f"・{v}" for v in HOW.values()]),
        ("法令等により保存するもの（理由）", kept_lines(cert)),
        ("県が指示した例外", [cert.get("exceptions") or "なし"]),
    ]


def certificate_pdf(cert: dict[str, Any]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    register_japanese_font()
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    c.setTitle(f"個人情報の廃棄証明書 {cert['certificate_id']}")
    c.setAuthor("みやぎポイント事務局")
    c.setSubject("個人情報の廃棄証明書")
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    y = height - 25 * mm

    def line(text: str, size: float, indent: float = 0) -> None:
        nonlocal y
        for part in wrap(text, size, right - left - indent):
            if y < 20 * mm:
                c.showPage()
                y = height - 20 * mm
            c.setFont(GOTHIC, size)
            c.drawString(left + indent, y, part)
            y -= size * 1.6

    c.setFont(GOTHIC, 20)
    c.drawCentredString(width / 2, y, "個人情報の廃棄証明書")
    y -= 14 * mm
    line("宮城県 御中", 12)
    line("みやぎポイント事業の受託事業者は、本業務で取得・作成した個人情報を下記のとおり廃棄したことを証明します。", 10.5)
    y -= 4 * mm
    for title, body in sections(cert):
        line(f"■ {title}", 12)
        for text in body:
            line(text, 9.5, indent=4 * mm)
        y -= 3 * mm
    y -= 6 * mm
    line("みやぎポイント事務局（受託事業者）", 11)
    c.showPage()
    c.save()
    return buffer.getvalue()


def mail_body(cert: dict[str, Any]) -> str:
    parts = ["宮城県 ご担当者様", "",
             "みやぎポイント事業の契約終了に伴い、個人情報の廃棄を実施しましたので、廃棄証明書の内容をお知らせします。",
             "証明書（PDF）は事務局システムの次の画面からダウンロードできます。", f"  {cert['pdf']}", ""]
    for title, body in sections(cert):
        parts.append(f"■ {title}")
        parts.extend(body)
        parts.append("")
    parts.append("みやぎポイント事務局")
    return "\n".join(parts)

"""The year-end pack's files (pure: the year's data in, named bytes out): a CSV per sheet, the summary XLSX,
the PDF report (chalicelib/yearend/pdf.py) and the index of their sizes and SHA-256.

The pack is built in three steps, one module each: `model` (which fiscal year, and the year's data as the
service read it from the areas), `figures` (the totals and every sheet's rows) and this one (the files).

The bytes depend only on the data, the day and the version (XLSX zip entries dated that day, the PDF
in reportlab's invariant mode), so two runs on the same day write the same files.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chalicelib.kernel.sheets import Sheet, to_csv, to_xlsx
from chalicelib.yearend.figures import Rows, sections, totals
from chalicelib.yearend.model import YearData, fiscal_label, sha256
from chalicelib.yearend.pdf import report_pdf

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
JSON = "application/json"


@dataclass(frozen=True)
class PackFile:
    name: str
    title: str
    body: bytes
    content_type: str

    @property
    def format(self) -> str:
        return self.name.rsplit(".", 1)[-1].upper()


def stable_zip(data: bytes, day: date) -> bytes:
    """The same zip (an XLSX) with every entry dated `day` at midnight and the workbook's "modified" stamp
    (openpyxl sets it to the clock when saving) equal to its "created" one: the bytes no longer depend on the
    second it was written."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(day.year, day.month, day.day, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                created = _CREATED.search(body)
                if created:
                    body = _MODIFIED.sub(b"\\g<1>" + created.group(1) + b"\\g<2>", body)
            dst.writestr(fixed, body)
    return out.getvalue()


_CREATED = re.compile(rb"<dcterms:created[^>]*>([^<]*)</dcterms:created>")
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def prefix_of(year: int, version: int) -> str:
    base = f"prefecture/year-end/{year}/"
    return base if version <= 1 else f"{base}v{version}/"


def build_files(data: YearData, version: int = 1) -> list[PackFile]:
    """The CSVs, the summary XLSX and the PDF report (the index is made from these by `index_files`)."""
    stem = f"fy{data.fiscal_year}"
    parts = sections(data)
    files = [PackFile(f"{stem}-{s.key}.csv", s.title, to_csv(s.rows), CSV) for s in parts if s.key != "overview"]
    label = fiscal_label(data.fiscal_year)
    stamp = datetime(data.day.year, data.day.month, data.day.day, tzinfo=data.as_of.tzinfo)
    workbook = to_xlsx([Sheet(s.sheet, s.rows, heading=f"みやぎポイント {label} 完了報告データ — {s.title}",
                              sum_columns=s.sums) for s in parts], stamp)
    files.append(PackFile(f"{stem}-summary.xlsx", "集計表（全項目）", stable_zip(workbook, data.day), XLSX))
    files.append(PackFile(f"{stem}-report.pdf", "完了報告書（図表入り）", report_pdf(data, version), PDF))
    return files


def index_of(data: YearData, files: Iterable[PackFile], version: int) -> dict[str, Any]:
    prefix = prefix_of(data.fiscal_year, version)
    return {
        "fiscal_year": data.fiscal_year, "label": fiscal_label(data.fiscal_year), "version": version,
        "prefix": prefix, "period": {"first": f"{data.fiscal_year}-04-01", "last": f"{data.fiscal_year + 1}-03-31"},
        "as_of": data.day.isoformat(), "final": data.final, "totals": totals(data),
        "files": [{"name": f.name, "key": prefix + f.name, "title": f.title, "format": f.format,
                   "size": len(f.body), "sha256": sha256(f.body)} for f in files],
    }


def index_files(index: dict[str, Any]) -> list[PackFile]:
    """index.json and index.csv (the SHA-256 and size of every other file of the pack)."""
    rows: Rows = [["ファイル名", "内容", "形式", "サイズ（バイト）", "SHA-256"]]
    rows += [[f["name"], f["title"], f["format"], f["size"], f["sha256"]] for f in index["files"]]
    body = json.dumps(index, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")
    return [PackFile("index.json", "索引（JSON）", body, JSON), PackFile("index.csv", "索引（CSV）", to_csv(rows), CSV)]


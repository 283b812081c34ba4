"""The workbooks print as the prefecture expects: LibreOffice (headless) renders each one to PDF and the
pages are counted per sheet (issue 12, point 8).

Every sheet's footer carries its name and the page number (`&A` … `&P / &N`, see kernel/sheets.py), so each
PDF page is attributed to its sheet from its text. Needs `soffice` (Debian: libreoffice-calc-nogui and
fonts-noto-cjk, installed by .ci/run); locally the test is skipped when it is missing, in CI (`CI=true`)
a missing LibreOffice is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.unit.test_excel_ready import WORKBOOKS, open_book

#: The most pages each sheet may print on, by workbook: (sheet title, pages).
PAGE_BUDGETS: dict[str, dict[str, int]] = {
    # three stores: the statement on one landscape page, its summary on another
    "statement": {"精算明細 2025-06": 1, "概要": 1},
    # one day: 27 columns one page wide, the open items on the second page — two pages in all
    "daily_inquiries": {"日次報告": 1, "未完了一覧": 1},
    "daily_inquiries_weekend": {"日次報告": 1, "未完了一覧": 1},
    "monthly_inquiries": {"月次集計": 1, "日別件数": 1},
    "monthly_sessions": {"概要": 1, "会場別": 1, "地域別": 1, "年代": 1, "満足度": 1, "来場目的": 1, "できたこと": 1,
                         "ご要望": 1, "改善提案": 1},
    "claim": {"請求 2025-06": 1},
}


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("LibreOffice is missing: CI must install libreoffice-calc-nogui (.ci/run)")
    pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui fonts-noto-cjk "
                "to render the workbooks to PDF")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every workbook as a PDF, in one LibreOffice run with a private profile."""
    binary = soffice()
    work = tmp_path_factory.mktemp("excel-render")
    sources = []
    for name, build in WORKBOOKS.items():
        source = work / f"{name}.xlsx"
        source.write_bytes(build())
        sources.append(str(source))
    profile = (work / "profile").as_uri()
    result = subprocess.run(
        [binary, f"-env:UserInstallation={profile}", "--headless", "--norestore", "--convert-to", "pdf",
         "--outdir", str(work), *sources],
        capture_output=True, text=True, timeout=300, check=False,
    )
    pdfs = {name: work / f"{name}.pdf" for name in WORKBOOKS}
    missing = [name for name, pdf in pdfs.items() if not pdf.exists()]
    assert not missing, f"LibreOffice made no PDF of {missing}: {result.returncode} {result.stdout} {result.stderr}"
    return pdfs


FOOTER = re.compile(r"^(?P<sheet>.+) (?P<page>\d+) / (?P<pages>\d+)$")


def pages_per_sheet(pdf: Path, titles: list[str]) -> Counter[str]:
    """Each page's sheet, from its footer line "<sheet> <page> / <pages>"."""
    counts: Counter[str] = Counter()
    reader = PdfReader(pdf)
    for number, page in enumerate(reader.pages, start=1):
        found = {m.group("sheet") for line in page.extract_text().splitlines()
                 if (m := FOOTER.match(line.strip())) and int(m.group("page")) == number}
        found &= set(titles)
        assert len(found) == 1, f"{pdf.name} page {number}: no single sheet footer ({found})"
        counts[found.pop()] += 1
    assert sum(counts.values()) == len(reader.pages)
    return counts


@pytest.mark.parametrize("name", list(WORKBOOKS))
def test_each_sheet_prints_within_its_page_budget(name, rendered):
    titles = open_book(WORKBOOKS[name]()).sheetnames
    assert set(PAGE_BUDGETS[name]) == set(titles), name  # a new sheet needs its budget
    counts = pages_per_sheet(rendered[name], titles)
    for title in titles:
        assert 1 <= counts[title] <= PAGE_BUDGETS[name][title], (name, title, counts)


def test_the_statement_for_three_stores_is_one_landscape_page(rendered):
    reader = PdfReader(rendered["statement"])
    first = reader.pages[0]
    assert first.mediabox.width > first.mediabox.height  # landscape A4: 842 x 595 points
    assert round(float(first.mediabox.width)) == 842 and round(float(first.mediabox.height)) == 595
    text = first.extract_text()
    # Totals print as figures (never 1.65E+08) and the names whole.
    assert "165,001,356" in text and "E+" not in text
    assert "有限会社 気仙沼水産加工センター 直売所" in text


def test_the_daily_inquiry_report_for_one_day_is_at_most_two_pages(rendered):
    assert len(PdfReader(rendered["daily_inquiries"]).pages) <= 2

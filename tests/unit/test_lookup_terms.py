"""The excluded goods and businesses as the form, the terms page, the mails and the pledges show them
(applications/terms.py) are the prefecture's specification word for word (7(1)ニ①②)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chalicelib.applications import terms
from chalicelib.applications.validation import DECLARATION_TEXT
from chalicelib.mail import templates

SPEC = Path(__file__).resolve().parents[2] / "docs" / "reference" / "prefecture-specification-ja.txt"


def _flat(text: str) -> str:
    # The specification is a PDF's text: sentences run over line breaks and indentation.
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def specification() -> str:
    return _flat(SPEC.read_text(encoding="utf-8"))


@pytest.mark.parametrize("quote", [terms.SPEC_EXCLUDED_STORES, terms.SPEC_EXCLUDED_GOODS, terms.SPEC_TOBACCO,
                                   terms.EXCLUDED_GOODS])
def test_each_quote_is_in_the_specification_as_written(specification: str, quote: str) -> None:
    assert _flat(quote) == quote, "a quote carries no line breaks or spaces of its own"
    assert quote in specification


@pytest.mark.parametrize("item", ["有価証券", "商品券", "ビール券", "図書券", "官製はがき", "印紙", "プリペイドカード"])
def test_the_pledge_the_checklist_and_the_approval_mail_name_every_excluded_good(item: str) -> None:
    assert item in DECLARATION_TEXT["no_excluded_goods"]
    assert item in terms.CHECKLIST_EXCLUDED_GOODS
    _, body = templates.application_approved("AP000001", "MP000001", {"store_name": "店"})
    assert item in body


def test_the_pledges_name_the_adult_business_payments_and_tobacco_and_nothing_the_specification_does_not() -> None:
    pledge = DECLARATION_TEXT["no_excluded_goods"]
    assert terms.EXCLUDED_GOODS in pledge and "風営法第２条第５項に該当する店舗の営業に係る支払い" in pledge
    assert "たばこ" in pledge
    assert "切手" not in "".join(DECLARATION_TEXT.values())  # stamps are not in the specification's list
    assert "第２条第５項に該当する店舗" in DECLARATION_TEXT["not_adult_business"]
    assert "暴力団等反社会勢力との関係を有する施設" in DECLARATION_TEXT["no_antisocial"]
    assert set(DECLARATION_TEXT) == {"no_antisocial", "not_adult_business", "no_excluded_goods", "accepts_terms"}

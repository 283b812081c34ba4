"""Bank and branch search by name for the form's type-ahead (kernel/banks.py): kanji, katakana, hiragana,
half-width, the legal form typed in full, at most twenty answers, best match first."""

from __future__ import annotations

import pytest

from chalicelib.kernel.banks import MAX_RESULTS, search_banks, search_branches


@pytest.mark.parametrize(("query", "code"), [
    ("七十七", "0125"), ("七十七銀行", "0125"), ("しちじゅうしち", "0125"), ("シチジュウシチ", "0125"),
    ("ｼﾁｼﾞﾕｳｼﾁ", "0125"), ("０１２５", "0125"), ("ゆうちょ", "9900"), ("ゆうちょ銀行", "9900"),
    ("三菱UFJ", "0005"), ("ミツビシユーエフジェイ", "0005"), ("杜の都信用金庫", "1170"), ("もりのみやこ", "1170"),
])
def test_the_bank_people_mean_comes_first(query: str, code: str) -> None:
    assert search_banks(query, limit=5)[0].code == code


def test_an_exact_name_comes_before_names_that_only_contain_it() -> None:
    assert [b.code for b in search_banks("みずほ", limit=3)][:2] == ["0001", "0289"]


def test_never_more_than_twenty_whatever_is_asked() -> None:
    assert len(search_banks("農協", limit=1000)) == MAX_RESULTS
    assert len(search_branches("0125", "2", limit=1000)) == MAX_RESULTS


@pytest.mark.parametrize("query", ["", "   ", "　", "・", "該当のない銀行名"])
def test_nothing_to_look_for_finds_nothing(query: str) -> None:
    assert search_banks(query) == []


@pytest.mark.parametrize(("query", "code"), [
    ("本店", "100"), ("ほんてん", "100"), ("仙台駅前支店", "202"), ("センダイエキマエ", "202"), ("ＪＲ", "190"),
    ("jr", "190"), ("202", "202"),
])
def test_branches_are_found_within_their_bank(query: str, code: str) -> None:
    found = search_branches("0125", query)
    assert found and found[0].code == code and all(b.bank_code == "0125" for b in found)


@pytest.mark.parametrize("bank_code", ["9999", "", "12345", "０１２５", "x"])
def test_branches_of_no_bank_are_none(bank_code: str) -> None:
    assert search_branches(bank_code, "本店") == []


def test_answers_carry_the_transfer_file_kana() -> None:
    bank = search_banks("七十七")[0]
    branch = search_branches("0125", "本店")[0]
    assert (bank.name, bank.kana) == ("七十七", "ｼﾁｼﾞﾕｳｼﾁ")
    assert (branch.name, branch.kana) == ("本店営業部", "ﾎﾝﾃﾝ")

"""Bank and branch lookup from zengin-code."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from chalicelib.kernel.banks import BankInfo, BranchInfo, find_bank, find_branch, search_banks
from chalicelib.kernel.kana import to_zengin_bank_name
from chalicelib.kernel.zengin_chars import BANK_NAME_CHARS


def test_find_bank_77() -> None:
    assert find_bank("0125") == BankInfo(code="0125", name="七十七", kana="ｼﾁｼﾞﾕｳｼﾁ")


def test_find_branch_77_head_office() -> None:
    assert find_branch("0125", "100") == BranchInfo(
        bank_code="0125", code="100", name="本店営業部", kana="ﾎﾝﾃﾝ"
    )


def test_infos_are_frozen() -> None:
    info = find_bank("0125")
    assert info is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.kana = "X"  # type: ignore[misc]


@pytest.mark.parametrize(
    "code",
    ["9999", "125", "00125", "012a", "０１２５", "", " 0125", "0125\n", None, 125],
)
def test_find_bank_unknown_or_malformed(code: object) -> None:
    assert find_bank(code) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bank_code", "branch_code"),
    [
        ("0125", "999"),
        ("9999", "100"),
        ("0125", "10"),
        ("0125", "1000"),
        ("0125", "１００"),
        ("0125", "10a"),
        ("125", "100"),
        ("0125", None),
        (None, "100"),
    ],
)
def test_find_branch_unknown_or_malformed(bank_code: object, branch_code: object) -> None:
    assert find_branch(bank_code, branch_code) is None  # type: ignore[arg-type]


def test_zengin_code_is_not_loaded_at_import() -> None:
    # A fresh interpreter: this test process has long since loaded the data.
    code = (
        "import sys; import chalicelib.kernel.banks as b; assert 'zengin_code' not in sys.modules; "
        "b.find_bank('0125'); assert 'zengin_code' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=".")


def test_data_is_loaded_once() -> None:
    from chalicelib.kernel import banks

    banks._all_banks()
    before = banks._all_banks.cache_info().misses
    find_bank("0001")
    find_branch("0001", "001")
    assert banks._all_banks.cache_info().misses == before


def test_every_bank_and_branch_name_converts() -> None:
    # Guards a zengin-code update that brings a character the pipeline does not know.
    from chalicelib.kernel.banks import _all_banks

    for bank in _all_banks().values():
        for kana in [bank.kana, *(br.kana for br in bank.branches.values())]:
            out = to_zengin_bank_name(kana)
            assert 0 < len(out) <= 15
            assert set(out) <= BANK_NAME_CHARS
            assert out[0] not in "ﾞﾟ"


@pytest.mark.parametrize(
    ("query", "code"),
    [("0125", "0125"), ("七十七", "0125"), ("しちじゅうしち", "0125"), ("シチジユウ", "0125")],
)
def test_search_banks_finds(query: str, code: str) -> None:
    assert code in [b.code for b in search_banks(query)]


def test_search_banks_limits_and_empty() -> None:
    assert len(search_banks("0", limit=3)) == 3
    assert search_banks("") == []
    assert search_banks("該当なし銀行") == []

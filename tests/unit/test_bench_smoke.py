"""The settlement benchmark still runs and reconciles (tiny, untimed; the real run is `make bench`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from bench.settlement import duckdb_path, generate, our_path
from chalicelib.settlement.zengin_reader import parse_transfer_file


def test_generated_month_is_imported_paid_and_reconciles(tmp_path: Path) -> None:
    generated = generate(tmp_path, rows=2_000, stores=150, seed=7)
    ours = our_path(generated.path)
    result = ours["result"]

    assert result.rows == 2_000
    assert result.duplicates == generated.duplicates
    assert len(result.rejected) == generated.broken
    assert result.rows == result.accepted + result.duplicates + len(result.rejected)
    assert result.totals == generated.truth
    paid = sum(amount for amount in result.store_totals("2025-06").values() if amount > 0)
    assert ours["paid"] == paid and ours["payees"] > 0


def test_the_transfer_file_reads_back(tmp_path: Path) -> None:
    generated = generate(tmp_path, rows=500, stores=40, seed=3)
    ours = our_path(generated.path)
    parsed = parse_transfer_file(ours["zengin"])
    assert len(parsed.records) == ours["payees"]
    assert sum(record.amount for record in parsed.records) == ours["paid"] == parsed.trailer_total
    assert ours["statement"].startswith(b"\xef\xbb\xbf")


@pytest.mark.skipif(importlib.util.find_spec("duckdb") is None, reason="duckdb is a dev dependency")
def test_duckdb_agrees(tmp_path: Path) -> None:
    generated = generate(tmp_path, rows=2_000, stores=150, seed=11)
    assert duckdb_path(generated.path) == our_path(generated.path)["result"].totals == generated.truth

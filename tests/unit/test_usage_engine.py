"""The DuckDB reader of the usage export (chalicelib/usage/engine.py) against the Python reader.

Every test reads one file both ways and wants the very same ImportResult (counts, rejected lines and
their reasons, totals, first days, store names in their order, accepted ids in file order). Where
the engine must take the file itself, the Python reader is made to fail: a silent fallback would
otherwise pass for the engine. Where it must not (a blank line inside, a quoted line break...), it is
asked directly and must say None.
"""

from __future__ import annotations

import codecs
import csv
import io
import tempfile
import tracemalloc
from collections.abc import Container
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.usage import engine, engine_input, parser
from chalicelib.usage.export import KnownIds
from chalicelib.usage.parser import ColumnMapping, ImportResult, NotAnExport, TxnIds, parse_usage_export
from tests.unit.test_usage_parser import files as parser_files
from tests.unit.test_usage_parser import model

pytestmark = pytest.mark.skipif(not engine.available(), reason="duckdb is not installed")

HEADER = ["取引ID", "取引日時", "店舗ID", "店舗名", "利用ポイント", "取引区分"]
PERIOD = (date(2025, 5, 28), date(2026, 2, 28))


def text(rows: list[list[str]], header: list[str] = HEADER, newline: str = "\r\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def row(txn: str, at: str = "2025-06-01 10:00:00", store: str = "MP000001", name: str = "仙台商店",
        points: str = "100", kind: str = "利用") -> list[str]:
    return [txn, at, store, name, points, kind]


def both(data: bytes, known: Container[str] = frozenset(), mapping: ColumnMapping = ColumnMapping(),
         usable: tuple[date, date] | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> ImportResult:
    """The result of both readers, asserted identical; with ``monkeypatch`` the engine must take the file.
    The engine reads the export twice: as bytes, and as a file read in pieces of a few bytes (the import
    function's way, with every line split between pieces somewhere)."""
    python = parse_usage_export(data, known, mapping, usable, engine="python")
    with tempfile.TemporaryDirectory() as tmp, pytest.MonkeyPatch.context() as patch:
        path = Path(tmp) / "export.csv"
        path.write_bytes(data)
        if monkeypatch is not None:
            def no_python(*args: object) -> ImportResult:
                raise AssertionError("the engine handed the file to the Python reader")

            patch.setattr(parser, "_read", no_python)
        patch.setattr(engine_input, "PART_BYTES", 64)  # a copy is read by DuckDB in many parts
        ours = parse_usage_export(data, known, mapping, usable, engine="engine")
        patch.setattr(engine_input, "READ_BYTES", 7)
        from_file = parse_usage_export(path, known, mapping, usable, engine="engine")
    same(ours, python)
    same(from_file, python)
    return ours


def same(ours: ImportResult, python: ImportResult) -> None:
    assert ours == python
    assert ours.rejected == python.rejected  # lines and reasons, in order
    assert list(ours.new_txn_ids) == list(python.new_txn_ids)
    assert list(ours.store_names.items()) == list(python.store_names.items())  # dict order too
    assert list(ours.totals) == list(python.totals)
    assert ours.encoding == python.encoding


def valid_rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        day = 1 + i % 30
        kind = "取消" if i % 17 == 0 else "利用"
        rows.append(row(f"TX{i:06d}", f"2025-06-{day:02d} {i % 24:02d}:{i % 60:02d}:{(7 * i) % 60:02d}",
                        f"MP{1 + i % 23:06d}", f"店{i % 23}" if i % 5 else f"店{i % 23}, 本店", str(1 + (i * 37) % 5000),
                        kind))
    rows.append(row("TXM1", "2025-05-31 23:59:59"))  # the previous month's last second
    rows.append(row("TXM2", "2025-07-01 00:00:00", store="MP000002"))
    return rows


# Each rejected by the Python rules with its own reason; the engine sends them there.
BAD_ROWS = [
    row("B01", at="2025-06-31 10:00:00"),
    row("B02", at="2025-06-15 25:10:00"),
    row("B03", at="2025-06-15 10:60:00"),
    row("B04", at=""),
    row("B05", at="2025-06-01"),
    row("B06", store="MP12345"),
    row("B07", store=""),
    row("B08", points="0"),
    row("B09", points="-300"),
    row("B10", points="12.5"),
    row("B11", points=""),
    row("B12", points="1000001"),
    row("B13", points="００１"),
    row("B14", kind="返品"),
    row("B15", kind=""),
    row("", name="ID空"),
    row("  ", name="ID空白"),
    row("B16", at="1999-12-31 23:59:59"),
    # What DuckDB's casts take and the rules do not: a 24th hour, a 60th second, signs, spaces,
    # underscores, exponents, hex, a numeral sign.
    row("C01", at="2025-06-15 24:00:00"),
    row("C02", at="2025-06-15 10:00:60"),
    row("C03", points="+5"),
    row("C04", points=" 5"),
    row("C05", points="5 "),
    row("C06", points="1_000"),
    row("C07", points="1e3"),
    row("C08", points="0x10"),
    row("C09", points="Ⅲ"),
    row("B17", at="x", store="y", points="z", kind="w"),  # every problem named
    ["B18", "2025-06-15 10:00:00", "MP000001", "列不足", "100"],
    ["B19"],
    ["", "", "", "", "", ""],  # Excel's empty row: not a row at all
    ["   ", "", "", "", "", ""],
]


@pytest.mark.parametrize(("encoding", "bom", "newline"), [
    ("utf-8", b"", "\r\n"), ("utf-8", b"", "\n"), ("utf-8", codecs.BOM_UTF8, "\r\n"), ("cp932", b"", "\r\n"),
    ("cp932", b"", "\n"),
])
def test_a_valid_file_is_read_by_the_engine_exactly_as_by_python(encoding: str, bom: bytes, newline: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = bom + text(valid_rows(3000), newline=newline).encode(encoding)
    result = both(data, monkeypatch=monkeypatch)
    assert result.accepted == 3002 and result.rejected == [] and isinstance(result.new_txn_ids, TxnIds)
    assert result.encoding == {"utf-8": "utf-8", "cp932": "cp932"}[encoding] + ("-sig" if bom else "")


@pytest.mark.parametrize("where", ["middle", "end", "start"])
@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_every_kind_of_bad_row_gets_its_line_and_reason(where: str, encoding: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    good = valid_rows(600)
    at = {"start": 0, "middle": 300, "end": len(good)}[where]
    rows = good[:at] + BAD_ROWS + good[at:]
    result = both(text(rows).encode(encoding), monkeypatch=monkeypatch)
    assert len(result.rejected) == len(BAD_ROWS) - 2  # the two blank rows are not rows
    assert result.rows == len(rows) - 2
    assert result.rejected[0].line == at + 2


def test_trailing_blank_lines_and_a_missing_final_line_break(monkeypatch: pytest.MonkeyPatch) -> None:
    body = text(valid_rows(50))
    both((body + "\r\n\r\n").encode(), monkeypatch=monkeypatch)
    both(body.rstrip("\r\n").encode(), monkeypatch=monkeypatch)


def test_leading_zeros_and_the_largest_points_count(monkeypatch: pytest.MonkeyPatch) -> None:
    result = both(text([row("Z1", points="0001"), row("Z2", points="0" * 40 + "7"), row("Z3", points="1000000"),
                        row("Z4", at="2025-06-30 23:59:59", points="000")]).encode(), usable=PERIOD,
                  monkeypatch=monkeypatch)
    assert result.accepted == 3 and result.totals[("2025-06", "MP000001")] == 1 + 7 + 1_000_000


def test_cancellations_without_originals_net_negative(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [row("C1", kind="取消", points="500"), row("C2", store="MP000002", kind="取消"),
            row("U1", store="MP000002", points="40")]
    result = both(text(rows).encode(), monkeypatch=monkeypatch)
    assert result.totals == {("2025-06", "MP000001"): -500, ("2025-06", "MP000002"): -60}


def test_duplicates_within_the_file_and_across_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = valid_rows(200)
    rows += [list(rows[5]), list(rows[150])]  # re-exported: duplicates
    rows += [row(rows[7][0], points="999")]  # same id, other content: rejected, the first counts
    rows += [[*rows[8][:3], "別名", *rows[8][4:]]]  # only the name differs: a duplicate
    rows += [row("K1", points="0"), row("K2"), row("K3")]  # known: duplicates whatever they say
    rows += [row("X1", points="0"), row("X1"), row("X1", points="1")]  # the first valid row counts
    known = {"K1", "K2", "K3", rows[20][0], "never-seen"}
    result = both(text(rows).encode(), known, monkeypatch=monkeypatch)
    assert result.duplicates == 2 + 1 + 4
    assert result.rejected[0] == parser.RejectedLine(206, parser.CONFLICT)  # header + 202 rows + 2 re-exported


def test_usable_period_and_another_mapping(monkeypatch: pytest.MonkeyPatch) -> None:
    mapping = ColumnMapping(txn_id="Transaction", at="Time", store_id="Merchant", store_name="Merchant name",
                            points="Points", kind="Type", use_label="PAY", cancel_label="REFUND")
    header = ["Type", "Merchant", "Memo", "Points", "Transaction", "Merchant name", "Time"]
    rows = [["PAY", "MP000001", "x", "500", "A1", "仙台", "2025-06-01 10:00:00"],
            ["REFUND", "MP000001", "y", "200", "A2", "仙台", "2025-06-02 10:00:00"],
            ["利用", "MP000001", "z", "1", "A3", "仙台", "2025-06-02 10:00:00"],
            ["PAY", "MP000002", "", "7", "A4", "石巻", "2025-05-27 23:59:59"],
            ["PAY", "MP000002", "", "7", "A5", "石巻", "2026-03-01 00:00:00"]]
    result = both(text(rows, header).encode(), mapping=mapping, usable=PERIOD, monkeypatch=monkeypatch)
    assert result.totals == {("2025-06", "MP000001"): 300} and len(result.rejected) == 3


def test_the_header_after_blank_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    result = both(b"\r\n\r\n" + text([*valid_rows(20), row("Z", points="0")]).encode(), monkeypatch=monkeypatch)
    assert result.rejected[0].line == 3 + 22 + 1


@pytest.mark.parametrize("body", [
    text([row("T1"), row("T2", name="二行の\n店名"), row("T3", points="0")]),  # a quoted line break
    text([row("T1")]) + "\r\n" + text([row("T2", points="0")])[len(text([])):],  # a blank line inside
    text([row("T1"), row("T2", at="2025-06-30T15:00:00Z"), row("T3", points="0")]),  # valid, not the console's form
    text([row("T1"), row("T2", points="1,200"), row("T3", at="2025/6/1 9:05")]),
    text([row("T1"), [*row("T2"), "extra", "more"]]),  # too many columns: DuckDB's strict reader refuses
    text([row("T1"), row("T2", name="a\rb")]),  # a lone CR
    text([row("T1"), row("T2", name="x" * (csv.field_size_limit() + 1)), row("T3")]),  # csv refuses the field
    text([row("T1"), row("x" * (csv.field_size_limit() + 1)), row("T3")]),
    text([row("T1"), row("T2", points="0" * csv.field_size_limit() + "1"), row("T3")]),
    text([row("T1"), row("T2", name="仙" * (csv.field_size_limit() // 2)), row("T3")]),  # long in bytes only
    text([row("T1"), row("T2", name="\x01")]),  # the engine's own markers
    text([row("T1"), row("T2", name="\x1f")]),
])
@pytest.mark.parametrize("part_bytes", [engine_input.PART_BYTES, 64])
def test_what_the_engine_leaves_to_python_is_read_the_same(body: str, part_bytes: int,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_input, "PART_BYTES", part_bytes)  # 64: the line in a later part of the copy
    data = body.encode()
    assert engine.read_with_engine(data, frozenset(), ColumnMapping(), "utf-8", None) is None
    same(parse_usage_export(data), parse_usage_export(data, engine="python"))


@pytest.mark.parametrize("name", ['a"b', '"ab"c', '"a""b"', '""', '"a,b" ', ' "a"', 'a""'])
def test_quotes_where_csv_is_lenient_read_the_same(name: str) -> None:
    line = f"T2,2025-06-01 10:00:00,MP000001,{name},100,利用"
    both((text([row("T1")]) + line + "\r\n" + text([row("T3", points="0")])[len(text([])):]).encode())


def test_utf8_that_breaks_later_is_read_again_as_cp932() -> None:
    mapping = ColumnMapping(txn_id="id", at="at", store_id="store", store_name="name", points="points", kind="kind",
                            use_label="use", cancel_label="cancel")
    rows = [row(f"T{i}", name="shop", kind="use") for i in range(3000)]  # ~150 KB of ASCII
    rows.append(row("T-last", name="仙台商店", kind="use"))
    data = text(rows, ["id", "at", "store", "name", "points", "kind"]).encode("cp932")
    assert engine.read_with_engine(data, frozenset(), mapping, "utf-8", None) is None  # DuckDB refuses it
    result = both(data, mapping=mapping)
    assert result.encoding == "cp932" and result.accepted == 3001


def test_known_ids_that_can_only_be_asked_go_to_python() -> None:
    class Asked(Container[str]):
        def __contains__(self, item: object) -> bool:
            return item == "T2"

    data = text([row("T1"), row("T2"), row("T3")]).encode()
    assert engine.read_with_engine(data, Asked(), ColumnMapping(), "utf-8", None) is None
    result = both(data, Asked())
    assert (result.accepted, result.duplicates) == (2, 1)


def test_known_ids_with_odd_characters_or_listed_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    data = text([row("T1"), row("T,2"), row('T"3'), row("T 4"), row("T5")]).encode()
    # Listed twice, with commas, quotes and spaces: the engine takes them.
    result = both(data, ["T,2", 'T"3', "T 4", "T,2", "nowhere"], monkeypatch=monkeypatch)
    assert (result.accepted, result.duplicates) == (2, 3)
    # An id with the list's own separator (0x01) can't be listed: the Python reader decides.
    assert engine.read_with_engine(data, {"T\x016", "T5"}, ColumnMapping(), "utf-8", None) is None
    assert both(data, {"T\x016", "T5"}).duplicates == 1


@pytest.mark.parametrize("as_", ["set", "list", "ledgers"])
def test_known_ids_outside_the_form_are_duplicates_and_nothing_builds_their_set(
        as_: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Known rows in form are marked by DuckDB; known rows outside it (a bad time, bad points, the wrong label)
    # are duplicates too, whatever they say, and unknown ones are rejected on their lines.
    rows = [row("T1"), row("K1", at="not a time"), row("T2", points="0"), row("K2", points="1,2,3"),
            row("K3"), row("T3", kind="返品"), row("K4", at="2025-06-01 10:00:00", points="-5"), row("T4")]
    ids = ["K1", "K2", "K3", "K4", "elsewhere"]
    known: Container[str] = {"set": set(ids), "list": [*ids, "K2"],
                             "ledgers": KnownIds([b"K1\nK2\n", b"", b"K3\n\nK4\nelsewhere"])}[as_]
    if isinstance(known, KnownIds):
        def no_set(*args: object) -> bool:
            raise AssertionError("the engine asked for the set of the known ids")

        monkeypatch.setattr(KnownIds, "__contains__", no_set)
        monkeypatch.setattr(KnownIds, "__iter__", no_set)
        result = engine.read_with_engine(text(rows).encode(), known, ColumnMapping(), "utf-8", None)
        assert result is not None
        monkeypatch.undo()
        same(result, parse_usage_export(text(rows).encode(), known, engine="python"))
    else:
        result = both(text(rows).encode(), known, monkeypatch=monkeypatch)
    assert (result.rows, result.accepted, result.duplicates) == (8, 2, 4)
    assert [r.line for r in result.rejected] == [4, 7]
    assert list(result.new_txn_ids) == ["T1", "T4"]


def test_many_known_ids_listed_in_another_order_mark_the_right_rows() -> None:
    # 40,000 rows, every other one known (a re-export overlapping an import), the known ids listed in
    # another order than the file's: the marks land on the right rows and the rest keep their order.
    rows = [row(f"T{i:06d}", store=f"MP{i % 97:06d}", points=str(1 + i % 500)) for i in range(40_000)]
    known = KnownIds([("\n".join(f"T{i:06d}" for i in reversed(range(0, 40_000, 2)))).encode()])
    data = text(rows).encode()
    result = engine.read_with_engine(data, known, ColumnMapping(), "utf-8", None)
    assert result is not None
    python = parse_usage_export(data, set(known), engine="python")
    same(result, python)
    assert (result.accepted, result.duplicates) == (20_000, 20_000)
    assert list(result.new_txn_ids)[:3] == ["T000001", "T000003", "T000005"]


def test_not_an_export_is_said_by_python() -> None:
    with pytest.raises(NotAnExport, match="見つからない列"):
        parse_usage_export(b"a,b\r\n1,2\r\n", engine="engine")


@pytest.mark.parametrize("data", [
    b"", b"PK\x03\x04 a workbook", b"a,b\r\n1,2\r\n", "\r\n".join(map(",".join, [HEADER, *valid_rows(40)])).encode()
    + b"\r\nTX\x00,2025-06-01 10:00:00,MP000001,x,1,\xe5\x88\xa9\xe7\x94\xa8",  # NUL after the start
    text(valid_rows(40)).encode("utf-8")[:-300] + "\r\n".join(map(",".join, valid_rows(5))).encode("cp932"),
])
def test_a_file_that_is_not_an_export_is_said_as_its_bytes_would_be(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    with pytest.raises(NotAnExport) as from_bytes:
        parse_usage_export(data, engine="engine")
    with pytest.raises(NotAnExport) as from_file:
        parse_usage_export(path, engine="engine")
    assert from_file.value.message == from_bytes.value.message


def test_a_file_whose_header_or_end_lies_beyond_the_edges_goes_to_python(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    monkeypatch.setattr(engine_input.Source, "EDGE_BYTES", 200)
    path = tmp_path / "export.csv"
    late_header = ("\r\n" * 150 + text(valid_rows(30))).encode()
    many_breaks = (text(valid_rows(30)) + "\r\n" * 150).encode()
    for data in (late_header, many_breaks):
        path.write_bytes(data)
        assert engine.read_with_engine(path, frozenset(), ColumnMapping(), "utf-8", None) is None
        same(parse_usage_export(path), parse_usage_export(data, engine="python"))
    monkeypatch.setattr(engine_input.Source, "EDGE_BYTES", 4096)
    for data in (late_header, many_breaks):
        path.write_bytes(data)
        assert engine.read_with_engine(path, frozenset(), ColumnMapping(), "utf-8", None) is not None


@pytest.mark.parametrize(("encoding", "tail", "copied"), [
    ("utf-8", "", False), ("utf-8-sig", "\r\n", False), ("utf-8", "\n", False), ("cp932", "", True),
    ("utf-8", "\r\n\r\n", True),  # blank lines after the last: the copy ends before them
])
def test_a_utf8_file_is_read_where_it_is_and_anything_else_from_a_copy(encoding: str, tail: str, copied: bool,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    calls: list[str] = []
    check, copy_in_parts = engine_input.check, engine_input.copy_in_parts
    monkeypatch.setattr(engine_input, "check", lambda *args: calls.append("read in place") or check(*args))
    monkeypatch.setattr(engine_input, "copy_in_parts", lambda *args: calls.append("copied") or copy_in_parts(*args))
    data = (text(valid_rows(60) + BAD_ROWS).rstrip("\r\n") + tail).encode(encoding)
    both(data, monkeypatch=monkeypatch)
    # Bytes are always copied; the file when it must be.
    assert calls == ["copied", "copied" if copied else "read in place"]


def test_a_lone_cr_in_the_header_line_goes_to_python(tmp_path: Path) -> None:
    data = text([row("TX1"), row("TX2")]).replace("\r\n", "\r", 1).encode()
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    for source in (data, path):
        assert engine.read_with_engine(source, frozenset(), ColumnMapping(), "utf-8", None) is None
    same(parse_usage_export(path), parse_usage_export(data, engine="python"))


def test_a_file_is_read_in_pieces_never_whole(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rows = [[*r[:3], "仙台商店", *r[4:]] for r in valid_rows(30_000)]  # no quoted names
    data = text(rows).encode("cp932")
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    monkeypatch.setattr(engine_input, "READ_BYTES", 64 * 1024)
    monkeypatch.setattr(parser, "_read", lambda *args: pytest.fail("the engine handed the file to Python"))
    tracemalloc.start()
    try:
        result = parse_usage_export(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.accepted == len(rows)
    # The accepted ids (~0.3 MB here) and pieces of 64 KB: far less than the 1.5 MB file, let alone its text.
    assert len(data) > 1_500_000 and peak < len(data) / 2, (peak, len(data))


def test_the_engine_is_never_imported_by_the_parser_module() -> None:
    source = (parser.__file__ and open(parser.__file__, encoding="utf-8").read()) or ""
    assert "import duckdb" not in source
    assert "from chalicelib.usage import engine as duck  # DuckDB only on the import path" in source


def test_txn_ids_behave_as_a_list() -> None:
    ids = TxnIds(b"A\nB\nC\n")
    assert len(ids) == 3 and ids == ["A", "B", "C"] and ids[1] == "B" and list(ids) == ["A", "B", "C"]
    assert ids == TxnIds(b"A\nB\nC\n") and ids != ["A"] and parser.txn_id_lines(ids) == b"A\nB\nC"
    assert parser.txn_id_lines(["A", "B"]) == b"A\nB" and len(TxnIds(b"")) == 0


# --- property: generated files, both ways ----------------------------------------------------------

ATS = ["2025-06-01 00:00:00", "2025-06-30 23:59:59", "2025-07-01 00:00:00", "2025-05-27 10:00:00",
       "2025-06-31 10:00:00", "", "2025-06-01 24:00:00"]
STORES = ["MP000001", "MP000002", "MP123456", "MP12345", ""]
POINTS = ["1", "250", "1000000", "0", "-5", "1.5", "1000001", "007"]
KINDS = ["利用", "取消", "返品"]
NAMES = ["仙台商店", "石巻, 本店", "", '引用"符']


@st.composite
def console_rows(draw: st.DrawFn) -> list[str]:
    """Rows in the console's own form or rejected ones: the engine takes every such file itself."""
    shape = draw(st.integers(0, 40))
    cells = [draw(st.sampled_from(["T1", "T2", "T3", "T4", "K1", "K2", "T5"])) if shape != 1 else " ",
             draw(st.sampled_from(ATS[:3] * 6 + ATS)), draw(st.sampled_from(STORES[:3] * 6 + STORES)),
             draw(st.sampled_from(NAMES)), draw(st.sampled_from(POINTS[:3] * 6 + POINTS)),
             draw(st.sampled_from(KINDS[:2] * 6 + KINDS))]
    return cells[:4] if shape == 2 else cells


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(console_rows(), max_size=40), known=st.sets(st.sampled_from(["K1", "K2", "T5"])),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp932"]), usable=st.sampled_from([None, PERIOD]))
def test_generated_files_read_the_same_by_both(rows: list[list[str]], known: set[str], encoding: str,
                                               usable: tuple[date, date] | None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    result = both(text(rows).encode(encoding), known, usable=usable, monkeypatch=monkeypatch)
    assert result.rows == result.accepted + result.duplicates + len(result.rejected)


@settings(max_examples=150, deadline=None)
@given(lines=parser_files(), known=st.sets(st.sampled_from(["K1", "K2", "T6"])))
def test_any_file_the_parser_tests_generate_reads_the_same(lines: list[list[str] | None], known: set[str]) -> None:
    data, _ = model(lines, known)
    same(parse_usage_export(data.encode(), known), parse_usage_export(data.encode(), known, engine="python"))


def test_when_duckdb_runs_out_of_memory_python_reads_the_file(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    data = text(valid_rows(20_000)).encode()
    monkeypatch.setattr(engine, "MEMORY_LIMIT_BESIDE_BYTES", "1MB")
    assert engine.read_with_engine(data, {"TX000001"}, ColumnMapping(), "utf-8", None) is None
    monkeypatch.setattr(engine, "MEMORY_LIMIT", "1MB")
    path = tmp_path / "export.csv"
    path.write_bytes(data)
    assert engine.read_with_engine(path, {"TX000001"}, ColumnMapping(), "utf-8", None) is None
    result = both(data, {"TX000001"})
    assert result.duplicates == 1 and isinstance(result.new_txn_ids, list)


def _read_in_parallel(patch: pytest.MonkeyPatch) -> None:
    # DuckDB splits a file between its threads by buffer: small buffers and more threads than pieces of
    # work make a small file read the way a large one is.
    patch.setattr(engine, "CSV_BUFFER_BYTES", 4096)
    patch.setattr(engine, "THREADS", 4)


def _file_read_in_parallel(encoding: str) -> tuple[bytes, set[str], int]:
    rows = valid_rows(3000)
    rows = rows[:100] + BAD_ROWS[:6] + rows[100:2000] + BAD_ROWS[6:] + rows[2000:]
    rows += [list(rows[5]), list(rows[1640])]  # re-exported, from the start and a later buffer
    rows += [row(rows[7][0], points="999"), row(rows[2650][0], store="MP000099")]  # conflicts
    rows.insert(1450, list(rows[3]))  # a repeat in the middle of the file
    return text(rows).encode(encoding), {rows[20][0], rows[2800][0]}, len(rows)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_a_file_read_by_several_threads_keeps_its_line_numbers_and_order(encoding: str,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    data, known, count = _file_read_in_parallel(encoding)
    assert len(data) > 40 * 4096  # dozens of buffers
    with monkeypatch.context() as patch:
        _read_in_parallel(patch)
        result = both(data, known, monkeypatch=monkeypatch)
    assert result.duplicates == 3 + 2 and len(result.rejected) == len(BAD_ROWS) - 2 + 2
    assert [r.line for r in result.rejected][-2:] == [count, count + 1]  # the conflicts, last lines


def test_without_insertion_order_the_rows_would_lose_their_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    # The control of the test above: the rowid is the line only because DuckDB keeps insertion order.
    data, known, _ = _file_read_in_parallel("utf-8-sig")
    python = parse_usage_export(data, known, engine="python")
    with monkeypatch.context() as patch:
        _read_in_parallel(patch)
        patch.setattr(engine, "PRESERVE_ORDER", False)
        ours = engine.read_with_engine(data, known, ColumnMapping(), "utf-8-sig", None)
    assert ours is None or ours.rejected != python.rejected or list(ours.new_txn_ids) != list(python.new_txn_ids)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(console_rows(), max_size=40), known=st.sets(st.sampled_from(["K1", "K2", "T5"])),
       encoding=st.sampled_from(["utf-8-sig", "cp932"]))
def test_generated_files_read_in_parallel_the_same(rows: list[list[str]], known: set[str], encoding: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        _read_in_parallel(patch)
        result = both(text(rows).encode(encoding), known, monkeypatch=monkeypatch)
    assert result.rows == result.accepted + result.duplicates + len(result.rejected)



def test_known_ids_asked_for_the_file_s_months_once_give_what_the_ids_given_give(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A July export repeating a June row; a conflicting repeat dated in August; a bad row in September.
    rows = [row("J1", at="2025-06-30 23:00:00"), row("T1", at="2025-07-01 09:00:00"),
            row("T2", at="2025-07-02 10:00:00"), row("T2", at="2025-08-01 10:00:00"),
            row("T3", at="2025-09-31 10:00:00"), row("T4", at="2025-07-03 10:00:00")]
    data = text(rows).encode()
    counted = {"2025-06": [b"J1\nJ0"], "2025-08": [b"T2"], "2025-09": [b"T3"]}
    for engine_name in ("engine", "python"):
        asked: list[list[str]] = []

        def known_for(months: list[str], asked: list[list[str]] = asked) -> KnownIds:
            asked.append(months)
            return KnownIds(ledger for month in months for ledger in counted.get(month, []))

        if engine_name == "engine":
            monkeypatch.setattr(parser, "_read", lambda *args: pytest.fail("the engine left the file"))
        result = parse_usage_export(data, engine=engine_name, known_for=known_for)
        monkeypatch.undo()
        # Every valid row's month, the conflicting repeat's too (its id may be one August counted); not the
        # bad row's.
        assert asked == [["2025-06", "2025-07", "2025-08"]]
        given = parse_usage_export(data, KnownIds([b"J1\nJ0", b"T2"]), engine="python")
        same(result, given)
        assert (result.accepted, result.duplicates, [r.line for r in result.rejected]) == (2, 3, [6])


def test_known_ids_asked_for_and_none_found_read_the_file_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = text([row("T1"), row("T2")]).encode()
    reads: list[object] = []
    real = parser._read
    monkeypatch.setattr(parser, "_read", lambda *args: reads.append(args) or real(*args))
    result = parse_usage_export(data, engine="python", known_for=lambda months: KnownIds([]))
    assert (len(reads), result.accepted) == (1, 2)
    with pytest.raises(ValueError, match="not both"):
        parse_usage_export(data, {"T1"}, known_for=lambda months: KnownIds([]))

"""The usage export reader (SPEC §4.3): every row rule, encodings, mapping, not-an-export, invariants.

Rows are written as CSV text and read back; a row's rule is checked by what the import report says
(rejected line and reason, duplicates, totals). The reader takes well-formed chunks column by column
and anything else row by row: the property tests compare both paths with a plain reference model.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.usage import parser
from chalicelib.usage.parser import (
    ColumnMapping,
    ImportResult,
    NotAnExport,
    decode_export,
    parse_usage_export,
    parse_usage_time,
)

HEADER = ["取引ID", "取引日時", "店舗ID", "店舗名", "利用ポイント", "取引区分"]


def csv_text(rows: list[list[str]], header: list[str] = HEADER, newline: str = "\r\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def export(*rows: list[str], header: list[str] = HEADER, encoding: str = "utf-8", newline: str = "\r\n") -> bytes:
    return csv_text(list(rows), header, newline).encode(encoding)


def usage(txn: str = "T1", at: str = "2025-06-01 10:00:00", store: str = "MP000001", name: str = "仙台商店",
          points: str = "100", kind: str = "利用") -> list[str]:
    return [txn, at, store, name, points, kind]


def only_rejection(result: ImportResult) -> str:
    assert result.accepted == 0 and result.duplicates == 0
    assert len(result.rejected) == 1, result.rejected
    assert result.rejected[0].line == 2
    return result.rejected[0].reason


# --- 取引日時 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "month"),
    [
        ("2025-06-01 10:00:00", "2025-06"),
        ("2025-06-30 23:59:59", "2025-06"),
        ("2025-06-30 23:59", "2025-06"),
        ("2025/06/30 23:59:59", "2025-06"),
        ("2025/6/1 9:05", "2025-06"),  # Excel's re-save of the export
        ("2025/12/31 0:00:00", "2025-12"),
        ("2025-06-30T23:30:00", "2025-06"),  # naive: JST
        ("2025-06-30T23:59:59.999999", "2025-06"),
        ("2025-06-30T23:30:00+09:00", "2025-06"),
        ("2025-07-01T00:30:00+09:00", "2025-07"),
        ("2025-06-30T14:59:59Z", "2025-06"),  # 23:59:59 JST
        ("2025-06-30T15:00:00Z", "2025-07"),  # 00:00 JST on 1 July
        ("2025-05-31T15:00:00.5Z", "2025-06"),
        ("2025-06-30T20:00:00-05:00", "2025-07"),  # 10:00 JST on 1 July
        ("2025-06-01 10:00:00+0900", "2025-06"),
        ("2025-06-01 10:00:00+09", "2025-06"),
        ("2024-02-29 12:00:00", "2024-02"),
    ],
)
def test_accepted_datetimes_count_in_their_jst_month(at: str, month: str) -> None:
    result = parse_usage_export(export(usage(at=at)))
    assert result.rejected == []
    assert result.totals == {(month, "MP000001"): 100}
    assert result.months == [month]


@pytest.mark.parametrize(
    "at",
    [
        "2025-06-31 10:00:00",  # no such day
        "2025-02-29 10:00:00",
        "2025-13-01 10:00:00",
        "2025-06-01 24:00:00",
        "2025-06-01 10:60:00",
        "2025-06-01 10:00:60",
        "2025-06-01",  # a date alone: the month of a late-night purchase must not be guessed
        "2025/6/1",
        "10:00 2025-06-01",
        "2025年6月1日 10:00",
        "２０２５-06-01 10:00:00",  # full-width digits
        "2025-06-01T10:00:00+25:00",
        "2025-06-01T10:00:00+09:60",
        "2025-06-01 10:00:00 JST",
        "2025-6-1 10:00:00",  # dashes are ISO: zero-padded
        "yesterday",
        " 2025-06-01 10:00:00",
    ],
)
def test_unreadable_datetimes_are_rejected(at: str) -> None:
    reason = only_rejection(parse_usage_export(export(usage(at=at))))
    assert "取引日時を読めません" in reason and repr(at) in reason


def test_empty_datetime_is_rejected() -> None:
    assert only_rejection(parse_usage_export(export(usage(at="")))) == "取引日時が空です"


def test_parse_usage_time_returns_jst() -> None:
    moment = parse_usage_time("2025-06-30T15:00:00Z")
    assert moment is not None and moment.isoformat() == "2025-07-01T00:00:00+09:00"
    assert parse_usage_time("2025/6/1 9:05").isoformat() == "2025-06-01T09:05:00+09:00"  # type: ignore[union-attr]
    assert parse_usage_time("2025-06-01") is None


# --- 店舗ID, 利用ポイント, 取引区分 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "store",
    ["MP00001", "MP0000001", "mp000001", "MP00000A", "ＭＰ000001", "MP００００01", "MP٠٠٠٠٠١", " MP000001", "MP000001 ", "X000001"],
)
def test_malformed_store_ids_are_rejected(store: str) -> None:
    reason = only_rejection(parse_usage_export(export(usage(store=store))))
    assert reason.startswith("店舗IDの形式が正しくありません") and repr(store) in reason


def test_empty_store_id_is_rejected() -> None:
    assert only_rejection(parse_usage_export(export(usage(store="")))) == "店舗IDが空です"


def test_unknown_but_well_formed_stores_are_counted() -> None:
    # Whether MP999999 is approved is the caller's question (it reports unknown stores).
    result = parse_usage_export(export(usage(store="MP999999")))
    assert result.totals == {("2025-06", "MP999999"): 100}


@pytest.mark.parametrize(
    ("points", "value"),
    [("1", 1), ("100", 100), ("1,200", 1200), ("123,456", 123_456), ("0100", 100), ("1,000,000", 1_000_000)],
)
def test_points_are_positive_integers_with_optional_thousands_separators(points: str, value: int) -> None:
    result = parse_usage_export(export(usage(points=points)))
    assert result.rejected == []
    assert result.totals == {("2025-06", "MP000001"): value}


@pytest.mark.parametrize(
    ("points", "reason"),
    [
        ("0", "利用ポイントが 0 です"),
        ("00", "利用ポイントが 0 です"),
        ("0,000", "利用ポイントが 0 です"),
        ("-100", "利用ポイントがマイナスです"),
        ("12.5", "利用ポイントが小数です"),
        ("100.0", "利用ポイントが小数です"),
        ("1,234.5", "利用ポイントが小数です"),
        ("", "利用ポイントが空です"),
        ("abc", "利用ポイントが正の整数ではありません"),
        ("1,20", "利用ポイントが正の整数ではありません"),
        ("12,00", "利用ポイントが正の整数ではありません"),
        ("1,2345", "利用ポイントが正の整数ではありません"),
        (",100", "利用ポイントが正の整数ではありません"),
        ("1e3", "利用ポイントが正の整数ではありません"),
        ("１００", "利用ポイントが正の整数ではありません"),  # full-width
        ("١٠٠", "利用ポイントが正の整数ではありません"),  # int() would take these
        (" 100", "利用ポイントが正の整数ではありません"),
        ("+100", "利用ポイントが正の整数ではありません"),
        ("1_000", "利用ポイントが正の整数ではありません"),
        ("10000000000", "利用ポイントが大きすぎます"),
        ("1000001", "利用ポイントが大きすぎます"),
        ("9" * 5000, "利用ポイントが大きすぎます"),  # past int()'s digit limit: still a clear reason
    ],
)
def test_bad_points_are_rejected(points: str, reason: str) -> None:
    assert only_rejection(parse_usage_export(export(usage(points=points)))).startswith(reason)


@pytest.mark.parametrize("kind", ["返品", "利用 ", "取り消し", "USE", "1"])
def test_unknown_kinds_are_rejected(kind: str) -> None:
    reason = only_rejection(parse_usage_export(export(usage(kind=kind))))
    assert reason.startswith("取引区分は「利用」か「取消」です")


def test_several_problems_are_all_named() -> None:
    reason = only_rejection(parse_usage_export(export(usage(at="x", store="MP1", points="0", kind="返品"))))
    assert reason.count(" / ") == 3


@pytest.mark.parametrize("txn", ["", " ", "\u3000"])
def test_empty_transaction_ids_are_rejected(txn: str) -> None:
    assert only_rejection(parse_usage_export(export(usage(txn=txn)))) == "取引IDが空です"


@pytest.mark.parametrize("row", [usage()[:5], [*usage(), "extra"], ["T1"]])
def test_wrong_column_counts_are_rejected(row: list[str]) -> None:
    reason = only_rejection(parse_usage_export(export(row)))
    assert reason == f"列の数が違います（見出しは 6 列、この行は {len(row)} 列）"


# --- cancellations, duplicates ------------------------------------------------------------------


def test_cancellation_nets_against_its_own_month() -> None:
    result = parse_usage_export(export(
        usage("T1", "2025-06-30 21:00:00", points="1,000"),
        usage("T2", "2025-07-01 09:00:00", points="1,000", kind="取消"),  # cancels T1, a day later
        usage("T3", "2025-06-15 12:00:00", points="300", kind="取消"),
    ))
    assert result.totals == {("2025-06", "MP000001"): 700, ("2025-07", "MP000001"): -1000}
    assert result.counts == {("2025-06", "MP000001"): 2, ("2025-07", "MP000001"): 1}
    assert result.months == ["2025-06", "2025-07"]
    assert result.store_totals("2025-07") == {"MP000001": -1000}


def test_a_re_exported_row_is_a_duplicate() -> None:
    result = parse_usage_export(export(usage("T1"), usage("T2"), usage("T1")))
    assert (result.rows, result.accepted, result.duplicates, result.rejected) == (3, 2, 1, [])
    assert result.new_txn_ids == ["T1", "T2"]
    assert result.totals == {("2025-06", "MP000001"): 200}


def test_known_ids_are_duplicates_whatever_they_say() -> None:
    result = parse_usage_export(export(usage("T1"), usage("T2", at="not a time"), usage("T3")),
                                known_txn_ids={"T1", "T2"})
    assert (result.rows, result.accepted, result.duplicates, result.rejected) == (3, 1, 2, [])
    assert result.new_txn_ids == ["T3"]


def test_known_ids_may_be_any_container() -> None:
    class Ids:
        def __contains__(self, item: object) -> bool:
            return item == "T1"

    result = parse_usage_export(export(usage("T1"), usage("T2")), known_txn_ids=Ids())
    assert (result.accepted, result.duplicates) == (1, 1)


@pytest.mark.parametrize(
    "changed",
    [{"at": "2025-06-01 10:00:01"}, {"store": "MP000002"}, {"points": "101"}, {"kind": "取消"}],
)
def test_same_id_with_other_content_is_rejected_and_the_first_counts(changed: dict[str, str]) -> None:
    result = parse_usage_export(export(usage("T1"), usage("T1", **changed)))
    assert (result.rows, result.accepted, result.duplicates) == (2, 1, 0)
    assert [(r.line, r.reason) for r in result.rejected] == [(3, "取引IDが重複していますが内容が異なります（先に出てきた行を採用しました）")]
    assert result.totals == {("2025-06", "MP000001"): 100}


def test_same_id_with_same_meaning_is_a_duplicate() -> None:
    # The store name is a label, and "1,200" is 1200.
    result = parse_usage_export(export(usage("T1", points="1200"), usage("T1", points="1,200", name="改名後")))
    assert (result.accepted, result.duplicates, result.rejected) == (1, 1, [])
    assert result.store_names == {"MP000001": "仙台商店"}


def test_a_valid_row_after_a_rejected_one_with_the_same_id_counts() -> None:
    result = parse_usage_export(export(usage("T1", points="0"), usage("T1")))
    assert (result.accepted, result.duplicates, len(result.rejected)) == (1, 0, 1)


def test_store_names_are_the_last_seen() -> None:
    result = parse_usage_export(export(usage("T1", name="旧名"), usage("T2", name="新名"), usage("T3", store="MP000002")))
    assert result.store_names == {"MP000001": "新名", "MP000002": "仙台商店"}


# --- lines ----------------------------------------------------------------------------------------


def test_blank_lines_are_ignored_and_line_numbers_are_physical() -> None:
    text = (
        "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\r\n"  # 1
        "\r\n"  # 2
        "T1,2025-06-01 10:00:00,MP000001,仙台商店,100,利用\r\n"  # 3
        ",,,,,\r\n"  # 4: Excel's empty row
        'T2,2025-06-01 10:00:00,MP000001,"二行の\r\n店名",100,利用\r\n'  # 5-6
        "T3,2025-06-01 10:00:00,MP000001,仙台商店,0,利用\r\n"  # 7
        "   \r\n"  # 8
        "T4,2025-06-01 10:00:00,MP1,仙台商店,100,利用\r\n"  # 9
    )
    result = parse_usage_export(text.encode())
    assert (result.rows, result.accepted) == (4, 2)
    assert [r.line for r in result.rejected] == [7, 9]


def test_a_refused_multi_line_record_says_why_on_its_first_line_and_each_further_line_too() -> None:
    text = csv_text([usage("T1"), usage("T2", name="一行目\n二行目\n三行目", points="0"), usage("T3", points="0")])
    result = parse_usage_export(text.encode())
    assert [r.line for r in result.rejected] == [3, 4, 5, 6]
    assert result.rejected[0].reason == result.rejected[3].reason != result.rejected[1].reason
    assert result.rejected[1].reason == result.rejected[2].reason == parser.continuation_reason(3)
    assert (result.rows, result.accepted) == (5, 1)  # every line of the file is a row of the report


def test_a_quote_left_open_reports_every_line_it_took_and_reading_goes_on() -> None:
    # One stray quote reads on past csv's field limit: thousands of valid lines must not vanish unsaid.
    rows = [usage(f"T{i:05d}", points="10") for i in range(3000)]
    text = export(usage("T1")).decode() + 'TX,2025-06-01 10:00:00,MP000001,"青葉 店,10,利用\r\n' \
        + csv_text(rows).split("\r\n", 1)[1]
    result = parse_usage_export(text.encode())
    lines = text.count("\r\n") - 1
    assert result.rows == lines == result.accepted + result.duplicates + len(result.rejected)
    taken = [r.line for r in result.rejected]
    assert taken == list(range(3, 3 + len(taken))) and len(taken) > 2000  # from the quote on, without a gap
    assert result.rejected[0].reason.startswith("値が長すぎるため CSV の行として読めません")
    assert {r.reason for r in result.rejected[1:]} == {parser.continuation_reason(3)}
    assert result.accepted == 1 + 3000 - (len(taken) - 1)  # the lines after those it took are read
    assert sum(result.totals.values()) == 100 + 10 * (result.accepted - 1)


def test_a_quote_left_open_to_the_end_reports_every_line_it_took() -> None:
    text = export(usage("T1")).decode() + 'TX,2025-06-01 10:00:00,MP000001,"青葉 店,10,利用\r\n' \
        + csv_text([usage("T2"), usage("T3")]).split("\r\n", 1)[1]
    result = parse_usage_export(text.encode())
    assert (result.rows, result.accepted) == (4, 1)
    assert [r.line for r in result.rejected] == [3, 4, 5]
    assert result.rejected[0].reason == parser.column_count_reason(6, 4)


def test_a_line_csv_cannot_read_is_rejected_and_reading_goes_on() -> None:
    huge = "x" * (csv.field_size_limit() + 1)
    result = parse_usage_export(export(usage("T1"), usage("T2", name=huge), usage("T3")))
    assert (result.rows, result.accepted) == (3, 2)
    assert [r.line for r in result.rejected] == [3]
    assert result.rejected[0].reason == parser.csv_error_reason(csv.Error("field larger than field limit (131072)"))
    assert "CSV の行として読めません" in result.rejected[0].reason


def test_header_only_is_an_empty_import() -> None:
    result = parse_usage_export(export())
    assert (result.rows, result.accepted, result.totals, result.months, result.new_txn_ids) == (0, 0, {}, [], [])


def test_header_may_follow_blank_lines() -> None:
    result = parse_usage_export(b"\r\n\r\n" + export(usage("T1")))
    assert result.accepted == 1
    assert parse_usage_export(b"\r\n" + export(usage("T1", points="0"))).rejected[0].line == 3


# --- encodings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "bom", "newline", "detected"),
    [
        ("utf-8", b"", "\r\n", "utf-8"),
        ("utf-8", b"", "\n", "utf-8"),
        ("utf-8", codecs.BOM_UTF8, "\r\n", "utf-8-sig"),
        ("utf-8", codecs.BOM_UTF8, "\n", "utf-8-sig"),
        ("cp932", b"", "\r\n", "cp932"),
        ("cp932", b"", "\n", "cp932"),
    ],
)
def test_utf8_with_or_without_bom_and_cp932(encoding: str, bom: bytes, newline: str, detected: str) -> None:
    rows = [usage("T1", name="ﾃｽﾄ髙島屋①"), usage("T2", store="MP000002", name="仙台・石巻", kind="利用")]
    result = parse_usage_export(bom + export(*rows, encoding=encoding, newline=newline))
    assert result.encoding == detected
    assert result.rejected == []
    assert result.store_names == {"MP000001": "ﾃｽﾄ髙島屋①", "MP000002": "仙台・石巻"}


def test_cp932_after_a_long_ascii_start_is_read_again_as_cp932() -> None:
    mapping = ColumnMapping(txn_id="id", at="at", store_id="store", store_name="name", points="points", kind="kind",
                            use_label="use", cancel_label="cancel")
    header = ["id", "at", "store", "name", "points", "kind"]
    rows = [usage(f"T{i}", name="shop", kind="use") for i in range(3000)]  # ~150 KB of ASCII
    rows.append(usage("T-last", name="仙台商店", kind="use"))
    result = parse_usage_export(export(*rows, header=header, encoding="cp932"), mapping=mapping)
    assert result.encoding == "cp932"
    assert result.accepted == 3001 and result.store_names["MP000001"] == "仙台商店"


def test_decode_export() -> None:
    text = "取引ID,店舗名\r\nT1,仙台\r\n"
    assert decode_export(text.encode("utf-8")) == "取引ID,店舗名\nT1,仙台\n"
    assert decode_export(codecs.BOM_UTF8 + text.encode("utf-8")) == "取引ID,店舗名\nT1,仙台\n"
    assert decode_export(text.encode("cp932")) == "取引ID,店舗名\nT1,仙台\n"


# --- mapping --------------------------------------------------------------------------------------


def test_other_column_names_extra_columns_and_order() -> None:
    mapping = ColumnMapping(txn_id="Transaction", at="Time", store_id="Merchant", store_name="Merchant name",
                            points="Points", kind="Type", use_label="PAY", cancel_label="REFUND")
    header = ["Type", "Merchant", "Memo", "Points", "Transaction", "Merchant name", "Time"]
    rows = [["PAY", "MP000001", "x", "500", "A1", "仙台", "2025-06-01 10:00:00"],
            ["REFUND", "MP000001", "y", "200", "A2", "仙台", "2025-06-02 10:00:00"],
            ["利用", "MP000001", "z", "1", "A3", "仙台", "2025-06-02 10:00:00"]]
    result = parse_usage_export(export(*rows, header=header), mapping=mapping)
    assert result.totals == {("2025-06", "MP000001"): 300}
    assert result.rejected[0].reason.startswith("取引区分は「PAY」か「REFUND」です")


def test_header_cells_are_compared_after_nfkc_and_trimming() -> None:
    header = [" 取引ＩＤ", "取引日時 ", "店舗ＩＤ", "店舗名", "利用ポイント", "取引区分"]
    assert parse_usage_export(export(usage(), header=header)).accepted == 1


@pytest.mark.parametrize(
    "fields",
    [{"txn_id": ""}, {"at": "店舗ID"}, {"use_label": "取消"}, {"cancel_label": ""}],
)
def test_a_mapping_that_cannot_work_is_refused(fields: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="ColumnMapping"):
        ColumnMapping(**fields)


# --- not an export --------------------------------------------------------------------------------

PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ff")


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "ファイルが空です"),
        (b"\r\n\r\n  \r\n", "ファイルが空です"),
        (PNG, "バイナリファイル"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel (xlsx)"),
        (b"\x80\x81\xff\xfe" * 10, "文字コードを判別できません"),  # neither UTF-8 nor CP932
        (codecs.BOM_UTF8 + "取引ID".encode("cp932"), "UTF-8 (BOM 付き)"),
        ("店舗ID,金額\r\nMP000001,100\r\n".encode(), "見つからない列: 取引ID, 取引日時, 店舗名, 利用ポイント, 取引区分"),
        ("%PDF-1.7\n%âãÏÓ\n".encode(), "利用実績のCSVではありません"),
        (export(header=[*HEADER, "取引ID"]), "同じ列名が複数あります: 取引ID"),
    ],
)
def test_not_an_export(data: bytes, says: str) -> None:
    with pytest.raises(NotAnExport) as caught:
        parse_usage_export(data)
    assert says in caught.value.message
    assert str(caught.value) == caught.value.message


def test_missing_columns_message_names_the_required_columns() -> None:
    with pytest.raises(NotAnExport) as caught:
        parse_usage_export("a,b\r\n1,2\r\n".encode("cp932"))
    assert caught.value.message.startswith("利用実績のCSVではありません（必要な列: 取引ID, 取引日時, 店舗ID, 店舗名, 利用ポイント, 取引区分）")


def test_undecodable_message_gives_the_line() -> None:
    data = export(usage("T1")) + b"T2,\xff\xfe\r\n"
    with pytest.raises(NotAnExport) as caught:
        parse_usage_export(data)
    assert "（3 行目）" in caught.value.message
    with pytest.raises(NotAnExport):
        decode_export(data)


def test_data_must_be_bytes() -> None:
    with pytest.raises(TypeError):
        parse_usage_export("取引ID")  # type: ignore[arg-type]


# --- the reference model and the invariants --------------------------------------------------------

# Pools of field values whose meaning the model knows: (text, month or None).
TIMES = [
    ("2025-06-01 00:00:00", "2025-06"), ("2025-06-30 23:59:59", "2025-06"), ("2025-07-01 00:00:00", "2025-07"),
    ("2025/6/30 9:05", "2025-06"), ("2025-06-30T15:00:00Z", "2025-07"), ("2025-05-31T23:59:59+09:00", "2025-05"),
    ("2025-06-31 10:00:00", None), ("", None), ("2025-06-01", None),
]
STORES = [("MP000001", True), ("MP000002", True), ("MP123456", True), ("MP12345", False), ("", False)]
POINTS = [("1", 1), ("250", 250), ("1,200", 1200), ("1200", 1200), ("0", None), ("-5", None), ("1.5", None)]
KINDS = [("利用", 1), ("取消", -1), ("返品", None)]
NAMES = ["仙台商店", "石巻, 本店", "改行\nあり", ""]


@dataclass
class Expected:
    rows: int
    accepted: int
    duplicates: int
    rejected_lines: list[int]
    totals: dict[tuple[str, str], int]
    counts: dict[tuple[str, str], int]
    names: dict[str, str]
    new_ids: list[str]


def model(lines: list[list[str] | None], known: set[str]) -> tuple[str, Expected]:
    """The file for ``lines`` (None: a blank line) and what the rules say about it, row by row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    line = 2
    exp = Expected(0, 0, 0, [], {}, {}, {}, [])
    seen: dict[str, tuple[str, str, int, int]] = {}
    for row in lines:
        if row is None:
            out.write("\r\n")
            line += 1
            continue
        writer.writerow(row)
        spanned = 1 + sum(cell.count("\n") for cell in row)
        here, line = line, line + spanned
        # A refused row says each of its lines (a line break inside its quoted name: two lines, two rows).
        refused = list(range(here, here + spanned))
        exp.rows += 1
        if len(row) != 6 or not row[0]:
            exp.rows += spanned - 1
            exp.rejected_lines.extend(refused)
            continue
        txn, at, store, name, points, kind = row
        if txn in known:
            exp.duplicates += 1
            continue
        month, value, sign = dict(TIMES)[at], dict(POINTS)[points], dict(KINDS)[kind]
        if month is None or not dict(STORES)[store] or value is None or sign is None:
            exp.rows += spanned - 1
            exp.rejected_lines.extend(refused)
            continue
        content = (at, store, value, sign)
        if txn in seen:
            if seen[txn] == content:
                exp.duplicates += 1
            else:
                exp.rejected_lines.append(here)
            continue
        seen[txn] = content
        exp.accepted += 1
        exp.new_ids.append(txn)
        exp.totals[month, store] = exp.totals.get((month, store), 0) + sign * value
        exp.counts[month, store] = exp.counts.get((month, store), 0) + 1
        exp.names[store] = name
    return out.getvalue(), exp


def _mostly_valid(pool: list[tuple[str, object]]) -> st.SearchStrategy[str]:
    """Valid values eight times as likely: whole chunks must be valid for the column path to run."""
    valid = [text for text, meaning in pool if meaning]
    return st.sampled_from(valid * 8 + [text for text, meaning in pool if not meaning])


def _row(draw: st.DrawFn) -> list[str] | None:
    shape = draw(st.integers(0, 60))
    if shape == 0:
        return None  # a blank line
    row = [
        draw(st.sampled_from(["T1", "T2", "T3", "T4", "T5", "T6", "K1", "K2"])) if shape != 1 else "",
        draw(_mostly_valid(TIMES)),
        draw(_mostly_valid(STORES)),
        draw(st.sampled_from(NAMES)),
        draw(_mostly_valid(POINTS)),
        draw(_mostly_valid(KINDS)),
    ]
    return row[:5] if shape == 2 else row


@st.composite
def files(draw: st.DrawFn) -> list[list[str] | None]:
    return draw(st.lists(st.composite(_row)(), max_size=60))


def parse_both_ways(data: bytes, known: set[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[ImportResult]:
    """The file read by the engine where it takes it (test_usage_engine.py), then by the Python reader
    with tiny chunks (ids repeat across them), then row by row only."""
    yield parse_usage_export(data, known)
    with monkeypatch.context() as patch:
        patch.setattr(parser, "_CHUNK_ROWS", 4)
        yield parse_usage_export(data, known, engine="python")
        patch.setattr(parser._Scan, "_take_columns", lambda *args: False)
        yield parse_usage_export(data, known, engine="python")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=files(), known=st.sets(st.sampled_from(["K1", "K2", "T6"])))
def test_both_paths_agree_with_the_model_and_the_invariants_hold(
    lines: list[list[str] | None], known: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text, exp = model(lines, known)
    for result in parse_both_ways(text.encode("utf-8"), known, monkeypatch):
        assert result.rows == result.accepted + result.duplicates + len(result.rejected)
        counted = [first_valid(lines, txn) for txn in result.new_txn_ids]
        assert sum(result.totals.values()) == sum(dict(KINDS)[r[5]] * dict(POINTS)[r[4]] for r in counted)
        assert (result.rows, result.accepted, result.duplicates) == (exp.rows, exp.accepted, exp.duplicates)
        assert [r.line for r in result.rejected] == exp.rejected_lines
        assert result.totals == exp.totals and result.counts == exp.counts
        assert result.store_names == exp.names
        assert result.new_txn_ids == exp.new_ids
        assert result.months == sorted({month for month, _ in exp.totals})


def first_valid(lines: list[list[str] | None], txn: str) -> list[str]:
    """The row that counted for ``txn``: its first valid occurrence."""
    return next(
        row for row in lines
        if row is not None and len(row) == 6 and row[0] == txn
        and dict(TIMES)[row[1]] and dict(STORES)[row[2]] and dict(POINTS)[row[4]] and dict(KINDS)[row[5]]
    )


def test_a_large_file_with_every_kind_of_line(monkeypatch: pytest.MonkeyPatch) -> None:
    # Chunks of 512 rows with misses, repeats across chunks, a month boundary and a bad line.
    rows: list[list[str] | None] = []
    for i in range(3000):
        rows.append([f"T{i}", TIMES[i % 6][0], STORES[i % 3][0], "店", POINTS[i % 4][0], KINDS[i % 2][0]])
        if i % 97 == 0:
            rows.append(list(rows[i // 2]))  # re-exported, maybe chunks later
    rows.append(["T5", "2025-06-01 00:00:00", "MP000001", "店", "1", "利用"])  # conflicts with the first T5
    rows.append(["T6", "2025-06-31 10:00:00", "MP000001", "店", "1", "利用"])
    text, exp = model(rows, {"T7"})
    for result in parse_both_ways(text.encode(), {"T7"}, monkeypatch):
        assert [r.line for r in result.rejected] == exp.rejected_lines
        assert (result.accepted, result.duplicates, result.totals) == (exp.accepted, exp.duplicates, exp.totals)
    result = parse_usage_export(text.encode(), {"T7"})  # the real chunk size
    assert (result.accepted, result.duplicates, result.totals) == (exp.accepted, exp.duplicates, exp.totals)


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-12:00", "0001-01-01 00:00:00",
                                "9999-12-31 23:59:59", "1999-12-31 23:59:59"])
def test_a_time_outside_the_supported_years_is_rejected_not_a_crash(at: str) -> None:
    result = parse_usage_export(export(usage(at=at)))
    assert result.totals == {} and len(result.rejected) == 1

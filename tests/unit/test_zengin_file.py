"""Zengin 総合振込 file: the writer's exact bytes, and the independent reader as its check.

Expected bytes are assembled field by field with their 1-based byte positions from
reference/zengin.md, so a shifted field shows up as a position error, not only as a diff.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.kernel.zengin_chars import BANK_NAME_CHARS, EDI_CHARS, ENCODING, NAME_CHARS
from chalicelib.settlement import zengin_writer
from chalicelib.settlement.zengin_reader import ZenginParseError, parse_transfer_file, reconcile
from chalicelib.settlement.zengin_writer import (
    Requester,
    Transfer,
    ZenginFieldError,
    build_transfer_file,
)

REQUESTER = Requester(
    requester_code="1234567890",
    name="ﾐﾔｷﾞｹﾝ ﾎﾟｲﾝﾄ",
    bank_code="0125",
    bank_name="ｼﾁｼﾞﾕｳｼﾁ",
    branch_code="100",
    branch_name="ﾎﾝﾃﾝ",
    account_type="1",
    account_number="1234567",
)
SHOP = Transfer(
    bank_code="0001",
    bank_name="ﾐｽﾞﾎ",
    branch_code="001",
    branch_name="ﾄｳｷﾖｳ",
    account_type="1",
    account_number="0000001",
    holder_name="ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ",
    amount=12345,
    new_code="1",
    customer_code1="42",
)
PERSON = Transfer(
    bank_code="0005",
    bank_name="ﾐﾂﾋﾞｼUFJ",
    branch_code="123",
    branch_name="ｾﾝﾀﾞｲ",
    account_type="2",
    account_number="7654321",
    holder_name="ﾐﾔｷﾞ ﾀﾛｳ",
    amount=9_999_999_999,
    transfer_kind="8",
    edi="INV-7 ｦ/｢1｣",
)
DAY = date(2025, 3, 7)


def assemble(fields: list[tuple[int, int, bytes]]) -> bytes:
    """Concatenate (first byte, last byte, value) checking each value fills exactly its positions."""
    out = b""
    for first, last, value in fields:
        assert first == len(out) + 1, f"field at {first} follows byte {len(out)}"
        assert len(value) == last - first + 1, f"bytes {first}–{last}: {value!r} is {len(value)} bytes"
        out += value
    assert len(out) == 120
    return out


EXPECTED_HEADER = assemble(
    [
        (1, 1, b"1"),  # データ区分
        (2, 3, b"21"),  # 種別コード
        (4, 4, b"0"),  # コード区分
        (5, 14, b"1234567890"),  # 振込依頼人コード
        # ﾐ ﾔ ｷ ﾞ ｹ ﾝ ␠ ﾎ ﾟ ｲ ﾝ ﾄ: JIS X 0201 kana, one byte each, then space fill to 40
        (15, 54, b"\xd0\xd4\xb7\xde\xb9\xdd \xce\xdf\xb2\xdd\xc4" + b" " * 28),
        (55, 58, b"0307"),  # 振込指定日 MMDD
        (59, 62, b"0125"),  # 仕向銀行番号
        (63, 77, b"\xbc\xc1\xbc\xde\xd5\xb3\xbc\xc1" + b" " * 7),  # ｼﾁｼﾞﾕｳｼﾁ
        (78, 80, b"100"),  # 仕向支店番号
        (81, 95, b"\xce\xdd\xc3\xdd" + b" " * 11),  # ﾎﾝﾃﾝ
        (96, 96, b"1"),  # 預金種目(依頼人)
        (97, 103, b"1234567"),  # 口座番号(依頼人)
        (104, 120, b" " * 17),  # ダミー
    ]
)
EXPECTED_SHOP = assemble(
    [
        (1, 1, b"2"),  # データ区分
        (2, 5, b"0001"),  # 被仕向銀行番号
        (6, 20, b"\xd0\xbd\xde\xce" + b" " * 11),  # ﾐｽﾞﾎ
        (21, 23, b"001"),  # 被仕向支店番号
        (24, 38, b"\xc4\xb3\xb7\xd6\xb3" + b" " * 10),  # ﾄｳｷﾖｳ
        (39, 42, b"0000"),  # 手形交換所番号
        (43, 43, b"1"),  # 預金種目
        (44, 50, b"0000001"),  # 口座番号
        (51, 80, b"\xb6)\xd0\xd4\xb7\xde\xbc\xd6\xb3\xc3\xdd" + b" " * 19),  # ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ
        (81, 90, b"0000012345"),  # 振込金額
        (91, 91, b"1"),  # 新規コード
        (92, 101, b"0000000042"),  # 顧客コード1, right-justified zero-filled
        (102, 111, b"0000000000"),  # 顧客コード2, absent
        (112, 112, b"7"),  # 振込指定区分
        (113, 113, b" "),  # 識別表示: no EDI
        (114, 120, b" " * 7),  # ダミー
    ]
)
EXPECTED_PERSON = assemble(
    [
        (1, 1, b"2"),
        (2, 5, b"0005"),
        (6, 20, b"\xd0\xc2\xcb\xde\xbcUFJ" + b" " * 7),  # ﾐﾂﾋﾞｼUFJ
        (21, 23, b"123"),
        (24, 38, b"\xbe\xdd\xc0\xde\xb2" + b" " * 10),  # ｾﾝﾀﾞｲ
        (39, 42, b"0000"),
        (43, 43, b"2"),
        (44, 50, b"7654321"),
        (51, 80, b"\xd0\xd4\xb7\xde \xc0\xdb\xb3" + b" " * 22),  # ﾐﾔｷﾞ ﾀﾛｳ
        (81, 90, b"9999999999"),
        (91, 91, b"0"),
        (92, 111, b"INV-7 \xa6/\xa21\xa3" + b" " * 9),  # EDI情報 C20: INV-7 ｦ/｢1｣
        (112, 112, b"8"),
        (113, 113, b"Y"),  # 識別表示
        (114, 120, b" " * 7),
    ]
)
EXPECTED_TRAILER = assemble(
    [
        (1, 1, b"8"),
        (2, 7, b"000002"),  # 合計件数
        (8, 19, b"010000012344"),  # 合計金額 12,345 + 9,999,999,999
        (20, 120, b" " * 101),
    ]
)
EXPECTED_END = assemble([(1, 1, b"9"), (2, 120, b" " * 119)])


def two_payee_file(line_ending: bytes = b"\r\n") -> bytes:
    return build_transfer_file(REQUESTER, DAY, [SHOP, PERSON], line_ending=line_ending)


# --- exact bytes ----------------------------------------------------------------------------------------


def test_records_match_hand_built_bytes() -> None:
    records = two_payee_file().split(b"\r\n")
    assert records[0] == EXPECTED_HEADER
    assert records[1] == EXPECTED_SHOP
    assert records[2] == EXPECTED_PERSON
    assert records[3] == EXPECTED_TRAILER
    assert records[4] == EXPECTED_END
    assert records[5:] == [b""]  # CRLF after the end record too, then nothing


def test_crlf_structure_is_120_bytes_plus_crlf_per_record() -> None:
    data = two_payee_file()
    assert len(data) == 5 * 122
    for start in range(0, len(data), 122):
        assert data[start + 120 : start + 122] == b"\r\n"
        assert b"\r" not in data[start : start + 120] and b"\n" not in data[start : start + 120]
    assert b"\x1a" not in data


def test_no_line_ending_is_a_plain_120_byte_stream() -> None:
    data = two_payee_file(line_ending=b"")
    assert data == EXPECTED_HEADER + EXPECTED_SHOP + EXPECTED_PERSON + EXPECTED_TRAILER + EXPECTED_END


def test_non_ascii_bytes_are_single_byte_half_width_kana() -> None:
    data = two_payee_file()
    high = {b for b in data if b >= 0x80}
    assert high and all(0xA1 <= b <= 0xDF for b in high)
    assert "ｱﾝﾞﾟ".encode(ENCODING) == b"\xb1\xdd\xde\xdf"


# --- reader ---------------------------------------------------------------------------------------------


def test_reader_decodes_every_field() -> None:
    parsed = parse_transfer_file(two_payee_file())
    header = parsed.header
    assert (header.type_code, header.code_division, header.requester_code) == ("21", "0", "1234567890")
    assert (header.requester_name, header.transfer_date) == ("ﾐﾔｷﾞｹﾝ ﾎﾟｲﾝﾄ", "0307")
    assert (header.bank_code, header.bank_name, header.branch_code, header.branch_name) == (
        "0125",
        "ｼﾁｼﾞﾕｳｼﾁ",
        "100",
        "ﾎﾝﾃﾝ",
    )
    assert (header.account_type, header.account_number) == ("1", "1234567")
    shop, person = parsed.records
    assert shop.holder_name == "ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ" and shop.amount == 12345 and shop.new_code == "1"
    assert (shop.customer_code1, shop.customer_code2, shop.edi, shop.edi_flag) == (
        "0000000042",
        "0000000000",
        None,
        False,
    )
    assert (person.edi, person.edi_flag, person.customer_code1, person.transfer_kind) == (
        "INV-7 ｦ/｢1｣",
        True,
        None,
        "8",
    )
    assert (parsed.trailer_count, parsed.trailer_total) == (2, 10_000_012_344)
    assert parse_transfer_file(two_payee_file(line_ending=b"")) == parsed


def replace_at(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def test_reader_rejects_lf_only() -> None:
    with pytest.raises(ZenginParseError, match="LF without CR") as info:
        parse_transfer_file(two_payee_file().replace(b"\r\n", b"\n"))
    assert info.value.offset == 120


def test_reader_rejects_mixed_line_endings() -> None:
    data = two_payee_file()
    mixed = data[:120] + data[122:]  # header without its CRLF, the rest with
    with pytest.raises(ZenginParseError, match="240 bytes") as info:
        parse_transfer_file(mixed)
    assert info.value.offset == 0


def test_reader_rejects_a_119_byte_record() -> None:
    data = two_payee_file()
    short = data[: 122 + 119] + data[122 + 120 :]  # drop the last dummy byte of the first data record
    with pytest.raises(ZenginParseError, match="119 bytes") as info:
        parse_transfer_file(short)
    assert info.value.offset == 122


def test_reader_rejects_trailer_total_off_by_one() -> None:
    data = two_payee_file()
    trailer = 3 * 122
    bad = replace_at(data, trailer + 7, b"010000012345")
    with pytest.raises(ZenginParseError, match=r"合計金額 is 10,000,012,345 yen .*\(difference \+1\)"):
        parse_transfer_file(bad)


def test_reader_rejects_trailer_count_mismatch() -> None:
    bad = replace_at(two_payee_file(), 3 * 122 + 1, b"000003")
    with pytest.raises(ZenginParseError, match="合計件数 is 3 but the file has 2"):
        parse_transfer_file(bad)


def test_reader_rejects_a_data_record_after_the_trailer() -> None:
    data = two_payee_file()
    bad = data[: 4 * 122] + data[122 : 2 * 122] + data[4 * 122 :]
    with pytest.raises(ZenginParseError, match="データ区分 '2' after a '8' record") as info:
        parse_transfer_file(bad)
    assert info.value.offset == 4 * 122


def test_reader_rejects_anything_after_the_end_record() -> None:
    data = two_payee_file()
    with pytest.raises(ZenginParseError, match="after a '9' record"):
        parse_transfer_file(data + data[122 : 2 * 122])
    with pytest.raises(ZenginParseError):
        parse_transfer_file(data + b"\x1a")


def test_reader_rejects_a_double_byte_character() -> None:
    holder = 122 + 50  # 受取人名 starts at byte 51 of the first data record
    bad = replace_at(two_payee_file(), holder, "宮".encode(ENCODING))  # 2 bytes: the record stays 120
    assert len(bad) == len(two_payee_file())
    with pytest.raises(ZenginParseError, match="double-byte") as info:
        parse_transfer_file(bad)
    assert info.value.offset == holder


def test_reader_rejects_non_digits_in_an_n_field() -> None:
    bad = replace_at(two_payee_file(), 122 + 80, b"00000A2345")  # 振込金額
    with pytest.raises(ZenginParseError, match=r"amount .* must be digits"):
        parse_transfer_file(bad)


def test_reader_rejects_a_character_outside_the_name_set() -> None:
    bad = replace_at(two_payee_file(), 122 + 50, "ｰ".encode(ENCODING))
    with pytest.raises(ZenginParseError, match="not allowed"):
        parse_transfer_file(bad)


# --- writer rejections ----------------------------------------------------------------------------------


def build_one(**changes: object) -> bytes:
    return build_transfer_file(REQUESTER, DAY, [dataclasses.replace(SHOP, **changes)])


@pytest.mark.parametrize("amount", [1234.0, True, "1234", None])
def test_writer_rejects_non_int_amount(amount: object) -> None:
    with pytest.raises(TypeError, match="amount"):
        build_one(amount=amount)


@pytest.mark.parametrize("amount", [0, -1, 10_000_000_000])
def test_writer_rejects_amount_out_of_range(amount: int) -> None:
    with pytest.raises(ZenginFieldError) as info:
        build_one(amount=amount)
    assert (info.value.record_index, info.value.field) == (1, "amount")


def test_writer_accepts_amount_bounds() -> None:
    assert parse_transfer_file(build_one(amount=1)).records[0].amount == 1
    assert parse_transfer_file(build_one(amount=9_999_999_999)).records[0].amount == 9_999_999_999


@pytest.mark.parametrize("account", ["12345678", "123456", "12345a7", "１２３４５６７"])
def test_writer_rejects_bad_account_number(account: str) -> None:
    with pytest.raises(ZenginFieldError, match="account_number"):
        build_one(account_number=account)


@pytest.mark.parametrize(
    "holder", ["ｦﾀﾞ", "ﾐﾔｷﾞa", "ﾖｰｺ", "ｷｬﾉﾝ", "ミヤギ", "ﾐﾔｷﾞ,ﾀﾛｳ", "", " ﾐﾔｷﾞ", "ﾐﾔｷﾞ ", "ｱ" * 31]
)
def test_writer_rejects_bad_holder_name(holder: str) -> None:
    with pytest.raises(ZenginFieldError) as info:
        build_one(holder_name=holder)
    assert (info.value.record_index, info.value.field) == (1, "holder_name")


def test_writer_rejects_bad_requester_name() -> None:
    with pytest.raises(ZenginFieldError) as info:
        build_transfer_file(dataclasses.replace(REQUESTER, name="ｱ" * 41), DAY, [SHOP])
    assert (info.value.record_index, info.value.field) == (0, "name")


def test_writer_does_not_truncate_bank_names() -> None:
    with pytest.raises(ZenginFieldError, match="bank_name"):
        build_one(bank_name="ｱ" * 16)
    with pytest.raises(ZenginFieldError, match="branch_name"):
        build_one(branch_name="ﾎﾝﾃﾝ ")  # space is not in the bank-name set


@pytest.mark.parametrize("line_ending", [b"\n", b"\r", b"\n\r", "\r\n", None])
def test_writer_rejects_bad_line_ending(line_ending: object) -> None:
    with pytest.raises(ValueError, match="line_ending"):
        build_transfer_file(REQUESTER, DAY, [SHOP], line_ending=line_ending)  # type: ignore[arg-type]


def test_writer_rejects_no_transfers() -> None:
    with pytest.raises(ZenginFieldError, match="no payees"):
        build_transfer_file(REQUESTER, DAY, [])


def test_writer_rejects_total_over_twelve_digits() -> None:
    biggest = dataclasses.replace(SHOP, amount=9_999_999_999)
    assert build_transfer_file(REQUESTER, DAY, [biggest] * 100)  # 999,999,999,900: fits N12
    with pytest.raises(ZenginFieldError, match="合計金額") as info:
        build_transfer_file(REQUESTER, DAY, [biggest] * 101)
    assert info.value.record_index == 102


def test_writer_rejects_count_over_six_digits() -> None:
    with pytest.raises(ZenginFieldError, match="合計件数"):
        build_transfer_file(REQUESTER, DAY, [SHOP] * 1_000_000)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("account_type", "3"),
        ("new_code", "3"),
        ("transfer_kind", "9"),
        ("bank_code", "125"),
        ("branch_code", "1000"),
        ("customer_code1", "12345678901"),
        ("customer_code2", "A1"),
        ("edi", "A,B"),
        ("edi", ""),
        ("edi", "ｱ" * 21),
    ],
)
def test_writer_rejects_bad_data_fields(field: str, value: str) -> None:
    changes: dict[str, object] = {field: value}
    if field == "edi":
        changes["customer_code1"] = ""
    with pytest.raises(ZenginFieldError) as info:
        build_one(**changes)
    assert info.value.field == field


def test_writer_rejects_customer_code_together_with_edi() -> None:
    with pytest.raises(ZenginFieldError, match="customer_code1"):
        build_one(edi="INV1")  # SHOP carries customer_code1 '42'


def test_writer_rejects_requester_savings_account_and_datetime() -> None:
    with pytest.raises(ZenginFieldError, match="account_type"):
        build_transfer_file(dataclasses.replace(REQUESTER, account_type="4"), DAY, [SHOP])
    with pytest.raises(TypeError, match="transfer_date"):
        build_transfer_file(REQUESTER, datetime(2025, 3, 7), [SHOP])


# --- round trip -----------------------------------------------------------------------------------------


def _name(alphabet: frozenset[str], max_size: int) -> st.SearchStrategy[str]:
    # The writer refuses leading/trailing spaces (they would vanish into the padding).
    return (
        st.text(alphabet=sorted(alphabet), min_size=1, max_size=max_size)
        .map(lambda s: s.strip(" "))
        .filter(bool)
    )


def _digits(size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=size, max_size=size)


requesters = st.builds(
    Requester,
    requester_code=_digits(10),
    name=_name(NAME_CHARS, 40),
    bank_code=_digits(4),
    bank_name=_name(BANK_NAME_CHARS, 15),
    branch_code=_digits(3),
    branch_name=_name(BANK_NAME_CHARS, 15),
    account_type=st.sampled_from("129"),
    account_number=_digits(7),
)


@st.composite
def transfers(draw: st.DrawFn) -> Transfer:
    edi = draw(st.none() | _name(EDI_CHARS, 20))
    codes = st.just("") if edi is not None else st.text(alphabet="0123456789", max_size=10)
    return Transfer(
        bank_code=draw(_digits(4)),
        bank_name=draw(_name(BANK_NAME_CHARS, 15)),
        branch_code=draw(_digits(3)),
        branch_name=draw(_name(BANK_NAME_CHARS, 15)),
        account_type=draw(st.sampled_from("1249")),
        account_number=draw(_digits(7)),
        holder_name=draw(_name(NAME_CHARS, 30)),
        amount=draw(st.integers(1, 9_999_999_999)),
        new_code=draw(st.sampled_from("012")),
        customer_code1=draw(codes),
        customer_code2=draw(codes),
        transfer_kind=draw(st.sampled_from("780")),
        edi=edi,
    )


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    requester=requesters,
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)),
    payees=st.lists(transfers(), min_size=1, max_size=12),
    line_ending=st.sampled_from([b"\r\n", b""]),
)
def test_round_trip(requester: Requester, day: date, payees: list[Transfer], line_ending: bytes) -> None:
    data = build_transfer_file(requester, day, payees, line_ending=line_ending)
    assert len(data) == (len(payees) + 3) * (120 + len(line_ending))
    parsed = parse_transfer_file(data)

    header = parsed.header
    assert header.transfer_date == f"{day.month:02d}{day.day:02d}"
    for field in dataclasses.fields(Requester):
        parsed_field = "requester_name" if field.name == "name" else field.name
        assert getattr(header, parsed_field) == getattr(requester, field.name)

    assert parsed.trailer_count == len(payees)
    assert parsed.trailer_total == sum(p.amount for p in payees)
    for payee, record in zip(payees, parsed.records, strict=True):
        for name in ("bank_code", "bank_name", "branch_code", "branch_name", "account_type"):
            assert getattr(record, name) == getattr(payee, name)
        for name in ("account_number", "holder_name", "amount", "new_code", "transfer_kind", "edi"):
            assert getattr(record, name) == getattr(payee, name)
        assert record.edi_flag is (payee.edi is not None)
        if payee.edi is None:
            assert record.customer_code1 == payee.customer_code1.rjust(10, "0")
            assert record.customer_code2 == payee.customer_code2.rjust(10, "0")

    expected = [
        (
            p.edi or p.customer_code1,
            p.bank_code,
            p.branch_code,
            p.account_type,
            p.account_number,
            p.holder_name,
            p.amount,
        )
        for p in payees
    ]
    assert reconcile(parsed, expected) == []


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(payees=st.lists(transfers(), min_size=1, max_size=6))
def test_the_plain_records_are_the_checked_records(payees: list[Transfer]) -> None:
    # The writer's quick path (every field of the round plainly right, checked a column at a time) must
    # write exactly what the field-by-field checks write, and step aside for EDI.
    plain = zengin_writer._plain_records(payees)
    if any(payee.edi is not None for payee in payees):
        assert plain is None
    else:
        assert plain == [zengin_writer._checked_data(i, payee) for i, payee in enumerate(payees, start=1)]


@pytest.mark.parametrize("changes", [
    {"bank_code": "０１２５"}, {"bank_code": "12a4"}, {"bank_code": 125}, {"branch_code": "1000"},
    {"account_number": "123456"}, {"account_type": "3"}, {"account_type": ["1"]}, {"new_code": "01"},
    {"transfer_kind": "9"}, {"bank_name": ""}, {"bank_name": "ｱ" * 16}, {"bank_name": "ｱ ｲ"},
    {"holder_name": " ﾀﾛｳ"}, {"holder_name": "ﾀﾛｳ "}, {"holder_name": "たろう"}, {"holder_name": "ｱ" * 31},
    {"holder_name": "ﾀ\nﾛｳ"}, {"holder_name": "ﾀ \nﾛｳ"},
    {"amount": 0}, {"amount": True}, {"amount": 10_000_000_000}, {"amount": 1.0},
    {"customer_code1": "１"}, {"customer_code2": "12345678901"}, {"customer_code1": None},
])
def test_a_field_not_plainly_right_takes_the_checked_path(changes: dict[str, object]) -> None:
    # Anywhere in the round: the first, a middle or the last record.
    payee = dataclasses.replace(SHOP, **changes)  # type: ignore[arg-type]
    for round_ in ([payee], [SHOP, payee, SHOP], [SHOP, SHOP, payee]):
        assert zengin_writer._plain_records(round_) is None
        with pytest.raises((ZenginFieldError, TypeError)):
            build_transfer_file(REQUESTER, DAY, round_)


def test_a_round_with_a_subclass_or_edi_is_written_field_by_field() -> None:
    class Special(Transfer):
        pass

    special = Special(**{f.name: getattr(SHOP, f.name) for f in dataclasses.fields(SHOP)})
    edi = dataclasses.replace(SHOP, customer_code1="", edi="INV1")
    for round_ in ([SHOP, special], [SHOP, edi]):
        assert zengin_writer._plain_records(round_) is None
        assert parse_transfer_file(build_transfer_file(REQUESTER, DAY, round_)).trailer_count == 2


# --- reconcile ------------------------------------------------------------------------------------------


def expected_rows() -> list[tuple[str, str, str, str, str, str, int]]:
    return [
        ("42", "0001", "001", "1", "0000001", "ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ", 12345),
        ("INV-7 ｦ/｢1｣", "0005", "123", "2", "7654321", "ﾐﾔｷﾞ ﾀﾛｳ", 9_999_999_999),
    ]


def test_reconcile_accepts_matching_file() -> None:
    assert reconcile(parse_transfer_file(two_payee_file()), expected_rows()) == []


def test_reconcile_detects_swapped_amounts() -> None:
    data = build_transfer_file(
        REQUESTER,
        DAY,
        [dataclasses.replace(SHOP, amount=PERSON.amount), dataclasses.replace(PERSON, amount=SHOP.amount)],
    )
    problems = reconcile(parse_transfer_file(data), expected_rows())
    # count and total still agree: only the per-record comparison can catch a swap
    assert len(problems) == 2
    assert "record 0 (42): amount is 9999999999, expected 12345" in problems[0]
    assert "record 1" in problems[1] and "amount" in problems[1]


def test_reconcile_detects_count_total_and_field_differences() -> None:
    parsed = parse_transfer_file(two_payee_file())
    rows = expected_rows()
    problems = reconcile(parsed, rows[:1])
    assert any(p.startswith("count:") for p in problems)
    assert any(p.startswith("total:") for p in problems)
    assert any("unexpected record" in p for p in problems)

    renamed = [(*rows[0][:5], "ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ2", 12345), rows[1]]
    assert reconcile(parsed, renamed) == [
        "record 0 (42): holder_name is 'ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ', expected 'ｶ)ﾐﾔｷﾞｼﾖｳﾃﾝ2'"
    ]
    wrong_key = [("43", *rows[0][1:]), rows[1]]
    assert reconcile(parsed, wrong_key) == ["record 0: customer key is '0000000042', expected '43'"]


def test_reader_is_independent_of_the_writer() -> None:
    """The reader is the check on the writer: sharing its code would let one bug pass both."""
    import ast
    import inspect

    import chalicelib.settlement.zengin_reader as reader

    imported = set()
    for node in ast.walk(ast.parse(inspect.getsource(reader))):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not any("zengin_writer" in name for name in imported)

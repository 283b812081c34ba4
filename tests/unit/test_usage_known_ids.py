"""KnownIds: the ids committed imports counted, kept as their ledgers' lines (chalicelib/usage/export.py)."""

from __future__ import annotations

from chalicelib.usage.export import KnownIds, TxnIds, txn_id_lines


def test_the_ledgers_lines_are_the_ids_and_empty_lines_are_none() -> None:
    known = KnownIds([b"T1\nT2", b"", b"\n\nT3\n", b"T4\n\n\nT5\n"])
    assert known.lines() == b"T1\nT2\nT3\nT4\nT5"
    assert (len(known), bool(known), list(known)) == (5, True, ["T1", "T2", "T3", "T4", "T5"])
    assert "T3" in known and "T6" not in known and "" not in known


def test_no_ledgers_or_only_empty_ones_know_nothing() -> None:
    for known in (KnownIds([]), KnownIds([b"", b"\n\n"])):
        assert (len(known), bool(known), list(known), known.lines()) == (0, False, [], b"")
        assert "T1" not in known and known.isdisjoint(["T1"])


def test_an_import_s_ids_are_compared_as_their_lines_without_decoding_them() -> None:
    known = KnownIds([txn_id_lines(["T1", "取引2", "T3"])])
    ids = TxnIds("T9\n取引2\n".encode())
    assert not known.isdisjoint(ids)
    assert ids._ids is None  # never split into str (the result would keep the list)
    assert known.isdisjoint(TxnIds(b"T9\nT10\n")) and known.isdisjoint(TxnIds(b""))
    assert not known.isdisjoint(["x", "T3"]) and known.isdisjoint(["x", "T"])


def test_the_set_is_made_once_and_only_when_asked() -> None:
    known = KnownIds([b"T1\nT2"])
    assert known._set is None
    known.isdisjoint(["T1"])
    assert known._set is None  # made for the question, dropped after it
    assert "T2" in known
    made = known._set
    assert made == frozenset({"T1", "T2"}) and ("T1" in known) and known._set is made


def test_an_import_s_lines_are_compared_a_megabyte_at_a_time_to_the_last() -> None:
    many = [f"T{i:09d}" for i in range(300_000)]  # 3.3 MB of lines: four pieces
    ids = TxnIds(("\n".join(many) + "\n").encode())
    for shared in (many[0], *many[95_320:95_332], many[-1]):  # the second piece starts at T000095326
        assert not KnownIds([b"elsewhere\n" + shared.encode()]).isdisjoint(ids)
    assert KnownIds([b"elsewhere\nT9999999999\nT00000000"]).isdisjoint(ids)  # no id, nor a piece of one

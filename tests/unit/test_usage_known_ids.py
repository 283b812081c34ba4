"""KnownIds: the ids committed imports counted, kept as their ledgers' lines (chalicelib/usage/export.py)."""

from __future__ import annotations

from chalicelib.usage.export import KnownIds


def test_the_ledgers_lines_are_the_ids_and_empty_lines_are_none() -> None:
    known = KnownIds([b"T1\nT2", b"", b"\n\nT3\n", b"T4\n\n\nT5\n"])
    assert known.lines() == b"T1\nT2\nT3\nT4\nT5"
    assert (len(known), bool(known), list(known)) == (5, True, ["T1", "T2", "T3", "T4", "T5"])
    assert "T3" in known and "T6" not in known and "" not in known


def test_no_ledgers_or_only_empty_ones_know_nothing() -> None:
    for known in (KnownIds([]), KnownIds([b"", b"\n\n"])):
        assert (len(known), bool(known), list(known), known.lines()) == (0, False, [], b"")
        assert "T1" not in known


def test_the_set_is_made_once_and_only_when_asked() -> None:
    known = KnownIds([b"T1\nT2"])
    assert known._set is None and len(known) == 2 and known.lines() == b"T1\nT2"  # no set for these
    assert "T2" in known
    made = known._set
    assert made == frozenset({"T1", "T2"}) and ("T1" in known) and known._set is made

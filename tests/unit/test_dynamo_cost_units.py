"""bench.dynamo_cost's capacity rules (issue 14, point 4), on the examples of DynamoDB's pricing page: an 8 KB
read is 2 RRU strongly consistent, 1 eventually consistent, 4 transactional; a 3 KB write is 3 WRU, 6 in a
transaction; and item sizes as the developer guide counts them."""

from __future__ import annotations

import pytest

from bench.dynamo_cost import item_size, read_units, write_units


@pytest.mark.parametrize(("size", "consistent", "transactional", "units"), [
    (8 * 1024, True, False, 2.0), (8 * 1024, False, False, 1.0), (8 * 1024, True, True, 4.0),
    (0, False, False, 0.5), (1, True, False, 1.0), (4096, True, False, 1.0), (4097, True, False, 2.0),
])
def test_reads_round_up_to_4_kb_by_consistency(size, consistent, transactional, units):
    assert read_units(size, consistent=consistent, transactional=transactional) == units


@pytest.mark.parametrize(("size", "transactional", "units"), [
    (3 * 1024, False, 3.0), (3 * 1024, True, 6.0), (0, False, 1.0), (1024, False, 1.0), (1025, False, 2.0),
])
def test_writes_round_up_to_1_kb_and_double_in_a_transaction(size, transactional, units):
    assert write_units(size, transactional=transactional) == units


def test_item_size_counts_names_and_values():
    assert item_size({"pk": {"S": "abc"}}) == 2 + 3
    assert item_size({"n": {"N": "12345"}}) == 1 + 4  # 5 significant digits: 3 bytes + 1
    assert item_size({"s": {"S": "仙台"}}) == 1 + 6  # UTF-8 bytes
    assert item_size({"m": {"M": {"a": {"BOOL": True}, "b": {"NULL": True}}}}) == 1 + 3 + (1 + 1 + 1) * 2
    assert item_size({"l": {"L": [{"S": "x"}, {"N": "1"}]}}) == 1 + 3 + (1 + 1) + (1 + 2)
    assert item_size(None) == 0

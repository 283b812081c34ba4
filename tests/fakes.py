"""Small stand-ins the twin-based unit tests share: numbering without a table, and an audit log that
keeps what was appended outside a transaction (entries added to a transaction land with its twin)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.keys import KeyStore
from chalicelib.audit.log import AuditLog


class Counters(KeyStore):
    """`next_number` per counter, from 1, in memory (the real one is a DynamoDB atomic counter)."""

    def __init__(self) -> None:
        super().__init__("keys")
        self.numbers: dict[str, int] = {}

    def next_number(self, counter: str) -> int:
        self.numbers[counter] = self.numbers.get(counter, 0) + 1
        return self.numbers[counter]


class Audit(AuditLog):
    """Keeps the entries a service appends on its own (a download, a view) for the test to read."""

    def __init__(self) -> None:
        super().__init__("audit")
        self.appended: list[dict[str, Any]] = []

    def append(self, item: dict[str, Any]) -> None:
        self.appended.append(item)

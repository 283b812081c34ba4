"""Banks and branches that left the bank master, and who took them over (issue 11 point 7). Pure.

A merger takes a bank code out of the pinned zengin-code data: a store still registered under it cannot be
paid (settlement holds it with `bank_invalid`, chalicelib/settlement/payees.py). This table *proposes* the
successor codes to the store and to staff; nothing is ever changed unasked.

The table is configuration: `settings.stores.bank_successors_json`, a JSON list of
`{"from_bank", "from_branch"?, "to_bank", "to_branch"?, "note"}`. `from_branch` absent = every branch of
the bank; `to_branch`: a 3-digit code, `"same"` (branch codes unchanged by the merger), or absent (the
successor renumbered branches: the store must read its new branch code from its passbook). Empty setting =
BUILT_IN below, whose codes are checked against the bank master by tests/unit/test_carried_over.py.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from chalicelib.kernel import banks

__all__ = ["BUILT_IN", "Proposal", "Successor", "bank_problem", "configured", "parse_table", "propose_successor"]


@dataclass(frozen=True)
class Successor:
    from_bank: str
    to_bank: str
    from_branch: str | None = None
    #: a branch code, "same", or None (renumbered: unknown)
    to_branch: str | None = None
    note: str = ""


#: 2025-01-01: 株式会社青森銀行 (0117) merged with 株式会社みちのく銀行 (0118) into 株式会社青森みちのく銀行,
#: which kept code 0117; みちのく's branches were given new 0117 branch codes, so the branch is not proposed.
BUILT_IN: tuple[Successor, ...] = (
    Successor("0118", "0117", None, None, "2025年1月 みちのく銀行と青森銀行の合併（青森みちのく銀行）"),
)

BranchRule = Literal["mapped", "unchanged", "unknown"]


@dataclass(frozen=True)
class Proposal:
    bank_code: str
    bank_name: str
    #: None when the successor renumbered branches (the store reads the new code from its passbook)
    branch_code: str | None
    branch_name: str | None
    branch_rule: BranchRule
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {"bank_code": self.bank_code, "bank_name": self.bank_name, "branch_code": self.branch_code,
                "branch_name": self.branch_name, "branch_rule": self.branch_rule, "note": self.note,
                "text": self.text()}

    def text(self) -> str:
        """One line in Japanese for mails and screens."""
        bank = f"{self.bank_name}（{self.bank_code}）"
        if self.branch_code:
            branch = f"{self.branch_name}（{self.branch_code}）"
            rule = "支店コードは変わりません" if self.branch_rule == "unchanged" else "新しい支店コード"
            return f"{bank} {branch}　※{rule}"
        return f"{bank}　※支店コードは変更されています。通帳などで新しい支店コードをご確認ください"


_CODE4 = frozenset("0123456789")


def _code(value: Any, digits: int) -> bool:
    return isinstance(value, str) and len(value) == digits and set(value) <= _CODE4


def parse_table(text: str) -> tuple[Successor, ...]:
    """The configured table (ValueError with the entry's position when malformed); empty = BUILT_IN."""
    if not text.strip():
        return BUILT_IN
    data = json.loads(text)
    if not isinstance(data, list):
        raise ValueError("bank_successors_json must be a JSON list")
    found: list[Successor] = []
    for n, entry in enumerate(data):
        if not isinstance(entry, dict) or not _code(entry.get("from_bank"), 4) or not _code(entry.get("to_bank"), 4):
            raise ValueError(f"bank_successors_json[{n}]: from_bank and to_bank are 4-digit codes")
        from_branch, to_branch = entry.get("from_branch"), entry.get("to_branch")
        if from_branch is not None and not _code(from_branch, 3):
            raise ValueError(f"bank_successors_json[{n}]: from_branch is a 3-digit code")
        if to_branch is not None and to_branch != "same" and not _code(to_branch, 3):
            raise ValueError(f"bank_successors_json[{n}]: to_branch is a 3-digit code or \"same\"")
        found.append(Successor(entry["from_bank"], entry["to_bank"], from_branch, to_branch, str(entry.get("note", ""))))
    return tuple(found)


@functools.lru_cache(maxsize=8)
def configured(text: str) -> tuple[Successor, ...]:
    return parse_table(text)


def _settings_table() -> tuple[Successor, ...]:
    from chalicelib.settings import SettingsError, get_settings

    try:
        text = get_settings().stores.bank_successors_json
    except SettingsError:  # no settings (pure tests, tools): the built-in table
        return BUILT_IN
    # A malformed table is a ValueError here, on every use: fix the setting.
    return configured(text)


def propose_successor(bank_code: str, branch_code: str,
                      table: Sequence[Successor] | None = None) -> Proposal | None:
    """The successor of a bank/branch that left the bank master, or None when the table knows none (or
    the successor itself is not in the master). A branch-specific entry wins over a whole-bank one."""
    entries = table if table is not None else _settings_table()
    specific = [e for e in entries if e.from_bank == bank_code and e.from_branch == branch_code]
    general = [e for e in entries if e.from_bank == bank_code and e.from_branch is None]
    for entry in specific + general:
        bank = banks.find_bank(entry.to_bank)
        if bank is None:
            continue
        if entry.to_branch == "same":
            branch = banks.find_branch(entry.to_bank, branch_code)
            if branch is not None:
                return Proposal(bank.code, bank.name, branch.code, branch.name, "unchanged", entry.note)
            return Proposal(bank.code, bank.name, None, None, "unknown", entry.note)
        if entry.to_branch:
            branch = banks.find_branch(entry.to_bank, entry.to_branch)
            if branch is not None:
                return Proposal(bank.code, bank.name, branch.code, branch.name, "mapped", entry.note)
        return Proposal(bank.code, bank.name, None, None, "unknown", entry.note)
    return None


def bank_problem(bank: dict[str, Any] | None) -> str | None:
    """Why a store's bank or branch cannot be paid to (it left the bank master), in Japanese; None if fine."""
    bank = bank or {}
    code, branch = str(bank.get("bank_code", "")), str(bank.get("branch_code", ""))
    if banks.find_bank(code) is None:
        return f"金融機関コード {code} は現在の金融機関マスタにありません（合併・廃止など）。振込口座の変更が必要です"
    if banks.find_branch(code, branch) is None:
        return f"支店コード {branch} は現在の金融機関マスタにありません（統廃合など）。振込口座の変更が必要です"
    return None

"""Staff roles, and the registry of which roles each staff route allows.

Every staff route is declared through `staff_route`, so a test can walk the app's routes and
prove that each one refuses anonymous callers (401) and every role it does not name (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    SCREENER = "screener"
    ACCOUNTANT = "accountant"
    AGENT = "agent"
    COORDINATOR = "coordinator"
    PREFECTURE = "prefecture"
    ADMIN = "admin"


ALL_ROLES: frozenset[Role] = frozenset(Role)
#: How the screens name each role (the console, the local sign-in page; one source).
ROLE_LABELS: dict[str, str] = {
    Role.SCREENER: "審査担当", Role.ACCOUNTANT: "経理担当", Role.AGENT: "コールセンター",
    Role.COORDINATOR: "相談会担当", Role.PREFECTURE: "県職員", Role.ADMIN: "管理者",
}
#: Operator staff (everyone but the prefecture's read-only users).
OPERATOR: frozenset[Role] = ALL_ROLES - {Role.PREFECTURE}

#: Roles that may see a full bank account number (screening it, paying it).
SEE_BANK_ACCOUNT: frozenset[Role] = frozenset({Role.SCREENER, Role.ACCOUNTANT})
#: Roles that may see contact data (names, phone, e-mail) unmasked.
SEE_CONTACT: frozenset[Role] = frozenset({Role.SCREENER, Role.ACCOUNTANT, Role.AGENT, Role.ADMIN})


@dataclass(frozen=True)
class Principal:
    user: str
    roles: frozenset[Role]

    def has_any(self, allowed: frozenset[Role]) -> bool:
        return bool(self.roles & allowed)

    @property
    def role_label(self) -> str:
        return ",".join(sorted(self.roles))


#: (path, method) -> allowed roles; filled by `staff_route` at import time.
ROUTE_ROLES: dict[tuple[str, str], frozenset[Role]] = {}

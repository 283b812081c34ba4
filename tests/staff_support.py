"""Twins for tests whose users reveal personal data: each is recorded as trained this fiscal year."""

from __future__ import annotations

from datetime import datetime

from chalicelib.auth.roles import Principal
from chalicelib.staff.fiscal import fiscal_year
from chalicelib.staff.repository import InMemoryStaffRepository
from chalicelib.staff.service import seed_training


def trained(now: datetime, *principals: Principal | str) -> InMemoryStaffRepository:
    repo = InMemoryStaffRepository()
    users = [p if isinstance(p, str) else p.user for p in principals]
    seed_training(repo, users, range(fiscal_year(now), fiscal_year(now) + 1), now)
    return repo

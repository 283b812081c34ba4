"""The year-end pack as a job: on demand only (`POST /jobs/year-end-pack`), never scheduled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.auth.roles import Role
from chalicelib.deps import Deps
from chalicelib.jobs.registry import job
from chalicelib.yearend import service


@job("year-end-pack", roles=(Role.ADMIN, Role.ACCOUNTANT))
def year_end_pack(deps: Deps, now: datetime) -> dict[str, Any]:
    return service.year_end_pack(deps, now)

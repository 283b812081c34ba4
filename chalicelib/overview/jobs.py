"""The funds alerts: daily, staff and the prefecture are told once at 80%, 90% and 100% of the planned points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.auth.roles import Role
from chalicelib.deps import Deps
from chalicelib.jobs.registry import job
from chalicelib.overview import service


@job("funds-alerts", roles=(Role.ACCOUNTANT, Role.ADMIN))
def funds_alerts(deps: Deps, now: datetime) -> dict[str, Any]:
    return service.funds_alerts(deps, now)

"""The consultation sessions' scheduled sweeps (EventBridge in the cloud, `POST /jobs/{name}` locally)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.auth.roles import Role
from chalicelib.deps import Deps
from chalicelib.jobs.registry import job
from chalicelib.sessions import reporting

ROLES = (Role.COORDINATOR, Role.ADMIN)


@job("session-report", roles=ROLES)
def session_report(deps: Deps, now: datetime) -> dict[str, Any]:
    return reporting.report_sweep(deps, now)


@job("session-coverage-warnings", roles=ROLES)
def session_coverage_warnings(deps: Deps, now: datetime) -> dict[str, Any]:
    return reporting.coverage_warning_sweep(deps, now)


@job("session-announcements", roles=ROLES)
def session_announcements(deps: Deps, now: datetime) -> dict[str, Any]:
    return reporting.announcement_sweep(deps, now)

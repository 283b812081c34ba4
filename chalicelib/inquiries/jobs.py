"""The call center's scheduled sweeps (EventBridge in the cloud, `POST /jobs/{name}` locally)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.auth.roles import Role
from chalicelib.deps import Deps
from chalicelib.inquiries import reporting, service
from chalicelib.jobs.registry import job


@job("escalation-sweep", roles=(Role.AGENT, Role.COORDINATOR, Role.ADMIN))
def escalation_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    return service.send_due_escalations(deps, now)


@job("daily-report", roles=(Role.AGENT, Role.COORDINATOR, Role.ADMIN))
def daily_report(deps: Deps, now: datetime) -> dict[str, Any]:
    return reporting.daily_report_sweep(deps, now)


@job("monthly-inquiry-report", roles=(Role.AGENT, Role.COORDINATOR, Role.ADMIN))
def monthly_inquiry_report(deps: Deps, now: datetime) -> dict[str, Any]:
    return reporting.monthly_report_sweep(deps, now)

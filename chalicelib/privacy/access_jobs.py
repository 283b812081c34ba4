"""The access report's job (issue 13 point 5): scheduled daily in app.py, runnable by an admin by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.auth.roles import Role
from chalicelib.deps import Deps
from chalicelib.jobs.registry import job
from chalicelib.privacy import access_report


@job("access-report", roles=(Role.ADMIN,))
def access_report_sweep(deps: Deps, now: datetime) -> dict[str, Any]:
    """Each finished month's per-user access report to the prefecture (S3 and mail), once."""
    return access_report.report_sweep(deps, now)

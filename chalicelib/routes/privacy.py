"""Data protection (issue 13 points 2 and 3): the retention table, the end-of-contract disposal in two steps by
two different admins, and its certificate."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, json_response, staff_route

if TYPE_CHECKING:
    from chalicelib.privacy import disposal, retention
else:
    disposal = lazy_module("chalicelib.privacy.disposal")
    retention = lazy_module("chalicelib.privacy.retention")

bp = Blueprint(__name__)

READ_RETENTION = {Role.ADMIN, Role.PREFECTURE}
DISPOSE = {Role.ADMIN}


@staff_route(bp, "/privacy/retention", roles=READ_RETENTION)
def retention_table(ctx: Ctx) -> Any:
    return json_response(retention.table_json())


@staff_route(bp, "/privacy/disposal/dry-run", roles=DISPOSE, methods=("POST",))
def disposal_dry_run(ctx: Ctx) -> Any:
    body = ctx.json_body() if ctx.request.raw_body else {}
    return json_response(disposal.dry_run(get_deps(), body, ctx.staff, ctx.now))


@staff_route(bp, "/privacy/disposal/{run_id}/execute", roles=DISPOSE, methods=("POST",))
def disposal_execute(ctx: Ctx, run_id: str) -> Any:
    return json_response(disposal.execute(get_deps(), run_id, ctx.staff, ctx.now))


@staff_route(bp, "/privacy/disposal/{run_id}/certificate.pdf", roles=DISPOSE)
def disposal_certificate(ctx: Ctx, run_id: str) -> Any:
    name, data = disposal.certificate_file(get_deps(), run_id, ctx.staff, ctx.now)
    return Response(body=data, status_code=200, headers={
        "Content-Type": "application/pdf", "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})

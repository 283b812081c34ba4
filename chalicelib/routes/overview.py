"""The prefecture's view (issue 12 points 1–3): the overview and its charts, the funds ledger and the
monthly claim sheet, the library of files delivered to the prefecture."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, json_response, staff_route

if TYPE_CHECKING:
    from chalicelib.overview import service as overview
else:
    overview = lazy_module("chalicelib.overview.service")

bp = Blueprint(__name__)

#: Who reads the prefecture's view: the prefecture and the operator's staff who answer to it.
READ_OVERVIEW = {Role.PREFECTURE, Role.ADMIN, Role.COORDINATOR, Role.ACCOUNTANT}
READ_FUNDS = {Role.PREFECTURE, Role.ACCOUNTANT, Role.ADMIN}
READ_REPORTS = {Role.PREFECTURE, Role.ADMIN, Role.COORDINATOR, Role.ACCOUNTANT}


def _file(name: str, data: bytes, content_type: str) -> Response:
    # Text answers go as text: API Gateway only passes bytes for the registered binary types.
    body: bytes | str = data.decode("utf-8") if content_type == "application/json" else data
    return Response(body=body, status_code=200, headers={
        "Content-Type": content_type, "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})


@staff_route(bp, "/funds/ledger", roles=READ_FUNDS)
def funds_ledger(ctx: Ctx) -> Any:
    return json_response(overview.funds_ledger(get_deps()))


@staff_route(bp, "/funds/claim", roles=READ_FUNDS)
def funds_claim(ctx: Ctx) -> Any:
    name, data, kind = overview.claim_sheet(get_deps(), ctx.query("month"), ctx.query("format", "csv"),
                                            ctx.staff, ctx.now)
    return _file(name, data, kind)


@staff_route(bp, "/reports/files", roles=READ_REPORTS)
def report_files(ctx: Ctx) -> Any:
    return json_response(overview.report_files(get_deps(), ctx.query("month")))


@staff_route(bp, "/reports/files/download", roles=READ_REPORTS)
def report_download(ctx: Ctx) -> Any:
    name, data, kind = overview.download_file(get_deps(), ctx.query("key"), ctx.staff, ctx.now)
    return _file(name, data, kind)


@staff_route(bp, "/overview/data", roles=READ_OVERVIEW)
def overview_data(ctx: Ctx) -> Any:
    return json_response(overview.overview_data(get_deps(), ctx.now, ctx.query("month")))


@staff_route(bp, "/overview/charts/{name}", roles=READ_OVERVIEW)
def overview_chart(ctx: Ctx, name: str) -> Any:
    """`/overview/charts/usage.svg`: an SVG document (no script; safe as an <img>)."""
    text = overview.chart(get_deps(), name, ctx.now, ctx.query("month"))
    return Response(body=text, status_code=200, headers={
        "Content-Type": "image/svg+xml; charset=utf-8", "Cache-Control": "no-store"})

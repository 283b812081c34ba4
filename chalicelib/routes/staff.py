"""Staff users, roles and the personal-data training register (issue 13 point 6). Admin only; every change
is audited (chalicelib/staff/service.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web.http import Ctx, json_response, staff_route

if TYPE_CHECKING:
    from chalicelib.staff import service as staff
else:
    staff = lazy_module("chalicelib.staff.service")

bp = Blueprint(__name__)

ADMIN = {Role.ADMIN}
JSON = ["application/json"]


@staff_route(bp, "/staff", roles=ADMIN)
def list_staff(ctx: Ctx) -> Any:
    return json_response(staff.list_staff(get_deps(), ctx.now))


@staff_route(bp, "/staff", roles=ADMIN, methods=("POST",), content_types=JSON)
def invite_staff(ctx: Ctx) -> Any:
    return json_response(staff.invite(get_deps(), ctx.staff, ctx.json_body(), ctx.now), 201)


@staff_route(bp, "/staff/{user}/role", roles=ADMIN, methods=("POST",), content_types=JSON)
def change_staff_role(ctx: Ctx, user: str) -> Any:
    return json_response(staff.change_role(get_deps(), ctx.staff, user, ctx.json_body(), ctx.now))


@staff_route(bp, "/staff/{user}/disable", roles=ADMIN, methods=("POST",))
def disable_staff(ctx: Ctx, user: str) -> Any:
    return json_response(staff.disable(get_deps(), ctx.staff, user, ctx.now))


@staff_route(bp, "/staff/{user}/training", roles=ADMIN, methods=("POST",), content_types=JSON)
def record_training(ctx: Ctx, user: str) -> Any:
    return json_response(staff.record_training(get_deps(), ctx.staff, user, ctx.json_body(), ctx.now), 201)


@staff_route(bp, "/staff/training", roles=ADMIN)
def training_register(ctx: Ctx) -> Any:
    year = ctx.query("fiscal_year")
    if year is not None and not (year.isdigit() and 2020 <= int(year) <= 2100):
        raise InvalidInput("年度の指定が正しくありません", {"fiscal_year": "西暦の年度（例: 2026）で指定してください"})
    return json_response(staff.training_register(get_deps(), ctx.now, int(year) if year else None))

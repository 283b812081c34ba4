"""Admin and operations routes: the audit log, local mail, jobs, who am I, the local demo users."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.auth.local_users import DEMO_USERS
from chalicelib.auth.roles import ALL_ROLES, OPERATOR, Role
from chalicelib.deps import get_deps
from chalicelib.errors import NotFound
from chalicelib.jobs import registry
from chalicelib.mail.local_mailbox import sent_messages
from chalicelib.settings import get_settings
from chalicelib.web.http import Ctx, json_response, public_route, staff_route

bp = Blueprint(__name__)


@staff_route(bp, "/me", roles=ALL_ROLES)
def me(ctx: Ctx) -> Any:
    assert ctx.principal
    return json_response({"user": ctx.principal.user, "roles": sorted(ctx.principal.roles),
                          "stage": get_settings().stage})


@staff_route(bp, "/audit", roles={Role.ADMIN})
def audit(ctx: Ctx) -> Any:
    """By day, by subject, by a plain id or a store's name (`q`), by actor (chalicelib/audit/search.py)."""
    from chalicelib.audit import search

    return json_response(search.search(get_deps(), subject=ctx.query("subject"), q=ctx.query("q"),
                                       actor=ctx.query("actor") or None, day=ctx.query("date"),
                                       today=ctx.now.date().isoformat(), kind=ctx.query("kind")))


@staff_route(bp, "/audit/export", roles={Role.ADMIN})
def audit_export(ctx: Ctx) -> Any:
    """The audit log as CSV (chalicelib/audit/export.py): the screen's filters, a span of days up to 31;
    the export is itself audited."""
    from chalicelib.audit import export

    params = {k: ctx.query(k) for k in ("date", "from", "to", "subject", "q", "actor", "kind")}
    f = export.parse_filter(params, ctx.now.date())
    body = export.export(get_deps(), ctx.staff, f, ctx.now, scope="admin")
    stamp = ctx.now.strftime("%Y%m%d-%H%M")
    return Response(body=body, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f"attachment; filename=\"audit-{stamp}.csv\"; "
                               f"filename*=UTF-8''{quote(f'監査ログ_{stamp}.csv')}",
        "Cache-Control": "no-store",
    })


@staff_route(bp, "/mail", roles=OPERATOR)
def local_mail(ctx: Ctx) -> Any:
    """Mail the local stage 'sent' (moto keeps it). Only in the local stage."""
    settings = get_settings()
    if not settings.is_local or not settings.aws_endpoint_url:
        raise NotFound("ローカル環境でのみ使えます")
    messages = sent_messages(settings.aws_endpoint_url)
    return json_response({"items": list(reversed(messages))})


@staff_route(bp, "/jobs/{name}", roles={Role.ADMIN, Role.ACCOUNTANT, Role.AGENT, Role.COORDINATOR, Role.SCREENER},
             methods=("POST",))
def run_job(ctx: Ctx, name: str) -> Any:
    """Each job names the roles that may run it by hand (registry.JOB_ROLES); every run is audited."""
    assert ctx.principal
    body = ctx.json_body() if ctx.request.raw_body else {}
    return json_response(registry.run_from_request(name, body, ctx.now, get_settings().is_local, ctx.principal))


@public_route(bp, "/dev/demo-logins")
def demo_logins(ctx: Ctx) -> Any:
    """The local stage's demo users and their roles (the console's login page lists them). 404 elsewhere.

    No tokens: the console signs in through the local hosted login (/dev/oauth2/authorize); scripts
    read `.local/tokens.json`.
    """
    if not get_settings().is_local:
        raise NotFound("見つかりません")
    return json_response({"users": [{"user": user, "role": role} for user, role in DEMO_USERS.items()]})

"""Staff routes: usage imports, settlement rounds, returns and adjustments (store routes: routes/stores.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint, Response

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.observability import logger
from chalicelib.routes.screening import page_limit
from chalicelib.settings import get_settings
from chalicelib.web.http import Ctx, error_response, json_response, staff_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.settlement import service as settlement
    from chalicelib.settlement import views as round_views
    from chalicelib.usage import events
    from chalicelib.usage import service as usage
else:
    settlement = lazy_module("chalicelib.settlement.service")
    round_views = lazy_module("chalicelib.settlement.views")
    events = lazy_module("chalicelib.usage.events")
    usage = lazy_module("chalicelib.usage.service")

bp = Blueprint(__name__)

ACCOUNTING = {Role.ACCOUNTANT}
READ_SETTLEMENT = {Role.ACCOUNTANT, Role.ADMIN, Role.PREFECTURE}
UPLOAD_TYPES = ["text/csv", "application/octet-stream", "application/vnd.ms-excel", "text/plain"]


@staff_route(bp, "/usage-imports", roles=ACCOUNTING, methods=("POST",), content_types=UPLOAD_TYPES)
def upload_usage(ctx: Ctx) -> Any:
    """A small export as the request body (scripts; the acceptance contract). Up to
    usage.MAX_BODY_BYTES, what API Gateway can carry; larger files go through the console's upload
    straight to S3 (`POST /usage-imports/uploads`): 413 says so."""
    deps = get_deps()
    try:
        import_id = usage.create_import(deps, ctx.request.raw_body or b"", ctx.staff, ctx.now)
    except usage.BodyTooLarge as exc:
        return error_response(413, exc.code, exc.message, exc.fields)
    if get_settings().is_local:
        # The cloud imports on S3's EventBridge event; locally the same handler runs right away,
        # waiting its turn behind an import already running. As in the cloud, the upload has
        # succeeded whatever the import handler then does: a failed import shows in its report and
        # is completed by re-running it. But an import that never started must not pass for done.
        # (The local event pump, scripts/local_events.py, sees the object too: the second delivery
        # finds the import done, as a repeated event does in the cloud.)
        event = events.object_created_event(deps.settings.buckets.uploads_bucket, f"{usage.UPLOAD_PREFIX}{import_id}.csv")
        try:
            events.on_object_created(deps, event["detail"], ctx.now)
        except usage.ImportBusy as exc:
            busy = error_response(503, exc.code, exc.message, {"import_id": import_id})
            busy.headers["Retry-After"] = "5"
            return busy
        except Exception:
            logger.exception("usage import handler failed", extra={"import_id": import_id})
    answer: dict[str, Any] = {"import_id": import_id, "status": usage.get_import(deps, import_id)["status"]}
    same = usage.find_same_file(deps, import_id)
    if same:
        # The very same bytes were imported before: nothing new in it (said plainly, not as a success).
        answer["same_file_as"] = same
    return json_response(answer, 201)


@staff_route(bp, "/usage-imports/uploads", roles=ACCOUNTING, methods=("POST",))
def request_usage_upload(ctx: Ctx) -> Any:
    """A presigned POST for the console to send an export straight to S3 (up to usage.MAX_UPLOAD_BYTES):
    `{"import_id", "url", "method": "POST", "fields", "file_field", "max_bytes", "expires_at"}`. Body
    (optional): `{"filename", "size"}`. S3's Object Created event then runs the import (locally the
    event pump, scripts/local_events.py); the console follows `GET /usage-imports/{id}`."""
    body = ctx.json_body() if ctx.request.raw_body else {}
    return json_response(usage.create_upload(get_deps(), body, ctx.staff, ctx.now), 201)


@staff_route(bp, "/usage-imports", roles=READ_SETTLEMENT)
def list_usage_imports(ctx: Ctx) -> Any:
    return json_response({"items": usage.list_imports(get_deps())})


@staff_route(bp, "/usage-imports/{import_id}", roles=READ_SETTLEMENT)
def get_usage_import(ctx: Ctx, import_id: str) -> Any:
    deps = get_deps()
    return json_response(usage.report(deps, usage.get_import(deps, import_id)))


@staff_route(bp, "/usage-imports/{import_id}/process", roles=ACCOUNTING | {Role.ADMIN}, methods=("POST",))
def reprocess_usage_import(ctx: Ctx, import_id: str) -> Any:
    """Re-run the import handler (after a failure midway); a committed import is left as it is.

    In the cloud an import of a large export outlasts API Gateway's 29 s: the upload is put back in
    S3's way instead (its object rewritten in place, a new "Object Created" event for the import
    function) and the answer is 202 with the import's status, which the console follows. Locally
    the handler runs in the request, as the upload route runs it."""
    deps = get_deps()
    if get_settings().is_local:
        return json_response(usage.process_import(deps, import_id, ctx.now))
    answer = usage.requeue_import(deps, import_id, ctx.staff, ctx.now)
    return json_response(answer, 200 if answer["status"] in usage.DONE else 202)


@staff_route(bp, "/settlements/{month}", roles=READ_SETTLEMENT)
def get_settlement(ctx: Ctx, month: str) -> Any:
    return json_response(round_views.get_view(get_deps(), month))


@staff_route(bp, "/settlements/{month}/lines", roles=READ_SETTLEMENT)
def get_settlement_lines(ctx: Ctx, month: str) -> Any:
    """Every line, or one page of them with `?limit=` / `?cursor=` (what the console's settlement screen reads:
    50 at a time, the totals from the round itself)."""
    if ctx.query("limit") is None and ctx.query("cursor") is None:
        return json_response({"items": round_views.lines_view(get_deps(), month)})
    return json_response(round_views.lines_page(get_deps(), month, page_limit(ctx), ctx.query("cursor")))


@staff_route(bp, "/settlements/{month}/draft", roles=ACCOUNTING, methods=("POST",))
def draft_settlement(ctx: Ctx, month: str) -> Any:
    from chalicelib.audit.log import Actor

    assert ctx.staff
    return json_response(settlement.draft(get_deps(), month, Actor.of(ctx.staff), ctx.now))


@staff_route(bp, "/settlements/{month}/approve", roles=ACCOUNTING, methods=("POST",))
def approve_settlement(ctx: Ctx, month: str) -> Any:
    return json_response(settlement.approve(get_deps(), month, ctx.staff, ctx.now))


def _download(name: str, data: bytes, content_type: str) -> Response:
    # Text answers go as text: API Gateway only passes bytes for the registered binary types.
    body: bytes | str = data.decode("utf-8") if content_type == "application/json" else data
    return Response(body=body, status_code=200, headers={
        "Content-Type": content_type, "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "no-store"})


@staff_route(bp, "/settlements/{month}/transfer-file", roles=ACCOUNTING)
def transfer_file(ctx: Ctx, month: str) -> Any:
    name, data = settlement.transfer_file_bytes(get_deps(), month, ctx.staff, ctx.now)
    return _download(name, data, "application/octet-stream")


DOC_TYPES = {"statement_csv": "text/csv", "summary": "application/json",
             "statement_xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@staff_route(bp, "/settlements/{month}/documents/{name}", roles=READ_SETTLEMENT)
def settlement_document(ctx: Ctx, month: str, name: str) -> Any:
    filename, data = settlement.document_bytes(get_deps(), month, name, ctx.staff, ctx.now)
    return _download(filename, data, DOC_TYPES.get(name, "application/octet-stream"))


@staff_route(bp, "/settlements/{month}/returns", roles=ACCOUNTING, methods=("POST",))
def record_return(ctx: Ctx, month: str) -> Any:
    return json_response(settlement.record_return(get_deps(), month, ctx.json_body(), ctx.staff, ctx.now), 201)


@staff_route(bp, "/settlements/adjustments", roles=ACCOUNTING, methods=("POST",))
def add_adjustment(ctx: Ctx) -> Any:
    return json_response(settlement.add_adjustment(get_deps(), ctx.json_body(), ctx.staff, ctx.now), 201)


@staff_route(bp, "/settlements/adjustments", roles=READ_SETTLEMENT)
def list_adjustments(ctx: Ctx) -> Any:
    return json_response({"items": settlement.list_adjustments(get_deps())})


@staff_route(bp, "/settlements/{month}/reopen", roles=ACCOUNTING | {Role.ADMIN}, methods=("POST",))
def reopen_settlement(ctx: Ctx, month: str) -> Any:
    """A release stuck before its files were verified goes back to draft (audited, with a reason)."""
    return json_response(settlement.reopen(get_deps(), month, ctx.json_body(), ctx.staff, ctx.now))


@staff_route(bp, "/settlements/{month}/holds/{store_id}/clear", roles=ACCOUNTING, methods=("POST",))
def clear_settlement_hold(ctx: Ctx, month: str, store_id: str) -> Any:
    """An accountant who shaped nothing in the store's line clears its hold (usage dated before the
    store became active), with a reason: `{"reason"}`; audited; the next draft pays the amount cleared."""
    return json_response(settlement.clear_hold(get_deps(), month, store_id, ctx.json_body(), ctx.staff, ctx.now), 201)


@staff_route(bp, "/settlements/{month}/holds/{store_id}/defer", roles=ACCOUNTING, methods=("POST",))
def defer_settlement_line(ctx: Ctx, month: str, store_id: str) -> Any:
    """An accountant puts one store's payment in a draft off to the next round, with a reason:
    `{"reason"}`; audited; the next draft holds it (the way out when everyone who could approve shaped
    a line the round pays: chalicelib.settlement.four_eyes)."""
    return json_response(settlement.defer_line(get_deps(), month, store_id, ctx.json_body(), ctx.staff, ctx.now), 201)


@staff_route(bp, "/settlements/{month}/ceiling-confirmations", roles=ACCOUNTING | {Role.ADMIN}, methods=("POST",))
def confirm_over_ceiling(ctx: Ctx, month: str) -> Any:
    """A second person confirms one store's amount above the per-store ceiling."""
    return json_response(settlement.confirm_over_ceiling(get_deps(), month, ctx.json_body(), ctx.staff,
                                                         ctx.now), 201)

"""Store kit routes (issue 11 points 3 and 4): the handoff to the app provider, the provider's answer, the
credentials letters, the printed kit, shipping and the register. docs/store-kit.md describes them.

Roles: screeners and admins do the work; the prefecture reads the register and the batches. The
literal segments (`/stores/kit-register`, `/stores/kit-batches`, `/stores/provider-answer`) sit beside
routes/stores.py's `/stores/{store_id}`: API Gateway and Chalice's local server prefer the literal one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from chalice import Blueprint, Response

from chalicelib.auth.roles import Role
from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.routes.screening import page_limit
from chalicelib.web.http import Ctx, json_response, staff_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.stores import kit, kit_print
else:
    kit = lazy_module("chalicelib.stores.kit")
    kit_print = lazy_module("chalicelib.stores.kit_print")

bp = Blueprint(__name__)

WORK = {Role.SCREENER, Role.ADMIN}
READ = {Role.SCREENER, Role.ADMIN, Role.PREFECTURE}
UPLOAD_TYPES = ["text/csv", "application/octet-stream", "application/vnd.ms-excel", "text/plain"]


def _file(name: str, data: bytes, content_type: str) -> Response:
    # Bytes (binary types of the API): the PDF and the CSV's BOM arrive intact. Names are ASCII.
    return Response(body=data, status_code=200, headers={
        "Content-Type": content_type, "Content-Disposition": f"attachment; filename=\"{quote(name)}\"",
        "Cache-Control": "no-store"})


@staff_route(bp, "/stores/kit-register", roles=READ)
def kit_register(ctx: Ctx) -> Any:
    return json_response(kit.register(get_deps(), ctx.query("batch") or None, page_limit(ctx), ctx.query("cursor")))


@staff_route(bp, "/stores/kit-batches", roles=READ)
def kit_batches(ctx: Ctx) -> Any:
    return json_response(kit.batches_overview(get_deps()))


@staff_route(bp, "/stores/kit-batches", roles=WORK, methods=("POST",))
def create_kit_batch(ctx: Ctx) -> Any:
    return json_response(kit.create_batch(get_deps(), ctx.staff, ctx.now), 201)


@staff_route(bp, "/stores/kit-batches/{batch_id}/handoff.csv", roles=WORK)
def handoff_csv(ctx: Ctx, batch_id: str) -> Any:
    name, data = kit.handoff_file(get_deps(), batch_id, ctx.staff, ctx.now)
    return _file(name, data, "text/csv")


@staff_route(bp, "/stores/kit-batches/{batch_id}/shipping-list.csv", roles=WORK)
def shipping_csv(ctx: Ctx, batch_id: str) -> Any:
    name, data = kit_print.shipping_file(get_deps(), batch_id, ctx.staff, ctx.now, ctx.query("all") == "1")
    return _file(name, data, "text/csv")


@staff_route(bp, "/stores/kit-batches/{batch_id}/credentials-letters", roles=WORK, methods=("POST",))
def batch_letters(ctx: Ctx, batch_id: str) -> Any:
    """The batch's waiting letters in one PDF (their passwords erased); `X-Letters-Remaining` says how many
    are still waiting after this one (asked again, they come next)."""
    name, data, remaining = kit_print.batch_letters(get_deps(), batch_id, ctx.staff, ctx.now)
    response = _file(name, data, "application/pdf")
    response.headers["X-Letters-Remaining"] = str(remaining)
    return response


@staff_route(bp, "/stores/kit-batches/{batch_id}/kits.pdf", roles=WORK)
def batch_kits(ctx: Ctx, batch_id: str) -> Any:
    name, data = kit_print.batch_kits(get_deps(), batch_id, ctx.staff, ctx.now, ctx.query("all") == "1")
    return _file(name, data, "application/pdf")


@staff_route(bp, "/stores/provider-answer", roles=WORK, methods=("POST",), content_types=UPLOAD_TYPES)
def provider_answer(ctx: Ctx) -> Any:
    return json_response(kit.import_answer(get_deps(), ctx.request.raw_body or b"", ctx.staff, ctx.now))


@staff_route(bp, "/stores/{store_id}/credentials-letter", roles=WORK, methods=("POST",))
def credentials_letter(ctx: Ctx, store_id: str) -> Any:
    name, data = kit_print.credentials_letter(get_deps(), store_id, ctx.staff, ctx.now)
    return _file(name, data, "application/pdf")


@staff_route(bp, "/stores/{store_id}/credentials-reissue", roles=WORK, methods=("POST",))
def credentials_reissue(ctx: Ctx, store_id: str) -> Any:
    return json_response(kit_print.request_reissue(get_deps(), store_id, ctx.json_body(), ctx.staff, ctx.now))


@staff_route(bp, "/stores/{store_id}/kit.pdf", roles=WORK)
def kit_pdf(ctx: Ctx, store_id: str) -> Any:
    name, data = kit_print.kit_file(get_deps(), store_id, ctx.staff, ctx.now)
    return _file(name, data, "application/pdf")


@staff_route(bp, "/stores/{store_id}/kit-shipment", roles=WORK, methods=("POST",))
def kit_shipment(ctx: Ctx, store_id: str) -> Any:
    return json_response(kit_print.record_shipment(get_deps(), store_id, ctx.json_body(), ctx.staff, ctx.now))


@staff_route(bp, "/stores/{store_id}/kit-return", roles=WORK, methods=("POST",))
def kit_return(ctx: Ctx, store_id: str) -> Any:
    return json_response(kit_print.record_return(get_deps(), store_id, ctx.json_body(), ctx.staff, ctx.now))


@staff_route(bp, "/stores/{store_id}/kit-reissue", roles=WORK, methods=("POST",))
def kit_reissue(ctx: Ctx, store_id: str) -> Any:
    return json_response(kit_print.request_kit_reissue(get_deps(), store_id, ctx.json_body(), ctx.staff, ctx.now))

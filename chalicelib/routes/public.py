"""Public routes: the application form and its JSON endpoint, bank lookups, correction links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.kernel import banks
from chalicelib.kernel.lazy import lazy_module
from chalicelib.web import pages
from chalicelib.web.http import Ctx, html_response, json_response, public_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.applications import service
else:
    service = lazy_module("chalicelib.applications.service")

bp = Blueprint(__name__)

CORRECTION_TOKEN_HEADER = "X-Correction-Token"


@public_route(bp, "/")
def home(ctx: Ctx) -> Any:
    return html_response(pages.render("apply.html"))


@public_route(bp, "/apply")
def apply_form(ctx: Ctx) -> Any:
    return html_response(pages.render("apply.html"))


def _submit(ctx: Ctx) -> Any:
    application_id, created = service.submit(get_deps(), ctx.json_body(), ctx.now)
    return json_response({"application_id": application_id, "status": "submitted"}, 201 if created else 200)


@public_route(bp, "/applications", methods=("POST",), content_types=["application/json"])
def submit_application(ctx: Ctx) -> Any:
    return _submit(ctx)


@public_route(bp, "/api/applications", methods=("POST",), content_types=["application/json"])
def submit_application_api(ctx: Ctx) -> Any:
    return _submit(ctx)


@public_route(bp, "/lookup/banks/{bank_code}")
def lookup_bank(ctx: Ctx, bank_code: str) -> Any:
    bank = banks.find_bank(bank_code)
    if not bank:
        raise NotFound("金融機関が見つかりません", {"bank_code": "金融機関コードを確認してください"})
    return json_response({"bank_code": bank.code, "name": bank.name, "kana": bank.kana},
                         headers={"Cache-Control": "public, max-age=86400"})


@public_route(bp, "/lookup/banks/{bank_code}/branches/{branch_code}")
def lookup_branch(ctx: Ctx, bank_code: str, branch_code: str) -> Any:
    branch = banks.find_branch(bank_code, branch_code)
    if not branch:
        raise NotFound("支店が見つかりません", {"branch_code": "支店コードを確認してください"})
    return json_response({"bank_code": bank_code, "branch_code": branch.code, "name": branch.name,
                          "kana": branch.kana}, headers={"Cache-Control": "public, max-age=86400"})


@public_route(bp, "/lookup/areas")
def lookup_areas(ctx: Ctx) -> Any:
    return json_response(pages.areas_payload(), headers={"Cache-Control": "public, max-age=86400"})


# The "return for correction" link is /apply/correct#t=<token>: the token is in the URL fragment,
# which browsers never send, and the page passes it to the API in the X-Correction-Token header,
# so it is in no request line, access log or Referer.
@public_route(bp, "/apply/correct")
def correction_form(ctx: Ctx) -> Any:
    return html_response(pages.render("apply.html"))


def _correction_token(ctx: Ctx) -> str:
    token = (ctx.request.headers or {}).get(CORRECTION_TOKEN_HEADER, "").strip()
    if not token:
        raise InvalidInput("リンクが正しくありません", {"token": "メールに記載されたリンクをそのまま開いてください"})
    return str(token)


@public_route(bp, "/resubmission")
def open_resubmission(ctx: Ctx) -> Any:
    return json_response(service.open_resubmission(get_deps(), _correction_token(ctx), ctx.now))


@public_route(bp, "/resubmission", methods=("POST",), content_types=["application/json"])
def resubmit(ctx: Ctx) -> Any:
    token = _correction_token(ctx)
    return json_response(service.resubmit(get_deps(), token, ctx.json_body(), ctx.now))


@public_route(bp, "/health")
def health(ctx: Ctx) -> Any:
    return json_response({"status": "ok", "now": ctx.now.isoformat()})

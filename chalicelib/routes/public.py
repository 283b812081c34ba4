"""Public routes: the application form and its JSON endpoint, the terms page, the form's lookups (banks and
branches by code or name, kana checked as the server checks it), correction links."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.applications import terms
from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput, NotFound
from chalicelib.kernel.input_errors import parse_json_object
from chalicelib.kernel.lazy import lazy_module
from chalicelib.mail.templates import call_center_hours
from chalicelib.settings import get_settings
from chalicelib.web.http import Ctx, html_response, json_response, public_route

# Services: type checkers and editors follow the imports; at run time each module is imported on first
# use (kernel/lazy.py: one cold start does not import every area; thread-safe).
if TYPE_CHECKING:
    from chalicelib.applications import kana_check, service
    from chalicelib.kernel import banks
    from chalicelib.web import pages
else:
    service = lazy_module("chalicelib.applications.service")
    kana_check = lazy_module("chalicelib.applications.kana_check")
    banks = lazy_module("chalicelib.kernel.banks")  # the bank master: only the lookups read it
    pages = lazy_module("chalicelib.web.pages")  # HTML pages only; JSON answers never need it

bp = Blueprint(__name__)

CORRECTION_TOKEN_HEADER = "X-Correction-Token"
#: The kana check answers while the applicant types: a field's value, never more than this.
KANA_BODY_BYTES = 2_048
#: A search is a few words (a bank or branch name), not a document.
MAX_QUERY = 50
LOOKUP_CACHE = {"Cache-Control": "public, max-age=86400"}


def _page_values(route_path: str) -> dict[str, str]:
    """What the form, the done page, the correction page and the terms show of the configuration: the call
    center (settings.call_center) and where the 参加規約 are (settings.stores.terms_url, else our /terms)."""
    settings = get_settings()
    center = settings.call_center
    own_terms = "../" * max(0, route_path.count("/") - 1) + "terms"
    return {
        "call_center_phone": center.call_center_phone,
        "call_center_tel": "".join(c for c in center.call_center_phone if c.isdigit() or c == "+"),
        "call_center_hours": call_center_hours(center),
        "terms_href": settings.stores.terms_url or own_terms,
        "spec_excluded_stores": terms.SPEC_EXCLUDED_STORES,
        "spec_excluded_goods": terms.SPEC_EXCLUDED_GOODS,
        "spec_tobacco": terms.SPEC_TOBACCO,
        "excluded_payments": terms.EXCLUDED_PAYMENTS,
    }


def _form(route_path: str) -> Any:
    return html_response(pages.render("apply.html", **_page_values(route_path)))


@public_route(bp, "/")
def home(ctx: Ctx) -> Any:
    return _form("/")


@public_route(bp, "/apply")
def apply_form(ctx: Ctx) -> Any:
    return _form("/apply")


@public_route(bp, "/terms")
def terms_page(ctx: Ctx) -> Any:
    return html_response(pages.render("terms.html", **_page_values("/terms")))


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
                         headers=LOOKUP_CACHE)


@public_route(bp, "/lookup/banks/{bank_code}/branches/{branch_code}")
def lookup_branch(ctx: Ctx, bank_code: str, branch_code: str) -> Any:
    branch = banks.find_branch(bank_code, branch_code)
    if not branch:
        raise NotFound("支店が見つかりません", {"branch_code": "支店コードを確認してください"})
    return json_response({"bank_code": bank_code, "branch_code": branch.code, "name": branch.name,
                          "kana": branch.kana}, headers=LOOKUP_CACHE)


def _search_text(ctx: Ctx, what: str) -> str:
    query = ctx.query("q")
    text = query.strip() if isinstance(query, str) else ""
    if not text:
        raise InvalidInput(f"{what}を入力してください", {"q": f"{what}（一部でも可）を入力してください"})
    if len(text) > MAX_QUERY:
        raise InvalidInput("検索する言葉が長すぎます", {"q": f"{MAX_QUERY}文字以内で入力してください"})
    return text


@public_route(bp, "/lookup/banks")
def search_banks(ctx: Ctx) -> Any:
    found = banks.search_banks(_search_text(ctx, "金融機関名"), limit=banks.MAX_RESULTS)
    items = [{"bank_code": b.code, "name": b.name, "kana": b.kana} for b in found]
    return json_response({"items": items, "limit": banks.MAX_RESULTS}, headers=LOOKUP_CACHE)


@public_route(bp, "/lookup/banks/{bank_code}/branches")
def search_branches(ctx: Ctx, bank_code: str) -> Any:
    bank = banks.find_bank(bank_code)
    if not bank:
        raise NotFound("金融機関が見つかりません", {"bank_code": "金融機関コードを確認してください"})
    found = banks.search_branches(bank.code, _search_text(ctx, "支店名"), limit=banks.MAX_RESULTS)
    items = [{"branch_code": b.code, "name": b.name, "kana": b.kana} for b in found]
    return json_response({"bank_code": bank.code, "bank_name": bank.name, "items": items,
                          "limit": banks.MAX_RESULTS}, headers=LOOKUP_CACHE)


@public_route(bp, "/lookup/kana", methods=("POST",), content_types=["application/json"])
def lookup_kana(ctx: Ctx) -> Any:
    return json_response(kana_check.check_kana(parse_json_object(ctx.request.raw_body, KANA_BODY_BYTES)))


@public_route(bp, "/lookup/areas")
def lookup_areas(ctx: Ctx) -> Any:
    return json_response(pages.areas_payload(), headers=LOOKUP_CACHE)


# The "return for correction" link is /apply/correct#t=<token>: the token is in the URL fragment,
# which browsers never send, and the page passes it to the API in the X-Correction-Token header,
# so it is in no request line, access log or Referer.
@public_route(bp, "/apply/correct")
def correction_form(ctx: Ctx) -> Any:
    return _form("/apply/correct")


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

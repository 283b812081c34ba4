"""Every answer carries the security headers; pages carry a CSP that allows the app's own modules and
stylesheets ('self') and a nonce that matches every <script>/<style> tag they have.

Through chalice.test.Client, i.e. through the app's http middleware as in `chalice local` and Lambda.
Not covered (and cannot be): the authorizer's own 401/403, answered before the app runs.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.factories import application_body

COMMON = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
PAGES = ["/apply", "/", "/apply/correct", "/console/login", "/console", "/console/applications/AP000001",
         "/console/stores", "/console/usage", "/console/settlements", "/console/audit", "/console/mail",
         "/console/inquiries"]
TEMPLATES = Path(__file__).resolve().parents[2] / "chalicelib" / "web" / "templates"
STATIC = TEMPLATES.parent / "static"


def _get(api: Any, path: str, **kwargs: Any) -> Any:
    return api.client.http.get(path, **kwargs)


def _csp(headers: dict[str, str]) -> dict[str, str]:
    directives = [d.strip() for d in headers["Content-Security-Policy"].split(";") if d.strip()]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] if " " in d else "" for d in directives}


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the inline code of each <script>/<style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline: list[tuple[str, dict[str, str | None], str]] = []
        self._open: tuple[str, dict[str, str | None]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._open = (tag, dict(attrs))

    def handle_data(self, data: str) -> None:
        if self._open:
            self.inline.append((*self._open, data))
            self._open = None

    def handle_endtag(self, tag: str) -> None:
        self._open = None


def _assert_common(headers: dict[str, str]) -> None:
    for name, value in COMMON.items():
        assert headers.get(name) == value, (name, headers)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_csp_allowing_its_own_modules_and_its_nonce(api, path):
    response = _get(api, path)
    assert response.status_code == 200, path
    headers = response.headers
    assert headers["Content-Type"].startswith("text/html")
    _assert_common(headers)
    assert headers["Cache-Control"] == "no-store"
    csp = _csp(headers)
    assert csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'" and csp["base-uri"] == "'none'"
    assert csp["form-action"] == "'self'" and csp["object-src"] == "'none'"
    nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{16,})'", csp["script-src"]).group(1)
    assert csp["style-src"] == f"'self' 'nonce-{nonce}'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]

    parser = _Tags()
    parser.feed(response.body.decode("utf-8"))
    # The page's code is one ES module and its styles are stylesheets, all the app's own static files.
    modules = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert modules and all(attrs.get("type") == "module" for attrs in modules), (path, modules)
    for attrs in modules:
        src = str(attrs.get("src"))
        assert re.fullmatch(r"(\.\./)*static/[0-9a-f]{16}/[\w-]+\.js", src), (path, src)
    sheets = [attrs for tag, attrs in parser.tags if tag == "link" and attrs.get("rel") == "stylesheet"]
    assert sheets, path
    assert not [t for t in parser.inline if t[2].strip()], (path, "inline code")
    # Every <script> and <style> the page has (inline or not) carries this response's nonce.
    for tag, attrs in parser.tags:
        if tag in ("script", "style"):
            assert attrs.get("nonce") == nonce, (path, tag, attrs)
    # Nothing CSP would block: no inline handlers, no style attributes, no javascript: URLs.
    for tag, attrs in parser.tags:
        handlers = [a for a in attrs if a.startswith("on")]
        assert not handlers, (path, tag, attrs)
        assert "style" not in attrs, (path, tag, attrs)
        for name in ("href", "src", "action", "formaction"):
            assert not str(attrs.get(name) or "").lower().startswith("javascript:"), (path, tag, attrs)


def test_every_public_html_route_gets_the_page_policy(api):
    # Pages added later are covered too: every public GET route that answers HTML.
    from chalicelib.web.http import PUBLIC_ROUTES

    seen = 0
    for path, method in sorted(PUBLIC_ROUTES):
        if method != "GET":
            continue
        response = _get(api, re.sub(r"\{[^}]+\}", "X000001", path))
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        seen += 1
        _assert_common(response.headers)
        nonce = re.fullmatch(r"'self' 'nonce-(.+)'", _csp(response.headers)["script-src"]).group(1)
        parser = _Tags()
        parser.feed(response.body.decode("utf-8"))
        for tag, attrs in parser.tags:
            assert not [a for a in attrs if a.startswith("on") or a == "style"], (path, tag, attrs)
            if tag in ("script", "style"):
                assert attrs.get("nonce") == nonce, (path, tag)
    assert seen >= len(PAGES)


def test_each_response_gets_a_fresh_nonce(api):
    first = _csp(_get(api, "/apply").headers)["script-src"]
    second = _csp(_get(api, "/apply").headers)["script-src"]
    assert first != second


def test_the_page_scripts_never_write_inline_handlers_or_style_attributes():
    # What the page scripts build at run time is not in the served HTML: check their source. The
    # DOM helper h() attaches `on…` keys with addEventListener and a `style` key through the CSSOM.
    helpers = (STATIC / "client.js").read_text(encoding="utf-8")
    assert 'node.addEventListener(k.slice(2), v)' in helpers and "node.style.cssText = v" in helpers
    for path in [*TEMPLATES.iterdir(), *STATIC.iterdir()]:
        source = path.read_text(encoding="utf-8")
        for forbidden in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", 'setAttribute("on',
                          "setAttribute('on", 'setAttribute("style', "setAttribute('style", "eval(", "new Function",
                          "javascript:"):
            assert forbidden not in source, (path.name, forbidden)


def test_a_json_answer_is_not_cached_not_framed_and_runs_nothing(api):
    response = _get(api, "/health")
    assert response.status_code == 200
    _assert_common(response.headers)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert _csp(response.headers)["frame-ancestors"] == "'none'"
    assert response.headers["X-Correlation-Id"]


def test_staff_json_with_personal_data_is_not_cached(api):
    code, created = api.call("POST", "/applications", application_body())
    assert code == 201
    response = api.client.http.get(f"/applications/{created['application_id']}",
                                   headers={"Authorization": f"Bearer {api.tokens['screener']}"})
    assert response.status_code == 200
    _assert_common(response.headers)
    assert response.headers["Cache-Control"] == "no-store"


def test_public_reference_data_keeps_its_deliberate_cache_but_gets_the_other_headers(api):
    response = _get(api, "/lookup/areas")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    _assert_common(response.headers)


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("get", "/lookup/banks/9999", {}, 404),  # a domain error
    ("post", "/applications", {"body": "{}", "headers": {"Content-Type": "application/json"}}, 422),  # field errors
    ("post", "/applications", {"body": "{", "headers": {"Content-Type": "application/json"}}, 400),  # unreadable
    ("post", "/applications", {"body": "x", "headers": {"Content-Type": "text/xml"}}, 415),  # Chalice's own answer
    ("delete", "/apply", {}, 405),  # Chalice's own answer
    ("get", "/resubmission", {}, 422),  # no correction token
])
def test_error_answers_carry_the_headers_too(api, method, path, kwargs, status):
    response = getattr(api.client.http, method)(path, **kwargs)
    assert response.status_code == status, response.body
    _assert_common(response.headers)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_a_wrong_role_refused_by_the_app_carries_the_headers(api):
    response = api.client.http.get("/audit", headers={"Authorization": f"Bearer {api.tokens['screener']}"})
    assert response.status_code == 403
    _assert_common(response.headers)
    assert response.headers["Cache-Control"] == "no-store"


def test_a_route_cannot_weaken_the_page_policy(api):
    # /console/inquiries sets its own "frame-ancestors 'none'" CSP; the middleware's full policy wins.
    csp = _csp(_get(api, "/console/inquiries").headers)
    assert csp["script-src"].startswith("'self' 'nonce-") and csp["default-src"] == "'self'"


def test_a_caller_supplied_correlation_id_is_only_taken_when_it_looks_like_one(api):
    assert _get(api, "/health", headers={"X-Correlation-Id": "abc-123"}).headers["X-Correlation-Id"] == "abc-123"
    odd = _get(api, "/health", headers={"X-Correlation-Id": "a b\"<script>"}).headers["X-Correlation-Id"]
    assert odd != "a b\"<script>" and re.fullmatch(r"[0-9a-f]{32}", odd)


def test_pages_may_connect_to_the_api_and_the_uploads_bucket_only(api):
    # The usage screen posts exports straight to S3 (a presigned POST): locally the local AWS endpoint,
    # in the cloud https://<uploads bucket>.s3.<region>.amazonaws.com (chalicelib/adapters/files.py).
    for path in ("/console/usage", "/console", "/apply"):
        csp = _csp(_get(api, path).headers)
        assert csp["connect-src"].split() == ["'self'", api.aws], (path, csp)
    # JSON answers still allow nothing at all.
    code_headers = _get(api, "/health").headers
    assert "connect-src" not in code_headers["Content-Security-Policy"]

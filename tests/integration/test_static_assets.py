"""The pages' static assets: served from the function under a versioned URL that caches may keep,
with the right content types; small screen modules; labels that come from Python.

Through chalice.test.Client, i.e. through the app's http middleware as in `chalice local` and Lambda.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from chalicelib.applications.status import STATUS_LABELS
from chalicelib.applications.validation import DECLARATION_TEXT
from chalicelib.auth.roles import ROUTE_ROLES
from chalicelib.settlement.documents import ACCOUNT_TYPES
from chalicelib.stores.service import STATUSES
from chalicelib.web import pages

STATIC = Path(pages.__file__).resolve().parent / "static"
TEMPLATES = STATIC.parent / "templates"
MAX_LINES = 400


def _get(api: Any, path: str) -> Any:
    return api.client.http.get(path)


def _asset_urls(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="((?:\.\./)*static/[^"]+)"', html)


@pytest.mark.parametrize(("page", "depth"), [("/apply", 0), ("/apply/correct", 1), ("/console", 0),
                                             ("/console/stores/MP000001", 2), ("/console/inquiries", 1)])
def test_pages_refer_to_their_assets_relative_to_themselves_under_one_version(api, page, depth):
    urls = _asset_urls(_get(api, page).body.decode("utf-8"))
    assert urls, page
    for url in urls:
        assert url.startswith("../" * depth + f"static/{pages.asset_version()}/"), (page, url)


@pytest.mark.parametrize("name", [*sorted(p.name for p in STATIC.iterdir()), "labels.js"])
def test_every_asset_is_served_with_its_type_and_a_year_of_immutable_cache(api, name):
    response = _get(api, f"/static/{pages.asset_version()}/{name}")
    assert response.status_code == 200, name
    expected = "text/javascript; charset=utf-8" if name.endswith(".js") else "text/css; charset=utf-8"
    assert response.headers["Content-Type"] == expected
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.body == pages.assets()[name]


@pytest.mark.parametrize("path", ["/static/0000000000000000/client.js", "/static/{v}/nothing.js",
                                  "/static/{v}/..%2Fpages.py", "/static/{v}/console.html"])
def test_another_version_or_an_unknown_file_is_not_found_and_not_cached(api, path):
    response = _get(api, path.replace("{v}", pages.asset_version()))
    assert response.status_code == 404
    assert response.headers["Cache-Control"] == "no-store"


def test_the_version_changes_with_any_asset():
    before = pages.asset_version()
    pages.asset_version.cache_clear()
    original = dict(pages.assets())
    try:
        pages.assets()["client.js"] = original["client.js"] + b"\n"
        assert pages.asset_version() != before
    finally:
        pages.assets()["client.js"] = original["client.js"]
        pages.asset_version.cache_clear()
    assert pages.asset_version() == before


def test_no_screen_module_or_stylesheet_is_over_400_lines():
    for path in STATIC.iterdir():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= MAX_LINES, (path.name, lines)


def test_every_relative_import_of_a_module_is_an_asset():
    names = set(pages.assets())
    for path in STATIC.glob("*.js"):
        for target in re.findall(r'(?:from|import) "\./([^"]+)"', path.read_text(encoding="utf-8")):
            assert target in names, (path.name, target)


def test_the_pages_carry_no_inline_code_or_styles_of_their_own():
    for name in ("console.html", "console_inquiries.html", "apply.html"):
        source = (TEMPLATES / name).read_text(encoding="utf-8")
        assert "<style" not in source and "<script>" not in source, name


def _labels(api: Any) -> dict[str, Any]:
    source = _get(api, f"/static/{pages.asset_version()}/labels.js").body.decode("utf-8")
    found = dict(re.findall(r"^export const (\w+) = (.*);$", source, re.M))
    return {name: json.loads(value) for name, value in found.items()}


def test_the_labels_module_is_the_python_labels(api):
    labels = _labels(api)
    assert labels["STORE_STATUSES"] == [[k, v] for k, v in STATUSES.items()]
    assert dict(labels["STORE_STATUSES"])["suspended"] == "利用停止"
    assert labels["APP_STATUSES"] == [[str(k), v] for k, v in STATUS_LABELS.items()]
    assert labels["ACCOUNT_TYPES"] == ACCOUNT_TYPES and labels["DECLARATIONS"] == DECLARATION_TEXT
    assert labels["READ_APPLICATIONS"] == sorted(ROUTE_ROLES[("/applications", "GET")])
    assert labels["READ_INQUIRIES"] == sorted(ROUTE_ROLES[("/inquiries", "GET")])
    assert set(labels["ROLE_LABELS"]) == {"screener", "accountant", "agent", "coordinator", "prefecture", "admin"}


def test_no_screen_writes_its_own_status_or_role_labels():
    # Written once, in Python (web/pages.labels): the screens import them from labels.js.
    for path in STATIC.glob("*.js"):
        source = path.read_text(encoding="utf-8")
        for label in ('"当座"', '"暴力団等', '"利用中"', '"利用停止"', '"有効"', '"停止中"', '"審査待ち"', '"県職員', '"コールセンター"'):
            assert label not in source, (path.name, label)


def test_hidden_wins_over_any_display_rule_on_every_console_page():
    # A logged-out page shows only the login: `.layout { display: grid }` may not undo `hidden`.
    assert "[hidden] { display: none !important; }" in (STATIC / "base.css").read_text(encoding="utf-8")
    for name in ("console.html", "console_inquiries.html"):
        assert 'href="{{static}}base.css"' in (TEMPLATES / name).read_text(encoding="utf-8"), name

"""Every registered route, with every role's token (and none), fed bad input of every shape: never a 5xx.

The routes come from the app itself (ROUTE_ROLES / PUBLIC_ROUTES), so a new route is fuzzed without
anyone touching this file. A small world is seeded first (an application, a store, an inquiry, a usage
import, a drafted round) so the requests reach the services, not just the "not found" of an empty table.

Shapes: lone surrogates in keys and values, lists and objects where strings are expected, huge
integers, extreme dates and months (in bodies, paths, query strings and the X-Miyapo-Now header),
crafted page cursors, non-JSON bodies. Bounded: the whole file runs in well under a minute.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.auth.roles import ROUTE_ROLES, Role
from chalicelib.web.http import PUBLIC_ROUTES
from tests.factories import application_body, approve_body
from tests.integration.inquiry_support import inquiry_body

NOW = "2025-07-02T10:00:00+09:00"
PINNED = {"X-Miyapo-Now": NOW}
ANONYMOUS = "anonymous"
WRITES = ("POST", "PUT", "PATCH")
PARAM = re.compile(r"\{([^}]+)\}")
DROPPED = 599  # what the test records when the app could not even answer


def all_routes() -> list[tuple[str, str, Any]]:
    from app import app

    return sorted((path, method, entry) for path, methods in app.routes.items() for method, entry in methods.items())


def allowed_roles(path: str, method: str) -> list[str]:
    if (path, method) in PUBLIC_ROUTES:
        return [ANONYMOUS]
    return sorted(role.value for role in ROUTE_ROLES[(path, method)])


# --- the seeded world ------------------------------------------------------------------------------------


@pytest.fixture
def world(api) -> dict[str, str]:
    code, submitted = api.call("POST", "/applications", application_body())
    assert code == 201, submitted
    code, other = api.call("POST", "/applications", application_body())
    assert code == 201, other
    code, decided = api.call("POST", f"/applications/{other['application_id']}/decision", approve_body(),
                             as_="screener")
    assert code == 200, decided
    store_id = decided["store_id"]
    code, logged = api.call("POST", "/inquiries", inquiry_body("2025-07-02T09:30:00+09:00", store_id=store_id),
                            as_="agent", headers=PINNED)
    assert code == 201, logged
    usage = ("取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"
             f"T0001,2025-06-01 10:00:00,{store_id},店,1200,利用\n")
    code, imported = api.call("POST", "/usage-imports", as_="accountant", raw=usage.encode(),
                              headers={"Content-Type": "text/csv", **PINNED})
    assert code == 201, imported
    code, drafted = api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=PINNED)
    assert code == 200, drafted
    return {"application_id": submitted["application_id"], "store_id": store_id,
            "inquiry_id": logged["inquiry_id"], "import_id": imported["import_id"], "month": "2025-06",
            "bank_code": "0125", "branch_code": "100", "token": "abc"}


def concrete(path: str, world: dict[str, str], **override: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in override:
            return override[name]
        if name == "name":
            return "daily-report" if path.startswith("/jobs/") else "statement_csv"
        return world.get(name, "X0000001")

    return PARAM.sub(value, path)


def call(api, method: str, path: str, role: str, *, raw: bytes | None = None, content_type: str = "application/json",
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    # Browsers send Accept: */* (binary answers need it); the clock is pinned unless a test says otherwise;
    # a correction token header lets the applicant's correction routes read the body.
    h = {"Accept": "*/*", "X-Correction-Token": "abc", **PINNED, **(headers or {})}
    if raw is not None:
        h["Content-Type"] = content_type
    try:
        return api.call(method, path, as_=None if role == ANONYMOUS else role, raw=raw, headers=h)
    except Exception as exc:  # e.g. an answer that cannot be encoded: the server drops the connection
        return DROPPED, f"{type(exc).__name__}: {exc}"


# --- the bad shapes ------------------------------------------------------------------------------------

#: Field names the API's bodies use (any route ignores or refuses the ones it does not know).
FIELDS = sorted(set(application_body()) | set(inquiry_body("")) | {
    "decision", "checks", "reason", "store_id", "amount", "month", "now", "version", "handling_minutes",
    "caller_name", "caller_phone", "client_token", "answer", "bank_code", "branch_code", "account_type",
    "account_number", "holder_kana", "website", "previous_store_id", "date", "import_id", "name",
})
SURROGATES = ["\ud800", "\udfff", "x\udc00y"]
EXTREME_TIMES = ["0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-12:00", "0001-01-01", "9999-12-31",
                 "1999-12-31T23:59:59+09:00", "2101-01-01T00:00:00+09:00", "2025-06-01T10:00:00+25:00"]
EXTREME_MONTHS = ["9999-12", "0001-01", "0000-00", "2025-13", "2101-01", "1999-12"]


def _raw(body: Any) -> bytes:
    return json.dumps(body).encode()  # ASCII escapes: lone surrogates travel as \udfff, as an attacker sends them


BAD_BODIES: list[bytes] = [
    b'{"\\udfff": 1}',
    b'{"reason": {"\\ud800": "x"}}',
    b'{"a": [{"\\udc00\\udc00": 1}]}',
    _raw({field: SURROGATES[i % 3] for i, field in enumerate(FIELDS)}),
    _raw({field: ["x"] for field in FIELDS}),
    _raw({field: {"x": "y"} for field in FIELDS}),
    _raw({field: 10**40 for field in FIELDS}),
    _raw({field: -(10**40) for field in FIELDS}),
    _raw({field: 1.5e308 for field in FIELDS}),
    _raw({field: None for field in FIELDS}),
    _raw({field: True for field in FIELDS}),
    _raw({field: EXTREME_TIMES[i % len(EXTREME_TIMES)] for i, field in enumerate(FIELDS)}),
    _raw({field: EXTREME_MONTHS[i % len(EXTREME_MONTHS)] for i, field in enumerate(FIELDS)}),
    b"[]", b"null", b'"x"', b"1e999", b"{", b"", b'{"a": NaN}', b"\xff\xfe", b'{"a":' * 3000,
    b'{"a": 1' + b"0" * 5000 + b"}",
]
#: What the CSV upload gets on top (a usage export with impossible values).
BAD_UPLOADS: list[bytes] = [
    "取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"
    "T9,0001-01-01 00:00:00,MP000001,店,1,利用\nT6,0001-01-01T00:00:00+09:00,MP000001,店,1,利用\n"
    "T8,9999-12-31 23:59:59,MP000001,=1+1,"
    f"{10**40},利用\nT7,2025-06-01T10:00:00+25:00,MP000001,店,-{10**30},取消\n".encode(),
    b"\xef\xbb\xbf" + "取引ID,取引日時\n".encode() + b"\xed\xbf\xbf,\xff\n",
]

CRAFTED_CURSORS = [
    "eyJhIjoiYiJ9",  # base64 of {"a":"b"}: the old unsigned form
    "eyJzdGF0dXMiOiJhY3RpdmUiLCJzdG9yZV9pZCI6Ik1QMDAwMDAxIn0.AAAA",  # a real-looking key, a forged signature
    "x.y.z", ".", "%ED%BF%BF", "A" * 5000, "%00", "W10", "bnVsbA", "eyJhIjpbXX0",
]
BAD_QUERIES: list[str] = [
    *(f"cursor={c}" for c in CRAFTED_CURSORS),
    "date=9999-12-31", "date=0001-01-01", "date=2025-02-30", "date=%ED%BF%BF", "date=2025-06-07&date=x",
    "limit=99999999999999999999", "limit=-1", "limit=%EF%BC%91",
    "status=%5B%22active%22%5D", "status=a&status=b", "status=%00",
    "month=9999-12", "month=0001-01", "format=zip", "format=csv&format=xlsx",
    "store_id=MP000001%27", "category=%5B%5D", "flagged=%00", "municipality=%ED%BF%BF",
    "from=0001-01-01&to=9999-12-31", "q=%3D1%2B1", "now=0001-01-01T00:00:00%2B09:00",
    "subject=%ED%BF%BF", "subject=%ED%A0%80x", f"subject={'s' * 3000}", "subject=%00",
]
BAD_NOW_HEADERS = [*EXTREME_TIMES, "garbage", "2025-06-01T10:00:00"]
BAD_PATH_VALUES = [*EXTREME_MONTHS, "X" * 300, "%00", "%ED%BF%BF", "MP000000", "AP000000", "IQ000000", "..",
                   "0001-01-01"]


def bad_requests(path: str, method: str, entry: Any, world: dict[str, str]) -> list[dict[str, Any]]:
    """Every bad request for one route (each request carries one bad thing; the rest is as valid as can be)."""
    url = concrete(path, world)
    content_type = entry.content_types[0]
    requests: list[dict[str, Any]] = []
    if method in WRITES:
        bodies = BAD_BODIES + (BAD_UPLOADS if content_type != "application/json" else [])
        requests += [{"path": url, "raw": body, "content_type": content_type} for body in bodies]
    body = {"raw": b"{}", "content_type": content_type} if method in WRITES else {}
    sep = "&" if "?" in url else "?"
    # Lists read their filters from the query string; other routes get a few, in case they read one.
    is_list = method == "GET" and not PARAM.search(path)
    queries = BAD_QUERIES if is_list else [*BAD_QUERIES[:2], "date=0001-01-01", "month=9999-12", "format=zip",
                                           "limit=-1", "status=a&status=b"]
    requests += [{"path": f"{url}{sep}{query}", **body} for query in queries]
    requests += [{"path": url, "headers": {"X-Miyapo-Now": value}, **body} for value in BAD_NOW_HEADERS]
    for name in PARAM.findall(path):
        requests += [{"path": concrete(path, world, **{name: value}), **body} for value in BAD_PATH_VALUES]
    return requests


def sample_for(role: str, allowed: list[str], requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All of it for the first role the route allows, every fifth request for the other allowed roles (views
    differ by role), and one of each kind for a refused role (the authorizer answers before any parsing)."""
    if role == allowed[0]:
        return requests
    if role in allowed:
        return requests[::5]
    return requests[:: max(1, len(requests) // 3)]


# --- every route × every role --------------------------------------------------------------------------


def route_ids() -> list[tuple[str, str]]:
    return [(path, method) for path, method, _ in all_routes()]


def test_the_walk_covers_every_route():
    routes = route_ids()
    assert len(routes) >= 40
    assert all((p, m) in ROUTE_ROLES or (p, m) in PUBLIC_ROUTES for p, m in routes)


def test_every_role_over_every_route_with_bad_input_never_gets_a_5xx(api, world):
    failures: list[str] = []
    roles = [ANONYMOUS, *(role.value for role in Role)]
    for path, method, entry in all_routes():
        allowed = allowed_roles(path, method)
        requests = bad_requests(path, method, entry, world)
        for role in roles:
            for request in sample_for(role, allowed, requests):
                code, answer = call(api, method, request["path"], role, raw=request.get("raw"),
                                    content_type=request.get("content_type", "application/json"),
                                    headers=request.get("headers"))
                if code >= 500:
                    failures.append(f"{method} {path} as {role}: {request!r:.300} -> {code} {answer!r:.200}")
                elif code >= 400 and role in allowed and isinstance(answer, dict) and "error" in answer:
                    # A domain error has a Japanese message (field messages where a field is to blame).
                    assert answer["error"]["message"], (method, path, request)
    assert failures == [], "\n".join(failures)


# --- one field at a time, on bodies that are otherwise valid ---------------------------------------------


def valid_bodies(world: dict[str, str]) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid body per write route (a route missing here is still fuzzed, from an empty body)."""
    store_id = world["store_id"]
    return {
        ("/applications", "POST"): application_body(),
        ("/api/applications", "POST"): application_body(),
        ("/resubmission", "POST"): application_body(),
        ("/applications/{application_id}/decision", "POST"): approve_body(),
        ("/inquiries", "POST"): inquiry_body("2025-07-02T09:00:00+09:00", store_id=store_id, handling_minutes=5),
        ("/inquiries/{inquiry_id}", "PATCH"): {"version": 1, "summary": "住所の確認",
                                                "received_at": "2025-07-02T09:10:00+09:00"},
        ("/inquiries/{inquiry_id}/escalate", "POST"): {"reason": "県の判断が必要"},
        ("/inquiries/{inquiry_id}/prefecture-answer", "POST"): {"answer": "対象です"},
        ("/inquiries/{inquiry_id}/close", "POST"): {"answer": "案内済み", "handling_minutes": 5},
        ("/jobs/{name}", "POST"): {"now": NOW},
        ("/settlements/{month}/returns", "POST"): {"store_id": store_id, "reason": "口座相違"},
        ("/settlements/{month}/ceiling-confirmations", "POST"): {"store_id": store_id, "amount": 1200,
                                                                 "reason": "領収書で確認"},
        ("/settlements/{month}/reopen", "POST"): {"reason": "照合の失敗を解消"},
        ("/settlements/adjustments", "POST"): {"store_id": store_id, "amount": -300, "reason": "二重計上の訂正"},
        ("/stores/{store_id}/bank-account", "PUT"): dict(application_body()["bank"]),
        ("/stores/{store_id}/bank-account/confirm", "POST"): {"change_id": "BC000001"},
        ("/stores/{store_id}/status", "POST"): {"status": "suspended", "reason": "調査中"},
        ("/bank-confirmations", "POST"): {"token": "abc", "answer": "confirm"},
    }


#: One bad value for one field: the shapes that slip past a schema when everything else is right.
BAD_VALUES: list[Any] = [["x"], {"x": "y"}, 10**40, -(10**40), 2**63, None, True, 1.5, "", "\ud800",
                         *EXTREME_TIMES[:2], *EXTREME_MONTHS[:2], "2025-02-30"]


def test_each_field_of_a_valid_body_with_a_bad_value_never_gets_a_5xx(api, world):
    failures: list[str] = []
    registered = {(path, method) for path, method, _ in all_routes()}
    bodies = {route: body for route, body in valid_bodies(world).items() if route in registered}
    assert len(bodies) >= 10  # the table follows the routes; it must not go stale unnoticed
    for (path, method), base in bodies.items():
        role = allowed_roles(path, method)[0]
        for field in base:
            for value in BAD_VALUES:
                body = {**base, field: value}
                code, answer = call(api, method, concrete(path, world), role, raw=json.dumps(body).encode())
                if code >= 500:
                    failures.append(f"{method} {path} as {role}: {field}={value!r:.60} -> {code} {answer!r:.200}")
    assert failures == [], "\n".join(failures)


nasty_text = st.one_of(
    st.sampled_from([*SURROGATES, *EXTREME_TIMES, *EXTREME_MONTHS, "", " ", "\x00", "=1+1", "MP000001", "..",
                     "2025-02-30", "２０２５-０６"]),
    st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    st.text(max_size=20),
)
nasty = st.one_of(
    nasty_text,
    st.integers(min_value=-(10**40), max_value=10**40),
    st.sampled_from([10**100, -(2**63), 2**63, 0, -1]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.none(), st.booleans(),
    st.lists(nasty_text, max_size=3),
    st.dictionaries(nasty_text, nasty_text, max_size=2),
)


def mutating_routes() -> list[tuple[str, str]]:
    return [(path, method) for path, method, _ in all_routes() if method in WRITES and
            (path, method) != ("/usage-imports", "POST")]


class Target:
    """The API and its seeded world, printed without the bearer tokens when Hypothesis reports an example."""

    def __init__(self, api: Any, world: dict[str, str]) -> None:
        self.api = api
        self.world = world

    def __repr__(self) -> str:
        return f"Target(world={self.world!r})"


@pytest.fixture
def target(api, world) -> Target:
    return Target(api, world)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_one_bad_field_in_an_otherwise_valid_body_never_gets_a_5xx(target, data):
    api, world = target.api, target.world
    path, method = data.draw(st.sampled_from(mutating_routes()), label="route")
    base = valid_bodies(world).get((path, method), {})
    field = data.draw(st.sampled_from(sorted(set(base) | set(FIELDS))), label="field")
    body = dict(base)
    body[field] = data.draw(nasty, label="value")
    if data.draw(st.booleans(), label="bad key too"):
        body[data.draw(nasty_text, label="key")] = "x"
    role = data.draw(st.sampled_from(allowed_roles(path, method)), label="role")
    code, answer = call(api, method, concrete(path, world), role, raw=json.dumps(body).encode())
    assert code < 500, (method, path, role, body, answer)


QUERY_NAMES = ["cursor", "date", "limit", "status", "month", "format", "store_id", "category", "flagged",
               "municipality", "subject", "from", "to", "name"]


def _quote(value: str) -> str:
    from urllib.parse import quote

    # Lone surrogates go out as the bytes a broken client would send (ED A0 80 ...).
    return quote(value, safe="", errors="surrogatepass")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_query_strings_and_path_values_never_get_a_5xx(target, data):
    api, world = target.api, target.world
    path, method = data.draw(st.sampled_from([(p, m) for p, m, _ in all_routes() if m == "GET"]), label="route")
    params = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES), st.one_of(
        nasty_text, st.integers(min_value=-(10**40), max_value=10**40).map(str)), max_size=3), label="query")
    override = {name: _quote(data.draw(nasty_text, label=name)) for name in PARAM.findall(path)
                if data.draw(st.booleans(), label=f"bad {name}")}
    query = "&".join(f"{name}={_quote(value)}" for name, value in params.items())
    url = concrete(path, world, **override) + (f"?{query}" if query else "")
    role = data.draw(st.sampled_from(allowed_roles(path, method)), label="role")
    code, answer = call(api, method, url, role)
    assert code < 500, (method, url, role, answer)


def test_processing_an_import_with_an_impossible_time_never_gets_a_5xx(api, world):
    usage = ("取引ID,取引日時,店舗ID,店舗名,利用ポイント,取引区分\n"
             f"T0901,0001-01-01T00:00:00+09:00,{world['store_id']},店,100,利用\n")
    code, imported = call(api, "POST", "/usage-imports", "accountant", raw=usage.encode(), content_type="text/csv")
    assert code == 201, imported
    code, answer = call(api, "POST", f"/usage-imports/{imported['import_id']}/process", "accountant", raw=b"{}")
    assert code < 500, answer

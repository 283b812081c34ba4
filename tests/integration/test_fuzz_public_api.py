"""Property-based fuzzing of the public endpoints: whatever arrives, the answer is never a 5xx."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import application_body

# Shapes that once broke the API: lone surrogates (sent as the JSON escape \udfff, in keys or values),
# integers beyond any column, dates and months outside what datetime arithmetic can hold.
surrogates = st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3)
EXTREME_DATES = ["0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-12:00", "9999-12", "0001-01", "0001-01-01",
                 "9999-12-31"]
texts = st.one_of(st.text(max_size=40), surrogates, st.sampled_from([*EXTREME_DATES, '=HYPERLINK("x")']))
keys = st.one_of(st.text(max_size=10), surrogates)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.integers(min_value=-(10**40), max_value=10**40),
                    st.floats(allow_nan=False, allow_infinity=False), texts)
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(keys, inner, max_size=3)),
                      max_leaves=8)
FIELDS = [*list(application_body().keys()), "client_token", "website"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.one_of(st.sampled_from(FIELDS), surrogates), values, max_size=8))
def test_random_application_bodies_never_cause_a_5xx(api, mutation):
    body = application_body()
    body.update(mutation)
    code, answer = api.call("POST", "/applications", raw=json.dumps(body, allow_nan=False))
    assert code < 500, answer
    if code >= 400:
        assert answer["error"]["message"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_random_bytes_never_cause_a_5xx(api, raw):
    for path, headers in (("/applications", {}), ("/resubmission", {"X-Correction-Token": "abc"})):
        code, _ = api.call("POST", path, raw=raw, headers=headers)
        assert code < 500


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s and "?" not in s and "#" not in s))
def test_random_path_values_never_cause_a_5xx(api, value):
    from urllib.parse import quote

    code, _ = api.call("GET", f"/lookup/banks/{quote(value)}")
    assert code < 500, value
    # The correction token arrives in a header: any printable value there is refused, never a 5xx.
    header = "".join(c for c in value if " " <= c <= "~")
    code, _ = api.call("GET", "/resubmission", headers={"X-Correction-Token": header})
    assert code < 500, header


def public_routes() -> list[tuple[str, str]]:
    from app import app  # noqa: F401  (registers the routes)
    from chalicelib.web.http import PUBLIC_ROUTES

    return sorted(PUBLIC_ROUTES)


def test_the_pinned_clock_out_of_range_is_a_4xx_on_every_public_route(api):
    for path, method in public_routes():
        url = re.sub(r"\{[^}]+\}", "X0000001", path)
        for now in ("0001-01-01T00:00:00+09:00", "9999-12-31T23:59:59-12:00", "1999-12-31T23:59:59+09:00"):
            raw = json.dumps(application_body()) if method == "POST" else None
            code, answer = api.call(method, url, raw=raw, headers={"X-Miyapo-Now": now})
            assert code == 422, (method, path, now, answer)
            assert answer["error"]["fields"]["X-Miyapo-Now"], answer


def test_lone_surrogates_in_keys_and_values_are_a_clean_400_on_every_public_post(api):
    for path, method in public_routes():
        if method != "POST":
            continue
        for raw in ('{"\\udfff": 1}', '{"bank": {"\\ud800": "x"}}', '{"store_name": "\\udc00"}'):
            code, answer = api.call(method, path, raw=raw, headers={"X-Correction-Token": "abc"})
            assert code == 400, (path, raw, answer)
            assert answer["error"]["message"] == "使用できない文字が含まれています"

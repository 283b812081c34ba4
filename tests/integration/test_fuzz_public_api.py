"""Property-based fuzzing of the public endpoints: whatever arrives, the answer is never a 5xx."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import application_body

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=10), inner, max_size=3)),
                      max_leaves=8)
FIELDS = [*list(application_body().keys()), "client_token", "website"]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(FIELDS), values, max_size=8))
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

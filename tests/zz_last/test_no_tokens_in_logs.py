"""Runs last: no token — the applicant's correction-link token, a staff bearer token — appears in any
log of the suite: the local stack's access log (every request line the e2e tests caused) and the app's
structured logs, where the formatter's masking (chalicelib.observability) must never have had to act."""

from __future__ import annotations

import pytest

from chalicelib.observability import JWT_SHAPE, REDACTED
from tests.conftest import CAPTURED
from tests.e2e.conftest import STACK_LOG


def _stack_lines() -> list[str]:
    lines: list[str] = []
    for log in (STACK_LOG, STACK_LOG.with_name("test-stack-own.log")):
        if log.exists():
            lines += log.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines


def test_no_token_in_the_local_stacks_access_log():
    lines = _stack_lines()
    if not any('"GET /apply' in line for line in lines):
        pytest.skip("the e2e tests did not run the local stack")
    assert not [line[:200] for line in lines if JWT_SHAPE.search(line)]
    assert not [line[:200] for line in lines if "token=" in line or "#t=" in line]


def test_the_app_never_tried_to_log_a_token():
    assert len(CAPTURED) > 10
    assert not [line[:200] for line in CAPTURED if REDACTED in line or JWT_SHAPE.search(line)]

"""Runs last: no personal datum the tests used appears in any log output of the suite — the app's
structured logs in this process and the whole output of the local stack the e2e tests ran."""

from __future__ import annotations

from tests.conftest import CAPTURED
from tests.e2e.conftest import STACK_LOG
from tests.factories import GENERATED


def _all_lines() -> list[str]:
    lines = list(CAPTURED)
    for log in (STACK_LOG, STACK_LOG.with_name("test-stack-own.log")):
        if log.exists():
            lines += log.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines


def test_the_suite_produced_logs_to_check():
    # The check below must not pass vacuously.
    lines = _all_lines()
    assert len(lines) > 10
    assert any("application submitted" in line for line in lines)


def test_no_personal_data_in_any_log_line():
    lines = _all_lines()
    leaks = sorted({(datum, line[:200]) for line in lines for datum in GENERATED if datum in line})
    assert leaks == []


def test_the_checker_would_catch_a_leak():
    from chalicelib.observability import logger

    before = len(CAPTURED)
    datum = next(iter(GENERATED))
    logger.info("deliberate leak for the self-test", extra={"value": datum})
    assert any(datum in line for line in CAPTURED[before:])

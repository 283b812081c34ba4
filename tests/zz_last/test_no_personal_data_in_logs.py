"""Runs last: no personal datum the tests used appears in any log output of the suite — the app's
structured logs in this process and the whole output of the local stack the e2e tests ran."""

from __future__ import annotations

from tests.conftest import CAPTURED
from tests.e2e.conftest import STACK_LOG
from tests.factories import GENERATED


def test_the_suite_produced_logs_to_check():
    # The check below must not pass vacuously.
    assert len(CAPTURED) > 10
    assert any("application submitted" in line for line in CAPTURED)


def test_no_personal_data_in_any_log_line():
    lines = list(CAPTURED)
    if STACK_LOG.exists():
        lines += STACK_LOG.read_text(encoding="utf-8", errors="replace").splitlines()
    leaks = sorted({(datum, line[:200]) for line in lines for datum in GENERATED if datum in line})
    assert leaks == []


def test_the_checker_would_catch_a_leak():
    from chalicelib.observability import logger

    before = len(CAPTURED)
    datum = next(iter(GENERATED))
    logger.info("deliberate leak for the self-test", extra={"value": datum})
    assert any(datum in line for line in CAPTURED[before:])

"""Runs last: no personal datum the tests used appears in any log output of the suite — the app's
structured logs in this process and the whole output of the local stack the e2e tests ran."""

from __future__ import annotations

import re

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


def _standalone(datum: str) -> re.Pattern[str]:
    # A datum counts where it stands on its own: a 7-digit account number inside a hex request id or
    # a longer number is chance, not a leak (and made this check flaky).
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(datum)}(?![0-9A-Za-z])")


def test_no_personal_data_in_any_log_line():
    lines = _all_lines()
    patterns = [(datum, _standalone(datum)) for datum in GENERATED]
    leaks = sorted({(datum, line[:200]) for line in lines for datum, pattern in patterns
                    if datum in line and pattern.search(line)})
    assert leaks == []


def test_the_checker_would_catch_a_leak():
    from chalicelib.observability import logger

    before = len(CAPTURED)
    datum = next(iter(GENERATED))
    logger.info("deliberate leak for the self-test", extra={"value": datum})
    assert any(_standalone(datum).search(line) for line in CAPTURED[before:])

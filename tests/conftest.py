"""Suite-wide: every log record any test causes is kept, so tests/zz_last can prove that no
personal datum ever reaches a log line."""

from __future__ import annotations

import logging

import pytest

# The local AWS (aws_server, fresh_aws, deps) for the contract and integration tests: one definition.
pytest_plugins = ["tests.aws_fixtures"]

CAPTURED: list[str] = []


class _Collector(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            CAPTURED.append(self.format(record))
        except Exception:  # a broken record must not hide the others
            CAPTURED.append(repr(record.__dict__))


@pytest.fixture(scope="session", autouse=True)
def collect_all_logs():
    from chalicelib.observability import logger

    handler = _Collector(level=logging.DEBUG)
    handler.setFormatter(logger.registered_formatter)
    targets = [logging.getLogger(logger.name), logging.getLogger()]
    for target in targets:
        target.addHandler(handler)
    yield CAPTURED
    for target in targets:
        target.removeHandler(handler)

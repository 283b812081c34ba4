"""The local stack's access logs (.local/app.log, .local/aws.log or the terminal) carry a request's path
and its query keys, never its query values: a store search by phone number or name, an audit search, a
presigned S3 URL's signature (QA A-F3 / B-4)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from scripts import local_aws, local_stack


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """What the app server's and moto's access logs write, with the stack's filters installed."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logs = [logging.getLogger("miyapo.local.access"), logging.getLogger("werkzeug")]
    before = [(log.level, list(log.filters)) for log in logs]
    for log in logs:
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    local_stack.redact_access_logs()
    yield out
    for log, (level, filters) in zip(logs, before, strict=True):
        log.removeHandler(handler)
        log.setLevel(level)
        log.filters[:] = filters


def _handler(requestline: str) -> object:
    cls = local_stack._quiet_handler()
    handler = cls.__new__(cls)  # no socket: only what the log lines read
    handler.client_address = ("127.0.0.1", 50000)
    handler.requestline = requestline
    return handler


def test_a_store_search_by_phone_or_name_is_logged_without_what_was_searched(logged):
    _handler("GET /stores?q=0223007000 HTTP/1.1").log_request(200)
    _handler("GET /stores?q=%E5%B1%B1%E7%94%B0%E8%8A%B1%E5%AD%90&page=2 HTTP/1.1").log_request(200)
    _handler("GET /audit?q=山田花子 HTTP/1.1").log_request(200)
    text = logged.getvalue()
    assert '"GET /stores?q=… HTTP/1.1" 200 -' in text
    assert '"GET /stores?q=…&page=… HTTP/1.1" 200 -' in text
    assert '"GET /audit?q=… HTTP/1.1" 200 -' in text
    for secret in ("0223007000", "%E5%B1%B1", "山田", "page=2"):
        assert secret not in text


def test_a_path_without_a_query_is_logged_as_it_is(logged):
    _handler("GET /console/tour HTTP/1.1").log_request(200)
    assert '"GET /console/tour HTTP/1.1" 200 -' in logged.getvalue()


def test_a_refused_request_line_is_logged_without_its_query_values(logged):
    # send_error on a malformed request logs the raw request line inside its message
    _handler("GET /stores?q=09012345678 HTTP/1.1").log_error("code %d, message %s", 400,
                                                            "Bad request syntax ('GET /stores?q=09012345678 X')")
    text = logged.getvalue()
    assert "09012345678" not in text and "Bad request syntax ('GET /stores?q=… X')" in text


def test_a_bare_key_that_is_not_a_name_is_not_shown(logged):
    _handler("GET /stores?0223007000 HTTP/1.1").log_request(200)
    _handler("PUT /miyapo-local-uploads?versioning HTTP/1.1").log_request(200)
    text = logged.getvalue()
    assert '"GET /stores?… HTTP/1.1"' in text and "0223007000" not in text
    assert '"PUT /miyapo-local-uploads?versioning HTTP/1.1"' in text


def test_the_local_aws_access_log_keeps_the_keys_of_a_call_not_its_values(logged):
    local_aws._log("info", '"GET /miyapo-local-uploads?list-type=2&prefix=usage/ HTTP/1.1" 200 -')
    local_aws._log("info", '"GET /miyapo-local-documents/prefecture/x.pdf?X-Amz-Credential=AKIA%2Fx'
                           '&X-Amz-Signature=abcdef0123 HTTP/1.1" 200 -')
    text = logged.getvalue()
    assert '"GET /miyapo-local-uploads?list-type=…&prefix=… HTTP/1.1" 200 -' in text
    assert "X-Amz-Signature=…" in text and "abcdef0123" not in text and "AKIA" not in text


@pytest.mark.parametrize(("line", "expected"), [
    ("GET /stores?q=0223007000 HTTP/1.1", "GET /stores?q=… HTTP/1.1"),
    ("GET /stores? HTTP/1.1", "GET /stores? HTTP/1.1"),
    ("GET /x?a=1&b=&c HTTP/1.1", "GET /x?a=…&b=…&c HTTP/1.1"),
    ("no request here: 50% done?", "no request here: 50% done?"),
])
def test_without_query_values(line, expected):
    assert local_stack.without_query_values(line) == expected

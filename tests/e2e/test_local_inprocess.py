"""The local stack answers the app's own AWS calls in process (scripts.local_aws `serve_in_process`), while
moto's HTTP server keeps serving everything outside the stack's process on the same state."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import boto3
import pytest

from tests.e2e.conftest import Stack
from tests.factories import application_body, approve_body

pytestmark = pytest.mark.e2e


def _log_since(stack: Stack, offset: int) -> str:
    return stack.log_path.read_bytes()[offset:].decode("utf-8", "replace")


def test_the_apps_calls_skip_the_socket_and_outside_clients_see_the_same_state(stack: Stack) -> None:
    offset = stack.log_path.stat().st_size
    status, created = stack.request("POST", "/applications", application_body(client_token=uuid.uuid4().hex))
    assert status == 201, created
    status, decided = stack.request("POST", f"/applications/{created['application_id']}/decision",
                                    approve_body(), token="screener")
    assert status == 200, decided
    time.sleep(0.5)  # the log lines are written by the stack's threads
    log = _log_since(stack, offset)
    # the submit's DynamoDB calls were answered in process, none over moto's HTTP server
    in_process = [line for line in log.splitlines() if line.startswith("in-process - - [")]
    assert any('"POST / HTTP/1.1" 200' in line for line in in_process), log[-3000:]
    assert not [line for line in log.splitlines() if line.startswith("127.0.0.1 - - [") and '"POST / ' in line]
    # a client outside the process reads the same tables over HTTP
    outside = boto3.session.Session().client("dynamodb", endpoint_url=stack.aws, region_name="ap-northeast-1",
                                             aws_access_key_id="testing", aws_secret_access_key="testing")
    tables = outside.list_tables()["TableNames"]
    assert tables and any("applications" in name for name in tables)
    found = []
    for name in (n for n in tables if "applications" in n):
        pages = outside.get_paginator("scan").paginate(TableName=name)
        found += [item for page in pages for item in page["Items"] if created["application_id"] in json.dumps(item)]
    assert found, "the application written in process is visible over HTTP"
    with urllib.request.urlopen(f"{stack.aws}/moto-api/data.json", timeout=60) as resp:
        assert resp.status == 200
    after = _log_since(stack, offset)  # the outside calls went over HTTP
    assert [line for line in after.splitlines() if line.startswith("127.0.0.1 - - [") and '"POST / ' in line]
    assert '"GET /moto-api/data.json HTTP/1.1" 200' in after

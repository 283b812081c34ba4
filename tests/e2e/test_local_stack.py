"""The real local stack over HTTP: what `make run` serves, as a user would use it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import ROOT, free_port
from tests.factories import application_body, approve_body

pytestmark = pytest.mark.e2e


def test_form_and_console_pages_are_served(stack):
    status, page = stack.request("GET", "/apply")
    assert status == 200 and "参加" in page and "<form" in page
    status, page = stack.request("GET", "/console/login")
    assert status == 200 and "ログイン" in page


def test_tokens_file_has_a_token_per_demo_user(stack):
    assert set(stack.tokens) == {"screener", "screener2", "accountant", "accountant2", "agent", "coordinator",
                                 "prefecture", "admin", "admin2"}
    for user, token in stack.tokens.items():
        status, me = stack.request("GET", "/me", token=token)
        assert status == 200 and me["user"] == user


def test_apply_screen_approve_and_read_the_mail(stack):
    body = application_body()
    status, answer = stack.request("POST", "/applications", body)
    assert status == 201, answer
    app_id = answer["application_id"]
    assert stack.request("GET", "/applications", token="screener")[0] == 200
    assert stack.request("GET", f"/applications/{app_id}")[0] == 401
    status, decided = stack.request("POST", f"/applications/{app_id}/decision", approve_body(), token="screener")
    assert status == 200, decided
    store_id = decided["store_id"]
    status, store = stack.request("GET", f"/stores/{store_id}", token="accountant")
    assert status == 200 and store["application_id"] == app_id
    status, mail = stack.request("GET", "/mail", token="admin")
    subjects = [m["subject"] for m in mail["items"] if m["destinations"]["ToAddresses"][0] == body["email"]]
    assert any(app_id in s for s in subjects) and any(store_id in s for s in subjects)


def test_the_clock_can_be_pinned_per_request(stack):
    _status, body = stack.request("GET", "/health", headers={"X-Miyapo-Now": "2025-12-29T18:00:00+09:00"})
    assert body["now"] == "2025-12-29T18:00:00+09:00"


def test_a_burst_of_applications_loses_none_and_duplicates_none(stack):
    bodies = [application_body(client_token=f"burst-{i:06d}-token") for i in range(60)]

    def send(body):
        return stack.request("POST", "/applications", body)

    with ThreadPoolExecutor(max_workers=8) as pool:
        first = list(pool.map(send, bodies))
        again = list(pool.map(send, bodies[:20]))
    assert all(s == 201 for s, _ in first)
    ids = [a["application_id"] for _, a in first]
    assert len(set(ids)) == 60
    assert [a["application_id"] for _, a in again] == ids[:20]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_sigterm_stops_cleanly_and_frees_both_ports(tmp_path):
    aws_port, app_port = free_port(), free_port()
    env = {**os.environ, "AWS_PORT": str(aws_port), "APP_PORT": str(app_port), "SEED": "1",
           "PYTHONUNBUFFERED": "1"}
    log = (tmp_path / "stack.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "scripts.local_stack"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        # The app's socket is bound before the banner is printed: wait for the banner's last line.
        while not (_port_open(app_port) and "READY " in (tmp_path / "stack.log").read_text()):
            assert process.poll() is None, (tmp_path / "stack.log").read_text()
            assert time.time() < deadline, "stack did not start"
            time.sleep(0.3)
        output = (tmp_path / "stack.log").read_text()
        assert "screener" in output and "/console/login?as=" in output
        tokens = json.loads((ROOT / ".local" / "tokens.json").read_text())
        assert "prefecture" in tokens
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    assert not _port_open(app_port) and not _port_open(aws_port)


def test_a_quiet_start_shows_progress_and_one_banner_and_sends_access_logs_to_files(tmp_path):
    """Issue 15, point 4: with the logs in `.local/*.log` (a terminal's default; STACK_LOGS=files here, as
    the output is a file), the output is progress lines, one banner with a login link per role, the tour,
    mail and the log files — and no access log, even while the events pump polls moto every second."""
    from chalicelib.auth.roles import ROLE_LABELS

    aws_port, app_port = free_port(), free_port()
    env = {**os.environ, "AWS_PORT": str(aws_port), "APP_PORT": str(app_port), "SEED": "0",
           "PYTHONUNBUFFERED": "1", "STACK_LOGS": "files"}
    out_path = tmp_path / "stack.out"
    out = out_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "scripts.local_stack"], cwd=ROOT, env=env,
                               stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while not (_port_open(app_port) and "READY " in out_path.read_text()):
            assert process.poll() is None, out_path.read_text()
            assert time.time() < deadline, "stack did not start"
            time.sleep(0.3)
        base = f"http://127.0.0.1:{app_port}"
        for path in ("/apply", "/console/tour", "/health"):
            with urllib.request.urlopen(base + path, timeout=10) as resp:
                assert resp.status == 200
        time.sleep(2.5)  # the events pump has polled moto a few times
        output = out_path.read_text()
        app_log = (ROOT / ".local" / "app.log").read_text()
        aws_log = (ROOT / ".local" / "aws.log").read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            assert process.wait(timeout=15) == 0
        finally:
            if process.poll() is None:
                process.kill()
            out.close()
    lines = output.splitlines()
    assert lines[0].startswith("  … ") and output.count("miyapo-ops ローカル環境") == 1
    assert f"{base}/console/tour" in output and f"{base}/console/mail" in output
    assert ".local/aws.log" in output and ".local/app.log" in output
    for user in ("screener", "accountant", "agent", "coordinator", "prefecture", "admin"):
        assert f"{base}/console/login?as={user}" in output
    assert all(label in output for label in ROLE_LABELS.values())
    assert " HTTP/1.1" not in output and '"level":"INFO"' not in output, output
    assert '"GET /console/tour HTTP/1.1" 200' in app_log
    # the events pump's polling, off the terminal; its query values (like a store search's) never logged
    assert "list-type=…&prefix=…" in aws_log and "prefix=usage/" not in aws_log

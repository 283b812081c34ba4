"""The real local stack (`python -m scripts.local_stack`, what `make run` starts) over HTTP.

Started once per test session on free ports, with its own state directory; stopped with SIGTERM
(which the stack must handle cleanly). Its whole output is kept for the personal-data log check.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STACK_LOG = ROOT / ".local" / "test-stack.log"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Stack:
    base: str
    aws: str
    tokens: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path

    def request(self, method: str, path: str, body: object | None = None, token: str | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict | str]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {self.tokens.get(token, token)}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read().decode("utf-8")
                status = resp.status
        except urllib.error.HTTPError as exc:
            raw = exc.read().decode("utf-8")
            status = exc.code
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw


    def request_bytes(self, method: str, path: str, data: bytes | None = None, token: str | None = None,
                      headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            req.add_header("Authorization", f"Bearer {self.tokens.get(token, token)}")
        req.add_header("Accept", "*/*")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()


def start_stack(log_path: Path, demo_now: str = "off"):
    """Start `python -m scripts.local_stack` on free ports; yields a Stack, stops it with SIGTERM.

    `demo_now`: the stack's DEMO_NOW. The tests' stacks run on the real clock (`off`) and pin the clock per
    request where a day matters; tests of the demo clock itself (test_demo_clock*.py) pass "" (the default
    demo day) or a time."""
    aws_port, app_port = free_port(), free_port()
    env = {**os.environ, "AWS_PORT": str(aws_port), "APP_PORT": str(app_port), "SEED": "0",
           "PYTHONUNBUFFERED": "1", "MAIL_SWEEP_SECONDS": "2", "DEMO_NOW": demo_now}
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("wb")
    process = subprocess.Popen([sys.executable, "-m", "scripts.local_stack"], cwd=ROOT, env=env,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{app_port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("local stack exited early:\n" + log_path.read_text(errors="replace"))
        try:
            with urllib.request.urlopen(base + "/health", timeout=1):
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError("local stack did not come up:\n" + log_path.read_text(errors="replace"))
    tokens = json.loads((ROOT / ".local" / "tokens.json").read_text())
    yield Stack(base, f"http://127.0.0.1:{aws_port}", tokens, process, log_path)
    try:
        stop_stack(process)
    finally:
        log.close()


def stop_stack(process: subprocess.Popen, timeout: float = 20) -> None:
    """Stop a local stack the way Ctrl-C / SIGTERM does; kill it if it does not stop in time."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()


@pytest.fixture(scope="session")
def stack() -> Stack:
    yield from start_stack(STACK_LOG)


@pytest.fixture(scope="module")
def own_stack() -> Stack:
    """A stack of the module's own, for tests that need an empty world (e.g. a whole year)."""
    yield from start_stack(STACK_LOG.with_name("test-stack-own.log"))

"""`make run` in a real terminal: the start prints progress and the banner, and nothing asks the terminal
questions (a library probing it shows escape garbage on a newcomer's screen and can hold the start)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import ROOT, free_port, stop_stack

pytestmark = pytest.mark.e2e


def test_the_start_in_a_terminal_is_progress_then_the_banner_and_no_terminal_queries() -> None:
    aws_port, app_port = free_port(), free_port()
    env = {**os.environ, "AWS_PORT": str(aws_port), "APP_PORT": str(app_port), "SEED": "0",
           "MAIL_SWEEP_SECONDS": "0", "TERM": "xterm-256color"}
    primary, secondary = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "scripts.local_stack"], cwd=ROOT, env=env,
                               stdin=secondary, stdout=secondary, stderr=secondary, close_fds=True)
    os.close(secondary)
    seen = b""
    try:
        deadline = time.time() + 90
        while b"READY" not in seen and time.time() < deadline and process.poll() is None:
            ready, _, _ = select.select([primary], [], [], 0.5)
            if ready:
                try:
                    seen += os.read(primary, 65536)
                except OSError:
                    break
        text = seen.decode("utf-8", errors="replace")
        assert "READY" in text, text
        assert b"\x1bP" not in seen and b"\x1b[6n" not in seen, text  # DCS (XTGETTCAP) or cursor-position queries
        lines = [line for line in text.splitlines() if line.strip()]
        banner = lines.index(next(line for line in lines if "miyapo-ops ローカル環境" in line))
        assert all(line.lstrip().startswith("…") for line in lines[:banner - 1]), lines[:banner]
        assert "/console/tour" in text and "デモの日時" in text
    finally:
        try:
            stop_stack(process)
        finally:
            os.close(primary)

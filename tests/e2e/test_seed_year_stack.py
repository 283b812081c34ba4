"""`SEED=year make run` as a newcomer runs it: the stack serves at once on the day after the seeded year
(the call center's last day), the year goes in beside it, and the terminal says when it is in."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, free_port, stop_stack

pytestmark = pytest.mark.e2e


def _get(url: str, token: str | None = None) -> dict:
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def test_seed_year_serves_at_once_on_the_day_after_the_year_and_reports_when_it_is_in(tmp_path: Path) -> None:
    aws_port, app_port = free_port(), free_port()
    env = {**os.environ, "AWS_PORT": str(aws_port), "APP_PORT": str(app_port), "SEED": "year",
           "SEED_YEAR_STORES": "12", "PYTHONUNBUFFERED": "1", "MAIL_SWEEP_SECONDS": "0"}
    env.pop("DEMO_NOW", None)
    log_path = tmp_path / "stack.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "scripts.local_stack"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{app_port}"
        try:
            deadline = time.time() + 90
            while "READY" not in log_path.read_text(errors="replace"):
                assert process.poll() is None, log_path.read_text(errors="replace")
                assert time.time() < deadline, "no READY:\n" + log_path.read_text(errors="replace")
                time.sleep(0.3)
            assert "the year is in" not in log_path.read_text(errors="replace")  # it serves while seeding
            now = _get(base + "/health")["now"]
            assert now.startswith("2026-03-25T10:0"), now  # seed_year.DEMO_DAY, 10:00 JST
            banner = log_path.read_text(errors="replace")
            assert "2026年3月25日" in banner and "seed-year.log" in banner
            deadline = time.time() + 900
            while "the year is in" not in log_path.read_text(errors="replace"):
                assert process.poll() is None, log_path.read_text(errors="replace")
                assert time.time() < deadline, "the year did not go in:\n" + log_path.read_text(errors="replace")
                time.sleep(1)
            tokens = json.loads((ROOT / ".local" / "tokens.json").read_text())
            rounds = _get(base + "/settlements/2026-02", tokens["accountant"])
            assert rounds["status"] in ("approved", "paid", "released", "completed"), rounds
            assert rounds["stores_paid"] > 0 and rounds["total_amount"] > 0
        finally:
            stop_stack(process)

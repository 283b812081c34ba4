"""The CDK app itself refuses what must never be deployed (runs `infra/cdk_app.py`, needs aws_cdk).

Each case stops at the settings check, before the Chalice app is packaged (~2 s each).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

if not os.environ.get("MIYAPO_INFRA_TEMPLATE"):
    pytest.skip("runs the CDK app: under `make test-infra`", allow_module_level=True)

from infra.config import REQUIRED_KEYS

ROOT = Path(__file__).resolve().parents[2]
CONTEXT: dict[str, str] = json.loads((Path(__file__).parent / "context.json").read_text(encoding="utf-8"))


def synth(context: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, CDK_CONTEXT_JSON=json.dumps(context), CDK_OUTDIR=str(tmp_path / "out"))
    return subprocess.run([sys.executable, str(ROOT / "infra" / "cdk_app.py")], cwd=ROOT / "infra", env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_local_stage_is_refused(tmp_path):
    result = synth({**CONTEXT, "stage": "local"}, tmp_path)
    assert result.returncode == 2
    assert "refusing to synthesize stage 'local'" in result.stderr


def test_prod_without_context_names_every_missing_key(tmp_path):
    result = synth({"stage": "prod"}, tmp_path)
    assert result.returncode == 2
    for key in REQUIRED_KEYS:
        assert f"{key}: missing" in result.stderr, key
    assert not list((tmp_path / "out").glob("*.template.json")), "nothing may be synthesized"


def test_prod_with_example_values_names_them(tmp_path):
    context = {**CONTEXT, "stage": "prod", "mail_domain": "example.jp", "mail_from": "noreply@example.jp",
               "public_base_url": "https://miyapo.example.jp", "requester_code": "0000000001",
               "requester_account_number": "1234567"}
    result = synth(context, tmp_path)
    assert result.returncode == 2
    for key in ("mail_domain", "mail_from", "public_base_url", "requester_code", "requester_account_number"):
        assert f"{key}: placeholder value" in result.stderr, key
    assert "alarm_email" not in result.stderr

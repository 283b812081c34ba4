"""README's settlement example, run as written (issue 15, point 3): its shell block, on a stack of its own.

The block is read from README.md, only the app's address and the transfer file's path are swapped for this
stack's, and bash runs it from the repository root: the sample export `examples/usage-2025-06.csv` is
uploaded, the 2025-06 round drafted and approved, the transfer file downloaded. A stack of its own
(`own_stack`) starts empty, so the three stores approved here are MP000001–MP000003, the stores the sample
names — as on a fresh `make run` after approving the three demo applications.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Stack
from tests.factories import application_body, approve_body

pytestmark = pytest.mark.e2e

SAMPLE = ROOT / "examples" / "usage-2025-06.csv"
# Before the points' usable period starts, so the sample's June usage is paid, not held.
APPROVED_ON = {"X-Miyapo-Now": "2025-05-20T10:00:00+09:00"}


def _settlement_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("A settlement month on the local stack")
    block = re.search(r"```sh\n(.*?)```", readme[start:], re.S)
    assert block, "README's settlement example has no sh block"
    return block.group(1)


def test_readme_names_the_sample_file_that_is_in_the_repository() -> None:
    files = re.findall(r"@(\S+\.csv)", _settlement_block())
    assert files == ["examples/usage-2025-06.csv"]
    assert all((ROOT / f).is_file() for f in files)


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash")
def test_the_settlement_example_runs_as_written(own_stack: Stack, tmp_path: Path) -> None:
    stack = own_stack
    store_ids = []
    for _ in range(3):
        status, answer = stack.request("POST", "/applications", application_body())
        assert status == 201 and isinstance(answer, dict), answer
        status, decided = stack.request("POST", f"/applications/{answer['application_id']}/decision",
                                        approve_body(), token="screener", headers=APPROVED_ON)
        assert status == 200 and isinstance(decided, dict), decided
        store_ids.append(decided["store_id"])
    assert store_ids == ["MP000001", "MP000002", "MP000003"]

    transfer = tmp_path / "transfer.txt"
    script = (_settlement_block().replace("http://127.0.0.1:8000", stack.base)
              .replace("-o transfer.txt", f"-o {transfer}"))
    script = "set -eu\n" + "\n".join(f"{line}\necho" for line in script.splitlines())
    run = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    answers = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
    imported, drafted, approved = answers
    assert imported["status"] == "committed", imported
    # 利用 72,730 points less one 取消 of 2,800, over the three stores, none held.
    assert drafted["status"] == "draft" and drafted["usage_total"] == 69930, drafted
    assert drafted["stores_paid"] == 3 and drafted["held"] == [], drafted
    assert approved["status"] == "approved" and approved["approved_by"] == "accountant2", approved
    assert transfer.stat().st_size > 0
    text = transfer.read_bytes().decode("cp932", "replace")
    assert text.startswith("1")  # a Zengin header record

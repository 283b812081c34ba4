"""README's shell examples, run as written (issue 15, point 3): each block on a stack of its own.

The settlement example:

The block is read from README.md, only the app's address and the transfer file's path are swapped for this
stack's, and bash runs it from the repository root: the sample export `examples/usage-2025-06.csv` is
uploaded, the 2025-06 round drafted and approved, the transfer file downloaded. A stack of its own
(`own_stack`) starts empty, so the three stores approved here are MP000001–MP000003, the stores the sample
names — as on a fresh `make run` after approving the three demo applications.

The carried-over and provider-answer example: `examples/carried-over-2025.csv` uploaded, previewed and
confirmed (three stores awaiting re-confirmation), the active stores handed off in a batch, and
`examples/provider-answer.csv` (MP000001–MP000003) imported into the kit register.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, STACK_LOG, Stack, start_stack
from tests.factories import application_body, approve_body

pytestmark = pytest.mark.e2e

SAMPLE = ROOT / "examples" / "usage-2025-06.csv"
CARRIED_OVER = ROOT / "examples" / "carried-over-2025.csv"
PROVIDER_ANSWER = ROOT / "examples" / "provider-answer.csv"
# Before the points' usable period starts, so the sample's June usage is paid, not held.
APPROVED_ON = {"X-Miyapo-Now": "2025-05-20T10:00:00+09:00"}


def _block(heading: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(heading)
    block = re.search(r"```sh\n(.*?)```", readme[start:], re.S)
    assert block, f"README's example after {heading!r} has no sh block"
    return block.group(1)


def _settlement_block() -> str:
    return _block("A settlement month on the local stack")


def _kit_block() -> str:
    return _block("Carried-over stores and the app provider's answer on the local stack")


def _run(block: str, stack: Stack) -> list[dict]:
    """The block as a bash script against `stack`; the JSON answers it printed, one per command."""
    script = block.replace("http://127.0.0.1:8000", stack.base)
    script = "set -eu\n" + "\n".join(f"{line}\necho" for line in script.splitlines())
    run = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines() if line.strip()]


def _approve_three(stack: Stack) -> list[str]:
    store_ids = []
    for _ in range(3):
        status, answer = stack.request("POST", "/applications", application_body())
        assert status == 201 and isinstance(answer, dict), answer
        status, decided = stack.request("POST", f"/applications/{answer['application_id']}/decision",
                                        approve_body(), token="screener", headers=APPROVED_ON)
        assert status == 200 and isinstance(decided, dict), decided
        store_ids.append(decided["store_id"])
    return store_ids


def test_readme_names_the_sample_file_that_is_in_the_repository() -> None:
    files = re.findall(r"@(\S+\.csv)", _settlement_block())
    assert files == ["examples/usage-2025-06.csv"]
    assert all((ROOT / f).is_file() for f in files)


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash")
def test_the_settlement_example_runs_as_written(own_stack: Stack, tmp_path: Path) -> None:
    stack = own_stack
    assert _approve_three(stack) == ["MP000001", "MP000002", "MP000003"]

    transfer = tmp_path / "transfer.txt"
    imported, drafted, approved = _run(_settlement_block().replace("-o transfer.txt", f"-o {transfer}"), stack)
    assert imported["status"] == "committed", imported
    # 利用 72,730 points less one 取消 of 2,800, over the three stores, none held.
    assert drafted["status"] == "draft" and drafted["usage_total"] == 69930, drafted
    assert drafted["stores_paid"] == 3 and drafted["held"] == [], drafted
    assert approved["status"] == "approved" and approved["approved_by"] == "accountant2", approved
    assert transfer.stat().st_size > 0
    text = transfer.read_bytes().decode("cp932", "replace")
    assert text.startswith("1")  # a Zengin header record


def test_readme_names_the_carried_over_and_provider_samples_that_are_in_the_repository() -> None:
    files = re.findall(r"@(\S+\.csv)", _kit_block())
    assert files == ["examples/carried-over-2025.csv", "examples/provider-answer.csv"]
    assert all((ROOT / f).is_file() for f in files)


@pytest.fixture(scope="module")
def kit_stack() -> Iterator[Stack]:
    """Another empty stack: the carried-over stores take store numbers, the settlement example counts on
    MP000001–MP000003 being the three approved ones."""
    yield from start_stack(STACK_LOG.with_name("test-stack-readme-kit.log"))


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash")
def test_the_carried_over_and_provider_answer_example_runs_as_written(kit_stack: Stack) -> None:
    stack = kit_stack
    assert _approve_three(stack) == ["MP000001", "MP000002", "MP000003"]
    preview, confirmed, batch, answer = _run(_kit_block(), stack)
    # The prefecture's three rows are valid and new (no store or application matches them).
    assert preview == {"rows": 3, "new": 3, "matched": 0, "rejected": []}, preview
    assert confirmed["created"] == 3 and confirmed["skipped"] == [], confirmed
    assert confirmed["stores"] == ["MP000004", "MP000005", "MP000006"]
    for store_id in confirmed["stores"]:
        status, store = stack.request("GET", f"/stores/{store_id}", token="screener")
        assert status == 200 and isinstance(store, dict) and store["status"] == "awaiting_reconfirmation", store
    # Only active stores are handed to the app provider: the three approved ones.
    assert batch["stores"] == 3, batch
    assert answer == {"rows": 3, "accepted": 3, "imported": 3, "unchanged": 0, "rejected": []}, answer
    status, register = stack.request("GET", "/stores/kit-register?limit=50", token="screener")
    assert status == 200 and isinstance(register, dict), register
    rows = {r["store_id"]: r for r in register["items"]}
    for store_id in ("MP000001", "MP000002", "MP000003"):
        assert rows[store_id]["credentials"]["state"] == "ready", rows[store_id]  # the letter can be printed
        assert rows[store_id]["kit"]["state"] == "ready", rows[store_id]  # the QR code is known

"""The one lease under which a usage import runs (chalicelib/usage/service.py): taken, waited for, renewed
before staging, released. Its term is the import function's timeout (`usage_import_lease_seconds`)."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from chalicelib.deps import Deps
from chalicelib.errors import Conflict
from chalicelib.observability import logger
from chalicelib.usage.repository import usage_store

BUSY_MESSAGE = "別の取り込みを処理中のため、このファイルはまだ取り込んでいません。しばらくしてから「再実行」してください"


class ImportBusy(Conflict):
    """Another import held the lease for longer than this handler could wait; nothing was done."""

    code = "import_busy"


def lease(deps: Deps) -> timedelta:
    return timedelta(seconds=max(1, deps.settings.usage.usage_import_lease_seconds))


def try_lock(deps: Deps, owner: str) -> bool:
    # The lease runs on the machine's clock, not on the business `now` a local request may pin:
    # two requests pinned to different days must still exclude each other.
    wall = datetime.now(UTC)
    return usage_store(deps).take_lease(owner, (wall + lease(deps)).isoformat(), wall.isoformat())


def lock(deps: Deps, import_id: str, owner: str, wait_seconds: float) -> None:
    """Take the import lease, waiting (with jittered backoff) up to `wait_seconds` for its holder."""
    deadline = time.monotonic() + wait_seconds
    pause = 0.05
    while not try_lock(deps, owner):
        left = deadline - time.monotonic()
        if left <= 0:
            raise ImportBusy(BUSY_MESSAGE, {"import_id": import_id})
        time.sleep(min(left, pause * random.uniform(0.5, 1.5)))
        pause = min(pause * 2, 1.0)


def renew(deps: Deps, import_id: str, owner: str) -> None:
    """Extend our lease by a full term; if it ran out and another import took it, stop (ImportBusy):
    committing beside that import could count a transaction both files hold twice."""
    wall = datetime.now(UTC)
    if not usage_store(deps).renew_lease(owner, (wall + lease(deps)).isoformat()):
        logger.warning("usage import lease lost before staging", extra={"import_id": import_id})
        raise ImportBusy(BUSY_MESSAGE, {"import_id": import_id})


def unlock(deps: Deps, owner: str) -> None:
    """Release the lease if it is still ours (after an overrun lease another import may hold it)."""
    if not usage_store(deps).release_lease(owner):
        logger.warning("usage import lease was taken over before release")

"""The local stack's garbage-collector hook (scripts/local_gc.py): after a full collection its survivors are
frozen, so the next one does not walk them again; long collections are logged."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest

from scripts import local_gc


@pytest.fixture
def thawed():
    gc.unfreeze()
    yield
    gc.unfreeze()  # the rest of the suite runs with an ordinary collector


def _stored_state(n: int = 50_000) -> list[dict[str, list[int]]]:
    return [{"item": [i]} for i in range(n)]  # survivors, like moto's stored items


def test_a_full_collection_freezes_its_survivors_and_the_next_one_walks_only_newer_objects(thawed):
    state = _stored_state()
    uninstall = local_gc.short_pauses()
    try:
        gc.collect()
        frozen = gc.get_freeze_count()
        assert frozen >= len(state)  # the stored state is out of the collector's walk
        newer = _stored_state(1_000)
        gc.collect()
        assert len(newer) == 1_000 and gc.get_freeze_count() >= frozen + len(newer)
    finally:
        uninstall()
    gc.collect()
    assert gc.get_freeze_count() >= frozen  # uninstalled: nothing more is frozen, nothing thawed either
    before = gc.get_freeze_count()
    _stored_state(1_000)
    gc.collect()
    assert gc.get_freeze_count() == before


def test_without_the_freeze_only_the_log_remains(thawed, monkeypatch, caplog):
    monkeypatch.setattr(local_gc, "LOG_SECONDS", 0.0)
    _state = _stored_state(10_000)
    uninstall = local_gc.short_pauses(freeze=False)
    try:
        with caplog.at_level(logging.INFO, logger="miyapo.local.gc"):
            gc.collect()
    finally:
        uninstall()
    assert gc.get_freeze_count() == 0
    assert any("full garbage collection took" in r.getMessage() for r in caplog.records)


def test_garbage_made_after_a_freeze_is_still_collected(thawed):
    class Node:
        def __init__(self) -> None:
            self.me = self

    uninstall = local_gc.short_pauses()
    try:
        old = Node()
        gc.collect()
        young = Node()
        young_ref = weakref.ref(young)
        del young
        assert gc.collect() >= 1 and young_ref() is None  # garbage made after the freeze is collected
        assert old.me is old
    finally:
        uninstall()

"""`make run` seeds what SEED asks (scripts/seed.py `seed_demo`, which scripts/local_stack.py calls unless
SEED=0): the small demo by default, the realistic year with SEED=year."""

from __future__ import annotations

import pytest

from scripts import seed, seed_year


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    made: list[str] = []
    monkeypatch.setattr(seed, "seed_small_demo", lambda: made.append("demo") or ["AP000001"])
    monkeypatch.setattr(seed_year, "seed_year", lambda *a, **k: made.append("year") or {})
    return made


def test_the_default_is_the_small_demo(calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEED", raising=False)
    assert seed.seed_demo() == ["AP000001"]
    assert calls == ["demo"]


@pytest.mark.parametrize("value", ["year", "YEAR", " year "])
def test_seed_year_seeds_the_year(calls: list[str], monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SEED", value)
    assert seed.seed_demo() == []
    assert calls == ["year"]


def test_the_year_plan_covers_every_area_and_each_decision() -> None:
    plan = seed_year.plan(60)
    assert len({s.body["municipality_code"] for s in plan.stores}) == 39
    assert {s.decision for s in plan.stores} == {"approve", "return", "reject", "wait"}
    assert plan.inquiries == 60 * seed_year.INQUIRIES_PER_STORE
    assert seed_year.plan(60).stores[5].body == plan.stores[5].body  # deterministic

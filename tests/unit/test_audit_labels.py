"""Every audit action the code writes has a Japanese label (chalicelib/audit/labels.py), and the audit
search reads plain ids, store names and actors (chalicelib/audit/search.py, on the twins)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest

from chalicelib.audit import search
from chalicelib.audit.labels import ACTION_LABELS, DYNAMIC_ACTIONS, FIELD_LABELS, all_actions
from chalicelib.audit.log import Actor, InMemoryAuditLog, entry
from chalicelib.errors import InvalidInput
from chalicelib.stores.repository import InMemoryStoreRepository
from tests.fakes import make_settings

ROOT = Path(__file__).resolve().parents[2] / "chalicelib"
#: `entry(actor, "area.verb", …)`, possibly over several lines, literal or f-string.
ENTRY_CALL = re.compile(r"\bentry\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*(f?)[\"']([a-z_]+\.[a-z_{}.]*)[\"']", re.S)
#: Any "area.verb" literal of an area that audits (catches actions passed around in variables).
AREAS = "application|store|storekit|store_import|settlement|usage_import|inquiry|session|staff|job|funds|report"
LITERAL = re.compile(rf"[\"']((?:{AREAS})\.[a-z_]+)[\"']")
NOT_ACTIONS: set[str] = set()


def sources() -> list[tuple[Path, str]]:
    return [(p, p.read_text(encoding="utf-8")) for p in sorted(ROOT.rglob("*.py"))
            if "__pycache__" not in p.parts and p != ROOT / "audit" / "labels.py"]


def test_every_action_in_the_code_has_a_japanese_label():
    found: dict[str, Path] = {}
    dynamic: dict[str, Path] = {}
    for path, text in sources():
        for is_f, action in ENTRY_CALL.findall(text):
            if is_f and "{" in action:
                dynamic[action.split("{", 1)[0]] = path
            else:
                found[action] = path
        for action in LITERAL.findall(text):
            found.setdefault(action, path)
    found = {a: p for a, p in found.items() if a not in NOT_ACTIONS}
    labelled = all_actions()
    missing = {a: str(p.relative_to(ROOT.parent)) for a, p in found.items() if a not in labelled}
    assert missing == {}, "actions without a label in chalicelib/audit/labels.py"
    unknown_dynamic = {prefix: str(p.relative_to(ROOT.parent)) for prefix, p in dynamic.items() if prefix not in DYNAMIC_ACTIONS}
    assert unknown_dynamic == {}, "actions built from a variable: list their parts in DYNAMIC_ACTIONS"
    assert len(found) > 50  # the grep itself works


def test_labels_are_japanese_and_every_dynamic_part_is_labelled():
    assert all(re.search(r"[ぁ-んァ-ヶ一-龥]", label) for label in ACTION_LABELS.values())
    assert all(prefix + part in ACTION_LABELS for prefix, parts in DYNAMIC_ACTIONS.items() for part in parts)
    assert all(re.search(r"[ぁ-んァ-ヶ一-龥]", label) for label in FIELD_LABELS.values())


def test_the_console_gets_the_labels():
    import app  # noqa: F401  (registers the routes whose roles the labels name)
    from chalicelib.web import pages

    labels = pages.labels()
    assert labels["AUDIT_ACTIONS"]["settlement.draft"] == "精算の下書き作成"
    assert labels["AUDIT_ACTIONS"]["usage_import.commit"] == "利用実績の取込確定"
    assert labels["AUDIT_FIELDS"]["reason"] == "理由"


JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 7, 2, 10, 0, tzinfo=JST)


@pytest.fixture
def deps():
    d = SimpleNamespace(settings=make_settings(), audit=InMemoryAuditLog(), store_repository=InMemoryStoreRepository(),
                        keys=None)
    tx = d.store_repository.new_tx()
    d.store_repository.create(tx, {"store_id": "MP000001", "status": "active", "store_name": "みやぎ商店",
                                   "store_name_kana": "ミヤギショウテン", "municipality_name": "仙台市青葉区",
                                   "application_id": "AP000007"})
    tx.commit()
    for i, (user, action, subject) in enumerate([
            ("scr", "application.approve", "application#AP000007"), ("acc", "store.view", "store#MP000001"),
            ("acc", "settlement.draft", "settlement#2025-06"), ("scr", "store.view", "store#MP000002"),
            ("acc", "inquiry.view", "inquiry#IQ000003")]):
        d.audit.append(entry(Actor(user, "x"), action, subject, NOW + timedelta(minutes=i)))
    return d


def actions(answer):
    return [e["action"] for e in answer["items"]]


def test_a_plain_id_finds_its_subject(deps):
    assert actions(search.search(deps, q="ap000007", today="2025-07-02")) == ["application.approve"]
    assert actions(search.search(deps, q="MP000002", today="2025-07-02")) == ["store.view"]
    assert actions(search.search(deps, q="2025-06", today="2025-07-02")) == ["settlement.draft"]
    assert actions(search.search(deps, q="IQ000003", today="2025-07-02")) == ["inquiry.view"]
    assert actions(search.search(deps, subject="application#AP000007", today="2025-07-02")) == ["application.approve"]


def test_a_store_name_finds_the_store_and_its_application(deps):
    answer = search.search(deps, q="みやぎ", today="2025-07-02")
    assert answer["matched_by"] == "name"
    assert answer["subjects"] == ["store#MP000001", "application#AP000007"]
    assert actions(answer) == ["store.view", "application.approve"]


def test_by_actor_on_a_day_and_within_a_search(deps):
    assert actions(search.search(deps, actor="acc", day="2025-07-02", today="2025-07-02")) == \
        ["inquiry.view", "settlement.draft", "store.view"]
    assert actions(search.search(deps, q="MP000001", actor="scr", today="2025-07-02")) == []
    with pytest.raises(InvalidInput):
        search.search(deps, actor="a b<", today="2025-07-02")
    with pytest.raises(InvalidInput):
        search.search(deps, day="2025-7-2", today="2025-07-02")

"""The field key in the synthesized template (issue 13): a customer-managed key of its own, rotated,
retained, reachable for GenerateDataKey/Decrypt by exactly the functions that read or write sealed tables.

Runs inside `make test-infra` (scripts/check_infra.py sets MIYAPO_INFRA_TEMPLATE after the synth)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

if not os.environ.get("MIYAPO_INFRA_TEMPLATE"):
    pytest.skip("reads the synthesized template: runs under `make test-infra`", allow_module_level=True)

from infra.functions import PROFILES
from infra.stack import FIELD_KEY_ACTIONS, SEALED_TABLES
from tests.infra.test_template import _actions, functions, of_type, refs


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return json.loads(Path(os.environ["MIYAPO_INFRA_TEMPLATE"]).read_text(encoding="utf-8"))


def _statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    """A role's statements, in its inline policies and in the managed policies CDK overflows a big one into."""
    return [st for kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
            for p in of_type(template, kind).values() if role in refs(p["Properties"].get("Roles", []))
            for st in p["Properties"]["PolicyDocument"]["Statement"]]


def _field_key(template):
    keys = of_type(template, "AWS::KMS::Key")
    (found,) = [k for k, v in keys.items() if "personal data" in v["Properties"].get("Description", "")]
    return found


def test_the_field_key_is_its_own_rotated_retained_key_named_in_the_functions_environment(template):
    key_id = _field_key(template)
    key = template["Resources"][key_id]
    assert key["Properties"]["EnableKeyRotation"] is True and key["DeletionPolicy"] == "Retain"
    aliases = [a["Properties"]["AliasName"] for a in of_type(template, "AWS::KMS::Alias").values()
               if key_id in refs(a["Properties"]["TargetKeyId"])]
    assert len(aliases) == 1 and aliases[0].endswith("-fields")
    for name, fn in functions(template).items():
        env = fn["Properties"].get("Environment", {}).get("Variables", {})
        assert key_id in refs(env.get("FIELD_KEY_ID")), name


def test_exactly_the_functions_of_sealed_tables_may_open_and_seal_and_none_may_encrypt_with_the_field_key(template):
    key_id = _field_key(template)
    by_id = {p.logical_id: p for p in PROFILES}
    for name, fn in functions(template).items():
        role = next(iter(refs(fn["Properties"]["Role"])))
        actions = {a for st in _statements(template, role) if key_id in refs(st["Resource"]) for a in _actions(st)}
        profile = by_id[name]
        needs = bool(SEALED_TABLES & {*profile.reads, *profile.writes}) or profile.disposes
        assert actions == (set(FIELD_KEY_ACTIONS) if needs else set()), (name, actions)

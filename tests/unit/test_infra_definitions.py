"""The resource definitions infra/ and the local stack both build from (no node, no AWS).

The CDK synth and cfn-lint run in `make test-infra` (scripts/check_infra.py).
"""

from __future__ import annotations

import re

import pytest

from chalicelib.adapters import resources
from chalicelib.adapters.resources import BUCKETS, MAIL_DOMAIN, TABLES, environment_for, physical_name
from chalicelib.settings import _ENV

STAGES = ("local", "prod", "stg2")
#: The longest suffix infra/stack.py adds to a bucket's physical name (account id, region).
BUCKET_SUFFIX = "-123456789012-ap-northeast-1"


def _all_names(attr: str) -> list[str]:
    return [getattr(s, attr) for s in TABLES] + [getattr(s, attr) for s in BUCKETS]


def test_table_and_bucket_names_and_env_vars_are_unique():
    names = _all_names("name")
    envs = _all_names("env")
    assert len(set(names)) == len(names), names
    assert len(set(envs)) == len(envs), envs
    for stage in STAGES:
        physical = [physical_name(stage, n) for n in names]
        assert len(set(physical)) == len(physical)


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.name)
def test_every_key_and_index_key_is_declared(spec: resources.TableSpec):
    declared = spec.key_attributes()
    assert len(declared) == len(set(declared))
    assert declared[0] == spec.pk
    assert spec.pk and (spec.sk is None or spec.sk in declared)
    index_names = [i.name for i in spec.indexes]
    assert len(index_names) == len(set(index_names)), f"{spec.name}: duplicate index names"
    for index in spec.indexes:
        assert re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", index.name), index.name
        assert index.pk in declared and (index.sk is None or index.sk in declared)
        assert (index.pk, index.sk) != (spec.pk, spec.sk), f"{spec.name}.{index.name} repeats the table key"
    # DynamoDB's TTL attribute holds a number; keys are strings here, so TTL is never a key.
    assert spec.ttl is None or spec.ttl not in declared


@pytest.mark.parametrize("stage", STAGES)
def test_physical_names_follow_the_stage_pattern(stage: str):
    for name in _all_names("name"):
        physical = physical_name(stage, name)
        assert physical == f"miyapo-{stage}-{name}"
        assert re.fullmatch(r"[A-Za-z0-9_.-]{3,255}", physical), physical  # DynamoDB table name
    for spec in BUCKETS:
        bucket = physical_name(stage, spec.name) + BUCKET_SUFFIX
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]", bucket), bucket  # S3 bucket name


@pytest.mark.parametrize("stage", STAGES)
def test_environment_for_covers_every_spec(stage: str):
    env = environment_for(stage)
    expected = {s.env: physical_name(stage, s.name) for s in TABLES}
    expected.update({s.env: physical_name(stage, s.name) for s in BUCKETS})
    assert env == expected


def test_every_resource_env_var_is_one_the_settings_read():
    read = set(_ENV.values())
    missing = [env for env in _all_names("env") if env not in read]
    assert not missing, f"settings.py does not read {missing}"


def test_the_audit_table_and_upload_events_exist():
    # infra/stack.py grants the audit table append-only access by this name and turns on
    # EventBridge notifications for the buckets that want them (usage uploads are imported).
    assert "audit" in [t.name for t in TABLES]
    assert any(b.event_bridge for b in BUCKETS)
    assert re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", MAIL_DOMAIN)


def test_check_infra_skips_without_node_unless_in_ci(monkeypatch, capsys):
    from scripts import check_infra

    monkeypatch.setattr(check_infra.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    assert check_infra.main() == 0
    assert "SKIPPED: node not found" in capsys.readouterr().out
    monkeypatch.setenv("CI", "true")
    assert check_infra.main() == 1
    assert "node not found" in capsys.readouterr().err

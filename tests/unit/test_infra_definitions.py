"""The resource definitions infra/ and the local stack both build from (no node, no AWS).

The CDK synth and cfn-lint run in `make test-infra` (scripts/check_infra.py).
"""

from __future__ import annotations

import re

import pytest

from chalicelib.adapters import resources
from chalicelib.adapters.resources import BUCKETS, MAIL_DOMAIN, TABLES, environment_for, physical_name
from chalicelib.settings import env_names

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
    read = set(env_names().values())
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


# --- infra/config.py: no placeholder reaches a deployment (no aws_cdk needed) --------------------

def _complete_context() -> dict[str, str]:
    import json
    from pathlib import Path

    return json.loads((Path(__file__).parents[1] / "infra" / "context.json").read_text(encoding="utf-8"))


def test_the_test_context_is_complete_and_passes_the_settings_to_the_functions():
    from infra.config import DeployConfig

    config = DeployConfig.from_context(_complete_context())
    assert config.stage == "ci" and config.custom_domain is None
    # Every REQUESTER_* variable the stack sets is one the settings read.
    assert set(config.requester.environment()) <= set(env_names().values())
    assert config.auth_callback_urls[0].startswith(config.public_base_url + "/")


def test_the_local_stage_is_never_synthesized():
    from infra.config import ConfigError, DeployConfig

    with pytest.raises(ConfigError, match="refusing to synthesize stage 'local'"):
        DeployConfig.from_context({**_complete_context(), "stage": "local"})


def test_a_stage_without_context_names_every_missing_key():
    from infra.config import REQUIRED_KEYS, ConfigError, DeployConfig

    with pytest.raises(ConfigError) as err:
        DeployConfig.from_context({"stage": "prod"})
    for key in REQUIRED_KEYS:
        assert f"{key}: missing" in str(err.value)


@pytest.mark.parametrize(("key", "value"), [
    ("mail_domain", "example.jp"), ("mail_domain", MAIL_DOMAIN), ("mail_from", "noreply@example.jp"),
    ("staff_mailbox", "staff@example.com"), ("public_base_url", "https://miyapo.example.jp"),
    ("alarm_email", "alarms@ops.test"), ("requester_code", "0000000001"),
    ("requester_account_number", "1234567"), ("custom_domain", "api.example.com"),
])
def test_example_values_are_refused_by_name(key: str, value: str):
    from infra.config import ConfigError, DeployConfig

    with pytest.raises(ConfigError, match=f"{key}: placeholder value"):
        DeployConfig.from_context({**_complete_context(), "stage": "prod", key: value})


@pytest.mark.parametrize(("changes", "key"), [
    ({"mail_from": "noreply@elsewhere.jp"}, "mail_from"),
    ({"public_base_url": "http://ops.miyagi-point-ops.jp"}, "public_base_url"),
    ({"public_base_url": "https://ops.miyagi-point-ops.jp/"}, "public_base_url"),
    ({"requester_code": "12345"}, "requester_code"),
    ({"requester_name": "みやぎポイント"}, "requester_name"),
    ({"requester_account_type": "3"}, "requester_account_type"),
    ({"custom_domain": "ops.miyagi-point-ops.jp"}, "certificate_arn"),
    ({"custom_domain": "ops.miyagi-point-ops.jp", "certificate_arn":
      "arn:aws:acm:ap-northeast-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"}, "public_base_url"),
    ({"auth_domain_prefix": "miyapo-cognito"}, "auth_domain_prefix"),
    ({"log_retention": "FOREVER"}, "log_retention"),
])
def test_malformed_values_are_refused_by_name(changes: dict[str, str], key: str):
    from infra.config import ConfigError, DeployConfig

    with pytest.raises(ConfigError, match=f"{key}: "):
        DeployConfig.from_context({**_complete_context(), **changes})


def test_a_custom_domain_carries_the_public_url():
    from infra.config import DeployConfig

    config = DeployConfig.from_context({
        **_complete_context(), "custom_domain": "ops.miyagi-point-ops.jp",
        "certificate_arn": "arn:aws:acm:ap-northeast-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
        "public_base_url": "https://ops.miyagi-point-ops.jp",
    })
    assert config.custom_domain == "ops.miyagi-point-ops.jp"


# --- infra/functions.py: every function of app.py is sized and scoped ------------------------------

def _app_functions() -> dict[str, bool]:
    """logical id -> invoked asynchronously, for every Lambda function `chalice package` creates."""
    from app import app
    from infra.functions import chalice_logical_id

    found = {chalice_logical_id(e.name): True for e in app.event_sources}
    found.update({chalice_logical_id(f.name): False for f in app.pure_lambda_functions})
    found.update({chalice_logical_id(a.name): False for a in app.builtin_auth_handlers})
    if app.routes:
        found["APIHandler"] = False
    return found


def test_every_function_in_app_py_has_a_profile_in_infra():
    from infra.functions import BY_LOGICAL_ID

    functions = _app_functions()
    missing = sorted(set(functions) - set(BY_LOGICAL_ID))
    assert not missing, f"add a Profile (memory, timeout, access) to infra/functions.py for {missing}"
    assert not set(BY_LOGICAL_ID) - set(functions), "infra/functions.py profiles a function app.py no longer has"
    for logical_id, asynchronous in functions.items():
        assert BY_LOGICAL_ID[logical_id].asynchronous == asynchronous, logical_id


def test_profiles_name_real_tables_and_buckets():
    from infra.functions import PROFILES, USAGE_IMPORT_1M_ROWS_S

    tables = {t.name for t in TABLES}
    buckets = {b.name for b in BUCKETS}
    for p in PROFILES:
        assert set(p.reads) | set(p.writes) <= tables - {"audit"}, p.logical_id
        assert set(p.bucket_reads) | set(p.bucket_puts) <= buckets, p.logical_id
        assert 128 <= p.memory_mb <= 10240 and 1 <= p.timeout_s <= 900, p.logical_id
    usage_import = next(p for p in PROFILES if p.logical_id == "UsageImport")
    assert usage_import.timeout_s >= 2 * USAGE_IMPORT_1M_ROWS_S

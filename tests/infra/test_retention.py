"""The retention table (chalicelib/privacy/retention.py) in the synthesized template: the outbox's TTL, S3
lifecycle rules per prefix, settlement documents protected against early deletion, and only the disposal's
role able to Scan tables or delete objects. Runs under `make test-infra`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

TEMPLATE = os.environ.get("MIYAPO_INFRA_TEMPLATE")
if not TEMPLATE:
    pytest.skip("reads the synthesized template: runs under `make test-infra`", allow_module_level=True)

from chalicelib.privacy.retention import SETTLEMENT_DAYS, USAGE_FILE_DAYS  # noqa: E402
from infra.functions import PROFILES  # noqa: E402
from tests.infra.test_template import _actions, _statements, functions, of_type, refs  # noqa: E402


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return json.loads(Path(str(TEMPLATE)).read_text(encoding="utf-8"))


def _bucket(template: dict[str, Any], name: str) -> tuple[str, dict[str, Any]]:
    [(lid, bucket)] = [(lid, b) for lid, b in of_type(template, "AWS::S3::Bucket").items()
                       if lid.startswith(f"Bucket{name.title()}")]
    return lid, bucket["Properties"]


def _rules(template: dict[str, Any], name: str) -> dict[str, dict[str, Any]]:
    _, props = _bucket(template, name)
    return {r["Prefix"]: r for r in props.get("LifecycleConfiguration", {}).get("Rules", [])}


def test_sent_mails_expire_by_dynamodb_ttl(template):
    tables = {t["Properties"]["TableName"].rsplit("-", 1)[1]: t["Properties"]
              for t in of_type(template, "AWS::DynamoDB::Table").values()}
    assert tables["outbox"]["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_uploads_expire_per_prefix_with_their_old_versions(template):
    rules = _rules(template, "uploads")
    for prefix in ("usage/", "reports/usage/", "ledger/"):
        rule = rules[prefix]
        assert rule["Status"] == "Enabled" and rule["ExpirationInDays"] == USAGE_FILE_DAYS
        assert rule["NoncurrentVersionExpiration"]["NoncurrentDays"] == USAGE_FILE_DAYS


def test_settlement_documents_are_kept_the_settlement_period(template):
    rules = _rules(template, "documents")
    for prefix in ("settlements/", "prefecture/settlements/"):
        assert rules[prefix]["ExpirationInDays"] == SETTLEMENT_DAYS >= 7 * 365 + 365
        assert rules[prefix]["NoncurrentVersionExpiration"]["NoncurrentDays"] == SETTLEMENT_DAYS
    # Kinds kept until contract end have no time rule (the disposal handles them).
    assert "sessions/" not in rules and "stores/" not in rules


def test_settlement_documents_cannot_be_deleted_early_but_by_the_disposal(template):
    lid, props = _bucket(template, "documents")
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    policies = [p["Properties"] for p in of_type(template, "AWS::S3::BucketPolicy").values()
                if lid in refs(p["Properties"]["Bucket"])]
    [deny] = [st for p in policies for st in p["PolicyDocument"]["Statement"]
              if st.get("Sid") == "KeepSettlementDocuments"]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert sorted(_actions(deny)) == ["s3:DeleteObject", "s3:DeleteObjectVersion"]
    resources = json.dumps(deny["Resource"])
    assert "/settlements/*" in resources and "/prefecture/settlements/*" in resources
    disposer = next(p.logical_id for p in PROFILES if p.disposes)
    role = next(iter(refs(functions(template)[disposer]["Properties"]["Role"])))
    assert refs(deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]) == {role}
    # The uploads bucket has no protected prefix.
    up, _ = _bucket(template, "uploads")
    assert not [st for p in of_type(template, "AWS::S3::BucketPolicy").values() if up in refs(p["Properties"]["Bucket"])
                for st in p["Properties"]["PolicyDocument"]["Statement"] if st.get("Sid") == "KeepSettlementDocuments"]


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.logical_id)
def test_only_the_disposal_role_scans_tables_or_deletes_objects(template, profile):
    role = next(iter(refs(functions(template)[profile.logical_id]["Properties"]["Role"])))
    allowed = [a for st in _statements(template, role) if st["Effect"] == "Allow" for a in _actions(st)]
    disposal = {"dynamodb:Scan", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:ListBucketVersions"}
    if profile.disposes:
        assert disposal <= set(allowed)
        assert "s3:BypassGovernanceRetention" not in allowed
    else:
        assert not disposal & set(allowed), profile.logical_id


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.logical_id)
def test_only_the_api_handler_manages_staff_users_and_only_in_the_staff_pool(template, profile):
    role = next(iter(refs(functions(template)[profile.logical_id]["Properties"]["Role"])))
    cognito = [st for st in _statements(template, role) if st["Effect"] == "Allow"
               and any(a.startswith("cognito-idp:") for a in _actions(st))]
    if not profile.manages_staff:
        assert cognito == [], profile.logical_id
        return
    assert {"cognito-idp:AdminCreateUser", "cognito-idp:AdminDisableUser", "cognito-idp:AdminAddUserToGroup",
            "cognito-idp:AdminRemoveUserFromGroup", "cognito-idp:AdminUserGlobalSignOut",
            "cognito-idp:ListUsers"} <= {a for st in cognito for a in _actions(st)}
    pools = set(of_type(template, "AWS::Cognito::UserPool"))
    for st in cognito:
        resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
        assert all(refs(r) <= pools and refs(r) for r in resources), st

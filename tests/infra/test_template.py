"""The synthesized CloudFormation template, read like a reviewer would (issue 8).

Runs inside `make test-infra` (scripts/check_infra.py sets MIYAPO_INFRA_TEMPLATE after the synth, in
.venv-infra). In the main test run there is no template and the module is skipped.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

TEMPLATE = os.environ.get("MIYAPO_INFRA_TEMPLATE")
if not TEMPLATE:
    pytest.skip("reads the synthesized template: runs under `make test-infra`", allow_module_level=True)

from chalicelib.adapters.resources import BUCKETS  # noqa: E402
from infra.functions import BY_LOGICAL_ID, PROFILES, USAGE_IMPORT_1M_ROWS_S  # noqa: E402

CONTEXT: dict[str, str] = json.loads((Path(__file__).parent / "context.json").read_text(encoding="utf-8"))

#: The figures the README and the closing report quote: (memory MB, timeout s) per function.
EXPECTED_SIZES = {
    "APIHandler": (1024, 29),
    "StaffAuth": (256, 10),
    "UsageImport": (1536, 120),
    "MailSweep": (512, 600),
    "EscalationSweep": (256, 60),
    "DailyInquiryReport": (512, 120),
    "MonthlyInquiryReport": (512, 120),
    "SettlementSweep": (1024, 300),
    "SessionReport": (512, 120),
    "SessionCoverageWarnings": (256, 60),
    "SessionAnnouncements": (512, 300),
    "BankMasterCheck": (512, 300),
    "FundsAlerts": (256, 60),
    "AccessReport": (512, 120),
    "RetentionSweep": (256, 300),
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return json.loads(Path(str(TEMPLATE)).read_text(encoding="utf-8"))


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def refs(value: Any) -> set[str]:
    """Logical ids a value points at (Ref / Fn::GetAtt), anywhere inside it."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            found.add(value["Fn::GetAtt"][0])
        for v in value.values():
            found |= refs(v)
    elif isinstance(value, list):
        for v in value:
            found |= refs(v)
    return found


def functions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return of_type(template, "AWS::Serverless::Function")


def alarm_topic(template: dict[str, Any]) -> str:
    (topic,) = of_type(template, "AWS::SNS::Topic")
    return topic


def alarms_on(template: dict[str, Any], namespace: str, metric: str, target: str) -> list[dict[str, Any]]:
    return [a["Properties"] for a in of_type(template, "AWS::CloudWatch::Alarm").values()
            if a["Properties"].get("Namespace") == namespace and a["Properties"].get("MetricName") == metric
            and target in refs(a["Properties"].get("Dimensions"))]


# --- runtime and sizes --------------------------------------------------------------------------

def test_every_function_has_a_profile_and_nothing_else(template):
    assert set(functions(template)) == set(BY_LOGICAL_ID) == set(EXPECTED_SIZES)


def test_runtime_is_python_312_or_newer_everywhere(template):
    runtimes = {lid: f["Properties"]["Runtime"] for lid, f in functions(template).items()}
    assert runtimes and all(r in ("python3.12", "python3.13") for r in runtimes.values()), runtimes


@pytest.mark.parametrize("logical_id", sorted(EXPECTED_SIZES))
def test_memory_and_timeout_are_the_measured_ones(template, logical_id):
    props = functions(template)[logical_id]["Properties"]
    assert (props["MemorySize"], props["Timeout"]) == EXPECTED_SIZES[logical_id]
    profile = BY_LOGICAL_ID[logical_id]
    assert (profile.memory_mb, profile.timeout_s) == EXPECTED_SIZES[logical_id]


def test_the_import_has_room_in_tmp_for_the_largest_upload_its_copy_and_spill(template):
    from chalicelib.usage.service import MAX_UPLOAD_BYTES

    tmp = {lid: f["Properties"].get("EphemeralStorage", {}).get("Size", 512) for lid, f in functions(template).items()}
    assert tmp["UsageImport"] * 2**20 >= 5 * MAX_UPLOAD_BYTES  # the upload, its UTF-8 copy and DuckDB's spill
    assert {lid for lid, size in tmp.items() if size != 512} == {"UsageImport"}


def test_the_import_handles_a_million_rows_within_half_its_timeout(template):
    assert functions(template)["UsageImport"]["Properties"]["Timeout"] >= 2 * USAGE_IMPORT_1M_ROWS_S
    # Synchronous work stays inside API Gateway's 29 s.
    assert functions(template)["APIHandler"]["Properties"]["Timeout"] <= 29


# --- failures are heard -------------------------------------------------------------------------

def asynchronous(template: dict[str, Any]) -> set[str]:
    return {lid for lid, f in functions(template).items()
            if any(e["Type"] in ("Schedule", "CloudWatchEvent", "S3", "SQS", "EventBridgeRule")
                   for e in f["Properties"].get("Events", {}).values())}


def test_the_asynchronous_functions_are_the_profiled_ones(template):
    assert asynchronous(template) == {p.logical_id for p in PROFILES if p.asynchronous}
    assert "UsageImport" in asynchronous(template) and "MailSweep" in asynchronous(template)


def test_every_asynchronous_function_has_an_encrypted_on_failure_queue_with_an_alarm(template):
    configs = {next(iter(refs(c["Properties"]["FunctionName"]))): c["Properties"]
               for c in of_type(template, "AWS::Lambda::EventInvokeConfig").values()}
    queues = of_type(template, "AWS::SQS::Queue")
    topic = alarm_topic(template)
    for lid in asynchronous(template):
        config = configs[lid]
        (queue,) = refs(config["DestinationConfig"]["OnFailure"]["Destination"])
        assert queue in queues, lid
        assert "KmsMasterKeyId" in queues[queue]["Properties"], f"{lid}: failure queue not KMS-encrypted"
        assert config["MaximumRetryAttempts"] == 2 and config["Qualifier"] == "$LATEST"
        alarms = alarms_on(template, "AWS/SQS", "ApproximateNumberOfMessagesVisible", queue)
        assert alarms and alarms[0]["Threshold"] == 1, f"{lid}: no alarm on its failure queue"
        assert topic in refs(alarms[0]["AlarmActions"])
        # The function's own role may send there (Lambda sends with the execution role).
        role = next(iter(refs(functions(template)[lid]["Properties"]["Role"])))
        assert any(queue in refs(st["Resource"]) and "sqs:SendMessage" in _actions(st)
                   for st in _statements(template, role)), f"{lid}: its role cannot send to its queue"


@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_every_function_has_errors_and_throttles_alarms(template, metric):
    topic = alarm_topic(template)
    for lid in functions(template):
        alarms = alarms_on(template, "AWS/Lambda", metric, lid)
        assert len(alarms) == 1, f"{lid}: {len(alarms)} {metric} alarms"
        assert topic in refs(alarms[0]["AlarmActions"]) and alarms[0]["Threshold"] == 1


def test_the_alarm_topic_mails_the_configured_address(template):
    subs = [s["Properties"] for s in of_type(template, "AWS::SNS::Subscription").values()]
    assert {"Protocol": "email", "Endpoint": CONTEXT["alarm_email"]}.items() <= subs[0].items()
    assert alarm_topic(template) in refs(subs[0]["TopicArn"])


def test_api_5xx_is_alarmed(template):
    alarms = [a["Properties"] for a in of_type(template, "AWS::CloudWatch::Alarm").values()
              if a["Properties"].get("MetricName") == "5XXError"]
    assert alarms and {d["Name"] for d in alarms[0]["Dimensions"]} == {"ApiName", "Stage"}
    api_name = template["Resources"]["RestAPI"]["Properties"]["Name"]
    assert {"Name": "ApiName", "Value": api_name} in alarms[0]["Dimensions"]


# --- least privilege ----------------------------------------------------------------------------

def _statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [st for p in of_type(template, "AWS::IAM::Policy").values() if role in refs(p["Properties"]["Roles"])
            for st in p["Properties"]["PolicyDocument"]["Statement"]]


def _actions(statement: dict[str, Any]) -> list[str]:
    a = statement["Action"]
    return a if isinstance(a, list) else [a]


def _table_ids(template: dict[str, Any]) -> dict[str, str]:
    """logical id -> logical table name (miyapo-<stage>-<name>)."""
    return {lid: t["Properties"]["TableName"].rsplit("-", 1)[1]
            for lid, t in of_type(template, "AWS::DynamoDB::Table").items()}


def test_one_role_per_function(template):
    roles = [next(iter(refs(f["Properties"]["Role"]))) for f in functions(template).values()]
    assert len(roles) == len(set(roles)) == len(functions(template))
    assert set(roles) <= set(of_type(template, "AWS::IAM::Role"))


@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.logical_id)
def test_each_role_reaches_only_what_its_function_uses(template, profile):
    role = next(iter(refs(functions(template)[profile.logical_id]["Properties"]["Role"])))
    tables = _table_ids(template)
    buckets = {lid: name for lid, b in of_type(template, "AWS::S3::Bucket").items()
               for name in [s.name for s in BUCKETS] if lid.startswith(f"Bucket{name.title()}")}
    allowed_tables = set(profile.reads) | set(profile.writes) | ({"audit"} if profile.audit else set())
    allowed_buckets = set(profile.bucket_reads) | set(profile.bucket_puts)
    writes_to: set[str] = set()
    for st in _statements(template, role):
        actions = _actions(st)
        assert all("*" not in a for a in actions), f"{profile.logical_id}: wildcard action in {actions}"
        assert st.get("Resource") != "*", f"{profile.logical_id}: Resource '*' for {actions}"
        if st["Effect"] != "Allow":
            continue
        touched = {tables[r] for r in refs(st["Resource"]) if r in tables}
        assert touched <= allowed_tables, f"{profile.logical_id} reaches tables {touched - allowed_tables}"
        if any(a in actions for a in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")):
            writes_to |= touched
        reached = {buckets[r] for r in refs(st["Resource"]) if r in buckets}
        assert reached <= allowed_buckets, f"{profile.logical_id} reaches buckets {reached - allowed_buckets}"
        # Deleting objects is the end-of-contract disposal's only (tests/infra/test_retention.py).
        assert profile.disposes or not any(a.startswith("s3:Delete") for a in actions)
        if "ses:SendEmail" in actions:
            assert profile.sends_mail
            assert st["Condition"]["StringLike"]["ses:FromAddress"] == f"*@{CONTEXT['mail_domain']}"
    assert writes_to - {"audit"} == set(profile.writes), profile.logical_id


def test_the_authorizer_role_touches_no_data(template):
    role = next(iter(refs(functions(template)["StaffAuth"]["Properties"]["Role"])))
    services = {a.split(":")[0] for st in _statements(template, role) for a in _actions(st)}
    assert services <= {"secretsmanager", "kms", "logs"}, services


# --- the edge -----------------------------------------------------------------------------------

def test_stage_throttling_logging_and_access_logs(template):
    api = template["Resources"]["RestAPI"]["Properties"]
    settings = {(s["ResourcePath"], s["HttpMethod"]): s for s in api["MethodSettings"]}
    default = settings[("/*", "*")]
    assert 0 < default["ThrottlingRateLimit"] <= 100 and 0 < default["ThrottlingBurstLimit"] <= 200
    assert all(s["DataTraceEnabled"] is False for s in settings.values()), "data traces would log bodies"
    public_post = settings[("/~1applications", "POST")]
    assert public_post["ThrottlingRateLimit"] < default["ThrottlingRateLimit"]
    (group,) = [lid for lid, g in of_type(template, "AWS::Logs::LogGroup").items()
                if "/aws/apigateway/" in json.dumps(g["Properties"]["LogGroupName"])]
    assert group in refs(api["AccessLogSetting"]["DestinationArn"])
    assert "$context.requestId" in api["AccessLogSetting"]["Format"]
    assert "$context.path" not in api["AccessLogSetting"]["Format"], "paths carry signed-link tokens"
    (account,) = of_type(template, "AWS::ApiGateway::Account").values()
    assert refs(account["Properties"]["CloudWatchRoleArn"])


def test_waf_rate_limits_the_public_routes_and_is_associated_with_the_stage(template):
    (acl_id, acl), = of_type(template, "AWS::WAFv2::WebACL").items()
    props = acl["Properties"]
    assert props["Scope"] == "REGIONAL" and "Allow" in props["DefaultAction"]
    rates = {r["Name"]: r["Statement"]["RateBasedStatement"] for r in props["Rules"]
             if "RateBasedStatement" in r["Statement"]}
    public = rates["public-routes-rate"]
    assert public["AggregateKeyType"] == "IP" and public["Limit"] <= 1000
    patterns = [s["RegexMatchStatement"]["RegexString"] for s in
                public["ScopeDownStatement"].get("OrStatement", {"Statements": [public["ScopeDownStatement"]]})
                ["Statements"]]
    assert all(len(p) <= 512 for p in patterns)

    def public_path(path: str) -> bool:
        return any(re.search(p, path) for p in patterns)

    assert public_path("/api/applications") and public_path("/applications") and public_path("/api/apply")
    assert public_path("/api/lookup/banks/0125/branches/100")
    assert not public_path("/api/settlements/2025-06/approve") and not public_path("/api/stores")
    assert "all-routes-rate" in rates
    (assoc,) = of_type(template, "AWS::WAFv2::WebACLAssociation").values()
    assert acl_id in refs(assoc["Properties"]["WebACLArn"])
    assert {"RestAPI", "RestAPI.Stage"} <= refs(assoc["Properties"]["ResourceArn"])


def test_the_upload_rule_matches_the_uploads_bucket_by_name(template):
    events = functions(template)["UsageImport"]["Properties"]["Events"]
    (event,) = events.values()
    detail = event["Properties"]["Pattern"]["detail"]
    (bucket,) = refs(detail["bucket"]["name"])
    assert bucket.startswith("BucketUploads")
    assert detail["object"]["key"] == [{"prefix": "usage/"}]
    uploads = template["Resources"][bucket]["Properties"]
    assert uploads["NotificationConfiguration"]["EventBridgeConfiguration"]["EventBridgeEnabled"] is True
    assert not of_type(template, "Custom::S3BucketNotifications"), "no custom-resource Lambda for EventBridge"


# --- sign-in and settings -----------------------------------------------------------------------

def test_cognito_hosted_login_code_flow_only_and_mfa_required(template):
    (pool,) = of_type(template, "AWS::Cognito::UserPool").values()
    assert pool["Properties"]["MfaConfiguration"] == "ON"
    (client,) = of_type(template, "AWS::Cognito::UserPoolClient").values()
    c = client["Properties"]
    assert c["AllowedOAuthFlows"] == ["code"] and c["AllowedOAuthFlowsUserPoolClient"] is True
    assert c["GenerateSecret"] is False
    assert all(u.startswith(CONTEXT["public_base_url"]) for u in c["CallbackURLs"] + c["LogoutURLs"])
    assert of_type(template, "AWS::Cognito::UserPoolDomain")


def test_settings_come_from_the_context_and_no_placeholder_is_left(template):
    for lid, f in functions(template).items():
        env = f["Properties"]["Environment"]["Variables"]
        assert env["MAIL_FROM"] == CONTEXT["mail_from"], lid
        assert env["PUBLIC_BASE_URL"] == CONTEXT["public_base_url"], lid
        assert env["REQUESTER_CODE"] == CONTEXT["requester_code"], lid
        assert env["REQUESTER_ACCOUNT_NUMBER"] == CONTEXT["requester_account_number"], lid
    (identity,) = of_type(template, "AWS::SES::EmailIdentity").values()
    assert identity["Properties"]["EmailIdentity"] == CONTEXT["mail_domain"]
    text = json.dumps(template)
    for placeholder in ("example.jp", "example.com", "miyapo.example.jp", '"1234567"', '"0000000001"'):
        assert placeholder not in text


def test_api_gateway_s_own_answers_are_the_apps_japanese_json_and_echo_nothing(template):
    """QA A-F8 / B-7: no token, a refused token, an unknown route… are answered by API Gateway itself; its
    gateway responses carry the app's `{"error": …}` in Japanese, 401 for a refused token, 404 for an
    unknown route, and no request value (the stock unknown-route answer echoes the bearer token)."""
    from chalicelib.web.gateway_answers import GATEWAY_ANSWERS

    definition = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    responses = definition["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == set(GATEWAY_ANSWERS)
    assert responses["ACCESS_DENIED"]["statusCode"] == "401" and responses["UNAUTHORIZED"]["statusCode"] == "401"
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert "statusCode" not in responses["DEFAULT_4XX"] and "statusCode" not in responses["DEFAULT_5XX"]
    for kind, response in responses.items():
        (body,) = response["responseTemplates"].values()
        error = json.loads(body)["error"]
        assert error == {"code": GATEWAY_ANSWERS[kind].code, "message": GATEWAY_ANSWERS[kind].message, "fields": {}}
        assert "$" not in body, f"{kind}: a template variable could echo the request"
        parameters = response["responseParameters"]
        assert parameters["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'"
        assert all(v.startswith("'") and v.endswith("'") for v in parameters.values()), f"{kind}: static values only"

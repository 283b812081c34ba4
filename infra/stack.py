"""The miyapo-ops stack: data stores, key, secret, user pool, mail identity, the Chalice app, its edge and alarms.

Tables and buckets are built from `chalicelib.adapters.resources` (the same definitions the local
stack uses). Each Lambda function of the Chalice app is described in `infra/functions.py` (memory and
timeout from measurements, what it may touch); this stack gives each one:
- its own IAM role with only that access (`chalice.cdk` passes `stage_config` as flat, all-functions
  settings, so `manage_iam_role` is off and each function's `Role` is set on the packaged template);
- its memory and timeout, a log group, Errors and Throttles alarms;
- when it is invoked asynchronously (schedules, the S3 → EventBridge import): an on-failure
  destination (an SQS queue encrypted with the data key) and an alarm on the queue's visible messages.
A function in app.py without a profile in infra/functions.py stops the synth with its name.

The API stage is throttled, writes JSON access logs, and sits behind a WAFv2 web ACL (a rate-based
rule on the public routes, one on all routes, AWS managed rule groups). cdk-nag's AwsSolutions pack
runs on every synth (infra/cdk_app.py); each acknowledged finding carries its reason below.
Settings come from `infra/config.py` (CDK context, validated: no placeholder reaches a deployment).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_wafv2 as wafv2
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib.adapters.resources import BUCKETS, TABLES, TableSpec, origin_of, physical_name, upload_cors_rules
from chalicelib.auth.roles import Role
from chalicelib.privacy.retention import lifecycle_rules, protected_prefixes
from infra.config import DeployConfig
from infra.functions import BY_LOGICAL_ID, PROFILES, Profile, chalice_logical_id

ROOT = Path(__file__).resolve().parent.parent

#: The Chalice app's name (app.py) and its API Gateway stage (.chalice/config.json).
APP_NAME = "miyapo-ops"
API_STAGE = "api"
AUDIT_TABLE = "audit"

#: Item reads on a table; writes add the second tuple. No Scan (every request-path read is a
#: GetItem or a Query, see resources.py), no streams, no table management.
READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
WRITE_ACTIONS = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")
#: The audit log is append-only: PutItem (also inside TransactWriteItems) and Query, nothing else.
AUDIT_ACTIONS = ("dynamodb:PutItem", "dynamodb:Query")
#: DynamoDB actions an append-only log must never be given (explicitly denied as well).
AUDIT_FORBIDDEN = (
    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:DeleteTable", "dynamodb:UpdateTable",
)
#: The end-of-contract disposal (two admins, chalicelib/privacy/disposal.py): every item of a data table and
#: every object version, deleted or anonymized. Only the API handler has it (Profile.disposes).
DISPOSAL_TABLE_ACTIONS = ("dynamodb:Scan",)
DISPOSAL_OBJECT_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion")
DISPOSAL_BUCKET_ACTIONS = ("s3:ListBucketVersions",)
#: The admin's staff screen (chalicelib/staff/directory.py CognitoDirectory): invite, change group, disable, sign out.
STAFF_DIRECTORY_ACTIONS = (
    "cognito-idp:AdminCreateUser", "cognito-idp:AdminAddUserToGroup", "cognito-idp:AdminRemoveUserFromGroup",
    "cognito-idp:AdminDisableUser", "cognito-idp:AdminUserGlobalSignOut", "cognito-idp:ListUsers",
    "cognito-idp:ListGroups", "cognito-idp:ListUsersInGroup",
)
#: Deleting a settlement document or any of its versions before its period ends (7(1)チ, SPEC §6.3): refused
#: by the bucket policy to every principal but the disposal's role.
PROTECTED_DELETE_ACTIONS = ("s3:DeleteObject", "s3:DeleteObjectVersion")
#: What a function needs of the data key: DynamoDB and S3 (SSE-KMS) reads and writes, SQS sends.
KEY_ACTIONS = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey")
#: What a function needs of the field key (chalicelib/adapters/kms.py): a data key to seal personal fields,
#: and unwrapping one to open them. Nothing else (no Encrypt: values are never sent to KMS).
FIELD_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
#: The tables whose items carry sealed personal fields (chalicelib/privacy/incident.py SEALED_TABLES).
SEALED_TABLES = frozenset({"applications", "stores", "storechanges", "storeimports", "inquiries", "outbox"})

# --- the edge -------------------------------------------------------------------------------------
#: Stage-wide API Gateway throttle. Staff are tens of people; the public form sees ~15,000 stores
#: applying over weeks. 50 requests/s sustained (burst 100) is far above both and far below the
#: account's 10,000/s, so one client cannot starve the region's other APIs or run up the bill.
API_RATE_LIMIT, API_BURST_LIMIT = 50, 100
#: The public write routes (application form, resubmission): a person submits once in minutes.
PUBLIC_WRITE_RATE_LIMIT, PUBLIC_WRITE_BURST_LIMIT = 10, 20
#: WAF rate-based rules, requests per IP per 5 minutes: public routes (a person filling the form
#: loads a handful of pages and lookups; a municipal office NAT may carry a few dozen people) and
#: all routes (a staff member's console makes ~10 calls per screen; offices share one address).
WAF_PUBLIC_LIMIT, WAF_ALL_LIMIT, WAF_WINDOW_S = 300, 3000, 300
#: Managed common rules to count rather than block: usage CSV bodies (up to API Gateway's 10 MB)
#: exceed the rule group's 8 KB body limit; the app enforces its own body limits per route.
WAF_COUNT_ONLY = ("SizeRestrictions_BODY",)
#: Why CDK's template validation may not resolve `RestAPI.Stage` (it runs before the SAM transform).
SAM_STAGE_REF = ("`RestAPI.Stage` is a SAM resource reference to the stage SAM generates for the Chalice API "
                 "(resolved by the AWS::Serverless transform, documented for AWS::ApiGateway::UsagePlan).")



def gateway_responses() -> dict[str, dict[str, Any]]:
    """API Gateway's own answers (gateway responses, in the API's OpenAPI definition so a deployment carries
    them) from chalicelib.web.gateway_answers: the app's Japanese `{"error": …}` body and status (a refused
    token is 401, an unknown route or method 404), the API's security headers, and nothing of the request —
    the stock answer to an unknown route echoes the whole Authorization header, bearer token included."""
    from chalicelib.web.gateway_answers import GATEWAY_ANSWERS, gateway_headers

    responses: dict[str, dict[str, Any]] = {}
    for kind, answer in GATEWAY_ANSWERS.items():
        # Static header values are quoted; the CSP (its own quotes) is left to nosniff + a JSON type here.
        headers = {name: value for name, value in gateway_headers(answer).items()
                   if name not in ("Content-Type", "Content-Security-Policy")}
        response: dict[str, Any] = {
            "responseParameters": {f"gatewayresponse.header.{name}": f"'{value}'" for name, value in headers.items()},
            "responseTemplates": {"application/json": answer.body()},
        }
        if answer.status is not None:
            response["statusCode"] = str(answer.status)
        responses[kind] = response
    return responses

class MiyapoStack(cdk.Stack):
    def __init__(self, scope: Construct, stage: str, *, config: DeployConfig, **kwargs: Any) -> None:
        # The construct id is the Chalice stage name (chalice.cdk uses the scope's path as stage).
        super().__init__(scope, stage, **kwargs)
        self.config = config
        self.prefix = f"miyapo-{config.stage}"

        self.key = kms.Key(
            self, "DataKey", alias=f"alias/{self.prefix}-data", enable_key_rotation=True,
            description="miyapo-ops: data at rest (tables, buckets, app secret, failure queues)",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # A key of its own for personal fields (issue 13): its grants name exactly the functions that read or
        # write sealed tables, and its CloudTrail events are the field decryptions.
        self.field_key = kms.Key(
            self, "FieldKey", alias=f"alias/{self.prefix}-fields", enable_key_rotation=True,
            description="miyapo-ops: per-field envelope encryption of personal data (data keys only)",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.tables = {spec.name: self._table(spec) for spec in TABLES}
        self.access_log_bucket = self._access_log_bucket()
        self.buckets = {spec.name: self._bucket(spec.name, spec.event_bridge, spec.browser_uploads) for spec in BUCKETS}
        self.secret = secretsmanager.Secret(
            self, "AppSecret", secret_name=f"miyapo/{config.stage}/app-secret", encryption_key=self.key,
            description="Signs links and keys the fingerprints of personal data. Never rotate "
                        "automatically: stored fingerprints are keyed with it.",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True,
            ),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self._acknowledge(self.secret, "AwsSolutions-SMG4",
                          "The secret keys the HMAC fingerprints stored for duplicate detection; rotating it "
                          "would orphan every stored fingerprint. Rotation is a planned re-keying, not a schedule.")
        self.mail_identity = ses.EmailIdentity(self, "MailIdentity", identity=ses.Identity.domain(config.mail_domain))
        self.user_pool, self.user_pool_client, self.user_pool_domain = self._user_pool()
        self.alarm_topic = self._alarm_topic()
        self.alarm_action = cw_actions.SnsAction(self.alarm_topic)

        #: logical id -> role, one per function (created before packaging: the stage config names one)
        self.roles = {p.logical_id: self._function_role(p) for p in PROFILES}
        self._protect_settlement_documents()
        self.chalice = Chalice(self, "ChaliceApp", source_dir=str(ROOT), stage_config=self._stage_config())
        self.functions = self._chalice_functions()
        unknown = sorted(set(self.functions) - set(BY_LOGICAL_ID))
        gone = sorted(set(BY_LOGICAL_ID) - set(self.functions))
        if unknown or gone:
            raise ValueError(
                "infra/functions.py and app.py disagree: "
                + (f"functions without a profile (add memory, timeout and access): {unknown}. " if unknown else "")
                + (f"profiles of functions app.py no longer has: {gone}." if gone else "")
            )
        self.failure_queues: dict[str, sqs.Queue] = {}
        for logical_id, function in self.functions.items():
            self._configure_function(BY_LOGICAL_ID[logical_id], function)

        self._filter_upload_events()
        self.api_access_logs = self._api_stage()
        self.web_acl = self._web_acl()
        self._api_alarms()
        self._mail_alarms()
        self._outputs()

    # --- helpers ---------------------------------------------------------------------------------

    @staticmethod
    def _acknowledge(construct: Construct, rule: str, reason: str, plugin: str = "AwsSolutions") -> None:
        """Acknowledge one validation finding (cdk-nag by default) on a construct and its children, with the reason."""
        cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=f"{plugin}::{rule}", reason=reason))

    def _nag_arn(self, service: str, resource: str) -> str:
        """An ARN in the form cdk-nag prints it in a finding id (unresolved parts as <AWS::…>)."""
        region = "<AWS::Region>" if cdk.Token.is_unresolved(self.region) else self.region
        account = "<AWS::AccountId>" if cdk.Token.is_unresolved(self.account) else self.account
        return f"arn:<AWS::Partition>:{service}:{region}:{account}:{resource}"

    def _logical_id(self, construct: Construct) -> str:
        child = construct.node.default_child
        assert isinstance(child, cdk.CfnElement)
        return self.get_logical_id(child)

    def _alarm(self, construct_id: str, name: str, description: str, metric: cloudwatch.IMetric,
               threshold: float = 1) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self, construct_id, alarm_name=f"{self.prefix}-{name}", alarm_description=description,
            metric=metric, threshold=threshold, evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self.alarm_action)
        alarm.add_ok_action(self.alarm_action)
        return alarm

    # --- data stores -----------------------------------------------------------------------------

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        def attr(name: str | None) -> dynamodb.Attribute | None:
            return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING) if name else None

        table = dynamodb.Table(
            self, f"Table{spec.name.title()}",
            table_name=physical_name(self.config.stage, spec.name),
            partition_key=attr(spec.pk),  # type: ignore[arg-type]
            sort_key=attr(spec.sk),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True,
            ),
            deletion_protection=True,
            time_to_live_attribute=spec.ttl,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name, partition_key=attr(index.pk),  # type: ignore[arg-type]
                sort_key=attr(index.sk), projection_type=dynamodb.ProjectionType.ALL,
            )
        cdk.Tags.of(table).add("miyapo:personal-data", "yes" if spec.personal_data else "no")
        return table

    def _access_log_bucket(self) -> s3.Bucket:
        """S3 server access logs of the data buckets (who read or wrote which object, when)."""
        bucket = s3.Bucket(
            self, "BucketAccessLogs",
            bucket_name=f"{self.prefix}-access-logs-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # S3 server access logging cannot deliver to a bucket encrypted with a customer-managed key.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[s3.LifecycleRule(
                expiration=cdk.Duration.days(_retention_days(self.config.log_retention)),
                noncurrent_version_expiration=cdk.Duration.days(30),
            )],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self._acknowledge(bucket, "AwsSolutions-S1",
                          "This is the server-access-log bucket of the data buckets; logging it into itself "
                          "would log every log delivery.")
        return bucket

    def _upload_cors(self) -> list[s3.CorsRule]:
        """The console's browser posts usage exports straight into the bucket (a presigned POST,
        chalicelib/usage/service.py): from the console's origin (PUBLIC_BASE_URL's) only."""
        return [s3.CorsRule(allowed_origins=rule["AllowedOrigins"], allowed_headers=rule["AllowedHeaders"],
                            allowed_methods=[s3.HttpMethods(m) for m in rule["AllowedMethods"]],
                            exposed_headers=rule["ExposeHeaders"], max_age=rule["MaxAgeSeconds"])
                for rule in upload_cors_rules((origin_of(self.config.public_base_url),))]

    def _bucket(self, name: str, event_bridge: bool, browser_uploads: bool = False) -> s3.Bucket:
        bucket = s3.Bucket(
            self, f"Bucket{name.title()}",
            bucket_name=f"{physical_name(self.config.stage, name)}-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=f"{name}/",
            cors=self._upload_cors() if browser_uploads else None,
            # The retention table (chalicelib/privacy/retention.py): per prefix with a time limit, the current
            # version and replaced/deleted versions expire after the kind's period.
            lifecycle_rules=[
                s3.LifecycleRule(
                    id=rule["id"], prefix=rule["prefix"], expiration=cdk.Duration.days(rule["expiration_days"]),
                    noncurrent_version_expiration=cdk.Duration.days(rule["noncurrent_days"]),
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(7),
                )
                for rule in lifecycle_rules(name)
            ] or None,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        if event_bridge:
            # The bucket's own EventBridge switch (CloudFormation property) rather than
            # `event_bridge_enabled`, which adds a custom-resource Lambda with a managed-policy role.
            cfn = bucket.node.default_child
            assert isinstance(cfn, s3.CfnBucket)
            cfn.add_property_override("NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)
        return bucket

    def _protect_settlement_documents(self) -> None:
        """Settlement documents (transfer files, notices, statements: 7(1)チ, SPEC §6.3) cannot be deleted early.

        Instead of S3 Object Lock, which must be enabled when a bucket is created (the deployed documents
        bucket would be replaced, and it is RETAIN with a fixed name) and whose default retention covers a
        whole bucket (this one also holds flyers and reports with other periods): versioning (an overwrite
        keeps the old version), a lifecycle rule that removes a version only after the settlement period, and
        a bucket policy that denies deleting any object or version under these prefixes to every principal —
        administrators included — except the API handler's role, which deletes them only in an
        end-of-contract disposal executed by a second admin (chalicelib/privacy/disposal.py).
        """
        disposer = self.roles[next(p.logical_id for p in PROFILES if p.disposes)]
        for name, bucket in self.buckets.items():
            prefixes = protected_prefixes(name)
            if not prefixes:
                continue
            bucket.add_to_resource_policy(iam.PolicyStatement(
                sid="KeepSettlementDocuments", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
                actions=list(PROTECTED_DELETE_ACTIONS),
                resources=[bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": disposer.role_arn}},
            ))

    # --- staff sign-in ---------------------------------------------------------------------------

    def _user_pool(self) -> tuple[cognito.UserPool, cognito.UserPoolClient, cognito.UserPoolDomain]:
        pool = cognito.UserPool(
            self, "StaffUserPool", user_pool_name=f"{self.prefix}-staff",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            # Staff see bank accounts and approve payments: a second factor (TOTP app) always.
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_lowercase=True, require_uppercase=True, require_digits=True,
                require_symbols=True, temp_password_validity=cdk.Duration.days(3),
            ),
            # Plus tier: compromised-credential checks and adaptive authentication on every sign-in
            # (a few dozen staff users; billed per monthly active user).
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for role in Role:
            pool.add_group(f"Group{role.value.title()}", group_name=role.value,
                           description=f"miyapo-ops staff role: {role.value}")
        client = pool.add_client(
            "StaffClient", user_pool_client_name=f"{self.prefix}-staff",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,  # a browser (public) client: PKCE instead of a secret
            o_auth=cognito.OAuthSettings(
                flows=cognito.OAuthFlows(authorization_code_grant=True, implicit_code_grant=False,
                                         client_credentials=False),
                scopes=[cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
                callback_urls=list(self.config.auth_callback_urls),
                logout_urls=list(self.config.auth_logout_urls),
            ),
            supported_identity_providers=[cognito.UserPoolClientIdentityProvider.COGNITO],
            prevent_user_existence_errors=True,
            enable_token_revocation=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.hours(12),
        )
        domain = pool.add_domain(
            "HostedLogin",
            cognito_domain=cognito.CognitoDomainOptions(
                domain_prefix=self.config.auth_domain_prefix or f"{self.prefix}-{cdk.Aws.ACCOUNT_ID}"),
            managed_login_version=cognito.ManagedLoginVersion.CLASSIC_HOSTED_UI,
        )
        return pool, client, domain

    # --- alarms ----------------------------------------------------------------------------------

    def _alarm_topic(self) -> sns.Topic:
        topic = sns.Topic(self, "AlarmTopic", topic_name=f"{self.prefix}-alarms", enforce_ssl=True)
        topic.add_subscription(subscriptions.EmailSubscription(self.config.alarm_email))
        self._acknowledge(topic, "AwsSolutions-SNS2",
                          "Alarm notices carry alarm names and metric values, no personal data; encrypting the "
                          "topic would mean opening a key policy to CloudWatch for no protected content.")
        return topic

    def _api_alarms(self) -> None:
        api_name = self._api_name()
        dims = {"ApiName": api_name, "Stage": API_STAGE}
        self._alarm(
            "Api5xxAlarm", "api-5xx",
            "API answered 5xx (an unhandled error, a 29 s timeout or a Lambda failure): read the API "
            "handler's log group for the correlation id.",
            cloudwatch.Metric(namespace="AWS/ApiGateway", metric_name="5XXError", statistic="Sum",
                              period=cdk.Duration.minutes(5), dimensions_map=dims),
        )

    def _mail_alarms(self) -> None:
        # SES pauses sending above ~10% bounces / 0.5% complaints; these warn well before.
        for construct_id, name, metric_name, threshold in (
            ("MailBounceAlarm", "mail-bounce-rate", "Reputation.BounceRate", 0.05),
            ("MailComplaintAlarm", "mail-complaint-rate", "Reputation.ComplaintRate", 0.001),
        ):
            self._alarm(
                construct_id, name,
                f"SES {metric_name} of the account at or above {threshold:.1%}: check the addresses in "
                "recent mail (store e-mail typos) before SES pauses sending.",
                cloudwatch.Metric(namespace="AWS/SES", metric_name=metric_name, statistic="Maximum",
                                  period=cdk.Duration.hours(1)),
                threshold=threshold,
            )

    # --- IAM -------------------------------------------------------------------------------------

    def _index_arns(self, name: str) -> list[str]:
        spec = next(t for t in TABLES if t.name == name)
        arn = self.tables[name].table_arn
        return [arn] + [f"{arn}/index/{index.name}" for index in spec.indexes]

    def _function_role(self, profile: Profile) -> iam.Role:
        role = iam.Role(
            self, f"{profile.logical_id}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"miyapo-ops {self.config.stage}: {profile.label} - {profile.why}"[:1000],
        )
        # Every function loads settings, which resolves the app secret (the key grant comes with it).
        self.secret.grant_read(role)
        if profile.reads:
            role.add_to_policy(iam.PolicyStatement(
                actions=list(READ_ACTIONS), resources=[a for n in profile.reads for a in self._index_arns(n)]))
        if profile.writes:
            role.add_to_policy(iam.PolicyStatement(
                actions=[*READ_ACTIONS, *WRITE_ACTIONS],
                resources=[a for n in profile.writes for a in self._index_arns(n)]))
        if profile.audit:
            resources = self._index_arns(AUDIT_TABLE)
            role.add_to_policy(iam.PolicyStatement(actions=list(AUDIT_ACTIONS), resources=resources))
            # Explicit deny, so a broader grant added later cannot make the log editable.
            role.add_to_policy(iam.PolicyStatement(effect=iam.Effect.DENY, actions=list(AUDIT_FORBIDDEN),
                                                   resources=resources))
        objects: dict[str, list[str]] = {}
        for name in profile.bucket_reads:
            objects.setdefault(name, []).append("s3:GetObject")
            role.add_to_policy(iam.PolicyStatement(actions=["s3:ListBucket"],
                                                   resources=[self.buckets[name].bucket_arn]))
        for name in profile.bucket_puts:
            objects.setdefault(name, []).append("s3:PutObject")
        for name, actions in objects.items():
            bucket = self.buckets[name]
            role.add_to_policy(iam.PolicyStatement(actions=actions, resources=[bucket.arn_for_objects("*")]))
            self._acknowledge(role, f"AwsSolutions-IAM5[Resource::<{self._logical_id(bucket)}.Arn>/*]",
                              f"Object keys in the {name} bucket are made by the app (per import, month or "
                              f"report); only {', '.join(actions)} on this one bucket, never DeleteObject.")
        if profile.disposes:
            data = [n for n in self.tables if n != AUDIT_TABLE]
            role.add_to_policy(iam.PolicyStatement(
                actions=list(DISPOSAL_TABLE_ACTIONS), resources=[self.tables[n].table_arn for n in data]))
            role.add_to_policy(iam.PolicyStatement(
                actions=list(DISPOSAL_BUCKET_ACTIONS), resources=[b.bucket_arn for b in self.buckets.values()]))
            for bucket in self.buckets.values():
                role.add_to_policy(iam.PolicyStatement(actions=list(DISPOSAL_OBJECT_ACTIONS),
                                                       resources=[bucket.arn_for_objects("*")]))
        if profile.manages_staff:
            role.add_to_policy(iam.PolicyStatement(actions=list(STAFF_DIRECTORY_ACTIONS),
                                                   resources=[self.user_pool.user_pool_arn]))
        if profile.sends_mail:
            role.add_to_policy(iam.PolicyStatement(
                actions=["ses:SendEmail"],
                resources=[self.format_arn(service="ses", resource="identity", resource_name="*")],
                conditions={"StringLike": {"ses:FromAddress": f"*@{self.config.mail_domain}"}},
            ))
            self._acknowledge(role, f"AwsSolutions-IAM5[Resource::{self._nag_arn('ses', 'identity/*')}]",
                              "SES authorizes the recipient identities too while the account is in the "
                              "sandbox; the sender is pinned to the mail domain by the ses:FromAddress condition.")
        self._grant_keys(role, profile, uses_data_key=bool(
            profile.reads or profile.writes or profile.audit or objects or profile.asynchronous))
        return role

    def _grant_keys(self, role: iam.Role, profile: Profile, *, uses_data_key: bool) -> None:
        if uses_data_key:
            role.add_to_policy(iam.PolicyStatement(actions=list(KEY_ACTIONS), resources=[self.key.key_arn]))
        # Sealing and opening personal fields: only the functions that read or write a sealed table.
        if SEALED_TABLES & {*profile.reads, *profile.writes} or profile.disposes:
            role.add_to_policy(iam.PolicyStatement(actions=list(FIELD_KEY_ACTIONS),
                                                   resources=[self.field_key.key_arn]))

    # --- the Chalice app -------------------------------------------------------------------------

    def _stage_config(self) -> dict[str, object]:
        config = self.config
        env = {spec.env: self.tables[spec.name].table_name for spec in TABLES}
        env.update({spec.env: self.buckets[spec.name].bucket_name for spec in BUCKETS})
        hosted_login = self.user_pool_domain.base_url()
        env.update({
            "STAGE": config.stage,
            "MAIL_FROM": config.mail_from,
            "STAFF_MAILBOX": config.staff_mailbox,
            "PREFECTURE_MAILBOX": config.prefecture_mailbox,
            "PUBLIC_BASE_URL": config.public_base_url,
            # The secret itself never goes into the environment; the functions resolve the ARN.
            "APP_SECRET_ARN": self.secret.secret_arn,
            # chalicelib/settings.py Crypto.field_key_id: the key whose data keys seal personal fields
            "FIELD_KEY_ID": self.field_key.key_arn,
            "JWKS_SOURCE": f"{self.user_pool.user_pool_provider_url}/.well-known/jwks.json",
            "JWT_ISSUER": self.user_pool.user_pool_provider_url,
            # Cognito ID tokens carry the app client id as `aud`; access tokens carry it as `client_id`.
            "JWT_AUDIENCE": self.user_pool_client.user_pool_client_id,
            # Hosted login (authorization code + PKCE) for the console.
            "AUTH_HOSTED_UI_URL": hosted_login,
            "AUTH_CLIENT_ID": self.user_pool_client.user_pool_client_id,
            "AUTH_REDIRECT_URI": config.auth_callback_urls[0],
            "AUTH_LOGOUT_URI": config.auth_logout_urls[0],
            **config.requester.environment(),
        })
        return {
            "environment_variables": env,
            "api_gateway_endpoint_type": "REGIONAL",
            "manage_iam_role": False,
            # Chalice needs one role for all functions; each function's own role replaces it below.
            "iam_role_arn": self.roles["APIHandler"].role_arn,
            # No `log_retention_in_days`: chalice 1.34 packages it with a wrong reference
            # (`${ApiHandler}` for the `APIHandler` function); the stack creates the log groups.
        }

    def _chalice_functions(self) -> dict[str, cdk.CfnResource]:
        """Every Lambda function in the packaged Chalice template, by logical id."""
        return {
            child.node.id: child for child in self.chalice.sam_template.node.children
            if isinstance(child, cdk.CfnResource) and child.cfn_resource_type == "AWS::Serverless::Function"
        }

    def _configure_function(self, profile: Profile, function: cdk.CfnResource) -> None:
        lid, role = profile.logical_id, self.roles[profile.logical_id]
        function.add_property_override("MemorySize", profile.memory_mb)
        function.add_property_override("Timeout", profile.timeout_s)
        if profile.tmp_mb != 512:
            function.add_property_override("EphemeralStorage", {"Size": profile.tmp_mb})
        function.add_property_override("Role", role.role_arn)
        log_group = logs.LogGroup(
            self, f"{lid}LogGroup", log_group_name=f"/aws/lambda/{function.ref}",
            retention=logs.RetentionDays[self.config.log_retention],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        log_group.grant_write(role)
        dims = {"FunctionName": function.ref}
        for metric_name, what in (("Errors", "unhandled exceptions and timeouts"),
                                  ("Throttles", "invocations refused for lack of concurrency")):
            self._alarm(
                f"{lid}{metric_name}", f"{profile.label}-{metric_name.lower()}",
                f"{profile.label}: Lambda {metric_name} ({what}). See README, Deploying (CDK), runbook.",
                cloudwatch.Metric(namespace="AWS/Lambda", metric_name=metric_name, statistic="Sum",
                                  period=cdk.Duration.minutes(5), dimensions_map=dims),
            )
        if profile.asynchronous:
            self._on_failure(profile, function, role)

    def _on_failure(self, profile: Profile, function: cdk.CfnResource, role: iam.Role) -> None:
        """Asynchronous invocations that fail after Lambda's retries land in a queue that someone hears about."""
        queue = sqs.Queue(
            self, f"{profile.logical_id}Failures", queue_name=f"{self.prefix}-{profile.label}-failures",
            encryption=sqs.QueueEncryption.KMS, encryption_master_key=self.key,
            enforce_ssl=True, retention_period=cdk.Duration.days(14),
        )
        self._acknowledge(queue, "AwsSolutions-SQS3",
                          "This queue is itself the end of the line: the on-failure destination of a Lambda "
                          "function, kept 14 days and alarmed on its first visible message.")
        role.add_to_policy(iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[queue.queue_arn]))
        config = lambda_.CfnEventInvokeConfig(
            self, f"{profile.logical_id}InvokeConfig", function_name=function.ref, qualifier="$LATEST",
            # Lambda's default: two retries (1 min, then 2 min later). Every job is an idempotent sweep
            # or a once-only import, so a retry is safe; an event older than 6 h is stale (the next
            # schedule covers it, an import can be re-run from the usage screen).
            maximum_retry_attempts=2, maximum_event_age_in_seconds=6 * 3600,
            destination_config=lambda_.CfnEventInvokeConfig.DestinationConfigProperty(
                on_failure=lambda_.CfnEventInvokeConfig.OnFailureProperty(destination=queue.queue_arn)),
        )
        # The role must be able to send before Lambda accepts the destination.
        config.node.add_dependency(role)
        self.failure_queues[profile.logical_id] = queue
        self._alarm(
            f"{profile.logical_id}FailuresAlarm", f"{profile.label}-failed",
            f"{profile.label}: an invocation failed after all retries and its event is in the queue "
            f"{self.prefix}-{profile.label}-failures. See README, Deploying (CDK), runbook.",
            queue.metric_approximate_number_of_messages_visible(period=cdk.Duration.minutes(5),
                                                                statistic="Maximum"),
        )

    def _filter_upload_events(self) -> None:
        """S3 → EventBridge rules also match the bucket name, not just the key prefix of app.py's pattern."""
        from app import app as chalice_app  # the app is importable: chalice.cdk just packaged it

        buckets = [self.buckets[spec.name].bucket_name for spec in BUCKETS if spec.event_bridge]
        for source in chalice_app.event_sources:
            pattern = getattr(source, "event_pattern", None)
            if not pattern or "aws.s3" not in pattern.get("source", []):
                continue
            lid = chalice_logical_id(source.name)
            self.functions[lid].add_property_override(
                f"Events.{lid}Event.Properties.Pattern.detail.bucket.name", buckets)

    # --- the API edge ----------------------------------------------------------------------------

    def _api_name(self) -> str:
        # Unique per stage, so the API's CloudWatch metrics (ApiName dimension) are this stage's only.
        return f"{APP_NAME}-{self.config.stage}"

    def _public_routes(self) -> list[tuple[str, str]]:
        """(method, path) of every route without the staff authorizer, from the Chalice app."""
        from app import app as chalice_app

        return sorted((method, path) for path, methods in chalice_app.routes.items()
                      for method, entry in methods.items() if entry.authorizer is None and method != "OPTIONS")

    def _api_stage(self) -> logs.LogGroup:
        api = self.chalice.get_resource("RestAPI")
        name = self._api_name()
        api.add_property_override("Name", name)
        api.add_property_override("DefinitionBody.info.title", name)
        access_logs = logs.LogGroup(
            self, "ApiAccessLogs", log_group_name=f"/aws/apigateway/{self.prefix}-access",
            retention=logs.RetentionDays[self.config.log_retention], removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        # No request or response bodies and no path values (signed-link tokens sit in paths):
        # the route template (`resourcePath`) only.
        log_format = {
            "requestId": "$context.requestId", "time": "$context.requestTime", "ip": "$context.identity.sourceIp",
            "method": "$context.httpMethod", "route": "$context.resourcePath", "status": "$context.status",
            "bytes": "$context.responseLength", "latencyMs": "$context.responseLatency",
            "integrationLatencyMs": "$context.integrationLatency", "integrationError": "$context.integrationErrorMessage",
            "authorizerError": "$context.authorizer.error", "user": "$context.authorizer.principalId",
            "waf": "$context.waf.status", "throttled": "$context.error.responseType",
        }
        api.add_property_override("AccessLogSetting", {
            "DestinationArn": self.format_arn(service="logs", resource="log-group",
                                              resource_name=access_logs.log_group_name,
                                              arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME),
            "Format": json.dumps(log_format, separators=(",", ":")),
        })

        def setting(path: str, method: str, rate: int, burst: int) -> dict[str, object]:
            return {"ResourcePath": path, "HttpMethod": method, "ThrottlingRateLimit": rate,
                    "ThrottlingBurstLimit": burst, "MetricsEnabled": True,
                    # Execution logs at ERROR only; never data traces (they would log bodies: personal data).
                    "LoggingLevel": "ERROR", "DataTraceEnabled": False}

        settings = [setting("/*", "*", API_RATE_LIMIT, API_BURST_LIMIT)]
        for method, path in self._public_routes():
            if method in ("POST", "PUT", "PATCH", "DELETE"):
                settings.append(setting("/" + path.replace("/", "~1"), method,
                                        PUBLIC_WRITE_RATE_LIMIT, PUBLIC_WRITE_BURST_LIMIT))
        api.add_property_override("MethodSettings", settings)
        # What API Gateway answers itself (no token, a refused token, an unknown route…): in the app's words.
        api.add_property_override("DefinitionBody.x-amazon-apigateway-gateway-responses", gateway_responses())

        # API Gateway writes execution and access logs through one account-wide (per region) role.
        logging_role = iam.Role(
            self, "ApiGatewayLoggingRole", assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
            description="API Gateway (account setting, this region): writes API execution and access logs",
        )
        logging_role.add_to_policy(iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups",
                     "logs:DescribeLogStreams", "logs:PutLogEvents", "logs:GetLogEvents", "logs:FilterLogEvents"],
            resources=[self.format_arn(service="logs", resource="log-group", resource_name="*",
                                       arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME)],
        ))
        self._acknowledge(logging_role, f"AwsSolutions-IAM5[Resource::{self._nag_arn('logs', 'log-group:*')}]",
                          "API Gateway names its execution log groups itself (API-Gateway-Execution-Logs_<api "
                          "id>/<stage>) and this account-level role serves every API of the region.")
        logging_role.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        account = apigateway.CfnAccount(self, "ApiGatewayAccount", cloud_watch_role_arn=logging_role.role_arn)
        account.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        # The stage must not be created before the account can log (API Gateway refuses the settings).
        api.node.add_dependency(account)

        if self.config.custom_domain:
            domain = apigateway.CfnDomainName(
                self, "ApiDomain", domain_name=self.config.custom_domain,
                regional_certificate_arn=self.config.certificate_arn,
                endpoint_configuration=apigateway.CfnDomainName.EndpointConfigurationProperty(types=["REGIONAL"]),
                security_policy="TLS_1_2",
            )
            mapping = apigateway.CfnBasePathMapping(self, "ApiDomainMapping", domain_name=domain.ref,
                                                    rest_api_id=api.ref, stage=cdk.Fn.ref("RestAPI.Stage"))
            self._acknowledge(mapping, "F1020", SAM_STAGE_REF, plugin="CloudFormation-Validate")
            # Only the custom domain serves the app: links, cookies and the WAF see one host.
            api.add_property_override("DisableExecuteApiEndpoint", True)
            cdk.CfnOutput(self, "ApiDomainTarget", value=domain.attr_regional_domain_name,
                          description=f"CNAME (or alias) target for {self.config.custom_domain}")
        return access_logs

    def _public_path_patterns(self) -> list[str]:
        """Regular expressions (each ≤ 200 characters) matching the public routes' URI paths."""
        alternatives = sorted({
            "/" + "/".join("[^/]+" if part.startswith("{") else part for part in path.strip("/").split("/"))
            if path.strip("/") else "/"
            for _, path in self._public_routes()
        })
        chunks: list[list[str]] = [[]]
        for alt in alternatives:
            if sum(len(a) + 1 for a in chunks[-1]) + len(alt) > 160:
                chunks.append([])
            chunks[-1].append(alt)
        # Through the execute-api host the path starts with the stage; through a custom domain it does not.
        return [f"^(/{API_STAGE})?({'|'.join(chunk)})/?$" for chunk in chunks if chunk]

    def _web_acl(self) -> wafv2.CfnWebACL:
        def visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name=f"{self.prefix}-{name}", sampled_requests_enabled=True)

        path_matches = [
            wafv2.CfnWebACL.StatementProperty(regex_match_statement=wafv2.CfnWebACL.RegexMatchStatementProperty(
                regex_string=pattern, field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="URL_DECODE")],
            ))
            for pattern in self._public_path_patterns()
        ]
        scope_down = path_matches[0] if len(path_matches) == 1 else wafv2.CfnWebACL.StatementProperty(
            or_statement=wafv2.CfnWebACL.OrStatementProperty(statements=path_matches))
        too_many = wafv2.CfnWebACL.RuleActionProperty(block=wafv2.CfnWebACL.BlockActionProperty(
            custom_response=wafv2.CfnWebACL.CustomResponseProperty(response_code=429)))

        def managed(priority: int, name: str, count_only: Iterable[str] = ()) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name, priority=priority, visibility_config=visibility(name),
                override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                statement=wafv2.CfnWebACL.StatementProperty(
                    managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                        vendor_name="AWS", name=name,
                        rule_action_overrides=[
                            wafv2.CfnWebACL.RuleActionOverrideProperty(
                                name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={}))
                            for rule in count_only
                        ] or None,
                    )),
            )

        acl = wafv2.CfnWebACL(
            self, "WebAcl", name=f"{self.prefix}-api", scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("api"),
            description="miyapo-ops API - per-IP rate limits on public and all routes, AWS managed rules",
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="public-routes-rate", priority=0, action=too_many, visibility_config=visibility("public-rate"),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=WAF_PUBLIC_LIMIT, evaluation_window_sec=WAF_WINDOW_S, aggregate_key_type="IP",
                            scope_down_statement=scope_down)),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="all-routes-rate", priority=1, action=too_many, visibility_config=visibility("all-rate"),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            limit=WAF_ALL_LIMIT, evaluation_window_sec=WAF_WINDOW_S, aggregate_key_type="IP")),
                ),
                managed(2, "AWSManagedRulesAmazonIpReputationList"),
                managed(3, "AWSManagedRulesKnownBadInputsRuleSet"),
                managed(4, "AWSManagedRulesCommonRuleSet", WAF_COUNT_ONLY),
            ],
        )
        api = self.chalice.get_resource("RestAPI")
        association = wafv2.CfnWebACLAssociation(
            self, "WebAclAssociation", web_acl_arn=acl.attr_arn,
            # `RestAPI.Stage` is SAM's reference to the stage it creates, so the stage exists first.
            resource_arn=cdk.Fn.join("", [
                "arn:", cdk.Aws.PARTITION, ":apigateway:", cdk.Aws.REGION, "::/restapis/", api.ref,
                "/stages/", cdk.Fn.ref("RestAPI.Stage"),
            ]),
        )
        self._acknowledge(association, "F1020", SAM_STAGE_REF, plugin="CloudFormation-Validate")
        return acl

    # --- outputs ---------------------------------------------------------------------------------

    def _outputs(self) -> None:
        api = self.chalice.get_resource("RestAPI")
        cdk.CfnOutput(self, "ApiUrl", value=(
            f"https://{self.config.custom_domain}" if self.config.custom_domain else
            cdk.Fn.join("", ["https://", api.ref, ".execute-api.", cdk.Aws.REGION, ".", cdk.Aws.URL_SUFFIX,
                             f"/{API_STAGE}"])))
        cdk.CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        cdk.CfnOutput(self, "HostedLoginUrl", value=self.user_pool_domain.base_url())
        cdk.CfnOutput(self, "AppSecretArn", value=self.secret.secret_arn)
        cdk.CfnOutput(self, "AlarmTopicArn", value=self.alarm_topic.topic_arn)
        cdk.CfnOutput(self, "ApiAccessLogGroup", value=self.api_access_logs.log_group_name)
        for name, bucket in self.buckets.items():
            cdk.CfnOutput(self, f"{name.title()}BucketName", value=bucket.bucket_name)
        for lid, queue in self.failure_queues.items():
            cdk.CfnOutput(self, f"{lid}FailureQueueUrl", value=queue.queue_url)
        # DNS records that verify the SES domain (DKIM CNAMEs): add them to the domain's zone.
        identity = self.mail_identity
        for i, (name, value) in enumerate(((identity.dkim_dns_token_name1, identity.dkim_dns_token_value1),
                                           (identity.dkim_dns_token_name2, identity.dkim_dns_token_value2),
                                           (identity.dkim_dns_token_name3, identity.dkim_dns_token_value3)), 1):
            cdk.CfnOutput(self, f"MailDkimRecord{i}", value=cdk.Fn.join(" CNAME ", [name, value]))


def _retention_days(name: str) -> int:
    return {"THREE_MONTHS": 90, "SIX_MONTHS": 180, "ONE_YEAR": 365, "EIGHTEEN_MONTHS": 545, "TWO_YEARS": 731,
            "FIVE_YEARS": 1827, "SEVEN_YEARS": 2557, "TEN_YEARS": 3653}[name]

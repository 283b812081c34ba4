"""The miyapo-ops stack: data stores, key, secret, user pool, mail identity, alarms — and the Chalice app.

Tables and buckets are built from `chalicelib.adapters.resources` (the same definitions the local
stack uses), so a table added there appears here without editing this file.

IAM: `chalice.cdk` passes `stage_config` to Chalice as flat, all-functions parameters (per-function
`lambda_functions` settings are only read from `.chalice/config.json`). So the stack sets
`manage_iam_role: false` with a default role for every function, and then points each known
function's `Role` at its own least-privilege role with a property override on the packaged
template. A function added to app.py later runs with the default (the API handler's) role until it
is given its own entry in `self.roles` (scripts/check_infra.py prints which role each function has).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from chalice.cdk import Chalice
from constructs import Construct

from chalicelib.adapters.resources import BUCKETS, MAIL_DOMAIN, TABLES, TableSpec, physical_name
from chalicelib.auth.roles import Role

ROOT = Path(__file__).resolve().parent.parent

#: Logical ids of the functions in the template `chalice package` writes (see app.py).
API_HANDLER = "APIHandler"
AUTHORIZER = "StaffAuth"
MAIL_SWEEP = "MailSweep"

#: The append-only audit table; the functions read and write every other table.
AUDIT_TABLE = "audit"
READ_WRITE_TABLES = tuple(spec.name for spec in TABLES if spec.name != AUDIT_TABLE)

#: Item access on the read/write tables. No Scan (every request-path read is a GetItem or a Query,
#: see resources.py), no streams, no table management.
DATA_ACTIONS = (
    "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem",
    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem",
)
#: The audit log is append-only: PutItem (also inside TransactWriteItems) and Query, nothing else.
AUDIT_ACTIONS = ("dynamodb:PutItem", "dynamodb:Query")
#: DynamoDB actions an append-only log must never be given (explicitly denied as well).
AUDIT_FORBIDDEN = (
    "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:DeleteTable", "dynamodb:UpdateTable",
)


@dataclass(frozen=True)
class DeploySettings:
    """Deployment settings from CDK context (`-c key=value` or cdk.json), with defaults for synth."""

    stage: str
    mail_from: str
    staff_mailbox: str
    prefecture_mailbox: str
    public_base_url: str
    alarm_email: str | None
    #: a `RetentionDays` member name, e.g. ONE_YEAR
    log_retention: str

    @classmethod
    def from_context(cls, scope: Construct, stage: str) -> DeploySettings:
        def ctx(key: str, default: str | None) -> str | None:
            value = scope.node.try_get_context(key)
            return str(value) if value not in (None, "") else default

        return cls(
            stage=stage,
            mail_from=ctx("mail_from", f"noreply@{MAIL_DOMAIN}") or "",
            staff_mailbox=ctx("staff_mailbox", f"staff@{MAIL_DOMAIN}") or "",
            prefecture_mailbox=ctx("prefecture_mailbox", f"prefecture@{MAIL_DOMAIN}") or "",
            public_base_url=(ctx("public_base_url", f"https://miyapo.{MAIL_DOMAIN}") or "").rstrip("/"),
            alarm_email=ctx("alarm_email", None),
            log_retention=(ctx("log_retention", "ONE_YEAR") or "ONE_YEAR").upper(),
        )


class MiyapoStack(cdk.Stack):
    def __init__(self, scope: Construct, stage: str, *, settings: DeploySettings, **kwargs: object) -> None:
        # The construct id is the Chalice stage name (chalice.cdk uses the scope's path as stage).
        super().__init__(scope, stage, **kwargs)  # type: ignore[arg-type]
        self.settings = settings

        self.key = kms.Key(
            self, "DataKey", alias=f"alias/miyapo-{stage}-data", enable_key_rotation=True,
            description="miyapo-ops: data at rest (tables, buckets, app secret)",
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.tables = {spec.name: self._table(spec) for spec in TABLES}
        self.buckets = {spec.name: self._bucket(spec.name, spec.event_bridge) for spec in BUCKETS}
        self.secret = secretsmanager.Secret(
            self, "AppSecret", secret_name=f"miyapo/{stage}/app-secret", encryption_key=self.key,
            description="Signs links and keys the fingerprints of personal data. Never rotate "
                        "automatically: stored fingerprints are keyed with it.",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=64, exclude_punctuation=True,
            ),
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        self.mail_identity = ses.EmailIdentity(
            self, "MailIdentity", identity=ses.Identity.domain(MAIL_DOMAIN),
        )
        self.user_pool, self.user_pool_client = self._user_pool()

        self.roles = {
            API_HANDLER: self._api_role(),
            AUTHORIZER: self._function_role("AuthorizerRole", "JWT authorizer: settings only, no data"),
            MAIL_SWEEP: self._mail_sweep_role(),
        }
        for role in self.roles.values():
            # Every function loads settings, which resolves the app secret.
            self.secret.grant_read(role)

        self.chalice = Chalice(
            self, "ChaliceApp", source_dir=str(ROOT), stage_config=self._stage_config(),
        )
        #: logical id -> construct id of the role the function runs with
        self.function_roles: dict[str, str] = {}
        for logical_id, function in self._chalice_functions().items():
            role = self.roles.get(logical_id, self.roles[API_HANDLER])
            function.add_property_override("Role", role.role_arn)
            self._log_group(logical_id, function).grant_write(role)
            self.function_roles[logical_id] = role.node.id
        missing = set(self.roles) - set(self.function_roles)
        if missing:
            raise ValueError(f"infra/stack.py names functions the Chalice app no longer has: {sorted(missing)}")

        self._alarms()
        self._outputs()

    # --- data stores -------------------------------------------------------------------------

    def _table(self, spec: TableSpec) -> dynamodb.Table:
        def attr(name: str | None) -> dynamodb.Attribute | None:
            return dynamodb.Attribute(name=name, type=dynamodb.AttributeType.STRING) if name else None

        table = dynamodb.Table(
            self, f"Table{spec.name.title()}",
            table_name=physical_name(self.settings.stage, spec.name),
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

    def _bucket(self, name: str, event_bridge: bool) -> s3.Bucket:
        bucket = s3.Bucket(
            self, f"Bucket{name.title()}",
            bucket_name=f"{physical_name(self.settings.stage, name)}-{cdk.Aws.ACCOUNT_ID}-{cdk.Aws.REGION}",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            event_bridge_enabled=event_bridge,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        return bucket

    def _user_pool(self) -> tuple[cognito.UserPool, cognito.UserPoolClient]:
        pool = cognito.UserPool(
            self, "StaffUserPool", user_pool_name=f"miyapo-{self.settings.stage}-staff",
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(username=True, email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            password_policy=cognito.PasswordPolicy(
                min_length=12, require_lowercase=True, require_uppercase=True, require_digits=True,
                require_symbols=False, temp_password_validity=cdk.Duration.days(3),
            ),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=True,
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        for role in Role:
            pool.add_group(f"Group{role.value.title()}", group_name=role.value,
                           description=f"miyapo-ops staff role: {role.value}")
        client = pool.add_client(
            "StaffClient", user_pool_client_name=f"miyapo-{self.settings.stage}-staff",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            prevent_user_existence_errors=True,
            id_token_validity=cdk.Duration.hours(1),
            access_token_validity=cdk.Duration.hours(1),
            refresh_token_validity=cdk.Duration.hours(12),
        )
        return pool, client

    # --- IAM ---------------------------------------------------------------------------------

    def _function_role(self, construct_id: str, description: str) -> iam.Role:
        role = iam.Role(
            self, construct_id, description=f"miyapo-ops {self.settings.stage}: {description}",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        )
        # Logs: write to its own functions' log groups only (granted in _log_group).
        return role

    def _table_resources(self, name: str) -> list[str]:
        arn = self.tables[name].table_arn
        return [arn, f"{arn}/index/*"]

    def _grant_tables(self, role: iam.Role, names: Iterable[str]) -> None:
        role.add_to_policy(iam.PolicyStatement(
            actions=list(DATA_ACTIONS), resources=[r for name in names for r in self._table_resources(name)],
        ))
        self.key.grant_encrypt_decrypt(role)

    def _grant_audit_append(self, role: iam.Role) -> None:
        resources = self._table_resources(AUDIT_TABLE)
        role.add_to_policy(iam.PolicyStatement(actions=list(AUDIT_ACTIONS), resources=resources))
        # Explicit deny, so a broader grant added later cannot make the log editable.
        role.add_to_policy(iam.PolicyStatement(effect=iam.Effect.DENY, actions=list(AUDIT_FORBIDDEN),
                                               resources=resources))
        self.key.grant_encrypt_decrypt(role)

    def _grant_send_mail(self, role: iam.Role) -> None:
        role.add_to_policy(iam.PolicyStatement(
            actions=["ses:SendEmail"],
            resources=[self.format_arn(service="ses", resource="identity",
                                       resource_name=self.mail_identity.email_identity_name)],
        ))

    def _api_role(self) -> iam.Role:
        """The API handler: every staff and public route (and `POST /jobs/{name}`)."""
        role = self._function_role("ApiHandlerRole", "API handler (and default for new functions)")
        self._grant_tables(role, READ_WRITE_TABLES)
        self._grant_audit_append(role)
        for bucket in self.buckets.values():
            # Read and put; no delete (buckets are versioned and hold records kept by law).
            bucket.grant_read(role)
            bucket.grant_put(role)
        self._grant_send_mail(role)
        return role

    def _mail_sweep_role(self) -> iam.Role:
        role = self._function_role("MailSweepRole", "mail sweep: outbox and SES only")
        self._grant_tables(role, ["outbox"])
        self._grant_send_mail(role)
        return role

    # --- the Chalice app ---------------------------------------------------------------------

    def _stage_config(self) -> dict[str, object]:
        env = {spec.env: self.tables[spec.name].table_name for spec in TABLES}
        env.update({spec.env: self.buckets[spec.name].bucket_name for spec in BUCKETS})
        env.update({
            "STAGE": self.settings.stage,
            "MAIL_FROM": self.settings.mail_from,
            "STAFF_MAILBOX": self.settings.staff_mailbox,
            "PREFECTURE_MAILBOX": self.settings.prefecture_mailbox,
            "PUBLIC_BASE_URL": self.settings.public_base_url,
            # The secret itself never goes into the environment; the functions resolve the ARN.
            "APP_SECRET_ARN": self.secret.secret_arn,
            "JWKS_SOURCE": f"{self.user_pool.user_pool_provider_url}/.well-known/jwks.json",
            "JWT_ISSUER": self.user_pool.user_pool_provider_url,
            # Cognito ID tokens carry the app client id as `aud` (access tokens do not).
            "JWT_AUDIENCE": self.user_pool_client.user_pool_client_id,
        })
        return {
            "environment_variables": env,
            "manage_iam_role": False,
            # Default for any function without its own role below; overridden per function.
            "iam_role_arn": self.roles[API_HANDLER].role_arn,
            # No `log_retention_in_days`: chalice 1.34 packages it with a wrong reference
            # (`${ApiHandler}` for the `APIHandler` function); the stack creates the log groups.
        }

    def _chalice_functions(self) -> dict[str, cdk.CfnResource]:
        """Every Lambda function in the packaged Chalice template, by logical id."""
        return {
            child.node.id: child for child in self.chalice.sam_template.node.children
            if isinstance(child, cdk.CfnResource) and child.cfn_resource_type == "AWS::Serverless::Function"
        }

    def _log_group(self, logical_id: str, function: cdk.CfnResource) -> logs.LogGroup:
        return logs.LogGroup(
            self, f"{logical_id}LogGroup", log_group_name=f"/aws/lambda/{function.ref}",
            retention=logs.RetentionDays[self.settings.log_retention],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    # --- monitoring --------------------------------------------------------------------------

    def _alarms(self) -> None:
        # Alarm notices carry no personal data: the topic is not encrypted with the data key (that
        # would mean opening the key policy to CloudWatch).
        topic = sns.Topic(self, "AlarmTopic", topic_name=f"miyapo-{self.settings.stage}-alarms",
                          enforce_ssl=True)
        if self.settings.alarm_email:
            topic.add_subscription(subscriptions.EmailSubscription(self.settings.alarm_email))
        action = cw_actions.SnsAction(topic)
        for logical_id, label in ((API_HANDLER, "api-handler"), (MAIL_SWEEP, "mail-sweep"),
                                  (AUTHORIZER, "authorizer")):
            errors = cloudwatch.Metric(
                namespace="AWS/Lambda", metric_name="Errors", statistic="Sum",
                period=cdk.Duration.minutes(5),
                dimensions_map={"FunctionName": self.chalice.get_resource(logical_id).ref},
            )
            alarm = cloudwatch.Alarm(
                self, f"{logical_id}Errors", alarm_name=f"miyapo-{self.settings.stage}-{label}-errors",
                alarm_description=f"{label}: Lambda errors (unhandled exceptions / timeouts)",
                metric=errors, threshold=1, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
            alarm.add_alarm_action(action)

    def _outputs(self) -> None:
        cdk.CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        cdk.CfnOutput(self, "UserPoolClientId", value=self.user_pool_client.user_pool_client_id)
        cdk.CfnOutput(self, "AppSecretArn", value=self.secret.secret_arn)
        for name, bucket in self.buckets.items():
            cdk.CfnOutput(self, f"{name.title()}BucketName", value=bucket.bucket_name)
        # DNS records that verify the SES domain (DKIM CNAMEs): add them to the domain's zone.
        identity = self.mail_identity
        for i, (name, value) in enumerate(((identity.dkim_dns_token_name1, identity.dkim_dns_token_value1),
                                           (identity.dkim_dns_token_name2, identity.dkim_dns_token_value2),
                                           (identity.dkim_dns_token_name3, identity.dkim_dns_token_value3)), 1):
            cdk.CfnOutput(self, f"MailDkimRecord{i}", value=cdk.Fn.join(" CNAME ", [name, value]))

"""CDK entry point: `python infra/cdk_app.py` synthesizes offline into infra/cdk.out (no `cdk` CLI needed).

Context (`cdk -c key=value`, the context block of infra/cdk.json, or CDK_CONTEXT_JSON): see
infra/config.py and README "Deploying (CDK)". Every deployable stage needs real mail, URL, bank and
alarm settings; the `local` stage is refused. cdk-nag's AwsSolutions checks run on every synth: a
finding that is not fixed or acknowledged (with its reason, in infra/stack.py) stops the synth.
Named cdk_app.py, not app.py, so it is never confused with the Chalice app.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

INFRA = Path(__file__).resolve().parent
ROOT = INFRA.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
REGION = os.environ.get("CDK_DEFAULT_REGION") or "ap-northeast-1"
# `chalice package` creates a boto3 session (no calls are made; synth stays offline).
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
# chalice.cdk writes its packages to ./chalice.out: keep them under infra/ wherever this is run from.
os.chdir(INFRA)

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.config import ConfigError, DeployConfig  # noqa: E402

#: CDK feature flags this app relies on, set here so `python infra/cdk_app.py` and `cdk deploy` agree.
FEATURE_FLAGS = {
    # S3 server access logs are granted by bucket policy (the log bucket keeps ACLs disabled).
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
}


def main() -> int:
    app = cdk.App(outdir=os.environ.get("CDK_OUTDIR") or str(INFRA / "cdk.out"))
    for flag, value in FEATURE_FLAGS.items():
        app.node.set_context(flag, value)
    try:
        config = DeployConfig.from_context(app.node.try_get_context)
    except ConfigError as exc:
        print(f"miyapo-ops infra: {exc}", file=sys.stderr)
        return 2

    from infra.stack import MiyapoStack  # after validation: it packages the Chalice app

    MiyapoStack(
        app, config.stage, config=config,
        stack_name=f"miyapo-ops-{config.stage}",
        description=f"miyapo-ops ({config.stage}): Chalice app, tables, buckets, KMS key, user pool, SES, WAF, alarms",
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=REGION),
        termination_protection=True,
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())

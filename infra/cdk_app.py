"""CDK entry point: `python infra/cdk_app.py` synthesizes offline into infra/cdk.out (no `cdk` CLI needed).

Context (`cdk -c key=value` or cdk.json): stage (default prod), mail_from, staff_mailbox,
prefecture_mailbox, public_base_url, alarm_email, log_retention (a RetentionDays name, default ONE_YEAR).
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

from infra.stack import DeploySettings, MiyapoStack  # noqa: E402


def main() -> None:
    app = cdk.App(outdir=os.environ.get("CDK_OUTDIR") or str(INFRA / "cdk.out"))
    stage = str(app.node.try_get_context("stage") or "prod")
    MiyapoStack(
        app, stage, settings=DeploySettings.from_context(app, stage),
        stack_name=f"miyapo-ops-{stage}",
        description=f"miyapo-ops ({stage}): Chalice app, tables, buckets, KMS key, user pool, SES, alarms",
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
                            region=REGION),
    )
    app.synth()


if __name__ == "__main__":
    main()

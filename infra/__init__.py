"""Infrastructure as code: the CDK v2 app that deploys miyapo-ops (entry point: infra/cdk_app.py)."""

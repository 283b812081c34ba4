"""`make test-infra`: synthesize the CDK app offline with cdk-nag, lint it strictly, check it, test it.

    .venv-infra/bin/python -m scripts.check_infra      (make test-infra builds that venv)

1. synth `infra/cdk_app.py` with the complete test context (tests/infra/context.json); cdk-nag's
   AwsSolutions pack runs inside the synth and stops it on any finding that is neither fixed nor
   acknowledged with a reason (the acknowledged ones are listed here);
2. cfn-lint on the template: every error fails, there is no list of allowed errors;
3. invariants on the template (encryption, append-only audit, roles, runtime — docs/SPEC.md §6.3);
4. pytest on tests/infra/ against the synthesized template (runtime, sizes, destinations, alarms,
   roles, WAF, throttling, and the app's refusal of placeholder or missing settings).

Needs node (jsii runs the CDK on it). Without node: exit 1 in CI (CI=true), else print SKIPPED and
exit 0. Output goes to infra/cdk.out and infra/chalice.out (both git-ignored, rebuilt each run).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
CDK_OUT = INFRA / "cdk.out"
CHALICE_OUT = INFRA / "chalice.out"
TEST_CONTEXT = ROOT / "tests" / "infra" / "context.json"
SYNTH_TIMEOUT_S = 600
LINT_TIMEOUT_S = 300
TEST_TIMEOUT_S = 600
#: Lambda runtimes the project accepts (docs/SPEC.md §3: Python 3.12 or newer everywhere).
RUNTIMES = ("python3.12", "python3.13")


def fail(message: str) -> int:
    print(f"FAILED: {message}", file=sys.stderr)
    return 1


def node_env(node: str) -> dict[str, str]:
    env = dict(os.environ)
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        version = ""
    major = version.lstrip("v").split(".")[0]
    if major.isdigit():
        # jsii prints an end-of-life banner for old node majors; it is noise for an offline synth.
        env.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", major)
    env.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")
    env.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
    env["CDK_OUTDIR"] = str(CDK_OUT)
    env["CDK_CONTEXT_JSON"] = TEST_CONTEXT.read_text(encoding="utf-8")
    return env


def synth(env: dict[str, str]) -> list[Path]:
    for generated in (CDK_OUT, CHALICE_OUT):
        shutil.rmtree(generated, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, str(INFRA / "cdk_app.py")], cwd=INFRA, env=env,
        capture_output=True, text=True, timeout=SYNTH_TIMEOUT_S,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-12000:] + result.stderr[-8000:])
        if "No module named 'aws_cdk'" in result.stderr:
            print("hint: run through `make test-infra` (the infra tools live in .venv-infra)", file=sys.stderr)
        raise RuntimeError(f"CDK synth exited with {result.returncode} (cdk-nag findings are listed above)")
    templates = sorted(CDK_OUT.glob("*.template.json"))
    if not templates:
        raise RuntimeError(f"CDK synth wrote no template to {CDK_OUT.relative_to(ROOT)}")
    return templates


def nag_report() -> tuple[int, list[str]]:
    """(violations, acknowledged findings with their reasons) from CDK's validation report."""
    path = CDK_OUT / "validation-report.json"
    if not path.exists():
        raise RuntimeError("no validation-report.json: cdk-nag did not run (infra/cdk_app.py adds it)")
    report = json.loads(path.read_text(encoding="utf-8"))
    plugins = [p for p in report.get("pluginReports", []) if p.get("pluginName") == "AwsSolutions"]
    if not plugins:
        raise RuntimeError("the validation report has no AwsSolutions (cdk-nag) section")
    violations = sum(len(v.get("violatingConstructs", [])) for p in plugins for v in p.get("violations", []))
    acknowledged = []
    for p in plugins:
        for v in p.get("suppressedViolations", []):
            where = ", ".join(c["constructPath"] for c in v.get("violatingConstructs", []))
            reason = v.get("acknowledgmentReason") or v.get("reason") or ""
            acknowledged.append(f"{v['ruleName']} at {where}" + (f": {reason}" if reason else ""))
    return violations, acknowledged


def cfn_lint_command() -> list[str]:
    beside = Path(sys.executable).parent / "cfn-lint"
    exe = str(beside) if beside.exists() else shutil.which("cfn-lint")
    if not exe:
        raise RuntimeError("cfn-lint is not installed (pip install -r requirements-infra.txt)")
    return [exe]


def lint(templates: list[Path]) -> tuple[list[str], list[str]]:
    """cfn-lint: (errors, warnings). Every error fails the check; warnings are shown."""
    result = subprocess.run(
        [*cfn_lint_command(), "--format", "json", "--non-zero-exit-code", "error", *map(str, templates)],
        cwd=ROOT, capture_output=True, text=True, timeout=LINT_TIMEOUT_S,
    )
    try:
        matches: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise RuntimeError(f"cfn-lint failed to run (exit {result.returncode})") from None
    errors: list[str] = []
    warnings: list[str] = []
    for m in matches:
        where = "/".join(str(p) for p in m["Location"]["Path"][:2])
        line = f"{m['Rule']['Id']} {where}: {m['Message']}"
        (errors if m["Level"] == "Error" else warnings).append(line)
    if result.returncode != 0 and not errors:
        sys.stderr.write(result.stderr[-4000:])
        raise RuntimeError(f"cfn-lint exited with {result.returncode} without reporting an error")
    return errors, warnings


# --- invariants on the synthesized template (docs/SPEC.md §6.3) -------------------------------

def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def _refers_to(value: Any, logical_id: str) -> bool:
    return logical_id in json.dumps(value)


def invariants(template: dict[str, Any]) -> list[str]:
    from chalicelib.adapters.resources import BUCKETS, TABLES

    problems: list[str] = []
    tables = _resources(template, "AWS::DynamoDB::Table")
    if len(tables) != len(TABLES):
        problems.append(f"{len(tables)} tables in the template, {len(TABLES)} in resources.TABLES")
    for lid, res in tables.items():
        p = res["Properties"]
        if p.get("SSESpecification", {}).get("SSEType") != "KMS" or "KMSMasterKeyId" not in p["SSESpecification"]:
            problems.append(f"table {lid}: not encrypted with the customer-managed key")
        if not p.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"):
            problems.append(f"table {lid}: point-in-time recovery off")
        if not p.get("DeletionProtectionEnabled") or res.get("DeletionPolicy") != "Retain":
            problems.append(f"table {lid}: not protected from deletion")
    problems += _buckets(template, BUCKETS)
    problems += _audit_append_only(template, tables)
    problems += _functions(template, TABLES, BUCKETS)
    return problems


def _buckets(template: dict[str, Any], specs: Any) -> list[str]:
    problems: list[str] = []
    data = {lid for lid in _resources(template, "AWS::S3::Bucket") if "AccessLogs" not in lid}
    if len(data) != len(specs):
        problems.append(f"{len(data)} data buckets in the template, {len(specs)} in resources.BUCKETS")
    policies = _resources(template, "AWS::S3::BucketPolicy")
    for lid, res in _resources(template, "AWS::S3::Bucket").items():
        p = res["Properties"]
        sse = p.get("BucketEncryption", {}).get("ServerSideEncryptionConfiguration", [{}])[0]
        algorithm = sse.get("ServerSideEncryptionByDefault", {}).get("SSEAlgorithm")
        # The access-log bucket is SSE-S3: S3 server access logging cannot write with a customer key.
        if algorithm != ("aws:kms" if lid in data else "AES256"):
            problems.append(f"bucket {lid}: encryption {algorithm!r}")
        if p.get("VersioningConfiguration", {}).get("Status") != "Enabled":
            problems.append(f"bucket {lid}: not versioned")
        block = p.get("PublicAccessBlockConfiguration", {})
        if not all(block.get(k) for k in ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls",
                                          "RestrictPublicBuckets")):
            problems.append(f"bucket {lid}: public access not fully blocked")
        tls = [pol for pol in policies.values() if _refers_to(pol["Properties"]["Bucket"], lid)
               and "aws:SecureTransport" in json.dumps(pol["Properties"]["PolicyDocument"])]
        if not tls:
            problems.append(f"bucket {lid}: TLS not enforced")
    return problems


def _audit_append_only(template: dict[str, Any], tables: dict[str, dict[str, Any]]) -> list[str]:
    audit = [lid for lid, res in tables.items() if res["Properties"].get("TableName", "").endswith("-audit")]
    if len(audit) != 1:
        return ["audit table not found by name"]
    allowed = {"dynamodb:PutItem", "dynamodb:Query"}
    problems = []
    for lid, res in _resources(template, "AWS::IAM::Policy").items():
        for st in res["Properties"]["PolicyDocument"]["Statement"]:
            actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
            if st["Effect"] == "Allow" and _refers_to(st.get("Resource"), audit[0]):
                extra = sorted(set(actions) - allowed)
                if extra:
                    problems.append(f"policy {lid} grants {extra} on the append-only audit table")
    return problems


def _functions(template: dict[str, Any], tables: Any, buckets: Any) -> list[str]:
    roles = _resources(template, "AWS::IAM::Role")
    needed = {t.env for t in tables} | {b.env for b in buckets} | {
        "STAGE", "MAIL_FROM", "STAFF_MAILBOX", "PREFECTURE_MAILBOX", "PUBLIC_BASE_URL",
        "APP_SECRET_ARN", "JWKS_SOURCE", "JWT_ISSUER", "REQUESTER_CODE", "REQUESTER_ACCOUNT_NUMBER",
    }
    problems = []
    used_roles: Counter[str] = Counter()
    for lid, res in _resources(template, "AWS::Serverless::Function").items():
        p = res["Properties"]
        if p.get("Runtime") not in RUNTIMES:
            problems.append(f"function {lid}: runtime {p.get('Runtime')!r}, expected one of {RUNTIMES}")
        role = p.get("Role", {})
        role_id = role.get("Fn::GetAtt", [None])[0] if isinstance(role, dict) else None
        if role_id not in roles:
            problems.append(f"function {lid}: does not run with a role defined in the stack")
        used_roles[str(role_id)] += 1
        env = p.get("Environment", {}).get("Variables", {})
        missing = sorted(needed - set(env))
        if missing:
            problems.append(f"function {lid}: environment lacks {missing}")
        if "APP_SECRET" in env:
            problems.append(f"function {lid}: APP_SECRET in plain environment")
    shared = sorted(r for r, n in used_roles.items() if n > 1)
    if shared:
        problems.append(f"roles shared by several functions: {shared}")
    return problems


def summary(template: dict[str, Any]) -> str:
    counts = Counter(res["Type"] for res in template["Resources"].values())
    width = max(len(t) for t in counts)
    lines = [f"  {'resource type':<{width}}  count", f"  {'-' * width}  -----"]
    lines += [f"  {kind:<{width}}  {n:>5}" for kind, n in sorted(counts.items())]
    lines.append(f"  {'total':<{width}}  {sum(counts.values()):>5}")
    lines.append("")
    lines.append(f"  {'function':<22} {'runtime':<11} {'memory':>7} {'timeout':>8}  role")
    for lid, res in sorted(_resources(template, "AWS::Serverless::Function").items()):
        p = res["Properties"]
        role = p.get("Role")
        role_id = role.get("Fn::GetAtt", ["?"])[0] if isinstance(role, dict) else role
        lines.append(f"  {lid:<22} {p.get('Runtime', '?'):<11} {p.get('MemorySize', '?'):>4} MB "
                     f"{p.get('Timeout', '?'):>6} s  {role_id}")
    return "\n".join(lines)


def run_template_tests(template: Path) -> int:
    env = dict(os.environ, MIYAPO_INFRA_TEMPLATE=str(template))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(ROOT / "tests" / "infra")],
        cwd=ROOT, env=env, timeout=TEST_TIMEOUT_S,
    )
    return result.returncode


def check(templates: list[Path], acknowledged: list[str], synth_s: float) -> int:
    """cfn-lint, invariants and the report; then tests/infra."""
    started = time.monotonic()
    try:
        errors, warnings = lint(templates)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return fail(f"cfn-lint: {exc}")
    lint_s = time.monotonic() - started

    problems: list[str] = []
    for path in templates:
        template = json.loads(path.read_text(encoding="utf-8"))
        print(f"{path.relative_to(ROOT)}:")
        print(summary(template))
        problems += [f"{path.name}: {p}" for p in invariants(template)]

    print(f"\ncdk-nag AwsSolutions: 0 open findings, {len(acknowledged)} acknowledged in infra/stack.py:")
    for line in acknowledged:
        print(f"  - {line}")
    for line in warnings:
        print(f"cfn-lint warning: {line}")
    for line in errors:
        print(f"cfn-lint error: {line}", file=sys.stderr)
    for line in problems:
        print(f"invariant broken: {line}", file=sys.stderr)
    print(f"\nsynth + cdk-nag {synth_s:.1f} s, cfn-lint {lint_s:.1f} s")
    if errors or problems:
        return fail(f"{len(errors)} cfn-lint error(s), {len(problems)} invariant(s) broken")

    started = time.monotonic()
    try:
        tests_rc = run_template_tests(templates[0])
    except subprocess.TimeoutExpired:
        return fail("tests/infra timed out")
    print(f"tests/infra {time.monotonic() - started:.1f} s")
    if tests_rc != 0:
        return fail(f"tests/infra failed (pytest exit {tests_rc})")
    print("OK: synth, cdk-nag, cfn-lint, invariants and tests/infra passed")
    return 0


def main() -> int:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI") == "true":
            return fail("node not found — the CDK synth needs node (CI must install it; see .ci/)")
        print("SKIPPED: node not found — the CDK synth needs node")
        return 0
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))

    started = time.monotonic()
    try:
        templates = synth(node_env(node))
        violations, acknowledged = nag_report()
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        return fail(f"synth: {exc}")
    if violations:
        return fail(f"cdk-nag reported {violations} finding(s) but the synth did not stop")
    return check(templates, acknowledged, time.monotonic() - started)


if __name__ == "__main__":
    sys.exit(main())

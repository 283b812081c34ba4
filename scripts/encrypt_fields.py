"""Seal the personal fields of items written before field encryption (issue 13): `python -m scripts.encrypt_fields`.

Reads every item of the tables that hold personal data, seals what is still plaintext with the stage's
field key (FIELD_KEY_ID, chalicelib/kernel/field_crypto.py) and writes the item back. Idempotent: values
already sealed are left alone and an item with nothing to seal is not written. Prints, per table and
field kind, how many values were sealed now and how many were sealed already — never a value.

Beside a running `make run` it needs no environment (the local stack's, as scripts/localenv.py builds it);
elsewhere the stage's variables (tables, FIELD_KEY_ID) must be set.

Readers open sealed values and pass legacy plaintext through unchanged, so the app keeps working while
this runs. An item changed by the app between the scan and the write-back is skipped (conditional write
on the attributes as read) and reported; run the command again to seal it.

Then the files: every object of the documents bucket under a sealed prefix (chalicelib/adapters/files.py
`SEALED`: transfer files, payment notices, kit hand-offs, disposal certificates) whose current version is
plaintext is written again sealed (a new version, same content type), and the plaintext version is deleted
by its version id. An older plaintext version is deleted when its content is the current content (nothing
is lost); one with other content is kept and counted (`kept`): it is history, decide by hand. In the cloud
the bucket policy lets only the API handler's role delete versions under `settlements/` (infra/stack.py):
run there with another role, a denied deletion is counted as `kept` too. Prints counts per prefix only.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import Any

from chalicelib.kernel.field_crypto import INQUIRY, OUTBOX, PERSONAL, FieldCipher, SealSpec


def specs(settings: Any) -> dict[str, SealSpec]:
    """The tables holding personal data, and which of their attributes are personal."""
    t = settings.tables
    return {t.applications_table: PERSONAL, t.stores_table: PERSONAL, t.storechanges_table: PERSONAL,
            t.storeimports_table: PERSONAL, t.inquiries_table: INQUIRY, t.outbox_table: OUTBOX}


def migrate(cipher: FieldCipher, tables: dict[str, SealSpec]) -> dict[str, dict[str, Counter[str]]]:
    """Seal what is plaintext; per table: {"sealed_now": kind → n, "already": kind → n, "skipped": …}."""
    from botocore.exceptions import ClientError

    from chalicelib.adapters import aws
    from chalicelib.adapters.dynamo import plain

    report: dict[str, dict[str, Counter[str]]] = {}
    for name, spec in tables.items():
        table = aws.table(name)
        key_names = [k["AttributeName"] for k in table.key_schema]
        counts: dict[str, Counter[str]] = {"sealed_now": Counter(), "already": Counter(), "skipped": Counter()}
        kwargs: dict[str, Any] = {"ConsistentRead": True}
        while True:
            page = table.scan(**kwargs)
            for raw in page.get("Items", []):
                item = plain(raw)
                before = spec.count(item)
                todo = {kind: n[1] for kind, n in before.items() if n[1]}
                for kind, n in before.items():
                    counts["already"][kind] += n[0]
                if not todo:
                    continue
                sealed = spec.seal(cipher, item)
                changed = [k for k in item if k not in key_names and sealed[k] != item[k]]
                # Only the attributes that held plaintext are set, and only if they still hold what was read:
                # a change the app made meanwhile is neither lost nor overwritten (skipped, reported).
                names = {f"#a{i}": k for i, k in enumerate(changed)}
                values = {**{f":a{i}": sealed[k] for i, k in enumerate(changed)},
                          **{f":o{i}": raw[k] for i, k in enumerate(changed)}}
                try:
                    table.update_item(
                        Key={k: raw[k] for k in key_names},
                        UpdateExpression="SET " + ", ".join(f"#a{i} = :a{i}" for i in range(len(changed))),
                        ConditionExpression=" AND ".join(f"#a{i} = :o{i}" for i in range(len(changed))),
                        ExpressionAttributeNames=names, ExpressionAttributeValues=values)
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                        raise
                    counts["skipped"].update(todo)
                    continue
                counts["sealed_now"].update(todo)
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        report[name] = counts
    return report


def render(report: dict[str, dict[str, Counter[str]]]) -> str:
    lines = [f"{'table':40} {'field':16} {'sealed now':>10} {'already':>8} {'skipped':>8}"]
    for table, counts in report.items():
        kinds = sorted(set(counts["sealed_now"]) | set(counts["already"]) | set(counts["skipped"]))
        if not kinds:
            lines.append(f"{table:40} {'-':16} {0:>10} {0:>8} {0:>8}")
        for kind in kinds:
            lines.append(f"{table:40} {kind:16} {counts['sealed_now'][kind]:>10} {counts['already'][kind]:>8} "
                         f"{counts['skipped'][kind]:>8}")
    return "\n".join(lines)


OBJECT_COUNTS = ("sealed_now", "already", "removed_plain", "kept")


def seal_objects(files: Any) -> dict[str, Counter[str]]:
    """Seal the plaintext objects of the sealed kinds in `files` (a FileStore with a cipher); per prefix:
    {"sealed_now", "already", "removed_plain", "kept"} (object versions)."""
    from chalicelib.adapters import aws
    from chalicelib.adapters.files import SEALED

    s3 = aws.client("s3")
    report: dict[str, Counter[str]] = {}
    for kind in SEALED:
        counts: Counter[str] = Counter({name: 0 for name in OBJECT_COUNTS})
        for key, found in sorted(_versions(s3, files.bucket, kind.prefix).items()):
            _seal_key(files, s3, key, found, counts)
        report[kind.prefix] = counts
    return report


def _versions(s3: Any, bucket: str, prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Every version and delete marker under `prefix`, by key (markers flagged `marker`)."""
    versions: dict[str, list[dict[str, Any]]] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
        for v in page.get("Versions", []):
            versions.setdefault(v["Key"], []).append(v)
        for m in page.get("DeleteMarkers", []):
            versions.setdefault(m["Key"], []).append({**m, "marker": True})
    return versions


def _seal_key(files: Any, s3: Any, key: str, found: list[dict[str, Any]], counts: Counter[str]) -> None:
    """One key: its current plaintext version written again sealed, then deleted; older plaintext versions
    deleted when they hold the current content, else kept."""
    from chalicelib.kernel.field_crypto import is_sealed_bytes

    current: bytes | None = None
    latest = next((v for v in found if v.get("IsLatest") and not v.get("marker")), None)
    if latest is not None:
        raw = files.get_raw(key, latest["VersionId"])
        if raw is not None and is_sealed_bytes(raw):
            counts["already"] += 1
            current = files.open(key, raw)
        elif raw is not None:
            head = s3.head_object(Bucket=files.bucket, Key=key, VersionId=latest["VersionId"])
            files.put(key, raw, head.get("ContentType") or "application/octet-stream")
            counts["sealed_now"] += 1
            current = raw
            _delete_version(s3, files.bucket, key, latest["VersionId"], counts)
    for v in found:
        if v is latest or v.get("marker"):
            continue
        old = files.get_raw(key, v["VersionId"])
        if old is None or is_sealed_bytes(old):
            continue
        if current is not None and old == current:
            _delete_version(s3, files.bucket, key, v["VersionId"], counts)
        else:
            counts["kept"] += 1


def _delete_version(s3: Any, bucket: str, key: str, version_id: str, counts: Counter[str]) -> None:
    from botocore.exceptions import ClientError

    try:
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version_id)
        counts["removed_plain"] += 1
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("AccessDenied", "AccessDeniedException"):
            raise
        counts["kept"] += 1


def render_objects(report: dict[str, Counter[str]]) -> str:
    lines = [f"{'objects':40} {'sealed now':>10} {'already':>8} {'removed plain versions':>22} {'kept':>6}"]
    for prefix, c in report.items():
        lines.append(f"{prefix:40} {c['sealed_now']:>10} {c['already']:>8} {c['removed_plain']:>22} {c['kept']:>6}")
    return "\n".join(lines)


def main() -> int:
    import os

    if "STAGE" not in os.environ:
        # Run by hand beside `make run`: the local stack's environment (its moto on AWS_PORT, default 4566).
        from scripts import localenv

        localenv.apply(localenv.local_environment(localenv.ROOT / ".local", int(os.environ.get("AWS_PORT", "4566")),
                                                  int(os.environ.get("APP_PORT", "8000"))))
    from chalicelib.deps import get_deps

    deps = get_deps()
    if deps.cipher is None:
        print("FIELD_KEY_ID is not set: nothing to seal with", file=sys.stderr)
        return 2
    report = migrate(deps.cipher, specs(deps.settings))
    print(render(report))
    from chalicelib.adapters.files import FileStore

    print(render_objects(seal_objects(FileStore(deps.settings.buckets.documents_bucket, deps.cipher))))
    skipped = sum(sum(c["skipped"].values()) for c in report.values())
    if skipped:
        print(f"{skipped} values changed while sealing: run again", file=sys.stderr)
    return 1 if skipped else 0


if __name__ == "__main__":
    raise SystemExit(main())

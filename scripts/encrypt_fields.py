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
    skipped = sum(sum(c["skipped"].values()) for c in report.values())
    if skipped:
        print(f"{skipped} values changed while sealing: run again", file=sys.stderr)
    return 1 if skipped else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""End-of-contract disposal (issue 13 point 3; 別記2 第10, SPEC §6.3): two steps by two different admins.

1. `dry_run`: counts, by kind of data (chalicelib/privacy/retention.py) and location, every record that
   would be deleted or anonymized — table items, S3 object versions (old versions and delete markers
   included), uploads, outbox — and what is kept because the law requires it. Recorded as a run.
2. `execute` (a different admin): deletes or anonymizes exactly that. If the data grew since the dry run
   it refuses (a new dry run must list it); a run cut off half-way completes on the next call. Then the
   certificate (certificate.py) is stored, mailed to the prefecture (outbox, deterministic id) and the
   run is marked executed: a second call answers the same certificate and deletes nothing.

Settlement figures survive anonymized: each item of the settlements table keeps its keys, store ids,
amounts, dates and states; names, bank data, contact data and free-text reasons are removed.
Every step is audited with counts only.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.audit.log import Actor, entry
from chalicelib.auth.roles import Principal
from chalicelib.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.mail.outbox import Mail
from chalicelib.privacy.disposal_repository import DisposalRepository, DynamoDisposalRepository
from chalicelib.privacy.retention import BY_KIND, RETENTION, kind_of_object

if TYPE_CHECKING:
    from chalicelib.deps import Deps

#: Attribute names (or parts of them) that carry personal data or free text in settlement items.
PERSONAL_PARTS = ("name", "kana", "bank", "branch", "account", "holder", "mail", "phone", "tel", "address",
                  "owner", "representative", "contact", "reason", "note", "memo", "comment", "payee", "zip")
#: What the settlement table keeps whatever its name says (keys, ids, figures, dates, states).
ALWAYS_KEPT = ("pk", "sk", "store_id", "month", "version", "state", "status")
MAX_EXCEPTIONS = 2000
CERTIFICATE_PREFIX = "privacy/disposal/"


def anonymize(value: Any) -> Any:
    """A settlement item without personal attributes (recursively); ids, amounts and dates stay."""
    if isinstance(value, dict):
        return {k: anonymize(v) for k, v in value.items()
                if k in ALWAYS_KEPT or not any(part in k.lower() for part in PERSONAL_PARTS)}
    if isinstance(value, list):
        return [anonymize(v) for v in value]
    return value


class Inventory(Protocol):
    """Where the data is: every item of a table, every object version of a bucket (admin-only, one-off)."""

    def table_items(self, table: str) -> Iterator[dict[str, Any]]: ...

    def key_of(self, table: str, item: dict[str, Any]) -> dict[str, Any]: ...

    def delete_item(self, table: str, key: dict[str, Any]) -> None: ...

    def replace_item(self, table: str, item: dict[str, Any]) -> None: ...

    def object_versions(self, bucket: str) -> Iterator[dict[str, Any]]: ...

    def delete_version(self, bucket: str, key: str, version_id: str) -> None: ...


@dataclass
class Plan:
    #: kind -> records that go (deleted or anonymized)
    counts: Counter[str] = field(default_factory=Counter)
    #: kind -> records kept because the law or the contract requires it
    kept: Counter[str] = field(default_factory=Counter)
    #: location -> records that go, e.g. "table:stores", "bucket:documents"
    locations: Counter[str] = field(default_factory=Counter)
    actions: list[Callable[[], None]] = field(default_factory=list)


def _table_kind(table: str, item: dict[str, Any]) -> str | None:
    rows = [r for r in RETENTION if r.where == "table" and r.location == table]
    if not rows:
        return None
    if table == "keys" and item.get("pk") == "counter":
        return "counters"
    if table == "applications":
        return "applications_rejected" if item.get("status") == "rejected" else "applications"
    return rows[0].kind


def plan(inventory: Inventory, tables: list[str], buckets: list[str]) -> Plan:
    """What the disposal does, counted (and the actions that do it)."""
    p = Plan()
    for table in tables:
        for item in inventory.table_items(table):
            kind = _table_kind(table, item)
            row = BY_KIND.get(kind or "")
            if row is None or row.at_disposal == "keep":
                p.kept[kind or f"other:{table}"] += 1
                continue
            if row.at_disposal == "anonymize":
                # The figures stay (kept as the law requires); only items that still hold personal data change.
                p.kept["settlement_figures"] += 1
                cleaned = anonymize(item)
                if cleaned == item:
                    continue
                p.counts[row.kind] += 1
                p.locations[f"table:{table}"] += 1
                p.actions.append(functools.partial(inventory.replace_item, table, cleaned))
            else:
                p.counts[row.kind] += 1
                p.locations[f"table:{table}"] += 1
                key = inventory.key_of(table, item)
                p.actions.append(functools.partial(inventory.delete_item, table, key))
    for bucket in buckets:
        for version in inventory.object_versions(bucket):
            row = kind_of_object(bucket, version["key"])
            if row is None or row.at_disposal == "keep":
                p.kept[row.kind if row else f"other:{bucket}"] += 1
                continue
            p.counts[row.kind] += 1
            p.locations[f"bucket:{bucket}"] += 1
            p.actions.append(functools.partial(inventory.delete_version, bucket, version["key"], version["version_id"]))
    return p


def repository(deps: Deps) -> DisposalRepository:
    return DynamoDisposalRepository(deps.settings.tables.privacy_table)


def _inventory(deps: Deps) -> Inventory:
    from chalicelib.privacy.aws_inventory import AwsInventory

    return AwsInventory(deps.settings)


def _scope(deps: Deps) -> tuple[list[str], list[str]]:
    from chalicelib.adapters.resources import BUCKETS, TABLES

    return [t.name for t in TABLES], [b.name for b in BUCKETS]


def _exceptions(body: dict[str, Any]) -> str:
    unknown = set(body) - {"exceptions"}
    if unknown:
        raise InvalidInput("不明な項目があります", {k: "この項目は受け付けていません" for k in unknown})
    text = body.get("exceptions") or ""
    if not isinstance(text, str) or len(text) > MAX_EXCEPTIONS:
        raise InvalidInput("入力内容を確認してください",
                           {"exceptions": f"県が指示した例外は{MAX_EXCEPTIONS}文字以内の文章で入力してください"})
    return text.strip()


def dry_run(deps: Deps, body: dict[str, Any], principal: Principal, now: datetime, *,
            repo: DisposalRepository | None = None, inventory: Inventory | None = None) -> dict[str, Any]:
    exceptions = _exceptions(body)
    repo = repo or repository(deps)
    tables, buckets = _scope(deps)
    p = plan(inventory or _inventory(deps), tables, buckets)
    run_id = f"DR{deps.keys.next_number('disposal'):06d}"
    run = {"run_id": run_id, "state": "dry_run", "dry_run_by": principal.user, "dry_run_at": now.isoformat(),
           "counts": dict(p.counts), "kept": dict(p.kept), "locations": dict(p.locations),
           "exceptions": exceptions}
    repo.create(run)
    deps.audit.append(entry(Actor.of(principal), "privacy.disposal_dry_run", f"disposal#{run_id}", now,
                            detail={"counts": dict(p.counts), "kept": dict(p.kept)}))
    return {"run_id": run_id, "counts": dict(p.counts), "kept": dict(p.kept), "locations": dict(p.locations),
            "exceptions": exceptions}


def _certificate(run: dict[str, Any]) -> dict[str, Any]:
    executed = run["executed"]
    return {"run_id": run["run_id"], "certificate_id": f"DC-{run['run_id']}", "executed_at": executed["at"],
            "executed_by": executed["by"], "dry_run_by": run["dry_run_by"], "dry_run_at": run["dry_run_at"],
            "counts": run["counts"], "kept": run["kept"], "locations": run.get("locations", {}),
            "exceptions": run.get("exceptions", ""),
            "pdf": f"/privacy/disposal/{run['run_id']}/certificate.pdf",
            "mail_id": executed.get("mail_id")}


def execute(deps: Deps, run_id: str, principal: Principal, now: datetime, *,
            repo: DisposalRepository | None = None, inventory: Inventory | None = None) -> dict[str, Any]:
    repo = repo or repository(deps)
    run = repo.get(run_id)
    if run is None:
        raise NotFound("その廃棄のドライランはありません")
    if run["state"] == "executed":
        return {"certificate": _certificate(run)}
    if run["dry_run_by"] == principal.user:
        raise Forbidden("ドライランを行った管理者とは別の管理者が実行してください（二人での確認）")
    tables, buckets = _scope(deps)
    p = plan(inventory or _inventory(deps), tables, buckets)
    listed = Counter({k: int(v) for k, v in run["counts"].items()})
    grown = sorted(k for k, n in p.counts.items() if n > listed.get(k, 0))
    if grown:
        raise Conflict("ドライランの後に廃棄の対象が増えました。ドライランをやり直してください",
                       {"kinds": "、".join(grown)})
    for action in p.actions:
        action()
    mail_id = f"disposal-certificate#{run_id}"
    run["executed"] = {"by": principal.user, "at": now.isoformat(), "mail_id": mail_id,
                       "removed_now": dict(p.counts)}
    run["state"] = "executed"
    certificate = _certificate(run)
    from chalicelib.adapters.files import FileStore
    from chalicelib.privacy.certificate import certificate_pdf, mail_body

    # Under `privacy/`: sealed with the field key (adapters/files.py `SEALED`).
    archive = FileStore(deps.settings.buckets.documents_bucket, getattr(deps, "cipher", None))
    archive.put(f"{CERTIFICATE_PREFIX}{run_id}/certificate.pdf", certificate_pdf(certificate), "application/pdf")
    deps.outbox.add(Mail(mail_id, deps.settings.mail.prefecture_mailbox,
                         f"【みやぎポイント】個人情報の廃棄証明書（{run_id}）", mail_body(certificate),
                         "disposal-certificate"), now)
    repo.mark_executed(run_id, run["executed"])
    deps.audit.append(entry(Actor.of(principal), "privacy.disposal_execute", f"disposal#{run_id}", now,
                            detail={"counts": run["counts"], "removed_now": dict(p.counts)}))
    deps.outbox.deliver([mail_id], deps.sender, now)
    return {"certificate": certificate}


def certificate_file(deps: Deps, run_id: str, principal: Principal, now: datetime, *,
                     repo: DisposalRepository | None = None) -> tuple[str, bytes]:
    from chalicelib.privacy.certificate import certificate_pdf

    run = (repo or repository(deps)).get(run_id)
    if run is None:
        raise NotFound("その廃棄のドライランはありません")
    if run["state"] != "executed":
        raise Conflict("まだ実行されていません。別の管理者が実行すると証明書が発行されます")
    deps.audit.append(entry(Actor.of(principal), "privacy.disposal_certificate", f"disposal#{run_id}", now))
    return f"disposal-certificate-{run_id}.pdf", certificate_pdf(_certificate(run))

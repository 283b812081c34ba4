"""Carried-over stores and the successor table without AWS: reading the prefecture's CSV (UTF-8, BOM, CP932,
line numbers), the application's validation reused, matching and differences, the successor table, and the
service on the twins (upload, confirm once, the store's re-confirmation, the bank-master job's one mail)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.adapters.dynamo import MemoryTx
from chalicelib.applications.repository import InMemoryApplicationRepository
from chalicelib.applications.terms import DECLARATION_TEXT
from chalicelib.auth.roles import Principal, Role
from chalicelib.errors import InvalidInput
from chalicelib.kernel import banks
from chalicelib.mail.outbox import Outbox
from chalicelib.stores import bank_master, carried_over, successors, views
from chalicelib.stores.carried_over_repository import InMemoryCarriedOverRepository
from tests.fakes import Audit, Counters, make_settings

JST = timezone(timedelta(hours=9))
NOW = datetime(2025, 5, 12, 10, 0, tzinfo=JST)
SCREENER = Principal("screener1", frozenset({Role.SCREENER}))
AGENT = Principal("agent1", frozenset({Role.AGENT}))
PREFECTURE = Principal("pref1", frozenset({Role.PREFECTURE}))
HEADER = ("昨年度店舗番号,店舗名,店舗名カナ,代表者名,郵便番号,地域コード,住所,電話番号,メールアドレス,"
          "金融機関コード,支店コード,預金種目,口座番号,口座名義カナ")


def line(previous: str = "MP800001", n: int = 1, **overrides: Any) -> str:
    cells = {"previous": previous, "name": f"継続テスト商店{n}", "kana": "ケイゾクテストショウテン",
             "rep": "継続 花子テスト", "postal": "980-8570", "area": "041017", "address": "仙台市青葉区本町3-8-1",
             "phone": f"022-398-{7200 + n}", "email": f"unit{n}@example.com", "bank": "0125", "branch": "100",
             "type": "普通", "account": f"72000{n:02d}", "holder": "ケイゾク ハナコ"}
    cells.update(overrides)
    return ",".join(cells.values())


def csv_bytes(rows: list[str], encoding: str = "utf-8") -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode(encoding)


# ---- reading the file ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_the_encoding_is_detected_and_the_rows_are_the_same(encoding: str) -> None:
    text, found = carried_over.decode(csv_bytes([line()], encoding))
    assert found == encoding
    rows = carried_over.parse_rows(text)
    assert rows[0][0] == 2 and rows[0][1]["store_name"] == "継続テスト商店1" and rows[0][1]["account_type"] == "普通"


def test_the_digest_ignores_encoding_bom_and_column_order() -> None:
    digests = set()
    for encoding in ("utf-8", "utf-8-sig", "cp932"):
        digests.add(carried_over.digest_of(carried_over.parse_rows(carried_over.decode(csv_bytes([line()], encoding))[0])))
    header = HEADER.split(",")
    cells = line().split(",")
    swapped = ",".join([header[1], header[0], *header[2:]]) + "\r\n" + ",".join([cells[1], cells[0], *cells[2:]])
    digests.add(carried_over.digest_of(carried_over.parse_rows(swapped)))
    assert len(digests) == 1
    assert carried_over.digest_of(carried_over.parse_rows(csv_bytes([line(n=2)]).decode())) not in digests


def test_line_numbers_count_blank_rows_and_quoted_line_breaks() -> None:
    text = HEADER + "\r\n\r\n" + line().replace("仙台市青葉区本町3-8-1", '"仙台市青葉区\r\n本町3-8-1"') + "\r\n" + line(
        "MP800002", 2) + "\r\n"
    rows = carried_over.parse_rows(text)
    assert [n for n, _ in rows] == [3, 5]
    assert rows[0][1]["address"] == "仙台市青葉区\r\n本町3-8-1"


def test_headers_may_use_the_forms_labels_and_a_missing_column_is_named() -> None:
    text = HEADER.replace("店舗名カナ", "店舗名（フリガナ）").replace("口座名義カナ", "口座名義（カナ）") + "\n" + line()
    assert carried_over.parse_rows(text)[0][1]["holder_kana"] == "ケイゾク ハナコ"
    with pytest.raises(InvalidInput) as caught:
        carried_over.parse_rows("昨年度店舗番号,店舗名\nMP800001,店\n")
    assert "店舗名カナ" in caught.value.fields["file"] and "口座番号" in caught.value.fields["file"]


def test_an_undecodable_or_binary_file_is_refused() -> None:
    with pytest.raises(InvalidInput):
        carried_over.decode(b"\x00\x00binary")
    with pytest.raises(InvalidInput):
        carried_over.decode(b"\xef\xbb\xbf\xff\xfe")


# ---- validation is the application's ---------------------------------------------------------------------


def row_of(text: str) -> dict[str, str]:
    return carried_over.parse_rows(HEADER + "\n" + text)[0][1]


def test_a_valid_row_is_normalised_as_an_application() -> None:
    fields, reason, warnings = carried_over.validate_row(row_of(line(holder="ｹｲｿﾞｸ ﾊﾅｺ", phone="０２２-３９８-７２０１")))
    assert reason is None and warnings == [] and fields is not None
    assert fields["municipality_name"] == "仙台市青葉区" and fields["phone"] == "0223987201"
    assert fields["bank"]["bank_name"] == banks.find_bank("0125").name  # type: ignore[union-attr]
    assert fields["bank"]["account_type"] == "1" and "declarations" not in fields and "entity_type" not in fields
    assert fields["previous_store_id"] == "MP800001"


@pytest.mark.parametrize(("overrides", "words"), [
    ({"area": "041009"}, ["区を選んで"]),              # 仙台市 itself: a ward is needed
    ({"area": "131016"}, ["宮城県内の市区町村"]),
    ({"kana": "abc"}, ["店舗名（フリガナ）"]),
    ({"branch": "999"}, ["支店コード"]),
    ({"email": "bad@"}, ["メールアドレス"]),
    ({"postal": "98"}, ["郵便番号"]),
    ({"type": "定期"}, ["預金種目"]),
    ({"previous": ""}, ["昨年度店舗番号"]),
    ({"previous": "X1"}, ["昨年度の店舗ID"]),
])
def test_a_bad_row_is_rejected_with_a_japanese_reason(overrides: dict[str, Any], words: list[str]) -> None:
    fields, reason, _ = carried_over.validate_row(row_of(line(**overrides)))
    assert fields is None and reason
    assert all(w in reason for w in words), reason


def test_a_postal_code_outside_miyagi_is_a_warning_not_a_rejection() -> None:
    fields, reason, warnings = carried_over.validate_row(row_of(line(postal="100-0001")))
    assert fields is not None and reason is None and warnings == ["postal_code_outside_miyagi"]


def test_differences_mask_the_account_number() -> None:
    current = {"store_name": "旧", "phone": "0223987201", "bank": {"account_number": "1111111", "bank_code": "0125"}}
    incoming = {"store_name": "新", "phone": "0223987201", "bank": {"account_number": "2222222", "bank_code": "0125"}}
    found = carried_over.differences(current, incoming)
    assert [d["field"] for d in found] == ["store_name", "bank.account_number"]
    assert found[1]["current"] == "****111" and "2222222" not in json.dumps(found)


# ---- the successor table -----------------------------------------------------------------------------------


def test_the_built_in_table_names_a_bank_that_left_the_master_and_one_that_is_in_it() -> None:
    for entry in successors.BUILT_IN:
        assert banks.find_bank(entry.from_bank) is None, entry
        assert banks.find_bank(entry.to_bank) is not None, entry


def test_michinoku_is_proposed_as_aomori_michinoku_with_the_branch_to_be_checked() -> None:
    proposal = successors.propose_successor("0118", "001", ())
    assert proposal is None
    proposal = successors.propose_successor("0118", "001", successors.BUILT_IN)
    assert proposal is not None
    assert (proposal.bank_code, proposal.branch_code, proposal.branch_rule) == ("0117", None, "unknown")
    assert "青森みちのく" in proposal.bank_name and "通帳" in proposal.text()
    assert successors.propose_successor("0125", "100", successors.BUILT_IN) is None


def test_a_configured_table_maps_branches_or_keeps_them() -> None:
    table = successors.parse_table(json.dumps([
        {"from_bank": "0118", "from_branch": "001", "to_bank": "0117", "to_branch": "010", "note": "統合"},
        {"from_bank": "0118", "to_bank": "0125", "to_branch": "same"},
    ]))
    mapped = successors.propose_successor("0118", "001", table)
    assert mapped is not None and (mapped.bank_code, mapped.branch_code, mapped.branch_rule) == ("0117", "010", "mapped")
    kept = successors.propose_successor("0118", "100", table)
    assert kept is not None and (kept.bank_code, kept.branch_code, kept.branch_rule) == ("0125", "100", "unchanged")
    assert "変わりません" in kept.text()
    gone = successors.propose_successor("0118", "998", table)
    assert gone is not None and gone.branch_code is None and gone.branch_rule == "unknown"
    assert successors.parse_table("") == successors.BUILT_IN


@pytest.mark.parametrize("text", ['{"from_bank": "0118"}', '[{"from_bank": "118", "to_bank": "0117"}]',
                                  '[{"from_bank": "0118", "to_bank": "0117", "to_branch": "x"}]'])
def test_a_malformed_table_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        successors.parse_table(text)


def test_bank_problem_names_the_code_that_left_the_master() -> None:
    assert successors.bank_problem({"bank_code": "0125", "branch_code": "100"}) is None
    assert "0118" in str(successors.bank_problem({"bank_code": "0118", "branch_code": "001"}))
    assert "999" in str(successors.bank_problem({"bank_code": "0125", "branch_code": "999"}))


# ---- the service on the twins --------------------------------------------------------------------------


class MemoryKeys(Counters):
    """Counters, plus keys read from what committed transactions put in the twin's `keys` table."""

    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__()
        self.tables = tables

    def _rows(self) -> list[dict[str, Any]]:
        return self.tables.get(self.table_name, [])

    def get(self, pk: str, sk: str = "-") -> dict[str, Any] | None:
        return next((r for r in self._rows() if r["pk"] == pk and r["sk"] == sk), None)

    def refs(self, pk: str) -> list[str]:
        return sorted({str(r["sk"]) for r in self._rows() if r["pk"] == pk})

    def claim_in(self, tx: Any, pk: str, attrs: dict[str, Any], sk: str = "-") -> None:
        assert isinstance(tx, MemoryTx)
        tx.add(lambda: self.get(pk, sk) is None,
               lambda: self.tables.setdefault(self.table_name, []).append({"pk": pk, "sk": sk, **attrs}))


class Mails(Outbox):
    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__("outbox")
        self.tables = tables
        self.delivered: list[str] = []

    def get(self, mail_id: str) -> dict[str, Any] | None:
        return next((m for m in self.tables.get("outbox", []) if m["mail_id"] == mail_id), None)

    def deliver(self, mail_ids: list[str], sender: Any, now: datetime) -> dict[str, int]:
        self.delivered += mail_ids
        return {"sent": len(mail_ids), "failed": 0, "skipped": 0}


@pytest.fixture
def deps() -> Any:
    imports = InMemoryCarriedOverRepository()
    tables = imports.tables
    applications = InMemoryApplicationRepository()
    applications.tables = tables
    return SimpleNamespace(settings=make_settings(), store_repository=imports.stores,
                           application_repository=applications, carried_over_repository=imports,
                           keys=MemoryKeys(tables), audit=Audit(), outbox=Mails(tables), sender=None)


def written(deps: Any, table: str) -> list[dict[str, Any]]:
    return list(deps.store_repository.tables.get(table, []))


def upload(deps: Any, rows: list[str], encoding: str = "utf-8") -> str:
    answer, _ = carried_over.upload(deps, csv_bytes(rows, encoding), SCREENER, NOW)
    return str(answer["import_id"])


def test_upload_preview_and_confirm_create_each_store_once_with_one_mail(deps: Any) -> None:
    import_id = upload(deps, [line(), line("MP800002", 2), line("MP800003", 3, bank="9999")])
    preview = carried_over.preview(deps, import_id, SCREENER, NOW)
    assert (preview["rows"], preview["new"], preview["matched"]) == (3, 2, 0)
    assert preview["rejected"] == [{"line": 4, "reason": preview["rejected"][0]["reason"]}]
    assert preview["preview"][0]["phone"] == "0223987201"  # a screener sees contact data
    masked = carried_over.preview(deps, import_id, PREFECTURE, NOW)["preview"][0]
    assert masked["phone"] != "0223987201" and masked["bank"]["account_number_masked"] == "****001"
    assert [a["action"] for a in deps.audit.appended] == ["store_import.view", "store_import.view"]

    done = carried_over.confirm(deps, import_id, SCREENER, NOW)
    assert done["stores"] == ["MP000001", "MP000002"] and done["created"] == 2
    store = deps.store_repository.get("MP000001")
    assert store["status"] == "awaiting_reconfirmation" and store["previous_store_id"] == "MP800001"
    assert views.store_view(store, SCREENER)["status_label"] == "継続確認待ち"
    mails = written(deps, "outbox")
    assert sorted(m["mail_id"] for m in mails) == ["carried-over#MP000001", "carried-over#MP000002"]
    assert "/store-reconfirm#t=" in mails[0]["body"] and "継続確認待ち" in mails[0]["body"]

    again = carried_over.confirm(deps, import_id, SCREENER, NOW)
    assert again["stores"] == done["stores"] and again["created"] == 0
    assert len(written(deps, "outbox")) == 2 and len(deps.store_repository.rows) == 2
    # The same rows in another encoding are the same import; a new file naming them matches the stores.
    assert upload(deps, [line(), line("MP800002", 2), line("MP800003", 3, bank="9999")], "cp932") == import_id
    other = upload(deps, [line(address="仙台市青葉区本町1-1-1")])
    preview = carried_over.preview(deps, other, SCREENER, NOW)
    assert preview["matched"] == 1 and preview["preview"][0]["matches"][0]["ref"] == "store#MP000001"
    assert carried_over.confirm(deps, other, SCREENER, NOW)["stores"] == []
    found = carried_over.match_previous(deps.store_repository, "MP800001", keys=deps.keys,
                                        fields={**store, "address": "別"})
    assert found is not None and found["matched"] and found["stores"][0]["store_id"] == "MP000001"
    assert [d["field"] for d in found["stores"][0]["differences"]] == ["address"]
    assert carried_over.match_previous(deps.store_repository, None, keys=deps.keys) is None


def test_an_interrupted_confirmation_is_finished_without_creating_twice(deps: Any) -> None:
    import_id = upload(deps, [line(), line("MP800002", 2)])
    record = deps.carried_over_repository.get(import_id)
    # The first batch was committed, but the import was not marked confirmed (a crash in between).
    carried_over._create_batch(deps, import_id, record["rows"][:1], SCREENER, NOW)
    done = carried_over.confirm(deps, import_id, SCREENER, NOW)
    assert done["stores"] == ["MP000001", "MP000002"] and done["created"] == 1
    assert len(deps.store_repository.rows) == 2 and len(written(deps, "outbox")) == 2


def token_for(deps: Any) -> str:
    return carried_over.make_token(deps.settings.app_secret, "MP000001", NOW)


def test_the_store_confirms_its_pledges_and_corrections_through_its_link(deps: Any) -> None:
    carried_over.confirm(deps, upload(deps, [line()]), SCREENER, NOW)
    token = token_for(deps)
    shown = carried_over.reconfirmation_by_link(deps, {"token": token}, NOW)
    assert shown["state"] == "pending" and shown["declarations"] == [
        {"key": k, "label": v} for k, v in DECLARATION_TEXT.items()]
    with pytest.raises(InvalidInput) as caught:
        carried_over.reconfirmation_by_link(deps, {"token": token, "answer": "confirm",
                                                   "declarations": {"no_antisocial": True}}, NOW)
    assert set(caught.value.fields) == {f"declarations.{k}" for k in DECLARATION_TEXT if k != "no_antisocial"}
    pledges = {k: True for k in DECLARATION_TEXT}
    with pytest.raises(InvalidInput) as caught:
        carried_over.reconfirmation_by_link(deps, {"token": token, "answer": "confirm", "declarations": pledges,
                                                   "contact": {"phone": "12", "store_name": "x"}}, NOW)
    assert set(caught.value.fields) == {"contact.store_name"}
    with pytest.raises(InvalidInput) as caught:
        carried_over.reconfirmation_by_link(deps, {"token": token, "answer": "confirm", "declarations": pledges,
                                                   "contact": {"phone": "12"}}, NOW)
    assert "contact.phone" in caught.value.fields
    assert deps.store_repository.get("MP000001")["status"] == "awaiting_reconfirmation"
    done = carried_over.reconfirmation_by_link(deps, {"token": token, "answer": "confirm", "declarations": pledges,
                                                      "contact": {"phone": "022-398-9999"}}, NOW)
    assert done["state"] == "confirmed" and done["contact"]["phone"] == "0223989999"
    store = deps.store_repository.get("MP000001")
    assert store["status"] == "active" and store["declarations"] == pledges and store["reconfirmed_at"]
    audit = [a for a in written(deps, "audit") if a["action"] == "store.reconfirm"]
    assert audit and audit[0]["detail"]["corrected"] == ["phone"] and "0223989999" not in json.dumps(audit)
    assert carried_over.reconfirmation_by_link(deps, {"token": token, "answer": "confirm",
                                                      "declarations": pledges}, NOW)["state"] == "confirmed"
    assert len([a for a in written(deps, "audit") if a["action"] == "store.reconfirm"]) == 1


def test_a_link_of_another_purpose_or_expired_is_refused(deps: Any) -> None:
    from chalicelib.errors import LinkExpired
    from chalicelib.stores import bank_links

    carried_over.confirm(deps, upload(deps, [line()]), SCREENER, NOW)
    other = bank_links.make_token(deps.settings.app_secret, "MP000001", "BC1", NOW, 5)
    with pytest.raises(InvalidInput):
        carried_over.reconfirmation_by_link(deps, {"token": other}, NOW)
    with pytest.raises(LinkExpired):
        carried_over.reconfirmation_by_link(deps, {"token": token_for(deps)}, NOW + timedelta(days=31))


def test_the_bank_master_job_mails_a_store_once_per_bank_code(deps: Any) -> None:
    carried_over.confirm(deps, upload(deps, [line(), line("MP800002", 2)]), SCREENER, NOW)
    for store_id in ("MP000001", "MP000002"):
        deps.store_repository.rows[store_id]["status"] = "active"
    deps.store_repository.rows["MP000001"]["bank"].update({"bank_code": "0118", "branch_code": "001"})
    first = bank_master.bank_master_check(deps, NOW)
    assert first == {"checked": 2, "problems": 1, "mailed": 1}
    assert bank_master.bank_master_check(deps, NOW + timedelta(days=1))["mailed"] == 0
    mail = next(m for m in written(deps, "outbox") if m["mail_id"] == "bank-master#MP000001#0118")
    assert "0117" in mail["body"] and "/store-change#t=" in mail["body"] and "7200001" not in mail["body"]
    view = views.store_view(deps.store_repository.get("MP000001"), SCREENER)
    assert "0118" in view["bank_problem"] and view["bank_successor"]["bank_code"] == "0117"
    # A later move to another bank that leaves the master is a new code: one more mail.
    deps.store_repository.rows["MP000001"]["bank"].update({"bank_code": "0148"})
    assert bank_master.bank_master_check(deps, NOW)["mailed"] == 1


def test_agents_do_not_upload_through_the_routes() -> None:
    from chalicelib.auth.roles import ROUTE_ROLES
    from chalicelib.routes import carried_over as routes  # noqa: F401  (registers the routes' roles)

    assert ROUTE_ROLES[("/stores/carried-over", "POST")] == frozenset({Role.SCREENER, Role.ADMIN})
    assert AGENT.has_any(ROUTE_ROLES[("/stores/carried-over/{import_id}", "GET")]) is False

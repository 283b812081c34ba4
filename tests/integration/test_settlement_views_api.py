"""What the settlement screen reads beside the round (issue 12 point 10): the names of the round's stores
(`GET /settlements/{month}/stores`), and the round fields the screen decides the approval button from."""

from __future__ import annotations

import json
import re

from chalicelib.settlement.documents import ROUNDING_LABELS
from chalicelib.settlement.four_eyes import NOT_PEOPLE
from chalicelib.settlement.rounds import HOLD_REASONS
from chalicelib.web import pages
from tests.factories import application_body, approve_body
from tests.integration.test_settlement_api import JULY_2, csv_of, upload

PERSONAL = ("representative", "phone", "email", "bank", "holder_kana", "address")


def _store(api, name: str) -> str:
    code, answer = api.call("POST", "/applications", application_body(store_name=name))
    assert code == 201, answer
    code, decided = api.call("POST", f"/applications/{answer['application_id']}/decision", approve_body(),
                             as_="screener")
    assert code == 200, decided
    return str(decided["store_id"])


def _june(api) -> tuple[str, str]:
    a, b = _store(api, "名前表示テスト商店"), _store(api, "やまだ食堂")
    upload(api, csv_of([
        ("N0001", "2025-06-03 10:00:00", a, "x", 1500, "利用"),
        ("N0002", "2025-06-04 10:00:00", b, "x", 2500, "利用"),
        ("N0003", "2025-06-05 10:00:00", "MP999998", "謎の店", 700, "利用"),
    ]))
    code, round_ = api.call("POST", "/settlements/2025-06/draft", {}, as_="accountant", headers=JULY_2)
    assert code == 200, round_
    return a, b


def test_the_round_s_stores_are_named_for_every_role_that_reads_the_round(api):
    a, b = _june(api)
    answers = {}
    for role in ("accountant", "admin", "prefecture"):
        code, answers[role] = api.call("GET", "/settlements/2025-06/stores", as_=role)
        assert code == 200, (role, answers[role])
    names = answers["accountant"]
    assert names == {a: {"store_name": "名前表示テスト商店", "municipality_name": "仙台市青葉区"},
                     b: {"store_name": "やまだ食堂", "municipality_name": "仙台市青葉区"}}
    # The prefecture sees the names unmasked, as in the store list and the statement it downloads.
    assert answers["prefecture"] == answers["admin"] == names
    # The store the master does not know is held as unknown_store and left out (the screen says so).
    code, lines = api.call("GET", "/settlements/2025-06/lines", as_="accountant")
    assert code == 200
    assert {line["store_id"] for line in lines["items"]} == {a, b, "MP999998"}
    assert "MP999998" not in names
    # Nothing about the person behind a store.
    assert not any(key in entry for entry in names.values() for key in PERSONAL)


def test_the_stores_of_a_month_not_drafted_or_malformed_are_refused_plainly(api):
    code, answer = api.call("GET", "/settlements/2025-06/stores", as_="accountant")
    assert code == 404, answer
    assert "作成されていません" in answer["error"]["message"]
    code, answer = api.call("GET", "/settlements/2025-13/stores", as_="accountant")
    assert code == 422 and "month" in answer["error"]["fields"], answer
    for role in ("screener", "agent", "coordinator"):
        assert api.call("GET", "/settlements/2025-06/stores", as_=role)[0] == 403


def test_the_round_carries_what_the_screen_needs_to_show_who_may_approve_and_the_fee(api):
    _june(api)
    code, round_ = api.call("GET", "/settlements/2025-06", as_="accountant2")
    assert code == 200
    assert round_["drafted_by"] == "accountant" and "accountant" in round_["shaped_by"]
    assert round_["fee_base"] == 1500 + 2500 + 700 and round_["fee_rounding"] in ROUNDING_LABELS
    assert "fee_rate" in round_ and "transfer_cost" in round_
    assert {x["reason"] for x in round_["held"]} <= set(HOLD_REASONS)
    # What the screen disables for the drafter, the server refuses (the screen never replaces the check).
    code, refused = api.call("POST", "/settlements/2025-06/approve", {}, as_="accountant", headers=JULY_2)
    assert code == 403, refused


def test_the_labels_module_carries_hold_reasons_rounding_and_who_is_not_a_person(api):
    version = pages.asset_version()
    source = api.client.http.get(f"/static/{version}/labels.js").body.decode("utf-8")
    found = dict(re.findall(r"^export const (\w+) = (.*);$", source, re.M))
    assert json.loads(found["HOLD_REASONS"]) == HOLD_REASONS
    assert json.loads(found["FEE_ROUNDINGS"]) == ROUNDING_LABELS
    assert set(json.loads(found["FOUR_EYES_NOT_PEOPLE"])) == NOT_PEOPLE


def test_the_screen_asks_for_the_names_of_some_stores_only(api):
    a, b = _june(api)
    code, names = api.call("GET", f"/settlements/2025-06/stores?ids={b},MP999998", as_="prefecture")
    assert code == 200, names
    # Only the asked store the master knows; the unknown one is left out, as in the whole round's answer.
    assert names == {b: {"store_name": "やまだ食堂", "municipality_name": "仙台市青葉区"}}
    code, whole = api.call("GET", "/settlements/2025-06/stores", as_="accountant")
    assert code == 200 and set(whole) == {a, b}
    for bad in ("", "MP000001,../x", ",".join(f"MP{i:06d}" for i in range(101))):
        code, answer = api.call("GET", f"/settlements/2025-06/stores?ids={bad}", as_="accountant")
        assert code == 422 and "ids" in answer["error"]["fields"], (bad, answer)
    code, answer = api.call("GET", f"/settlements/2025-07/stores?ids={a}", as_="accountant")
    assert code == 404, answer
    assert api.call("GET", f"/settlements/2025-06/stores?ids={a}", as_="agent")[0] == 403

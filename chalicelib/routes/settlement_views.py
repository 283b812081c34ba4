"""Read-only views the settlement screen needs beside the round itself (issue 12 point 10).

`GET /settlements/{YYYY-MM}/stores` names the stores of a round's lines: `{store_id: {store_name,
municipality_name}}`, read with the stores repository's `by_ids` (one BatchGetItem per 100 ids, no Scan).
A store id the lines carry but the store master does not know (a line held as `unknown_store`) is left out,
and the screen shows it as unregistered. With `?ids=MP000001,MP000002` (at most 100 ids) it names only those
stores: the screen reads the lines a page at a time and asks for the names of the page and of the held lines,
so a round of 1,500 stores is not read whole for each page (the round must exist: 404 as without `ids`).

Who sees what: the same roles as the round (`READ_SETTLEMENT`: accountant, admin, prefecture), names unmasked
for every one of them. A store name and its municipality are what the store shows the public (the app's
store list); they are what `stores.views.list_row` gives every role that may list stores, with nothing
audited, and what the statement the prefecture downloads for the same round prints (店舗名, 市区町村). The
person behind an individual's store (代表者, phone, e-mail, account holder) is never part of this answer.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.deps import get_deps
from chalicelib.errors import InvalidInput
from chalicelib.kernel.lazy import lazy_module
from chalicelib.routes.settlement import READ_SETTLEMENT
from chalicelib.web.http import Ctx, json_response, staff_route

if TYPE_CHECKING:
    from chalicelib.settlement import views as round_views
    from chalicelib.stores import views as store_views
else:
    round_views = lazy_module("chalicelib.settlement.views")
    store_views = lazy_module("chalicelib.stores.views")

bp = Blueprint(__name__)


def store_names(stores: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The public name and municipality of each store, by id (from the store list's row)."""
    rows = {store_id: store_views.list_row(store) for store_id, store in stores.items()}
    return {store_id: {"store_name": row["store_name"], "municipality_name": row["municipality_name"]}
            for store_id, row in sorted(rows.items())}


MAX_IDS = 100
STORE_ID = re.compile(r"^[A-Za-z0-9]{1,20}$")


def _asked_ids(raw: str) -> list[str]:
    ids = sorted({x.strip() for x in raw.split(",") if x.strip()})
    if not ids or len(ids) > MAX_IDS or not all(STORE_ID.match(x) for x in ids):
        raise InvalidInput("店舗IDの指定が正しくありません",
                           {"ids": f"店舗ID（例: MP000001）をカンマ区切りで{MAX_IDS}件まで指定してください"})
    return ids


@staff_route(bp, "/settlements/{month}/stores", roles=READ_SETTLEMENT)
def settlement_store_names(ctx: Ctx, month: str) -> Any:
    deps = get_deps()
    raw = ctx.query("ids")
    if raw is not None:
        ids = _asked_ids(raw)
        round_views.require_round(deps, month)
        return json_response(store_names(deps.store_repository.by_ids(ids)))
    # The round's lines (400 for a malformed month, 404 for a round not drafted), then their stores.
    store_ids = {str(line["store_id"]) for line in round_views.lines_view(deps, month)}
    return json_response(store_names(deps.store_repository.by_ids(sorted(store_ids)) if store_ids else {}))

"""Read-only views the settlement screen needs beside the round itself (issue 12 point 10).

`GET /settlements/{YYYY-MM}/stores` names the stores of a round's lines: `{store_id: {store_name,
municipality_name}}`, read with the stores repository's `by_ids` (one BatchGetItem per 100 ids, no Scan).
A store id the lines carry but the store master does not know (a line held as `unknown_store`) is left out,
and the screen shows it as unregistered.

Who sees what: the same roles as the round (`READ_SETTLEMENT`: accountant, admin, prefecture), names unmasked
for every one of them. A store name and its municipality are what the store shows the public (the app's
store list); they are what `stores.views.list_row` gives every role that may list stores, with nothing
audited, and what the statement the prefecture downloads for the same round prints (店舗名, 市区町村). The
person behind an individual's store (代表者, phone, e-mail, account holder) is never part of this answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice import Blueprint

from chalicelib.deps import get_deps
from chalicelib.kernel.lazy import lazy_module
from chalicelib.routes.settlement import READ_SETTLEMENT
from chalicelib.web.http import Ctx, json_response, staff_route

if TYPE_CHECKING:
    from chalicelib.settlement import service as settlement
    from chalicelib.stores import views as store_views
else:
    settlement = lazy_module("chalicelib.settlement.service")
    store_views = lazy_module("chalicelib.stores.views")

bp = Blueprint(__name__)


def store_names(stores: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """The public name and municipality of each store, by id (from the store list's row)."""
    rows = {store_id: store_views.list_row(store) for store_id, store in stores.items()}
    return {store_id: {"store_name": row["store_name"], "municipality_name": row["municipality_name"]}
            for store_id, row in sorted(rows.items())}


@staff_route(bp, "/settlements/{month}/stores", roles=READ_SETTLEMENT)
def settlement_store_names(ctx: Ctx, month: str) -> Any:
    deps = get_deps()
    # The round's lines (400 for a malformed month, 404 for a round not drafted), then their stores.
    store_ids = {str(line["store_id"]) for line in settlement.lines_view(deps, month)}
    return json_response(store_names(deps.store_repository.by_ids(sorted(store_ids)) if store_ids else {}))

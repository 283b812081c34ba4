"""Settlement rounds, read: the round item and its lines as stored, and the shapes the screen and API show.

Nothing here writes. `get_round` / `require_round` / `round_lines` read what a draft stored (the round
item `round#YYYY-MM` and the lines of its current version); `view` is the round as docs/SPEC.md §8 shows
it, `lines_view` / `lines_page` its lines. `round_totals` is the one place that names the totals a draft
keeps on the round item, the same keys `view` reads back. The writers (draft, approve, reopen, …) live in
chalicelib.settlement.service, which imports these; this module never imports it.
"""

from __future__ import annotations

from typing import Any

from chalicelib.deps import Deps
from chalicelib.errors import Conflict, InvalidInput, NotFound
from chalicelib.kernel import calendars
from chalicelib.settlement.repository import HELD_INDEXED, settlement_store
from chalicelib.settlement.rounds import HOLD_REASONS, RoundFigures


def check_month(month: str) -> str:
    """`month` itself when it is a `YYYY-MM` month (422 otherwise)."""
    try:
        calendars.parse_month(month)
    except (ValueError, TypeError, OverflowError):
        raise InvalidInput("月の指定が正しくありません", {"month": "YYYY-MM の形式で指定してください（例: 2025-06）"}) from None
    return month


def get_round(deps: Deps, month: str) -> dict[str, Any] | None:
    return settlement_store(deps).get_round(month)


def require_round(deps: Deps, month: str) -> dict[str, Any]:
    """The round item of `month` (422 for a malformed month, 404 for a round not drafted)."""
    item = get_round(deps, check_month(month))
    if not item:
        raise NotFound(f"{month} の精算はまだ作成されていません", {"month": "先に下書きを作成してください"})
    return item


def round_lines(deps: Deps, item: dict[str, Any]) -> list[dict[str, Any]]:
    return settlement_store(deps).round_lines(item["month"], int(item["version"]))


def round_totals(figures: RoundFigures) -> dict[str, Any]:
    """The totals a draft keeps on the round item (what `view` shows without reading the lines)."""
    return {
        "usage_total": figures.usage_total, "adjustments_total": figures.adjustments_total,
        "carried_in_total": figures.carried_in_total, "paid_total": figures.paid_total,
        "held_total": figures.held_total, "stores_paid": figures.stores_paid,
        "stores_held": len(figures.held_lines()), "fee": figures.fee, "fee_rate": str(figures.fee_rate),
        "fee_rounding": figures.fee_rounding, "fee_base": figures.fee_base,
        "late_usage_total": figures.late_usage_total,
    }


def view(deps: Deps, item: dict[str, Any], lines: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The round as docs/SPEC.md §8 shows it (plus more)."""
    if lines is None:
        # A round drafted since the held lines are kept apart reads only those; an older one, every line.
        lines = (settlement_store(deps).held_lines(item["month"], int(item["version"])) if item.get(HELD_INDEXED)
                 else round_lines(deps, item))
    held = [{"store_id": line["store_id"], "amount": int(line["carried_out"]), "reason": line["reason"],
             "reason_label": HOLD_REASONS.get(line["reason"] or "", ""),
             **({"note": line["note"]} if line.get("note") else {})}
            for line in lines if line["status"] == "hold"]
    return {
        "month": item["month"], "status": item["status"], "version": item["version"],
        "payment_date": item["payment_date"], "approval_deadline": item.get("approval_deadline"),
        "transfer_date": item.get("transfer_date"),
        "stores_paid": item["stores_paid"], "total_amount": item["paid_total"], "fee": item["fee"],
        "fee_rate": item["fee_rate"], "fee_rounding": item.get("fee_rounding", "down"),
        # A round drafted before the fee base existed charged its month's usage only (kept as approved).
        "fee_base": int(item.get("fee_base", item["usage_total"])),
        "late_usage_total": int(item.get("late_usage_total", 0)), "usage_total": item["usage_total"],
        # The operator's cost, never deducted from a store (None: drafted before it was computed).
        "transfer_cost": int(item["transfer_cost"]) if item.get("transfer_cost") is not None else None,
        "adjustments_total": item["adjustments_total"], "carried_in_total": item["carried_in_total"],
        "held_total": item["held_total"], "held": held,
        "drafted_by": item.get("drafted_by"), "drafted_at": item.get("drafted_at"),
        "shaped_by": item.get("shaped_by", []),
        "approved_by": item.get("approved_by"), "approved_at": item.get("approved_at"),
        "imports": item.get("imports", []), "files": item.get("files", {}),
        "late": bool(item.get("late", False)), "release_error": item.get("release_error"),
        "can_reopen": item["status"] == "approving" and not item.get("files_verified_at"),
    }


def get_view(deps: Deps, month: str) -> dict[str, Any]:
    return view(deps, require_round(deps, month))


LINE_FIELDS = ("store_id", "usage", "adjustments", "late_usage", "carried_in", "paid", "carried_out", "status",
               "reason", "note", "transfer_fee")


def _line_row(line: dict[str, Any]) -> dict[str, Any]:
    return {k: line.get(k) for k in LINE_FIELDS}


def lines_view(deps: Deps, month: str) -> list[dict[str, Any]]:
    item = require_round(deps, month)
    return [_line_row(line) for line in round_lines(deps, item)]


def lines_page(deps: Deps, month: str, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of a round's lines in store order: `{"items", "next_cursor"}`. The cursor names the draft's
    version and the last store shown (`v3.MP000050`); a cursor of an earlier draft is refused (409: the
    round was re-drafted, the screen starts again) rather than mixing two drafts' lines."""
    item = require_round(deps, month)
    version = int(item["version"])
    after = None
    if cursor:
        tag, _, store_id = cursor.partition(".")
        if not tag.startswith("v") or not tag[1:].isdigit() or not store_id.isalnum():
            raise InvalidInput("続きの指定が正しくありません", {"cursor": "前のページの next_cursor を指定してください"})
        if int(tag[1:]) != version:
            raise Conflict("精算案が作り直されました。画面を再読み込みしてください")
        after = store_id
    lines, more = settlement_store(deps).lines_page(month, version, limit, after)
    return {"items": [_line_row(line) for line in lines],
            "next_cursor": f"v{version}.{lines[-1]['store_id']}" if more and lines else None}

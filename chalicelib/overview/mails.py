"""The funds alert mail (pure: the ledger in, subject and body out). Figures only, no personal data."""

from __future__ import annotations

from typing import Any


def funds_alert(threshold: int, book: dict[str, Any]) -> tuple[str, str]:
    subject = f"【みやぎポイント】ポイント利用が計画の {threshold}% に達しました"
    last = book["months"][-1] if book["months"] else None
    lines = [
        "みやぎポイント事務局です。",
        "",
        f"ポイントの累計利用が、計画ポイントの {threshold}% に達しました。",
        "",
        f"  計画ポイント: {book['planned_points']:,} pt",
        f"  累計利用: {book['used_points']:,} pt（計画の {book['share_of_plan']}%）",
        f"  残り: {book['remaining_points']:,} pt",
    ]
    if last:
        lines.append(f"  最新の精算月: {last['month']}（{last['status_label']}、当月の原資 {last['fee_base']:,} pt）")
    lines += [
        "",
        "月別の内訳は事務局コンソールの「概況」画面（原資の台帳）でご確認いただけます。",
        "この通知は各段階（80%・90%・100%）で一度だけお送りしています。",
    ]
    return subject, "\n".join(lines) + "\n"

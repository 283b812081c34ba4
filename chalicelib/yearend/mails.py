"""The year-end pack's mail to the prefecture (pure: the index in, subject and body out). Figures, file
names, sizes and SHA-256 only: no personal data."""

from __future__ import annotations

from typing import Any


def pack_mail(index: dict[str, Any], bucket: str) -> tuple[str, str]:
    t = index["totals"]
    version = f"（第{index['version']}版）" if index["version"] > 1 else ""
    interim = "" if index.get("final", True) else "（中間集計）"
    subject = f"【みやぎポイント】{index['label']} 完了報告データ{interim}をお送りします{version}"
    lines = [
        "宮城県 デジタルみやぎ推進課 御中",
        "",
        "みやぎポイント事務局です。",
        f"{index['label']}（{index['period']['first']}〜{index['period']['last']}）の業務完了報告の電子データを作成し、"
        "下記の場所に格納しました。",
        f"（集計日: {index['as_of']}）" + ("" if index.get("final", True) else
                                           "　年度の途中の集計です。年度終了後に確定版をお送りします。"),
        "",
        "■ 主な数値",
        f"  精算: {t['rounds']} 回（承認済み {t['rounds_approved']} 回）、店舗への支払額合計 {t['paid_total']:,} 円",
        f"  ポイント原資 {t['fee_base']:,} 円、システム手数料 {t['fee']:,} 円、請求額合計 {t['claim']:,} 円",
        f"  計画ポイントに対する累計利用: {t['used_points']:,} / {t['planned_points']:,} pt（{t['share_of_plan']}%）",
        f"  問い合わせ: {t['inquiries']:,} 件（県へのエスカレーション {t['escalations']:,} 件）",
        f"  相談会: 開催 {t['sessions_held']} 回、参加者 {t['attendees']:,} 人、アンケート回答 {t['surveys']:,} 件",
        "",
        f"■ ファイル（s3://{bucket}/{index['prefix']}）",
    ]
    for f in index["files"]:
        lines.append(f"  {f['name']}  {f['title']}  {f['size']:,} バイト")
        lines.append(f"    SHA-256: {f['sha256']}")
    lines += [
        "  index.csv / index.json  索引（上記ファイルのサイズと SHA-256）",
        "",
        "各数値は、これまでに毎月お送りした精算報告・問い合わせ報告・相談会報告と同じ記録から集計しています。",
        "ファイルは事務局コンソールの「報告ファイル一覧」からもダウンロードいただけます。",
    ]
    return subject, "\n".join(lines) + "\n"

"""The e-mails of store applications, in Japanese. Pure functions: data in, (subject, body) out."""

from __future__ import annotations

from typing import Any

OPERATOR = "みやぎポイント事務局"
FOOTER = (
    "\n\n――――――――――――――――――――\n"
    f"{OPERATOR}（宮城県 デジタル身分証アプリ運営支援業務 受託者）\n"
    "コールセンター: 毎日 9:00〜17:30（祝日・年末年始を除く）\n"
    "このメールは送信専用です。お問い合わせはコールセンターまでお願いします。\n"
)


def application_received(application_id: str, data: dict[str, Any]) -> tuple[str, str]:
    subject = f"【みやぎポイント】参加申込を受け付けました（申込番号 {application_id}）"
    body = (
        f"{data['store_name']} ご担当者様\n\n"
        "みやぎポイント参加店舗へのお申し込みありがとうございます。\n"
        "以下の内容で受け付けました。事務局で審査のうえ、結果をメールでお知らせします。\n\n"
        f"申込番号: {application_id}\n"
        f"店舗名: {data['store_name']}\n"
        f"所在地: {data['municipality_name']} {data['address']}\n\n"
        "お問い合わせの際は申込番号をお伝えください。" + FOOTER
    )
    return subject, body


def staff_new_application(application_id: str, data: dict[str, Any], flags: list[str]) -> tuple[str, str]:
    # Staff notices carry ids, not personal data: staff open the console to see the rest.
    subject = f"[miyapo-ops] 新しい参加申込 {application_id}"
    lines = [
        f"申込番号: {application_id}",
        f"市区町村: {data['municipality_name']}",
        f"業種: {data['business_category']}",
    ]
    if flags:
        lines.append("確認事項: " + "、".join(flags))
    body = "新しい参加申込がありました。審査画面で確認してください。\n\n" + "\n".join(lines) + "\n"
    return subject, body


def application_returned(application_id: str, data: dict[str, Any], reason: str, link: str,
                         expires: str) -> tuple[str, str]:
    subject = f"【みやぎポイント】お申し込み内容の修正のお願い（申込番号 {application_id}）"
    body = (
        f"{data['store_name']} ご担当者様\n\n"
        "みやぎポイント参加店舗へのお申し込みについて、内容の確認をお願いしたい点があります。\n\n"
        f"■ 修正をお願いしたい点\n{reason}\n\n"
        "お手数ですが、下記のリンクからお申し込み内容を修正し、再度送信してください。\n"
        f"{link}\n"
        "（リンクが途中で改行されて開けない場合は、末尾までコピーしてブラウザのアドレス欄に貼り付けてください）\n\n"
        f"リンクの有効期限: {expires}\n"
        f"申込番号: {application_id}" + FOOTER
    )
    return subject, body


def application_approved(application_id: str, store_id: str, data: dict[str, Any]) -> tuple[str, str]:
    subject = f"【みやぎポイント】参加店舗として登録しました（店舗ID {store_id}）"
    body = (
        f"{data['store_name']} ご担当者様\n\n"
        "審査の結果、みやぎポイントの参加店舗として登録しました。\n\n"
        f"店舗ID: {store_id}\n"
        f"申込番号: {application_id}\n\n"
        "■ これからの流れ\n"
        "1. 店舗決済用の二次元コード台紙とポスターを郵送します。届きましたらレジ付近に掲示してください。\n"
        "2. 管理コンソールのID・パスワードを別途お知らせします。\n"
        "3. ポイントのご利用分は、毎月末締めで翌月20日（金融機関の休業日の場合は前営業日）に"
        "ご登録の口座へお振り込みします。振込手数料はかかりません。\n\n"
        "■ ご注意\n"
        "有価証券・商品券・ビール券・図書券・切手・官製はがき・印紙・プリペイドカード等の換金性の高いもの、"
        "及びたばこの購入にはポイントを使えません。\n"
        "口座や連絡先が変わった場合はコールセンターまでご連絡ください。" + FOOTER
    )
    return subject, body


def application_rejected(application_id: str, data: dict[str, Any], reason: str) -> tuple[str, str]:
    subject = f"【みやぎポイント】審査結果のお知らせ（申込番号 {application_id}）"
    body = (
        f"{data['store_name']} ご担当者様\n\n"
        "このたびはみやぎポイント参加店舗へお申し込みいただき、誠にありがとうございました。\n"
        "慎重に審査いたしましたが、誠に残念ながら今回は参加店舗として登録することができませんでした。\n\n"
        f"■ 理由\n{reason}\n\n"
        "ご不明な点がございましたら、申込番号を添えてコールセンターまでお問い合わせください。\n"
        f"申込番号: {application_id}" + FOOTER
    )
    return subject, body

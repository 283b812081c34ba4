"""How the audit log screen names what happened (issue 12 point 10): every action in Japanese, the kinds
of subject, and the usual fields of before / after / detail. Served to the console through
`chalicelib.web.pages.labels()`; tests/unit/test_audit_labels.py greps the code for every action name and
fails on any without a label here.
"""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    # applications
    "application.submit": "申込受付",
    "application.resubmit": "申込の再提出",
    "application.view": "申込の閲覧",
    "application.view_bank_account": "申込の口座番号表示",
    "application.approve": "申込の承認",
    "application.return": "申込の差し戻し",
    "application.reject": "申込の不承認",
    "application.refer": "申込を県へ照会",
    "application.prefecture_judgement": "県の判断の記録",
    # stores
    "store.view": "店舗の閲覧",
    "store.view_bank_account": "店舗の口座番号表示",
    "store.change_bank_account": "振込口座の変更",
    "store.confirm_bank_account": "振込口座変更の確認",
    "store.dispute_bank_account": "振込口座変更に「心当たりなし」",
    "store.change_status": "店舗の状態変更",
    "store.bank_master_notice": "金融機関の統廃合のお知らせ",
    "store.change_request": "登録内容の変更依頼",
    "store.change_request_approve": "変更依頼の承認",
    "store.change_request_reject": "変更依頼の却下",
    "store.view_change_request": "変更依頼の閲覧",
    "store.send_change_link": "変更用リンクの送付",
    "store.create_carried_over": "継続店舗の登録",
    "store.reconfirm": "継続店舗の再確認",
    "store_import.upload": "継続店舗リストの取込",
    "store_import.confirm": "継続店舗リストの確定",
    "store_import.view": "継続店舗リストの閲覧",
    # store kit
    "storekit.print_kit": "店舗キットの印刷",
    "storekit.print_kits": "店舗キットの一括印刷",
    "storekit.hand_off": "店舗キットの発送引き渡し",
    "storekit.download_handoff": "引き渡しデータのダウンロード",
    "storekit.download_shipping_list": "発送リストのダウンロード",
    "storekit.provider_answer": "発送業者の回答の記録",
    "storekit.credentials_letter": "ログイン情報通知書の作成",
    "storekit.credentials_letter_refused": "ログイン情報通知書の作成を拒否",
    "storekit.credentials_reissue": "ログイン情報の再発行",
    "storekit.kit_shipped": "店舗キットの発送記録",
    "storekit.kit_returned": "店舗キットの返送記録",
    "storekit.kit_reissue": "店舗キットの再送依頼",
    # usage and settlement
    "usage_import.upload_url": "利用実績のアップロード開始",
    "usage_import.upload": "利用実績のアップロード",
    "usage_import.commit": "利用実績の取込確定",
    "usage_import.rerun": "利用実績の再取込",
    "settlement.draft": "精算の下書き作成",
    "settlement.approve_started": "精算の承認開始",
    "settlement.approve": "精算の承認",
    "settlement.reopen": "精算を下書きへ戻す",
    "settlement.return": "振込不能・組戻しの記録",
    "settlement.adjustment": "精算の調整の登録",
    "settlement.confirm_over_ceiling": "上限超過の支払の確認",
    "settlement.download": "精算帳票のダウンロード",
    "settlement.download_transfer_file": "振込データのダウンロード",
    "settlement.late_notice": "承認遅れのお知らせ",
    "settlement.clear_hold": "保留の確認・解除",
    "settlement.defer": "支払を次回に回す",
    "yearend.pack": "完了報告データの送付",
    # call center
    "inquiry.create": "問い合わせの記録",
    "inquiry.update": "問い合わせの更新",
    "inquiry.view": "問い合わせの閲覧",
    "inquiry.close": "問い合わせの完了",
    "inquiry.escalate": "県へのエスカレーション",
    "inquiry.escalation_notice": "エスカレーションの県への通知",
    "inquiry.prefecture_answer": "県の回答の記録",
    "inquiry.daily_report": "問い合わせ日報の送付",
    "inquiry.monthly_report": "問い合わせ月報の送付",
    "inquiry.monthly_export": "問い合わせ月報の出力",
    # consultation sessions
    "session.create": "相談会の登録",
    "session.edit": "相談会の変更",
    "session.cancel": "相談会の中止",
    "session.attendance": "相談会の参加者数の記録",
    "session.survey_staff": "アンケートの入力（紙）",
    "session.survey_public": "アンケートの回答（Web）",
    "session.manual_upload": "操作マニュアルの登録",
    "session.proposals": "改善提案の記録",
    "session.monthly_report": "相談会報告の送付",
    "session.report_export": "相談会報告の出力",
    "session.coverage_warning": "未計画地域の警告",
    "session.announce_to_stores": "相談会の店舗へのお知らせ",
    # the prefecture's view
    "funds.alert": "ポイント原資の到達通知",
    "funds.claim_download": "原資・手数料の請求書のダウンロード",
    "report.download": "報告ファイルのダウンロード",
    # staff and jobs
    "staff.sign_in": "ログイン",
    "staff.invite": "担当者の招待",
    "staff.change_role": "担当者の役割の変更",
    "staff.disable": "担当者の無効化",
    "staff.record_training": "個人情報保護研修の受講記録",
    # personal data protection (issue 13)
    "privacy.incident_export": "漏えい等の調査結果の出力",
    "privacy.audit_view": "個人情報の操作記録の閲覧（県）",
    "privacy.access_report": "個人情報アクセス月報の送付",
    "privacy.access_report_export": "個人情報アクセス月報の出力",
    "privacy.disposal_dry_run": "個人情報の廃棄（ドライラン）",
    "privacy.disposal_execute": "個人情報の廃棄の実行（二人目の管理者）",
    "privacy.disposal_certificate": "廃棄証明書の出力",
    "job.run": "ジョブの手動実行",
    # the audit log itself
    "audit.export": "監査ログのCSV出力",
}

#: Actions whose name the code builds from a variable (`f"application.{decision.action}"`): their parts.
DYNAMIC_ACTIONS: dict[str, tuple[str, ...]] = {
    "application.": ("approve", "return", "reject", "refer"),
    "storekit.": ("kit_shipped", "kit_returned", "kit_reissue"),
    "session.survey_": ("staff", "public"),
}

SUBJECT_KINDS: dict[str, str] = {
    "application": "申込", "store": "店舗", "settlement": "精算", "usage_import": "利用実績の取込",
    "inquiry": "問い合わせ", "session": "相談会", "staff": "担当者", "job": "ジョブ", "funds": "ポイント原資",
    "report": "報告ファイル", "privacy": "個人情報保護", "disposal": "個人情報の廃棄", "store_import": "継続店舗リスト", "storekit": "店舗キット", "change": "変更依頼", "yearend": "完了報告データ",
    "audit": "監査ログ",
}

#: The kinds of action the audit log filters by (`kind=`): personal data (chalicelib/privacy/incident.py
#: PERSONAL_ACTIONS) or an area, the part of the action's name before the dot.
PERSONAL_KIND = "personal"
ACTION_KINDS: dict[str, str] = {
    PERSONAL_KIND: "個人情報の閲覧・出力・取込", "application": "申込", "store": "店舗", "store_import": "継続店舗リスト",
    "storekit": "店舗キット", "usage_import": "利用実績の取込", "settlement": "精算", "yearend": "完了報告データ",
    "inquiry": "問い合わせ", "session": "相談会", "funds": "ポイント原資", "report": "報告ファイル",
    "staff": "担当者", "privacy": "個人情報保護", "job": "ジョブ", "audit": "監査ログ",
}

#: The usual keys of before / after / detail; others are shown as they are.
FIELD_LABELS: dict[str, str] = {
    "status": "状態", "reason": "理由", "version": "版", "month": "対象月", "amount": "金額", "store_id": "店舗ID",
    "application_id": "申込番号", "import_id": "取込番号", "adjustment_id": "調整番号", "change_id": "変更番号",
    "request_id": "依頼番号", "answer_id": "回答番号", "batch_id": "一括番号", "mail_id": "メールID",
    "account": "口座番号（伏字）", "bank_code": "金融機関コード", "branch_code": "支店コード", "fields": "項目",
    "files": "ファイル", "key": "ファイル", "filename": "ファイル名", "format": "形式", "rows": "行数",
    "bytes": "サイズ（バイト）", "size": "サイズ（バイト）", "total": "合計", "stores": "店舗数", "line": "行",
    "paid_total": "支払額合計", "held_total": "保留額合計", "stores_paid": "支払店舗数", "shaped_by": "関与者",
    "decision": "判断", "checks": "チェック項目", "question": "照会内容", "via": "経路", "expires_in": "有効期間（秒）",
    "expires_at": "有効期限", "due": "期限", "notice_due": "通知予定", "notice_skipped": "通知の省略",
    "immediate": "即時", "encoding": "文字コード", "created": "作成", "skipped": "省略", "missing": "不足",
    "crowding": "偏り", "state": "状態", "result": "結果", "how": "方法", "length": "長さ", "pages": "ページ数",
    "revision": "改訂", "all": "すべて", "entered_by": "入力者", "confirmed_by": "確認者", "claim": "請求額",
    "previous_store_id": "前年度の店舗ID", "password": "パスワード", "thresholds": "到達した段階（%）",
    "used_points": "累計利用ポイント", "share_of_plan": "計画に対する割合（%）", "mails": "メール数",
    "name": "名前", "job": "ジョブ", "now": "基準日時", "category": "分類", "channel": "受付方法",
    "caller_type": "相談者の区分", "summary": "概要", "answer": "回答", "session_id": "相談会番号",
    "attendees": "参加者数", "venue": "会場", "area_code": "地域", "starts_at": "開始", "ends_at": "終了",
    "usage_total": "利用ポイント", "fee": "手数料", "transfer_date": "振込日",
    "date": "日付", "from": "開始日", "to": "終了日", "subject": "対象", "q": "検索語", "actor": "担当者",
    "kind": "種類", "scope": "範囲", "touch": "情報の種類・操作",
}

SECTION_LABELS: dict[str, str] = {"before": "変更前", "after": "変更後", "detail": "内容"}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action, action)


def all_actions() -> set[str]:
    """Every action this table names, dynamic ones expanded."""
    return set(ACTION_LABELS) | {prefix + part for prefix, parts in DYNAMIC_ACTIONS.items() for part in parts}

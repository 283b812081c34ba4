"""What a store pledges and what points may not pay for, written once.

The quotes are the prefecture's specification word for word (docs/reference/prefecture-specification-ja.txt,
7(1)ニ①②, full-width digits and all): the form, the 参加規約 page (/terms), the approval mail and the
screener's checklist all show these strings, and tests/unit/test_lookup_terms.py checks each against the
specification's text. The declarations are the applicant's first-person pledges built from them; their
keys are the acceptance contract's (docs/SPEC.md §8) and their labels reach the screens through the
generated labels module (web/pages.py `labels()`, DECLARATIONS).
"""

from __future__ import annotations

#: 7(1)ニ① — facilities and stores that cannot take part.
SPEC_EXCLUDED_STORES = (
    "暴力団等反社会勢力との関係を有する施設、風俗営業等の規制及び業務の適正化等に関する法律（昭和２３年法律第１２２号。"
    "以下「風営法」という。）第２条第５項に該当する店舗、その他本事業の趣旨及び目的から適切ではないと県が判断した施設は"
    "対象外とする。"
)
#: 7(1)ニ② — what points are for, and what they may not pay for.
SPEC_EXCLUDED_GOODS = (
    "みやぎポイント利用の対象は、県内に所在する施設の商品・サービス等とする。ただし、有価証券、商品券、ビール券、図書券、"
    "官製はがき、印紙、プリペイドカード等の換金性の高いもの、①に規定する店舗の営業に係る支払い、その他本事業の趣旨及び目的"
    "から適切ではないと発注者が判断したものを除く。"
)
#: 7(1)ニ② (なお書き) — tobacco.
SPEC_TOBACCO = (
    "なお、たばこは、たばこ事業法（昭和５９年法律第６８号）第３６条に係る定価外販売に該当することから、本事業の対象から除外する"
    "（たばこを販売する施設が、それ以外のサービスのみをポイントの対象として、事業に参加することは差し支えない）。"
)
#: The excluded goods as the specification lists them (a part of SPEC_EXCLUDED_GOODS).
EXCLUDED_GOODS = "有価証券、商品券、ビール券、図書券、官製はがき、印紙、プリペイドカード等の換金性の高いもの"
#: "①に規定する店舗の営業に係る支払い", with ① spelled out for a reader who has not seen the specification.
EXCLUDED_PAYMENTS = "風営法第２条第５項に該当する店舗の営業に係る支払い"

#: The pledges of the form (keys: docs/SPEC.md §8), in the specification's words.
DECLARATION_TEXT: dict[str, str] = {
    "no_antisocial": "暴力団等反社会勢力との関係を有する施設ではありません",
    "not_adult_business": "風営法（風俗営業等の規制及び業務の適正化等に関する法律）第２条第５項に該当する店舗ではありません",
    "no_excluded_goods": (
        f"{EXCLUDED_GOODS}、{EXCLUDED_PAYMENTS}、その他本事業の趣旨及び目的から適切ではないと県が判断したもの、"
        "及びたばこには、みやぎポイントを利用させません"
    ),
    "accepts_terms": "参加規約と個人情報の取扱いに同意します",
}

#: The screener's checklist item on excluded goods (applications/screening.py CHECKLIST["excluded_goods"]).
CHECKLIST_EXCLUDED_GOODS = f"{EXCLUDED_GOODS}、{EXCLUDED_PAYMENTS}及びたばこを対象外とする"

#: One line for store mails (the approval mail's 「ご注意」).
MAIL_EXCLUDED_GOODS = f"{EXCLUDED_GOODS}、{EXCLUDED_PAYMENTS}、及びたばこにはポイントを使えません。"

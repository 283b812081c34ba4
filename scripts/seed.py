"""Demo data for the local stack: a few applications in the screening queue (fictional people)."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.applications import service
from chalicelib.clock import JST
from chalicelib.deps import get_deps

DEMO = [
    ("青葉珈琲店", "アオバコーヒーテン", "individual", "041017", "980-0811", "仙台市青葉区一番町1-1-1",
     "022-000-0001", "demo-aoba@example.com", "飲食", "コーヒー・軽食", "0125", "100", "ｱｵﾊﾞ ﾀﾛｳ"),
    ("株式会社石巻鮮魚", "イシノマキセンギョ", "corporation", "042021", "986-0000", "石巻市中央1-2-3",
     "0225-00-0002", "demo-fish@example.com", "小売", "鮮魚・水産加工品", "0125", "100", "株式会社イシノマキセンギヨ"),
    ("なるこ温泉宿", "ナルコオンセンヤド", "corporation", "042153", "989-6800", "大崎市鳴子温泉字湯元1",
     "0229-00-0003", "demo-onsen@example.com", "宿泊", "宿泊・日帰り入浴", "0125", "100", "ﾕ)ﾅﾙｺｵﾝｾﾝ"),
]


def seed_demo() -> list[str]:
    deps = get_deps()
    now = datetime.now(JST) - timedelta(hours=3)
    ids = []
    for i, row in enumerate(DEMO):
        (name, kana, entity, muni, postal, addr, phone, email, cat, goods, bank, branch, holder) = row
        app_id, _ = service.submit(deps, {
            "store_name": name, "store_name_kana": kana, "entity_type": entity, "representative": "宮城 太郎",
            "postal_code": postal, "municipality_code": muni, "address": addr, "phone": phone, "email": email,
            "business_category": cat, "goods": goods,
            "declarations": {"no_antisocial": True, "not_adult_business": True, "no_excluded_goods": True,
                             "accepts_terms": True},
            "bank": {"bank_code": bank, "branch_code": branch, "account_type": "1",
                     "account_number": f"{1234560 + i:07d}", "holder_kana": holder},
            "client_token": f"demo-seed-{i:04d}",
        }, now + timedelta(minutes=i))
        ids.append(app_id)
    return ids

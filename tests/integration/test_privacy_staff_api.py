"""Issue 13 points 4–6 through the API: the incident query and its report files, the prefecture's view of
the audit log, the monthly access report (exactly once), staff users and roles, and the training gate."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from chalicelib.auth.local_users import active_users
from tests.factories import application_body

OCT_15 = {"X-Miyapo-Now": "2026-10-15T10:00:00+09:00"}
WINDOW = "from=2026-10-15T00:00:00%2B09:00&to=2026-10-16T00:00:00%2B09:00"


def new_application(api: Any) -> tuple[str, dict[str, Any]]:
    body = application_body()
    code, answer = api.call("POST", "/applications", body, headers=OCT_15)
    assert code == 201, answer
    return answer["application_id"], body


def revealed_by_screener(api: Any) -> tuple[str, str]:
    app_id, body = new_application(api)
    code, answer = api.call("GET", f"/applications/{app_id}/bank-account", as_="screener", headers=OCT_15)
    assert code == 200, answer
    return app_id, body["bank"]["account_number"]


def token_for(aws_server: Any, user: str, role: str) -> str:
    return aws_server[1]["_issuer"].token(user, [role])


def test_the_incident_query_names_kinds_persons_records_and_who(api):
    app_id, number = revealed_by_screener(api)
    api.call("GET", f"/applications/{app_id}", as_="screener", headers=OCT_15)
    for role in ("prefecture", "admin"):
        code, found = api.call("GET", f"/privacy/incident?{WINDOW}", as_=role)
        assert code == 200, found
        assert "bank_account" in found["kinds"] and "contact" in found["kinds"]
        assert found["persons"] == 1 and found["records"] == 2
        # the application's contact and bank account are sealed per field in the applications table
        assert found["encrypted"] is True and found["encryption"]["at_rest"] is True
        assert [w["user"] for w in found["accessed_by"]] == ["screener"]
        assert any(s["name"] == "applications" for s in found["stored_in"])
        assert number not in str(found)
    code, _ = api.call("GET", f"/privacy/incident?{WINDOW}", as_="agent")
    assert code == 403
    code, none = api.call("GET", f"/privacy/incident?{WINDOW}&actor=accountant", as_="admin")
    assert code == 200 and none["persons"] == 0 and none["kinds"] == []
    code, bad = api.call("GET", "/privacy/incident?from=yesterday&to=2026-10-16&store_id=XX", as_="admin")
    assert code == 422 and {"from", "store_id"} <= set(bad["error"]["fields"])


def test_the_incident_report_files_are_audited(api):
    revealed_by_screener(api)
    for fmt, magic in (("csv", b"\xef\xbb\xbf"), ("xlsx", b"PK"), ("pdf", b"%PDF")):
        resp = api.client.http.get(f"/privacy/incident/report?{WINDOW}&format={fmt}",
                                   headers={"Authorization": f"Bearer {api.tokens['prefecture']}", "Accept": "*/*"})
        assert resp.status_code == 200 and resp.body.startswith(magic), (fmt, resp.body[:300])
    text = api.client.http.get(f"/privacy/incident/report?{WINDOW}&format=csv",
                               headers={"Authorization": f"Bearer {api.tokens['admin']}", "Accept": "*/*"}).body.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    items = {r[0]: r[1] for r in rows if len(r) == 2}
    assert items["人数"].startswith("1人") and items["暗号化の有無"].startswith("あり")
    assert "口座情報" in items["漏えい等の対象（個人情報の種類）"] and "screener" in items["アクセス者"]
    _, audit = api.call("GET", "/audit?subject=privacy%23incident", as_="admin")
    assert {e["detail"]["format"] for e in audit["items"]} == {"csv", "xlsx", "pdf"}


def test_the_prefecture_reads_the_audit_log_of_personal_data_only(api):
    revealed_by_screener(api)
    code, found = api.call("GET", "/privacy/audit?from=2026-10-15&to=2026-10-15", as_="prefecture")
    assert code == 200
    actions = {i["action"] for i in found["items"]}
    assert "application.view_bank_account" in actions and "application.submit" not in actions
    code, reveals = api.call("GET", "/privacy/audit?from=2026-10-15&to=2026-10-15&kind=reveal", as_="prefecture")
    assert {i["action"] for i in reveals["items"]} == {"application.view_bank_account"}
    assert api.call("GET", "/privacy/audit?from=2026-10-15&to=2026-10-15", as_="agent")[0] == 403
    assert api.call("GET", "/privacy/audit?from=2026-10-15&to=2026-12-15", as_="admin")[0] == 422


def test_the_access_report_is_delivered_once_to_s3_and_by_mail(api, deps):
    revealed_by_screener(api)
    job_now = {"now": "2026-11-02T08:40:00+09:00"}
    assert api.call("POST", "/jobs/access-report", job_now, as_="agent")[0] == 403
    code, first = api.call("POST", "/jobs/access-report", job_now, as_="admin")
    assert code == 200, first
    assert "2026-10" in first["delivered"]
    code, second = api.call("POST", "/jobs/access-report", job_now, as_="admin")
    assert code == 200 and second["delivered"] == []
    from chalicelib.adapters import aws

    body = aws.client("s3").get_object(Bucket=deps.settings.buckets.documents_bucket,
                                       Key="prefecture/access-reports/2026-10.csv")["Body"].read().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    screener = next(r for r in rows if r[0] == "screener")
    assert screener[3] == "1"  # one reveal
    mails = [m for m in api.mail() if "個人情報アクセス月報（2026年10月）" in str(m.get("subject", m))]
    assert len(mails) == 2
    code, report = api.call("GET", "/privacy/access-report?month=2026-10", as_="prefecture")
    assert code == 200 and report["delivered_at"] and report["rows"][0]["user"] == "screener"


def test_without_a_training_record_a_reveal_is_refused_until_one_is_recorded(api, aws_server):
    app_id, body = new_application(api)
    number = body["bank"]["account_number"]
    newbie = token_for(aws_server, "newbie", "screener")
    code, refused = api.call("GET", f"/applications/{app_id}/bank-account", as_=newbie, headers=OCT_15)
    assert code == 403 and "個人情報保護研修の受講記録がない" in refused["error"]["message"]
    assert number not in str(refused)
    code, invited = api.call("POST", "/staff", {"user": "newbie", "email": "newbie@example.jp", "role": "screener"},
                             as_="admin", headers=OCT_15)
    assert code == 201, invited
    training = {"fiscal_year": 2026, "completed_on": "2026-10-01", "course": "個人情報保護研修（令和8年度）"}
    assert api.call("POST", "/staff/newbie/training", training, as_="screener")[0] == 403
    code, recorded = api.call("POST", "/staff/newbie/training", training, as_="admin", headers=OCT_15)
    assert code == 201, recorded
    code, revealed = api.call("GET", f"/applications/{app_id}/bank-account", as_=newbie, headers=OCT_15)
    assert code == 200 and revealed["account_number"] == number
    code, register = api.call("GET", "/staff/training?fiscal_year=2026", as_="admin")
    assert code == 200 and any(r["user"] == "newbie" for r in register["records"])
    code, bad = api.call("POST", "/staff/newbie/training", {"fiscal_year": 2026, "completed_on": "2027-05-01",
                                                             "course": ""}, as_="admin", headers=OCT_15)
    assert code == 422 and {"completed_on", "course"} <= set(bad["error"]["fields"])


def test_invite_role_change_and_disable_are_audited_and_reach_the_local_sign_in(api, deps):
    jwks = Path(deps.settings.auth.jwks_source)
    code, _ = api.call("POST", "/staff", {"user": "tanaka", "email": "tanaka@example.jp", "role": "agent"},
                       as_="admin")
    assert code == 201
    assert api.call("POST", "/staff", {"user": "tanaka", "email": "t@example.jp", "role": "agent"},
                    as_="admin")[0] == 409
    assert active_users(jwks)["tanaka"] == "agent"
    code, _ = api.call("POST", "/staff/tanaka/role", {"role": "screener"}, as_="admin")
    assert code == 200 and active_users(jwks)["tanaka"] == "screener"
    code, _ = api.call("POST", "/staff/tanaka/disable", as_="admin")
    assert code == 200 and "tanaka" not in active_users(jwks)
    assert api.call("POST", "/staff/admin/role", {"role": "agent"}, as_="admin")[0] == 403
    assert api.call("POST", "/staff/nobody/disable", as_="admin")[0] == 404
    _, audit = api.call("GET", "/audit?subject=staff%23tanaka", as_="admin")
    assert [e["action"] for e in reversed(audit["items"])] == ["staff.invite", "staff.change_role", "staff.disable"]
    assert "tanaka@example.jp" not in str(audit["items"])
    code, listing = api.call("GET", "/staff", as_="admin")
    row = next(u for u in listing["users"] if u["user"] == "tanaka")
    assert row["enabled"] is False and row["role"] == "screener"
    assert next(u for u in listing["users"] if u["user"] == "screener")["trained"] is True
    assert api.call("GET", "/staff", as_="prefecture")[0] == 403

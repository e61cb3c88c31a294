"""Pages and API through the app: an applicant's claim, the reviewer queue, approval, finance, public pages."""

from __future__ import annotations

from lishui.core.tabular import write_csv
from lishui.funds import payments
from lishui.funds.models import Claim
from tests.factories import csrf, login
from tests.funds.conftest import M22_FACTS, PDF, YEAR


def _enterprise_account(world):
    f = world.factory
    org = f.org(division="331102", bank_account="6228480012345678901", tags=["ecommerce_trading"])
    f.facts(org, YEAR, **M22_FACTS, recognised_fair=True, fair_organised_by_commerce=False, booth_fee="20000",
            image_display_fee="0")
    return f.account("enterprise_user", org_id=org)


def test_applicant_journey_through_pages(world, client, app):
    account = _enterprise_account(world)
    login(client, account)
    page = client.get(f"/funds/apply?year={YEAR}&measure=M22")
    assert page.status_code == 200
    assert "10,000.00" in page.text and "网络零售额增长奖励" in page.text  # the engine's live estimate
    # Online retail comes from accepted statistics: an applicant cannot type over it.
    ignored = client.get(f"/funds/apply/estimate?year={YEAR}&measure=M22&f_online_retail=30000000")
    assert "10,000.00" in ignored.text and "20,000.00" not in ignored.text
    live = client.get(f"/funds/apply/estimate?year={YEAR}&measure=M16&f_booth_fee=30000")
    assert "15,000.00" in live.text  # half the booth fee typed in (a self-organised visit to a recognised fair)
    token = csrf(client, "/funds/my")
    resp = client.post("/funds/apply", data={"csrf_token": token, "measure": "M22", "year": str(YEAR)},
                       follow_redirects=False)
    assert resp.status_code == 303, resp.text[:500]
    claim_url = resp.headers["location"].split("?")[0]
    claim_id = int(claim_url.rsplit("/", 1)[1])
    refused = client.post(f"{claim_url}/submit", data={"csrf_token": token})
    assert refused.status_code == 422 and "缺少申报材料" in refused.text
    upload = client.post(f"{claim_url}/evidence", data={"csrf_token": token,
                                                        "item": "统计部门核定的本年度及上年度网络零售额"},
                         files={"file": ("proof.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert upload.status_code == 303, upload.text[:500]
    done = client.post(f"{claim_url}/submit", data={"csrf_token": token}, follow_redirects=True)
    assert done.status_code == 200 and "待初审" in done.text
    ev = world.db.unit_of_work
    with ev() as s:
        from lishui.funds.models import Evidence

        evidence_id = s.query(Evidence.id).filter(Evidence.claim_id == claim_id).scalar()
    download = client.get(f"{claim_url}/evidence?file={evidence_id}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["content-disposition"].startswith("attachment")
    my = client.get("/funds/my")
    assert f"#{claim_id}" in my.text and "提交申报" in my.text  # the notification


def test_reviewer_queue_filters_and_review_and_approval_pages(world, app):
    from fastapi.testclient import TestClient

    ent = world.enterprise()
    claim_id = world.submitted(ent)
    far = world.submitted(world.enterprise(division="331122"))
    reviewer = world.factory.account("reviewer", division="331102")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, reviewer)
        queue = client.get("/funds/claims?state=submitted&measure=M22")
        assert f"#{claim_id}" in queue.text and f"#{far}" not in queue.text
        page = client.get(f"/funds/claims/{claim_id}")
        assert "测算依据" in page.text and "online_retail" in page.text
        assert client.get(f"/funds/claims/{far}").status_code == 404
        token = csrf(client, "/funds/claims")
        resp = client.post(f"/funds/claims/{claim_id}/review",
                           data={"csrf_token": token, "action": "amend_amount", "amount": "9000", "reason": ""})
        assert resp.status_code == 422 and "理由" in resp.text
        resp = client.post(f"/funds/claims/{claim_id}/review", data={"csrf_token": token, "action": "prelim_pass"},
                           follow_redirects=False)
        assert resp.status_code == 303
    assert world.claim(claim_id).state == "city_review"
    with world.db.unit_of_work() as s:
        from lishui.funds import service

        service.city_pass(s, world.city, claim_id)
        service.publish_notice(s, world.city, claim_ids=[claim_id])
    world.end_notice(claim_id)
    approver = world.factory.account("approver", division="331100")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, approver)
        page = client.get(f"/funds/claims/{claim_id}")
        assert "可用" in page.text and "1,000,000.00" in page.text
        resp = client.post(f"/funds/claims/{claim_id}/approve", data={"csrf_token": csrf(client, "/funds/claims")},
                           follow_redirects=False)
        assert resp.status_code == 303
    assert world.claim(claim_id).state == "approved"


def test_public_notice_objection_and_awards(world, client):
    ent = world.enterprise()
    claim_id = world.in_notice(ent)
    claim = world.claim(claim_id)
    page = client.get(f"/funds/public/notices?notice={claim.notice_id}")
    assert page.status_code == 200 and "10,000.00" in page.text
    token = csrf(client, f"/funds/public/notices?notice={claim.notice_id}")
    bad = client.post("/funds/public/objections", data={"csrf_token": token, "claim": str(claim_id), "name": "",
                                                        "contact": "", "text": ""})
    assert bad.status_code == 422 and "真实姓名" in bad.text
    ok = client.post("/funds/public/objections", data={"csrf_token": token, "claim": str(claim_id), "name": "王五",
                                                       "contact": "13800000000", "text": "数据可能有误，请核实"},
                     follow_redirects=False)
    assert ok.status_code == 303
    assert client.get("/funds/public/awards").status_code == 200


def test_finance_pages_bank_file_and_paid_file(world, app):
    from fastapi.testclient import TestClient

    claim_id = world.approved(world.enterprise())
    finance = world.factory.account("finance_officer")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, finance)
        page = client.get(f"/funds/finance?year={YEAR}")
        assert page.status_code == 200 and "借贷平衡" in page.text
        token = csrf(client, "/funds/finance")
        resp = client.post("/funds/batches", data={"csrf_token": token, "year": str(YEAR)}, follow_redirects=False)
        assert resp.status_code == 303
        batch_url = resp.headers["location"].split("?")[0]
        bank = client.get(f"{batch_url}/bank-file?format=csv")
        assert bank.status_code == 200 and "6228480012345678901" in bank.content.decode("utf-8-sig")
        with world.db.unit_of_work() as s:
            payment = s.query(payments.Payment).filter(payments.Payment.claim_id == claim_id).one()
            ref = payment.reference
        content = write_csv(list(payments.PAID_FILE_COLUMNS), [[ref, "BANK-2016-0001", "成功", "10000.00", ""]])
        resp = client.post("/funds/paid-file", data={"csrf_token": token},
                           files={"file": ("paid.csv", content, "text/csv")})
        assert resp.status_code == 200 and "已支付 1 笔" in resp.text
        export = client.get(f"/funds/budget/export?year={YEAR}")
        assert export.status_code == 200 and export.content.startswith(b"PK")
    assert world.claim(claim_id).state == "paid"


def test_api_claim_lifecycle_with_idempotent_approval(world, app):
    from fastapi.testclient import TestClient

    ent_account = _enterprise_account(world)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        token = world.factory.token(ent_account)
        auth = {"Authorization": f"Bearer {token}"}
        est = client.post("/api/v1/funds/estimate", json={"measure_id": "M22", "year": YEAR}, headers=auth)
        assert est.status_code == 200 and est.json()["amount"] == "10000.00"
        created = client.post("/api/v1/funds/claims", json={"measure_id": "M22", "year": YEAR},
                              headers={**auth, "Idempotency-Key": "k1"})
        assert created.status_code == 201, created.text
        again = client.post("/api/v1/funds/claims", json={"measure_id": "M22", "year": YEAR},
                            headers={**auth, "Idempotency-Key": "k1"})
        assert again.json()["id"] == created.json()["id"] and again.headers["Idempotent-Replayed"] == "true"
        claim_id = created.json()["id"]
        assert created.json()["missing_evidence"]
        up = client.post(f"/api/v1/funds/claims/{claim_id}/evidence", headers=auth,
                         data={"item": "统计部门核定的本年度及上年度网络零售额"},
                         files={"file": ("a.pdf", PDF, "application/pdf")})
        assert up.status_code == 201, up.text
        sub = client.post(f"/api/v1/funds/claims/{claim_id}/submit", json={}, headers=auth)
        assert sub.status_code == 200 and sub.json()["state"] == "submitted"
    with world.db.unit_of_work() as s:
        from lishui.funds import service

        service.prelim_pass(s, world.reviewer, claim_id)
        service.city_pass(s, world.city, claim_id)
        service.publish_notice(s, world.city, claim_ids=[claim_id])
    world.end_notice(claim_id)
    approver = world.factory.account("approver", division="331100")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, approver)
        headers = {"X-CSRF-Token": csrf(client, "/funds/claims"), "Idempotency-Key": "approve-1"}
        first = client.post(f"/api/v1/funds/claims/{claim_id}/approve", json={}, headers=headers)
        assert first.status_code == 200, first.text
        second = client.post(f"/api/v1/funds/claims/{claim_id}/approve", json={}, headers=headers)
        assert second.status_code == 200 and second.headers["Idempotent-Replayed"] == "true"
    with world.db.unit_of_work() as s:
        assert s.get(Claim, claim_id).state == "approved"
        from lishui.funds import ledger

        assert ledger.reconcile(s, YEAR).ok


def test_api_candidates_credit_flag_and_conflict(world, app):
    from fastapi.testclient import TestClient

    from lishui.policy import service as policy

    ent = world.enterprise()
    world.factory.publish_packs()
    with world.db.unit_of_work() as s:
        run_id = policy.run_batch(s, world.city, policy.pack_in_force(YEAR, "331102"), YEAR).id
    city = world.factory.account("city_officer")
    reviewer = world.factory.account("reviewer", division="331102")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        auth = {"Authorization": f"Bearer {world.factory.token(city)}"}
        made = client.post("/api/v1/funds/candidates", json={"run_id": run_id}, headers=auth)
        assert made.status_code == 201 and made.json()["created"] >= 1
        flag = client.post("/api/v1/funds/credit-flags", json={"org_id": ent.org_id, "note": "严重失信"},
                           headers=auth)
        assert flag.status_code == 200
        rauth = {"Authorization": f"Bearer {world.factory.token(reviewer)}"}
        before = client.get("/api/v1/funds/claims", headers=rauth).json()["total"]
        assert client.post("/api/v1/funds/conflicts", json={"org_id": ent.org_id}, headers=rauth).status_code == 200
        after = client.get("/api/v1/funds/claims", headers=rauth).json()["total"]
    assert after == before - 1
    with world.db.unit_of_work() as s:
        from lishui.funds import service

        assert service.has_serious_violation(s, ent.org_id)


def test_budget_page_sets_cost_share_and_allocation(world, app):
    from fastapi.testclient import TestClient

    city = world.factory.account("city_officer")
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, city)
        token = csrf(client, f"/funds/budget?year={YEAR}")
        bad = client.post("/funds/budget/settings", data={"csrf_token": token, "year": str(YEAR), "what": "cost_share",
                                                          "division": "331102", "city_share": "1.5"})
        assert bad.status_code == 422 and "0 到 1" in bad.text
        ok = client.post("/funds/budget/settings", data={"csrf_token": token, "year": str(YEAR), "what": "cost_share",
                                                         "division": "331102", "city_share": "0.55"},
                         follow_redirects=True)
        assert ok.status_code == 200 and "55.0%" in ok.text
        ok = client.post("/funds/budget/settings", data={"csrf_token": token, "year": str(YEAR), "what": "allocation",
                                                         "line": "general", "measure": "M22", "amount": "150000"},
                         follow_redirects=True)
        assert ok.status_code == 200 and "150,000.00" in ok.text

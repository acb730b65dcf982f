"""GET /api/v1/waves/<slug>/funnel (⚑): exact rows, scope of an agency's token, bad `by`, unknown wave."""
from __future__ import annotations

from datetime import datetime

from app.collect import store
from app.extensions import db
from app.programme.questionnaires import questionnaire_of
from tests import factories


def bearer(client, make_user, role: str, agency=None) -> dict:
    user, password = make_user(role, agency)
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()["token"]
    return {"Authorization": f"Bearer {token}"}


def answer(wave, unit, invitations) -> None:
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for invitation in invitations:
        store.store(wave, unit, answers, channel="link", language="vi", invitation=invitation)


def twenty_by_email():
    """The issue's "done when": 20 invitations e-mailed (all sent), 5 answered; beside them another
    agency's 8 SMS invitations (6 delivered, 1 bounced, 1 failed), 2 opened, none answered."""
    a1, a2 = factories.agency("A1"), factories.agency("A2")
    wave = factories.wave(agency_list=[a1, a2])
    sent = factories.invitations(wave, a1, "email", 20, status="sent", opened=7)
    answer(wave, a1, sent[:5])  # 5 of the 7 opened answered
    sms = factories.invitations(wave, a2, "sms", 6, status="delivered", opened=2,
                                created=datetime(2026, 3, 9, 8, 0))
    factories.invitations(wave, a2, "sms", 1, status="bounced", created=datetime(2026, 3, 9, 8, 0))
    factories.invitations(wave, a2, "sms", 1, status="failed", created=datetime(2026, 3, 15, 23, 0))
    db.session.commit()
    return wave, a1, a2, sms


def test_twenty_issued_twenty_sent_five_completed(client, make_user):
    wave, *_ = twenty_by_email()
    response = client.get(f"/api/v1/waves/{wave.slug}/funnel?by=agency", headers=bearer(client, make_user, "official"))
    assert response.status_code == 200
    assert response.get_json() == {"wave": wave.slug, "rows": [
        {"agency": "A1", "channel": "email", "issued": 20, "sent": 20, "delivered": 0, "opened": 7,
         "completed": 5, "response_rate": 0.25},
        {"agency": "A2", "channel": "sms", "issued": 8, "sent": 7, "delivered": 6, "opened": 2,
         "completed": 0, "response_rate": 0.0}]}


def test_by_agency_and_week_adds_the_iso_week(client, make_user):
    wave, *_ = twenty_by_email()
    rows = client.get(f"/api/v1/waves/{wave.slug}/funnel?by=agency,week",
                      headers=bearer(client, make_user, "admin")).get_json()["rows"]
    # 9 March 2026 (Monday) and 15 March (Sunday) are both in ISO week 11: one row
    assert [(r["agency"], r["channel"], r["week"], r["issued"], r["sent"], r["delivered"]) for r in rows] == [
        ("A1", "email", "2026-W10", 20, 20, 0), ("A2", "sms", "2026-W11", 8, 7, 6)]
    assert set(rows[0]) == {"agency", "channel", "week", "issued", "sent", "delivered", "opened", "completed",
                            "response_rate"}


def test_an_agency_token_sees_its_own_rows_only(client, make_user):
    wave, a1, a2, _ = twenty_by_email()
    rows = client.get(f"/api/v1/waves/{wave.slug}/funnel", headers=bearer(client, make_user, "agency", a2)).get_json()["rows"]
    assert [r["agency"] for r in rows] == ["A2"]
    other = factories.agency("A3")
    db.session.commit()
    outsider = client.get(f"/api/v1/waves/{wave.slug}/funnel", headers=bearer(client, make_user, "agency", other))
    assert outsider.status_code == 404  # not its wave


def test_bad_by_unknown_wave_and_no_token(client, make_user):
    wave, *_ = twenty_by_email()
    auth = bearer(client, make_user, "official")
    for by in ("channel", "agency,nonsense", "week"):
        bad = client.get(f"/api/v1/waves/{wave.slug}/funnel?by={by}", headers=auth)
        assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "by", by
    missing = client.get("/api/v1/waves/nope/funnel", headers=auth)
    assert missing.status_code == 404 and missing.get_json()["errors"][0]["field"] == "slug"
    assert client.get(f"/api/v1/waves/{wave.slug}/funnel").status_code == 401


def test_the_openapi_description_matches_a_real_answer(client, make_user):
    """The contract style of test_api_contract: documented, and the row fields are exactly those."""
    wave, *_ = twenty_by_email()
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/waves/{slug}/funnel"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    item = schema["properties"]["rows"]["items"]
    body = client.get(f"/api/v1/waves/{wave.slug}/funnel?by=agency",
                      headers=bearer(client, make_user, "admin")).get_json()
    assert set(body) == set(schema["required"])
    for row in body["rows"]:
        assert set(item["required"]) == set(row)
        assert row["channel"] in item["properties"]["channel"]["enum"]
    assert set(operation["responses"]) == {"200", "400", "401", "403", "404"}

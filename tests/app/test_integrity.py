"""Integrity review (issue 19): stuffed answers are flagged with their reasons, honest ones are not,
and the figure "after review" moves back to the honest one once an administrator excludes them."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select

from app.collect import invitations, kiosks
from app.extensions import db
from app.models import AuditEvent, FlagDecision, Response, ResponseSignal
from app.programme.questionnaires import questionnaire_of
from app.results import estimates
from app.results.snapshot import current
from tests import factories


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    return item


def scale_points(wave):
    """Scale question → its points (lowest first)."""
    q = questionnaire_of(wave.survey_version)
    return {x.code: sorted(c.value for c in q.scales[x.scale].points)
            for x in q.questions if x.type == "scale" and not x.show_if}


def honest(wave, rng):
    """Varied answers (some all-top, as honest respondents often give)."""
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    if rng.random() < 0.6:
        for code, points in scale_points(wave).items():
            answers[code] = rng.choice(points[1:] + points[-2:])
    return answers


def submit_by_invitation(client, wave, agency, answers, address):
    token = invitations.issue(wave, agency, 1)[0].token
    db.session.commit()
    response = client.post("/api/v1/responses", json={"invitation": token, "answers": answers, "language": "vi"},
                           environ_base={"REMOTE_ADDR": address})
    assert response.status_code == 201, response.get_json()
    return response


def overall(wave, agency_code, view="reviewed"):
    rows = estimates.compute(current(wave, view), ["agency"])
    row = rows[(rows["agency"] == agency_code) & (rows["measure"] == "overall")]
    return float(row["rate"].iloc[0])


def test_stuffing_is_flagged_and_review_restores_the_honest_figure(client, wave, login_as):
    rng = random.Random(19)
    a1, a2 = wave.agencies
    for i in range(60):
        submit_by_invitation(client, wave, a1 if i % 2 else a2, honest(wave, rng), f"10.0.{i // 250}.{i % 250 + 1}")
    honest_a1 = overall(wave, "A1")
    honest_ids = set(db.session.scalars(select(Response.id)))
    assert db.session.scalar(select(ResponseSignal).limit(1)).address is not None  # a keyed digest

    # 50 identical all-top answers through one kiosk in a minute
    key = kiosks.issue(a1).key
    db.session.commit()
    top = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for _ in range(50):
        response = client.post("/api/v1/responses", json={"agency": "A1", "answers": top, "language": "vi"},
                               headers={"X-Kiosk-Key": key}, environ_base={"REMOTE_ADDR": "10.9.9.9"})
        assert response.status_code == 201
    # 40 straight-lined answers through invitations, from one address (a desk's staff)
    lined = dict(top)
    for code, points in scale_points(wave).items():
        lined[code] = points[-1]
    for _ in range(40):
        submit_by_invitation(client, wave, a1, lined, "10.8.8.8")
    stuffed_ids = set(db.session.scalars(select(Response.id))) - honest_ids
    assert len(stuffed_ids) == 90
    stuffed_a1 = overall(wave, "A1")
    assert stuffed_a1 != pytest.approx(honest_a1)

    admin = login_as("admin")
    page = client.get(f"/admin/waves/{wave.slug}/review")
    assert page.status_code == 200
    token = client.post("/api/v1/auth/token", json={"email": admin.email, "password": "Correct-horse-42"}).get_json()["token"]
    flags = client.get(f"/api/v1/waves/{wave.slug}/flags", headers={"Authorization": f"Bearer {token}"}).get_json()
    by_id = {row["response_id"]: row for row in flags}
    assert set(by_id) == stuffed_ids  # every stuffed answer, no honest one
    kiosk_rows = [r for r in flags if "burst_source" in r["reasons"]]
    assert len(kiosk_rows) == 50 and all("straight_line" in r["reasons"] for r in kiosk_rows)
    lined_rows = [r for r in flags if "burst_address" in r["reasons"] and "burst_source" not in r["reasons"]]
    assert len(lined_rows) == 40 and all("straight_line" in r["reasons"] for r in lined_rows)
    only_a2 = client.get(f"/api/v1/waves/{wave.slug}/flags?agency=A2", headers={"Authorization": f"Bearer {token}"})
    assert only_a2.get_json() == []

    # the administrator excludes the two groups (bulk, with a reason)
    for group in ("burst_source|A1", "burst_address|A1"):
        done = client.post(f"/admin/waves/{wave.slug}/review/decide",
                           data={"group": group, "decision": "exclude", "note": "stuffed at the desk"})
        assert done.status_code == 303
    assert overall(wave, "A1") == pytest.approx(honest_a1, abs=1e-12)
    # "as collected" still shows what was collected, through the API too
    assert overall(wave, "A1", "collected") == pytest.approx(stuffed_a1, abs=1e-12)
    both = {view: client.get(f"/api/v1/waves/{wave.slug}/estimates?by=agency&view={view}",
                             headers={"Authorization": f"Bearer {token}"}).get_json() for view in ("reviewed", "collected")}
    rate = {view: next(r["rate"] for r in body["rows"] if r["agency"] == "A1" and r["measure"] == "overall")
            for view, body in both.items()}
    assert rate["reviewed"] == pytest.approx(honest_a1) and rate["collected"] == pytest.approx(stuffed_a1)
    default = client.get(f"/api/v1/waves/{wave.slug}/estimates?by=agency", headers={"Authorization": f"Bearer {token}"})
    assert default.get_json()["rows"] == both["reviewed"]["rows"] and default.get_json()["view"] == "reviewed"
    bad = client.get(f"/api/v1/waves/{wave.slug}/estimates?view=raw", headers={"Authorization": f"Bearer {token}"})
    assert bad.status_code == 400 and bad.get_json()["errors"][0]["field"] == "view"
    excluded = set(db.session.scalars(select(Response.id).where(Response.excluded.is_(True))))
    assert excluded == stuffed_ids
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "integrity.decide")) is not None

    page = client.get(f"/dashboard/{wave.slug}?lang=en").get_data(as_text=True)
    section = page[page.index('id="review"'):]
    assert "As collected" in section and "A1" in section and "n = 90" not in section
    assert f"n = {sum(1 for i in range(60) if i % 2)}" in section and "n = 120" in section  # 30 honest, 30 + 90
    method = client.get(f"/dashboard/{wave.slug}/methodology?lang=en").get_data(as_text=True)
    assert "After review, 90 responses were excluded" in method and "Burst from one kiosk or keyer" in method

    # reversible: keeping the kiosk's answers puts them back
    kiosk_ids = [r["response_id"] for r in kiosk_rows]
    client.post(f"/admin/waves/{wave.slug}/review/decide",
                data={"selected": [str(i) for i in kiosk_ids], "decision": "keep", "note": "checked: real queue"})
    assert db.session.scalar(select(FlagDecision).where(FlagDecision.response_id == kiosk_ids[0])).decision == "keep"
    assert not db.session.get(Response, kiosk_ids[0]).excluded
    assert overall(wave, "A1") != pytest.approx(honest_a1)


def test_flags_api_is_for_administrators_and_names_unknowns(client, wave, make_user):
    user, password = make_user("official")
    token = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()["token"]
    assert client.get(f"/api/v1/waves/{wave.slug}/flags", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    admin, password = make_user("admin")
    token = client.post("/api/v1/auth/token", json={"email": admin.email, "password": password}).get_json()["token"]
    missing = client.get("/api/v1/waves/nope/flags", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404 and missing.get_json()["errors"][0]["field"] == "slug"
    unknown = client.get(f"/api/v1/waves/{wave.slug}/flags?agency=ZZ", headers={"Authorization": f"Bearer {token}"})
    assert unknown.status_code == 404 and unknown.get_json()["errors"][0]["field"] == "agency"


def test_exclusion_needs_a_reason_and_a_flagged_response(client, wave, login_as):
    login_as("admin")
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    submit_by_invitation(client, wave, wave.agencies[0], answers, "10.1.1.1")
    rid = db.session.scalar(select(Response.id))
    client.get(f"/admin/waves/{wave.slug}/review?lang=en")
    refused = client.post(f"/admin/waves/{wave.slug}/review/decide",
                          data={"selected": [str(rid)], "decision": "exclude", "note": "x"}, follow_redirects=True)
    assert "at least 3 characters" in refused.get_data(as_text=True)
    refused = client.post(f"/admin/waves/{wave.slug}/review/decide",
                          data={"selected": [str(rid)], "decision": "exclude", "note": "bad one"}, follow_redirects=True)
    assert "is not flagged" in refused.get_data(as_text=True)
    assert not db.session.get(Response, rid).excluded


def test_closing_the_wave_keeps_the_flags_and_deletes_the_signals(client, wave, login_as):
    login_as("admin")
    key = kiosks.issue(wave.agencies[0]).key
    db.session.commit()
    top = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    for _ in range(12):
        client.post("/api/v1/responses", json={"agency": "A1", "answers": top, "language": "vi"},
                    headers={"X-Kiosk-Key": key})
    assert db.session.query(ResponseSignal).count() == 12
    closed = client.post(f"/admin/waves/{wave.slug}/status", data={"status": "closed", "confirmed": "yes"})
    assert closed.status_code == 302
    db.session.expire_all()
    assert db.session.get(type(wave), wave.id).status == "closed"
    assert db.session.query(ResponseSignal).count() == 0
    flagged = client.get(f"/admin/waves/{wave.slug}/review").get_data(as_text=True)
    assert flagged.count('name="selected"') == 12  # the last run's flags remain for the review

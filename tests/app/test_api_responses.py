"""POST /api/v1/responses and GET .../questionnaire over the real app and database."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.collect import invitations, store
from app.extensions import db
from app.models import Invitation, Response
from app.models.base import utcnow
from app.programme.questionnaires import questionnaire_of
from tests.conftest import ON_POSTGRES


@pytest.fixture
def tokens(wave):
    issued = invitations.issue(wave, wave.agencies[0], 3)
    db.session.commit()
    return [i.token for i in issued]


def post(client, body, **kwargs):
    return client.post("/api/v1/responses", json=body, **kwargs)


def row_wave(row):
    from app.models import Wave

    return db.session.get(Wave, row.wave_id).survey_version


def stored() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def test_questionnaire_has_the_contract_fields(client, wave):
    body = client.get(f"/api/v1/waves/{wave.slug}/questionnaire").get_json()
    assert body["survey"] == "sipas-2017" and body["version"] == 1 and set(body["languages"]) == {"vi", "en"}
    fields = {"code", "type", "required", "values", "satisfied", "not_applicable", "show_if", "text"}
    assert all(fields <= set(q) for q in body["questions"])
    f1 = next(q for q in body["questions"] if q["code"] == "f1_1")
    assert f1["satisfied"] == [4, 5] and [v["value"] for v in f1["values"]] == [1, 2, 3, 4, 5]


def test_unknown_wave_questionnaire_is_404_json(client):
    response = client.get("/api/v1/waves/nope/questionnaire")
    assert response.status_code == 404 and response.get_json()["errors"][0]["field"] == "slug"


def test_a_valid_submission_is_stored_once_with_a_receipt(client, tokens, answers):
    response = post(client, {"invitation": tokens[0], "answers": answers, "language": "vi"})
    assert response.status_code == 201, response.get_json()
    assert len(response.get_json()["receipt"]) == 16
    again = post(client, {"invitation": tokens[0], "answers": answers, "language": "vi"})
    assert again.status_code == 409
    assert again.get_json()["errors"][0]["field"] == "invitation"
    assert stored() == 1
    row = db.session.scalars(select(Response)).one()
    assert row.answers == answers
    closed = questionnaire_of(row_wave(row)).coded_questions
    values = store.decode([row.coded], len(closed))[0]
    assert {c: v for c, v in zip(closed, values, strict=True) if v == v} == \
        {c: float(a) for c, a in answers.items() if c in closed}


def test_out_of_range_and_unknown_answers_are_named_and_nothing_is_stored(client, tokens, answers):
    bad = dict(answers, f1_1=9, nonsense=3)
    response = post(client, {"invitation": tokens[0], "answers": bad, "language": "en"})
    assert response.status_code == 400
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {"f1_1", "nonsense"} <= fields
    assert stored() == 0


def test_error_messages_follow_the_respondents_language(client, tokens, answers):
    del answers["f1_1"]
    vi = post(client, {"invitation": tokens[0], "answers": answers, "language": "vi"}).get_json()
    en = post(client, {"invitation": tokens[0], "answers": answers, "language": "en"}).get_json()
    assert en["errors"][0]["message"] == "Please answer this question."
    assert vi["errors"][0]["message"] != en["errors"][0]["message"]


def test_answer_to_a_hidden_question_is_refused(client, tokens, answers):
    response = post(client, {"invitation": tokens[0], "answers": dict(answers, late=0, apology=1)})
    assert response.status_code == 400
    assert any(e["field"] == "apology" for e in response.get_json()["errors"])


def test_late_result_branch_accepts_the_apology_answer(client, tokens, answers):
    response = post(client, {"invitation": tokens[0], "answers": dict(answers, late=1, apology=0)})
    assert response.status_code == 201, response.get_json()


@pytest.mark.parametrize("raw,headers,status", [
    (b"\xff{not json", {"Content-Type": "application/json"}, 400),
    (b'{"invitation": 1}', {"Content-Type": "text/plain"}, 415),
    (b"[1, 2]", {"Content-Type": "application/json"}, 400),
    (b'{"invitation": "' + b"x" * 70000 + b'"}', {"Content-Type": "application/json"}, 413),
])
def test_malformed_bodies_get_a_4xx_json_error(client, tokens, raw, headers, status):
    response = client.post("/api/v1/responses", data=raw, headers=headers)
    assert response.status_code == status
    assert "errors" in json.loads(response.data)
    assert stored() == 0


def test_unknown_and_expired_tokens_get_the_same_answer(client, tokens, answers, wave):
    from app.models import Invitation
    from app.models.base import utcnow

    invitation = db.session.scalars(select(Invitation)).first()
    invitation.expires_at = utcnow().replace(year=2000)
    db.session.commit()
    expired = [t for t in tokens if invitations.find_any(t).id == invitation.id][0]
    a = post(client, {"invitation": expired, "answers": answers})
    b = post(client, {"invitation": "A" * 32, "answers": answers})
    assert a.status_code == b.status_code == 404 and a.get_json() == b.get_json()


def test_a_closed_wave_takes_no_more_responses(client, tokens, answers, wave):
    wave.status = "closed"
    db.session.commit()
    assert post(client, {"invitation": tokens[0], "answers": answers}).status_code == 404
    assert stored() == 0


def test_nul_characters_are_refused_not_a_server_error(client, tokens, answers):
    response = post(client, {"invitation": tokens[0], "answers": dict(answers, comments="a\x00b")})
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "answers.comments"
    token = client.post("/api/v1/auth/token", json={"email": "a\x00@example.org", "password": "x"})
    assert token.status_code == 401
    assert client.post("/login", data={"email": "a\x00b", "password": "x"}).status_code == 400
    assert stored() == 0


def test_administrators_may_upload_more_than_64_kb_but_citizens_may_not(client, login_as):
    login_as("admin")
    big = ("code,name_vi,name_en,block\n" + "".join(f"A{i},Cơ quan {i},Agency {i},departments\n"
                                                    for i in range(3000))).encode()
    assert len(big) > 64 * 1024
    response = client.post("/admin/agencies/import", data={"file": (__import__("io").BytesIO(big), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code != 413
    assert client.post("/api/v1/responses", data=b"{" + b" " * 70000 + b"}",
                       content_type="application/json").status_code == 413


def _statements(app):
    from sqlalchemy import event

    seen: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: seen.append(statement))
    return seen


@pytest.mark.skipif(not ON_POSTGRES, reason="the one-statement path is PostgreSQL's (a data-modifying CTE)")
def test_a_valid_submission_is_one_statement_on_postgresql(app, client, tokens, answers):
    post(client, {"invitation": tokens[0], "answers": answers, "language": "vi"})  # sees the open waves
    seen = _statements(app)
    response = post(client, {"invitation": tokens[1], "answers": answers, "language": "vi"})
    assert response.status_code == 201
    # The one statement goes straight to the driver: nothing of the full path (which claims and
    # inserts through SQLAlchemy, in two statements) ran.
    assert seen == []
    row = db.session.scalars(select(Response).where(Response.receipt == response.get_json()["receipt"])).one()
    assert row.answers == answers and row.invitation_id is not None and row.channel == "online"
    assert db.session.get(Invitation, row.invitation_id).used_at is not None


@pytest.mark.parametrize("change", ["used", "expired", "closed", "other_wave", "bad_answer"])
def test_whatever_the_one_statement_cannot_vouch_for_gets_the_full_answer(client, wave, tokens, answers, change):
    """The optimistic path writes nothing when it cannot store: same statuses as the full path."""
    body = {"invitation": tokens[0], "answers": answers, "language": "en"}
    expected = {"used": 409, "expired": 404, "closed": 404, "other_wave": 400, "bad_answer": 400}[change]
    if change == "used":
        assert post(client, body).status_code == 201
    elif change == "expired":
        invitation = db.session.scalars(select(Invitation)).first()
        for row in db.session.scalars(select(Invitation)):
            row.expires_at = utcnow() - timedelta(days=1)
        db.session.commit()
        assert invitation is not None
    elif change == "closed":
        wave.status = "closed"
        db.session.commit()
    elif change == "other_wave":
        body["wave"] = "another-wave"
    else:
        body["answers"] = dict(answers, f1_1=9)
    before = stored()
    response = post(client, body)
    assert response.status_code == expected, response.get_json()
    assert stored() == before
    assert response.get_json()["errors"][0]["field"] in {"invitation", "wave", "f1_1"}

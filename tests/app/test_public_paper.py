"""Paper entry by desk staff (entry accounts), for their own agency only, with optional double entry;
never by the rated agency's own account."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import PaperEntry, Response
from app.programme.questionnaires import questionnaire_of
from tests import factories
from tests.conftest import login


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    return item


@pytest.fixture
def answers(wave):
    return factories.satisfied_answers(questionnaire_of(wave.survey_version))


def key_in(client, wave, answers, number="P-001", **extra):
    data = {"form_number": number, "_page": "0", "_shown": " ".join(answers), **answers, **extra}
    return client.post(f"/paper/{wave.slug}", data=data)


def responses() -> list[Response]:
    return db.session.scalars(select(Response)).all()


def test_paper_entry_needs_an_entry_account(client, wave, login_as):
    assert client.get("/paper").status_code == 302  # to the login page
    login_as("official")
    assert client.get("/paper").status_code == 403


def test_the_rated_agencys_own_account_cannot_key_in_paper_forms(client, wave, answers, login_as):
    login_as("agency", wave.agencies[0])
    assert client.get("/paper").status_code == 403
    assert key_in(client, wave, answers).status_code == 403
    assert responses() == []


def test_a_paper_form_is_counted_for_the_staff_members_agency(client, wave, answers, login_as):
    login_as("entry", wave.agencies[0])
    assert wave.slug in client.get("/paper").get_data(as_text=True)
    assert client.get(f"/paper/{wave.slug}").status_code == 200
    response = key_in(client, wave, answers)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    [row] = responses()
    assert row.channel == "paper" and row.agency_id == wave.agencies[0].id
    again = key_in(client, wave, answers)
    assert again.status_code == 409 and len(responses()) == 1


def test_staff_cannot_key_in_for_a_wave_outside_their_agency(client, app, answers, login_as):
    other = factories.wave(slug="w2", agency_list=[factories.agency("B1")])
    mine = factories.agency("A9")
    db.session.commit()
    login_as("entry", mine)
    assert client.get(f"/paper/{other.slug}").status_code == 404
    assert key_in(client, other, answers).status_code == 404
    assert responses() == []


def test_double_entry_counts_only_when_two_keyings_agree(client, wave, answers, make_user):
    wave.settings = {"paper_double_entry": True}
    db.session.commit()
    first, password = make_user("entry", wave.agencies[0])
    second, password2 = make_user("entry", wave.agencies[0])
    login(client, first.email, password)
    assert key_in(client, wave, answers).status_code == 303
    assert responses() == [] and db.session.scalars(select(PaperEntry)).one().status == "pending"
    other = client.application.test_client()
    login(other, second.email, password2)
    mismatch = key_in(other, wave, dict(answers, f1_1=2))
    assert mismatch.status_code == 409 and responses() == []
    own = key_in(other, wave, dict(answers, f1_1=2))  # the same person cannot confirm their own keying
    assert own.status_code == 409 and "một cán bộ khác" in own.get_data(as_text=True) and responses() == []
    assert key_in(client, wave, dict(answers, f1_1=2)).status_code == 303  # two people, agreeing keyings
    [row] = responses()
    entry = db.session.scalars(select(PaperEntry)).one()
    assert entry.status == "matched" and entry.response_id == row.id


def test_invalid_paper_answers_are_refused_with_messages(client, wave, answers, login_as):
    login_as("entry", wave.agencies[0])
    response = key_in(client, wave, dict(answers, f1_1="9"), number="")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'href="#f-form_number"' in html and 'id="e-f1_1"' in html
    assert db.session.scalar(select(func.count(PaperEntry.id))) == 0


def test_a_dissatisfied_paper_form_with_a_comment_opens_the_units_case(client, wave, answers, login_as):
    """Paper forms too: a dissatisfied overall rating with a comment opens a case without contact,
    once the form counts (with double entry: at the agreeing second keying)."""
    from app.models import CaseContact, FeedbackCase

    login_as("entry", wave.agencies[0])
    unhappy = dict(answers, overall_satisfaction=2, comments="Phải đi lại ba lần mới xong hồ sơ.")
    assert key_in(client, wave, unhappy).status_code == 303
    [case] = db.session.scalars(select(FeedbackCase)).all()
    assert case.kind == "dissatisfied" and case.agency_id == wave.agencies[0].id
    assert case.text == "Phải đi lại ba lần mới xong hồ sơ." and db.session.query(CaseContact).count() == 0
    happy = dict(answers, overall_satisfaction=5, comments="Tốt")
    assert key_in(client, wave, happy, number="P-2").status_code == 303
    assert db.session.query(FeedbackCase).count() == 1

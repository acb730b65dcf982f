"""Opening an invitation link again continues the questionnaire where it was left (any device)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.collect import form_sessions, invitations
from app.extensions import db
from app.models import FormSession, Invitation, Response
from app.models.base import utcnow
from tests.app.public_helpers import answer_all, page_number, post_page, shown


def first_page_done(client, token, answers) -> str:
    """Open the link, answer page 1; returns the html of page 2."""
    assert client.get(f"/s/{token}").status_code == 303
    html = client.get("/answer").get_data(as_text=True)
    assert page_number(html) == 0
    moved = post_page(client, html, answers)
    assert moved.status_code == 303
    html = client.get("/answer").get_data(as_text=True)
    assert page_number(html) > 0
    return html


def test_opening_the_link_again_on_the_same_device_resumes_the_page_and_answers(client, token, answers):
    second = first_page_done(client, token, answers)
    assert client.get(f"/s/{token}").status_code == 303
    again = client.get("/answer").get_data(as_text=True)
    assert page_number(again) == page_number(second) and shown(again) == shown(second)
    assert db.session.scalar(select(func.count(FormSession.id))) == 1


def test_another_device_continues_and_the_first_device_key_stops_working(app, token, wave, answers):
    phone, laptop = app.test_client(), app.test_client()
    second = first_page_done(phone, token, answers)
    row = db.session.scalars(select(FormSession)).one()
    kept = dict(row.answers)
    assert kept
    assert laptop.get(f"/s/{token}").status_code == 303
    html = laptop.get("/answer").get_data(as_text=True)
    assert page_number(html) == page_number(second)
    db.session.expire_all()
    assert db.session.scalars(select(FormSession)).one().answers == kept
    # The phone's key was replaced: answers in progress are reachable only through the token.
    assert phone.get("/answer").status_code == 404
    # The laptop finishes with the answers given on the phone.
    assert answer_all(laptop, wave, answers).headers["Location"].endswith("/answer/thanks")
    response = db.session.scalars(select(Response)).one()
    assert response.channel == "link"
    # Afterwards either device's link says it has been answered; no new session is opened.
    for device in (phone, laptop):
        again = device.get(f"/s/{token}")
        assert again.headers["Location"] == "/link?why=answered"
    assert db.session.scalar(select(func.count(Response.id))) == 1


def test_an_idle_unfinished_session_survives_housekeeping_until_the_invitation_expires(app, token, wave, answers):
    phone = app.test_client()
    second = first_page_done(phone, token, answers)
    # Days later: the idle limit has passed; another respondent's start runs the housekeeping.
    db.session.execute(FormSession.__table__.update().values(expires_at=utcnow() - timedelta(days=2)))
    db.session.commit()
    other = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.commit()
    assert app.test_client().get(f"/s/{other}").status_code == 303
    # The stale cookie key alone no longer opens the answers (idle limit) ...
    assert phone.get("/answer").status_code == 404
    # ... but the token does, with the page and answers kept.
    tablet = app.test_client()
    assert tablet.get(f"/s/{token}").status_code == 303
    assert page_number(tablet.get("/answer").get_data(as_text=True)) == page_number(second)


def test_an_expired_invitation_says_expired_and_its_answers_in_progress_are_deleted(app, token, wave, answers):
    first_page_done(app.test_client(), token, answers)
    db.session.execute(Invitation.__table__.update().values(expires_at=utcnow() - timedelta(days=1)))
    db.session.execute(FormSession.__table__.update().values(expires_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    assert app.test_client().get(f"/s/{token}").headers["Location"] == "/link?why=expired"
    form_sessions._housekeeping(utcnow())
    db.session.commit()
    assert db.session.scalar(select(func.count(FormSession.id))) == 0


def test_a_closed_wave_link_says_closed(app, token, wave):
    wave.status = "closed"
    db.session.commit()
    response = app.test_client().get(f"/s/{token}")
    assert response.headers["Location"] == "/link?why=closed"
    assert "survey is closed" in app.test_client().get("/link?why=closed&lang=en").get_data(as_text=True)

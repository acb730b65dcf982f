"""The opt-out link /o/<token> (issue 18), with CSRF protection on as in production."""
from __future__ import annotations

import io
import re

import pytest
from flask import g
from sqlalchemy import select

from app.collect import invitations
from app.extensions import db
from app.models import Invitation, InvitationContact, OptOut, OutboxMessage
from app.models.base import utcnow
from app.outbox import addresses
from app.outbox.queue import content_of
from app.programme import waves
from app.reach import contacts, sending
from app.reach.reminders import queue_due
from tests import factories


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def sent(wave, *addresses_: str, language: str = "vi") -> list[str]:
    """Send invitations to these e-mail addresses; their raw tokens, in order."""
    text = "address\n" + "\n".join(addresses_) + "\n"
    parsed = contacts.parse(wave, "email", text, language)
    sending.send(wave, wave.agencies[0], parsed, actor_name="test")
    db.session.commit()
    return [re.search(r"/o/([A-Za-z0-9_-]+)", content_of(m).text).group(1)
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))][-len(addresses_):]


def csrf(page: str, name: str = "csrf_token") -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


def post(client, token: str, scope: str | None, with_csrf: bool = True):
    page = client.get(f"/o/{token}").get_data(as_text=True)
    data = {"scope": scope} if scope else {}
    if with_csrf:
        data["csrf_token"] = csrf(page)
    return client.post(f"/o/{token}", data=data)


def test_the_page_offers_both_choices_in_vietnamese_and_english(client, wave):
    token, = sent(wave, "an@example.vn")
    page = client.get(f"/o/{token}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer" and "noindex" in page.headers["X-Robots-Tag"]
    assert 'value="wave"' in html and 'value="always"' in html and wave.name_vi in html
    assert "an@example.vn" not in html and '<html lang="vi">' in html
    english = client.get(f"/o/{token}?lang=en").get_data(as_text=True)
    assert "No more messages about this survey" in english and wave.name_en in english
    for choice in ("scope-wave", "scope-always"):  # every radio has its label
        assert re.search(rf'<label class="choice"><input type="radio" name="scope" value="\w+" id="{choice}">', html)


def test_opting_out_of_the_wave_cancels_its_queued_messages_and_is_kept_as_a_digest(client, wave):
    other = factories.wave("w2", agency_list=list(wave.agencies))
    db.session.commit()
    token, _second = sent(wave, "an@example.vn", "binh@example.vn")
    elsewhere, = sent(other, "AN@example.vn")
    response = post(client, token, "wave")
    assert response.status_code == 200 and 'id="optout-state"' in response.get_data(as_text=True)
    rows = db.session.scalars(select(OptOut)).all()
    assert [(r.address_digest, r.wave_id) for r in rows] == [(addresses.digest("email", "an@example.vn"), wave.id)]
    by_key = {m.idempotency_key: m for m in db.session.scalars(select(OutboxMessage))}
    mine = invitations.find_any(token).id
    assert by_key[f"invitation:{mine}"].status == "cancelled" and by_key[f"invitation:{mine}"].sealed is None
    assert sorted(m.status for m in by_key.values()) == ["cancelled", "queued", "queued"]  # other wave goes on
    assert post(client, token, "wave").status_code == 200  # twice: still one row
    assert db.session.query(OptOut).count() == 1
    # for good: the other wave's message to the same address is cancelled too
    assert post(client, elsewhere, "always").status_code == 200
    assert {r.wave_id for r in db.session.scalars(select(OptOut))} == {wave.id, None}
    assert sorted(m.status for m in db.session.scalars(select(OutboxMessage))) == ["cancelled", "cancelled", "queued"]
    assert "for this survey or any other" in client.get(f"/o/{elsewhere}?lang=en").get_data(as_text=True)


def test_opted_out_for_good_the_address_is_skipped_in_the_next_file_and_gets_no_reminder(client, wave):
    token, = sent(wave, "an@example.vn")
    post(client, token, "always")
    parsed = contacts.parse(wave, "email", "address,dossier\nAn@Example.vn,H1.2-3-4567\nbinh@example.vn,\n")
    assert parsed.opted_out == [2] and [c.address for c in parsed.rows] == ["binh@example.vn"]
    invitation = db.session.scalar(select(Invitation))
    invitation.created_at = utcnow().replace(year=2025)
    invitation.expires_at = utcnow().replace(year=2030)
    db.session.commit()
    assert queue_due() == 0


def test_it_works_for_an_answered_or_expired_invitation_and_after_the_wave_closed(client, wave):
    answered, expired = sent(wave, "an@example.vn", "binh@example.vn")
    first, second = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
    first.used_at = utcnow()
    second.expires_at = utcnow().replace(year=2020)
    db.session.commit()
    assert post(client, answered, "wave").status_code == 200 and post(client, expired, "always").status_code == 200
    assert db.session.query(OptOut).count() == 2
    waves.set_status(wave, "closed")
    db.session.commit()
    page = client.get(f"/o/{answered}?lang=en")
    assert page.status_code == 200 and "We no longer keep any address" in page.get_data(as_text=True)


def test_without_a_choice_or_without_the_csrf_token_nothing_is_recorded(client, wave):
    token, = sent(wave, "an@example.vn")
    none = post(client, token, None)
    assert none.status_code == 400 and 'role="alert"' in none.get_data(as_text=True)
    assert post(client, token, "always", with_csrf=False).status_code == 400
    assert db.session.query(OptOut).count() == 0
    assert db.session.scalar(select(OutboxMessage.status)) == "queued"


def test_an_unknown_token_is_a_404_page(client, wave):
    for path in ("/o/not-a-real-token", "/o/" + "x" * 150):
        page = client.get(path)
        assert page.status_code == 404 and "This link cannot be used" in client.get(path + "?lang=en").get_data(
            as_text=True)
    assert client.post("/o/not-a-real-token", data={"scope": "always"}).status_code in (400, 404)
    assert db.session.query(InvitationContact).count() == 0


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_TOKEN": "3/minute"}])
def test_unknown_tokens_are_rate_limited_like_invitation_links_but_a_real_one_is_not(client, wave, app_config):
    token, = sent(wave, "an@example.vn")
    statuses = [client.get(f"/o/guess-{n}").status_code for n in range(5)]
    assert statuses == [404, 404, 404, 429, 429]
    assert client.get(f"/o/{token}").status_code == 200


def test_the_admin_send_form_needs_its_csrf_token(client, make_user, wave):
    user, password = make_user("admin")
    login_page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"email": user.email, "password": password,
                                       "csrf_token": csrf(login_page)}).status_code == 302
    # Flask-WTF caches the token on `g`, which the test's one application context keeps across requests
    g.pop("csrf_token", None)
    page = client.get(f"/admin/waves/{wave.slug}/invitations").get_data(as_text=True)
    token = csrf(page, "send-csrf_token")
    data = {"send-agency": "A1", "send-channel": "email", "send-language": "vi"}

    def upload(extra):
        return client.post(f"/admin/waves/{wave.slug}/invitations/send", content_type="multipart/form-data",
                           data={**data, **extra, "send-contacts": (io.BytesIO(b"address\nan@example.vn\n"), "c.csv")})

    assert upload({}).status_code == 400 and db.session.query(Invitation).count() == 0
    sent = upload({"send-csrf_token": token})
    assert sent.status_code == 303, sent.get_data(as_text=True)[-3000:]
    assert db.session.query(Invitation).count() == 1

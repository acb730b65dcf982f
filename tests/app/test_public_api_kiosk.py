"""POST /api/v1/responses from a kiosk that queued answers offline (X-Kiosk-Key + agency), and
forged envelopes (wave, version, agency) refused with the field named."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.collect import invitations, kiosks
from app.extensions import db
from app.models import Response
from app.programme.questionnaires import questionnaire_of
from tests import factories


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    return item


@pytest.fixture
def answers(wave):
    return factories.satisfied_answers(questionnaire_of(wave.survey_version))


@pytest.fixture
def key(wave):
    issued = kiosks.issue(wave.agencies[0])
    db.session.commit()
    return issued.key


def stored() -> int:
    return db.session.scalar(select(func.count(Response.id)))


def test_a_kiosk_submits_with_its_key_for_its_agency(client, wave, answers, key):
    response = client.post("/api/v1/responses", json={"agency": "A1", "answers": answers, "language": "vi"},
                           headers={"X-Kiosk-Key": key})
    assert response.status_code == 201, response.get_json()
    row = db.session.scalars(select(Response)).one()
    assert row.channel == "kiosk" and row.agency_id == wave.agencies[0].id and row.invitation_id is None


@pytest.mark.parametrize(("body", "headers", "status", "field"), [
    ({"agency": "A2"}, {"X-Kiosk-Key": "KEY"}, 403, "X-Kiosk-Key"),       # another agency's answers
    ({"agency": "A1"}, {"X-Kiosk-Key": "forged"}, 403, "X-Kiosk-Key"),
    ({"agency": "ZZ"}, {"X-Kiosk-Key": "KEY"}, 400, "agency"),
    ({"agency": "A1", "wave": "other"}, {"X-Kiosk-Key": "KEY"}, 400, "wave"),
    ({"agency": "A1", "version": 7}, {"X-Kiosk-Key": "KEY"}, 400, "version"),
    ({"agency": "A1", "invitation": "x"}, {"X-Kiosk-Key": "KEY"}, 400, "invitation"),
])
def test_forged_kiosk_submissions_are_refused(client, wave, answers, key, body, headers, status, field):
    headers = {k: v.replace("KEY", key) for k, v in headers.items()}
    response = client.post("/api/v1/responses", json=dict(body, answers=answers), headers=headers)
    assert response.status_code == status
    assert field in {e["field"] for e in response.get_json()["errors"]}
    assert stored() == 0


@pytest.mark.parametrize(("extra", "field"), [({"version": 2}, "version"), ({"wave": "nope"}, "wave"),
                                              ({"agency": "A2"}, "agency")])
def test_forged_invitation_envelopes_are_refused(client, wave, answers, extra, field):
    token = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.commit()
    response = client.post("/api/v1/responses", json=dict({"invitation": token, "answers": answers}, **extra))
    assert response.status_code == 400 and field in {e["field"] for e in response.get_json()["errors"]}
    assert stored() == 0
    ok = client.post("/api/v1/responses", json={"invitation": token, "answers": answers, "wave": wave.slug,
                                                "version": 1})
    assert ok.status_code == 201


def test_answers_to_hidden_questions_and_bad_utf8_are_400(client, wave, answers):
    token = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.commit()
    hidden = client.post("/api/v1/responses", json={"invitation": token, "answers": dict(answers, apology=1)})
    assert hidden.status_code == 400 and hidden.get_json()["errors"][0]["field"] == "apology"
    broken = client.post("/api/v1/responses", data=b'{"invitation": "\xff\xfe", "answers": {}}',
                         content_type="application/json")
    assert broken.status_code == 400
    assert client.post("/api/v1/responses", data="x=1").status_code == 415
    assert stored() == 0


def test_a_retried_offline_upload_is_stored_once_and_gets_its_first_receipt(client, wave, answers, key):
    """A kiosk that lost the reply sends the queued response again with the same submission id."""
    body = {"agency": "A1", "answers": answers, "language": "vi", "submission": "tablet-7:000123"}
    first = client.post("/api/v1/responses", json=body, headers={"X-Kiosk-Key": key})
    again = client.post("/api/v1/responses", json=body, headers={"X-Kiosk-Key": key})
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["receipt"] == first.get_json()["receipt"]
    other = client.post("/api/v1/responses", json=dict(body, submission="tablet-7:000124"), headers={"X-Kiosk-Key": key})
    assert other.status_code == 201 and stored() == 2
    keys = set(db.session.scalars(select(Response.client_key)))
    assert len(keys) == 2 and not any("tablet-7" in k for k in keys)  # only keyed digests are stored


@pytest.mark.parametrize("submission", ["short", 12345678, "x" * 101])
def test_a_malformed_submission_id_is_refused(client, wave, answers, key, submission):
    body = {"agency": "A1", "answers": answers, "language": "vi", "submission": submission}
    response = client.post("/api/v1/responses", json=body, headers={"X-Kiosk-Key": key})
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "submission"
    assert stored() == 0


def test_a_kiosk_body_without_its_key_is_forbidden(client, wave, answers):
    response = client.post("/api/v1/responses", json={"agency": "A1", "answers": answers, "language": "vi"})
    assert response.status_code == 403 and response.get_json()["errors"][0]["field"] == "X-Kiosk-Key"
    assert stored() == 0


def _kiosk_post(client, key, answers, submission, agency="A1"):
    return client.post("/api/v1/responses", headers={"X-Kiosk-Key": key},
                       json={"agency": agency, "answers": answers, "language": "vi", "submission": submission})


def test_the_same_submission_id_from_another_kiosk_is_another_response(client, wave, answers, key):
    other_key = kiosks.issue(wave.agencies[1]).key
    same_agency_key = kiosks.issue(wave.agencies[0]).key
    db.session.commit()
    first = _kiosk_post(client, key, answers, "queue-item-1")
    second = _kiosk_post(client, other_key, dict(answers, f1_1=1), "queue-item-1", agency="A2")
    third = _kiosk_post(client, same_agency_key, dict(answers, f1_1=2), "queue-item-1")
    assert [r.status_code for r in (first, second, third)] == [201, 201, 201]
    assert len({r.get_json()["receipt"] for r in (first, second, third)}) == 3
    assert sorted(r.answers["f1_1"] for r in db.session.scalars(select(Response))) == [1, 2, answers["f1_1"]]


def test_a_reused_submission_id_with_other_answers_is_409_and_nothing_is_dropped(client, wave, answers, key):
    first = _kiosk_post(client, key, answers, "queue-item-2")
    again = _kiosk_post(client, key, answers, "queue-item-2")
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["receipt"] == first.get_json()["receipt"]
    clash = _kiosk_post(client, key, dict(answers, f1_1=1), "queue-item-2")
    assert clash.status_code == 409 and clash.get_json()["errors"][0]["field"] == "submission"
    assert stored() == 1  # and the client knows the second one was not stored


def test_an_invitation_never_takes_a_kiosks_receipt(client, wave, answers, key):
    """Before: the invitation was used up and the kiosk's receipt returned, nothing stored."""
    assert _kiosk_post(client, key, answers, "shared-id-0001").status_code == 201
    token = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.commit()
    body = {"invitation": token, "answers": dict(answers, f1_1=3), "submission": "shared-id-0001"}
    response = client.post("/api/v1/responses", json=body)
    assert response.status_code == 201 and stored() == 2
    assert db.session.scalars(select(Response).where(Response.receipt == response.get_json()["receipt"])).one() \
        .invitation_id is not None


def test_an_invitation_retry_gets_its_receipt_and_other_answers_are_409(client, wave, answers):
    token = invitations.issue(wave, wave.agencies[0], 1)[0].token
    db.session.commit()
    body = {"invitation": token, "answers": answers, "submission": "app-queue-000042"}
    first = client.post("/api/v1/responses", json=body)
    again = client.post("/api/v1/responses", json=body)
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["receipt"] == first.get_json()["receipt"]
    clash = client.post("/api/v1/responses", json=dict(body, answers=dict(answers, f1_1=1)))
    assert clash.status_code == 409 and clash.get_json()["errors"][0]["field"] == "submission"
    plain = client.post("/api/v1/responses", json={"invitation": token, "answers": answers})
    assert plain.status_code == 409 and plain.get_json()["errors"][0]["field"] == "invitation"
    assert stored() == 1

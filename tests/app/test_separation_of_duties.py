"""Separation of duties (issue 12, item 3): the rated agency cannot create responses for itself,
nor the means to (kiosk keys, invitations, integration keys); paper entry is for ``entry`` staff
and administrators; every keying, key and batch is audited; batches are capped and rate limited."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import ApiKey, AuditEvent, Invitation, KioskKey, Response
from app.programme.questionnaires import questionnaire_of
from app.shared.refusal import Refusal
from tests import factories


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    return item


@pytest.fixture
def answers(wave):
    return factories.satisfied_answers(questionnaire_of(wave.survey_version))


def key_in(client, wave, answers, number="P-001", agency=None):
    data = {"form_number": number, "_page": "0", "_shown": " ".join(answers), **answers}
    return client.post(f"/paper/{wave.slug}" + (f"?agency={agency}" if agency else ""), data=data)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def attempts_by_agency_account(client, wave, answers) -> list[int]:
    """Every way the rated agency's account could add responses or the means to: all refused."""
    return [
        client.get("/paper").status_code,
        key_in(client, wave, answers).status_code,
        client.post("/admin/kiosk-keys", data={"agency": "A1", "label": "mine"}).status_code,
        client.post(f"/admin/waves/{wave.slug}/invitations",
                    data={"agency": "A1", "count": "5", "output": "csv"}).status_code,
        client.post("/admin/api-keys", data={"name": "mine", "agency": "A1"}).status_code,
    ]


def test_an_agency_account_cannot_create_a_response_a_key_or_an_invitation(client, wave, answers, login_as):
    login_as("agency", wave.agencies[0])
    assert attempts_by_agency_account(client, wave, answers) == [403] * 5
    assert [count(Response), count(KioskKey), count(Invitation), count(ApiKey)] == [0, 0, 0, 0]


def test_an_agency_account_sees_no_individual_response(client, app, login_as):
    from tests.app.admin_helpers import a_response, wave_with_responses

    full = wave_with_responses(3, agencies=[factories.agency("B1"), factories.agency("B2")])
    mine = a_response(full, "B1")
    login_as("agency", full.agencies[0])
    assert client.get(f"/admin/waves/{full.slug}/responses").status_code == 403
    assert client.get(f"/admin/responses/{mine.id}").status_code == 403
    detail = client.get(f"/admin/waves/{full.slug}").get_data(as_text=True)
    assert mine.receipt not in detail and f"/admin/waves/{full.slug}/responses" not in detail


def test_an_entry_account_keys_paper_forms_for_its_own_agency_only(client, wave, answers, login_as):
    user = login_as("entry", wave.agencies[0])
    assert wave.slug in client.get("/paper").get_data(as_text=True)
    assert key_in(client, wave, answers, agency="A2").status_code == 303  # (the argument is ignored)
    [row] = db.session.scalars(select(Response)).all()
    assert row.agency_id == wave.agencies[0].id and row.channel == "paper"
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "paper.enter")).all()
    assert event.user_id == user.id and event.after["count"] == 1 and event.after["agency"] == "A1"
    assert event.after["form_number"] == "P-001"


def test_an_entry_account_cannot_issue_keys_invitations_or_read_results(client, wave, login_as):
    login_as("entry", wave.agencies[0])
    assert client.post("/admin/kiosk-keys", data={"agency": "A1"}).status_code == 403
    assert client.post(f"/admin/waves/{wave.slug}/invitations",
                       data={"agency": "A1", "count": "1", "output": "csv"}).status_code == 403
    assert client.get("/admin/waves").status_code == 403
    assert client.get("/dashboard/").status_code == 403
    assert count(KioskKey) == count(Invitation) == 0


def test_an_administrator_keys_paper_forms_for_a_chosen_agency(client, wave, answers, login_as):
    login_as("admin")
    assert "A2" in client.get("/paper").get_data(as_text=True)
    assert client.get(f"/paper/{wave.slug}").status_code == 404  # no agency chosen
    response = key_in(client, wave, answers, agency="A2")
    assert response.status_code == 303 and "agency=A2" in response.headers["Location"]
    [row] = db.session.scalars(select(Response)).all()
    assert row.agency_id == wave.agencies[1].id


def test_an_agency_or_entry_account_needs_its_agency(app, wave, make_user):
    for role in ("agency", "entry"):
        with pytest.raises(Refusal) as refused:
            make_user(role, None)
        assert refused.value.field == "agency"
        db.session.rollback()


def test_kiosk_keys_and_invitation_batches_are_audited_with_who_and_how_many(client, wave, login_as):
    admin = login_as("admin")
    assert client.post("/admin/kiosk-keys", data={"agency": "A1", "label": "desk 1"}).status_code == 200
    client.post(f"/admin/waves/{wave.slug}/invitations", data={"agency": "A2", "count": "7", "output": "csv"})
    events = {e.action: e for e in db.session.scalars(select(AuditEvent))}
    assert events["kiosk.issue"].user_id == admin.id and events["kiosk.issue"].after["agency"] == "A1"
    batch = events["invitation.issue"]
    assert batch.user_id == admin.id and batch.after["count"] == 7 and batch.after["agency"] == "A2"


@pytest.mark.parametrize("app_config", [{"MAX_INVITATIONS_PER_BATCH": 20, "MAX_QR_PER_SHEET": 5}])
def test_a_batch_over_the_cap_is_refused_naming_the_limit(client, wave, login_as, app_config):
    login_as("admin")
    response = client.post(f"/admin/waves/{wave.slug}/invitations?lang=en",
                           data={"agency": "A1", "count": "21", "output": "csv"})
    assert response.status_code == 400 and "At most 20 invitations per batch" in response.get_data(as_text=True)
    sheet = client.post(f"/admin/waves/{wave.slug}/invitations?lang=en",
                        data={"agency": "A1", "count": "6", "output": "sheet"})
    assert sheet.status_code == 400 and "at most 5 QR codes" in sheet.get_data(as_text=True)
    assert count(Invitation) == 0
    ok = client.post(f"/admin/waves/{wave.slug}/invitations", data={"agency": "A1", "count": "20", "output": "csv"})
    assert ok.status_code == 200 and count(Invitation) == 20


def test_the_default_cap_is_a_thousand_invitations(client, wave, login_as):
    login_as("admin")
    response = client.post(f"/admin/waves/{wave.slug}/invitations", data={"agency": "A1", "count": "5000", "output": "sheet"})
    assert response.status_code == 400 and "1000" in response.get_data(as_text=True)
    assert count(Invitation) == 0


def test_a_dossier_list_over_the_cap_is_refused_before_parsing(client, wave, login_as):
    import time

    login_as("admin")
    body = b"dossier\n" + b"".join(b"H15.50.05.13-261008-%06d\n" % i for i in range(150_000))
    assert len(body) > 4_000_000
    started = time.perf_counter()
    response = client.post(f"/admin/waves/{wave.slug}/invitations",
                           data={"agency": "A1", "output": "csv", "dossiers": (io.BytesIO(body), "d.csv")},
                           content_type="multipart/form-data")
    elapsed = time.perf_counter() - started
    assert response.status_code == 400 and "tối đa 1000 mã hồ sơ mỗi tệp" in response.get_data(as_text=True)
    assert elapsed < 3 and count(Invitation) == 0


def test_a_sheet_that_cannot_be_built_leaves_no_invitation_behind(client, wave, login_as, monkeypatch):
    from app.collect import invitations

    def broken(url):
        raise MemoryError("the sheet could not be built")

    monkeypatch.setattr(invitations, "qr_data_uri", broken)
    login_as("admin")
    response = client.post(f"/admin/waves/{wave.slug}/invitations",
                           data={"agency": "A1", "count": "3", "output": "sheet"})
    assert response.status_code == 500
    db.session.remove()
    assert count(Invitation) == 0


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_ISSUE": "2/hour"}])
def test_issuing_is_rate_limited_per_account_not_per_address(app, wave, make_user, app_config):
    from tests.conftest import login

    statuses = {}
    for name in ("first", "second"):
        client = app.test_client()
        user, password = make_user("admin")
        login(client, user.email, password)
        statuses[name] = [client.post(f"/admin/waves/{wave.slug}/invitations",
                                      data={"agency": "A1", "count": "1", "output": "csv"}).status_code
                          for _ in range(3)]
    assert statuses == {"first": [200, 200, 429], "second": [200, 200, 429]}
    assert count(Invitation) == 4


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "RATE_LIMIT_PAPER": "2/hour"}])
def test_paper_entry_is_rate_limited_per_account(client, wave, answers, login_as, app_config):
    login_as("entry", wave.agencies[0])
    statuses = [key_in(client, wave, answers, number=f"P-{n}").status_code for n in range(3)]
    assert statuses == [303, 303, 429] and count(Response) == 2


def test_a_written_out_cli_batch_is_committed_and_an_unwritable_one_is_not(runner, wave, tmp_path):
    out = tmp_path / "links.csv"
    done = runner.invoke(args=["invitations", "issue", "--wave", wave.slug, "--agency", "A1", "--count", "3",
                               "--output", str(out)])
    assert done.exit_code == 0, done.output
    assert len(list(csv.DictReader(out.open()))) == 3 and count(Invitation) == 3
    failed = runner.invoke(args=["invitations", "issue", "--wave", wave.slug, "--agency", "A1", "--count", "3",
                                 "--output", str(tmp_path / "missing" / "links.csv")])
    assert failed.exit_code != 0 and "no invitation was issued" in failed.output
    db.session.remove()
    assert count(Invitation) == 3

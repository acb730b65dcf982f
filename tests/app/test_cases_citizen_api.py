"""POST /api/v1/responses with a ``follow_up`` (a case opened in the response's transaction), the
dissatisfied case through the API, and the contact address absent from every export, page and
table an official can reach."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, inspect, select, text

from app.cases import service
from app.collect import invitations, kiosks
from app.extensions import db
from app.models import Invitation, Response
from app.models.case import CaseContact, FeedbackCase
from tests.conftest import login

ADDRESS = "ba.lan.khieu.nai@example.vn"
PHONE = "0912345678"
GOOD = {"channel": "email", "address": ADDRESS, "text": "Xin cho biết khi nào có kết quả.", "consent": True}


@pytest.fixture
def tokens(wave):
    issued = invitations.issue(wave, wave.agencies[0], 3)
    db.session.commit()
    return [i.token for i in issued]


def post(client, token, answers, follow_up=None, **extra):
    body = {"invitation": token, "answers": answers, "language": "vi", **extra}
    if follow_up is not None:
        body["follow_up"] = follow_up
    return client.post("/api/v1/responses", json=body)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def token_of(response) -> str:
    url = response.get_json()["case"]["status_url"]
    assert url.startswith("http://localhost/c/")
    return url.rsplit("/", 1)[1]


def test_a_follow_up_opens_a_case_and_answers_with_its_status_link(client, tokens, answers):
    response = post(client, tokens[0], answers, GOOD)
    assert response.status_code == 201, response.get_json()
    case = service.by_token(token_of(response))
    assert case.kind == "request" and case.text == GOOD["text"] and case.state == "new"
    contact = db.session.get(CaseContact, case.id)
    assert contact.channel == "email" and ADDRESS.encode() not in contact.address
    assert count(Response) == 1
    assert client.get(response.get_json()["case"]["status_url"].replace("http://localhost", "")).status_code == 200


def test_a_phone_number_is_accepted_for_sms_and_zalo(client, tokens, answers):
    for token, channel in zip(tokens, ("sms", "zalo"), strict=False):
        response = post(client, token, answers, dict(GOOD, channel=channel, address="+84 912 345 678"))
        assert response.status_code == 201, response.get_json()
    assert sorted(c.channel for c in db.session.scalars(select(CaseContact))) == ["sms", "zalo"]


def test_no_case_no_case_key(client, tokens, answers):
    response = post(client, tokens[0], answers)
    assert response.status_code == 201 and "case" not in response.get_json() and count(FeedbackCase) == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"channel": "fax"}, "follow_up.channel"),
    ({"channel": 3}, "follow_up.channel"),
    ({"address": "khong-phai-email"}, "follow_up.address"),
    ({"channel": "sms", "address": "12345"}, "follow_up.address"),
    ({"channel": "zalo", "address": ADDRESS}, "follow_up.address"),
    ({"address": ""}, "follow_up.address"),
    ({"text": ""}, "follow_up.text"),
    ({"text": "   "}, "follow_up.text"),
    ({"text": "x" * 2001}, "follow_up.text"),
    ({"text": None}, "follow_up.text"),
    ({"text": "a\x00b"}, "follow_up.text"),
    ({"consent": False}, "follow_up.consent"),
    ({"consent": "true"}, "follow_up.consent"),
    ({"consent": None}, "follow_up.consent"),
    ({"colour": "red"}, "follow_up.colour"),
])
def test_each_bad_field_is_named_and_nothing_is_stored(client, tokens, answers, change, field):
    follow_up = {k: v for k, v in dict(GOOD, **change).items() if v is not None}
    response = post(client, tokens[0], answers, follow_up)
    assert response.status_code == 400, response.get_json()
    assert field in {e["field"] for e in response.get_json()["errors"]}
    assert count(Response) == 0 and count(FeedbackCase) == 0 and count(CaseContact) == 0
    db.session.expire_all()
    assert db.session.scalars(select(Invitation)).first().used_at is None
    assert post(client, tokens[0], answers, GOOD).status_code == 201  # the invitation is still usable


@pytest.mark.parametrize("value", ["email", ["email"], 1])
def test_a_follow_up_that_is_not_an_object_is_refused(client, tokens, answers, value):
    response = post(client, tokens[0], answers, value)
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "follow_up"
    assert count(Response) == 0


def test_a_follow_up_refused_after_the_response_was_written_leaves_nothing(client, tokens, answers, monkeypatch):
    real = service.open_case

    def refusing(*args, **kwargs):
        assert count(Response) == 1  # written in this transaction
        raise service.Refusal("follow_up.address", "refused for the test")

    monkeypatch.setattr(service, "open_case", refusing)
    response = post(client, tokens[0], answers, GOOD)
    assert response.status_code == 400 and response.get_json()["errors"][0]["field"] == "follow_up.address"
    db.session.rollback()
    assert count(Response) == 0 and count(FeedbackCase) == 0
    monkeypatch.setattr(service, "open_case", real)
    assert post(client, tokens[0], answers, GOOD).status_code == 201
    assert count(Response) == 1 and count(FeedbackCase) == 1


def test_a_dissatisfied_rating_with_a_comment_opens_a_case_through_the_api(client, tokens, answers):
    response = post(client, tokens[0], dict(answers, overall_satisfaction=1, comments="Cán bộ hẹn lại ba lần."))
    assert response.status_code == 201
    case = service.by_token(token_of(response))
    assert case.kind == "dissatisfied" and case.text == "Cán bộ hẹn lại ba lần." and count(CaseContact) == 0
    satisfied = post(client, tokens[1], dict(answers, comments="Rất tốt."))
    assert "case" not in satisfied.get_json() and count(FeedbackCase) == 1


def test_a_kiosk_retry_opens_no_second_case(client, wave, answers):
    key = kiosks.issue(wave.agencies[0]).key
    db.session.commit()
    body = {"agency": "A1", "answers": answers, "language": "vi", "submission": "queued-0001",
            "follow_up": GOOD}
    first = client.post("/api/v1/responses", json=body, headers={"X-Kiosk-Key": key})
    assert first.status_code == 201 and "case" in first.get_json()
    again = client.post("/api/v1/responses", json=body, headers={"X-Kiosk-Key": key})
    assert again.status_code == 200 and again.get_json()["receipt"] == first.get_json()["receipt"]
    assert "case" not in again.get_json() and count(FeedbackCase) == 1 and count(Response) == 1


def test_the_contract_documents_the_follow_up_and_the_case(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    post_spec = spec["paths"]["/api/v1/responses"]["post"]
    for variant in post_spec["requestBody"]["content"]["application/json"]["schema"]["oneOf"]:
        follow_up = variant["properties"]["follow_up"]
        assert follow_up["properties"]["channel"]["enum"] == ["email", "sms", "zalo"]
        assert follow_up["properties"]["consent"]["const"] is True
    created = post_spec["responses"]["201"]["content"]["application/json"]["schema"]
    assert "status_url" in created["properties"]["case"]["properties"]


# --- the contact is nowhere an official can reach ---------------------------------------------


@pytest.fixture
def with_cases(client, wave, tokens, answers):
    assert post(client, tokens[0], dict(answers, comments="Góp ý chung."), GOOD).status_code == 201
    sms = dict(GOOD, channel="sms", address=PHONE, text="Tôi cần trả lời qua tin nhắn.")
    assert post(client, tokens[1], answers, sms).status_code == 201
    assert post(client, tokens[2], dict(answers, overall_satisfaction=2, comments="Chậm.")).status_code == 201
    return wave


def assert_absent(data: bytes | str, where: str) -> None:
    blob = data.encode() if isinstance(data, str) else data
    for secret in (ADDRESS, PHONE, "912345678", "912 345 678"):
        assert secret.encode() not in blob, f"{secret} in {where}"


def test_the_contact_is_in_no_export_page_or_table(client, with_cases, make_user):
    assert count(CaseContact) == 2 and count(FeedbackCase) == 3
    user, password = make_user("admin")
    assert login(client, user.email, password).status_code == 302
    bearer = client.post("/api/v1/auth/token", json={"email": user.email, "password": password}).get_json()["token"]
    slug = with_cases.slug
    case_ids = list(db.session.scalars(select(FeedbackCase.id)))
    response_ids = list(db.session.scalars(select(Response.id)))
    urls = [f"/admin/waves/{slug}/export/csv", f"/admin/waves/{slug}/responses", f"/admin/waves/{slug}/comments",
            f"/dashboard/{slug}", f"/dashboard/{slug}/agencies/A1", f"/dashboard/{slug}/estimates.csv",
            f"/api/v1/waves/{slug}/estimates?by=agency", "/admin/audit", "/admin/audit/export.csv", "/admin/cases",
            *[f"/admin/responses/{i}" for i in response_ids], *[f"/admin/cases/{i}" for i in case_ids]]
    for url in urls:
        page = client.get(url, headers={"Authorization": f"Bearer {bearer}"} if "/api/" in url else {})
        assert page.status_code == 200, url
        assert_absent(page.data, url)
    for url in (f"/admin/waves/{slug}/export/xlsx", f"/dashboard/{slug}/report.xlsx"):
        page = client.get(url)
        assert page.status_code == 200, url
        with zipfile.ZipFile(io.BytesIO(page.data)) as book:  # the sheets' XML, uncompressed
            assert book.namelist()
            for name in book.namelist():
                assert_absent(book.read(name), f"{url}:{name}")
    # (the search finds what is there: the comment is in the export, the case's text on its page)
    assert "Góp ý chung." in client.get(f"/admin/waves/{slug}/export/csv").get_data(as_text=True)
    assert "Xin cho biết khi nào có kết quả." in client.get(f"/admin/cases/{case_ids[0]}").get_data(as_text=True)


def test_the_contact_is_stored_only_encrypted(with_cases):
    tables = inspect(db.engine).get_table_names()
    with db.engine.connect() as connection:
        for table in tables:
            for row in connection.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 - table names from the schema
                assert_absent(repr(tuple(row)), table)
                assert_absent(b"".join(v for v in row if isinstance(v, (bytes, memoryview))), table)

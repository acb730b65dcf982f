"""Responses: filters, exclusion with a reason (audited, out of estimates), exports and codebook."""
from __future__ import annotations

import csv
import io

from app.extensions import db
from app.models import AuditEvent, Response, Wave
from app.results import estimates
from app.results.snapshot import current
from tests.app.admin_helpers import a_response, wave_with_responses


def test_filters_narrow_the_list(client, login_as):
    wave = wave_with_responses(3)
    login_as("admin")
    assert "4 responses" in client.get(f"/admin/waves/{wave.slug}/responses?lang=en").get_data(as_text=True)
    assert "1 response" in client.get(f"/admin/waves/{wave.slug}/responses?channel=kiosk").get_data(as_text=True)
    assert "3 responses" in client.get(f"/admin/waves/{wave.slug}/responses?agency=A1").get_data(as_text=True)
    assert "0 responses" in client.get(f"/admin/waves/{wave.slug}/responses?excluded=yes").get_data(as_text=True)


def test_excluding_needs_a_reason_is_audited_and_leaves_the_estimates(client, login_as):
    wave = wave_with_responses(3)
    login_as("admin")
    target = a_response(wave, "A2")
    assert client.post(f"/admin/responses/{target.id}", data={"excluded": "1", "reason": ""}).status_code == 400
    before = estimates.compute(current(wave), ["agency"])
    assert "A2" in set(before["agency"])
    response = client.post(f"/admin/responses/{target.id}", data={"excluded": "1", "reason": "duplicate paper form"})
    assert response.status_code == 302
    db.session.refresh(target)
    wave = db.session.get(Wave, wave.id)
    assert target.excluded and target.exclusion_reason == "duplicate paper form" and wave.data_version == 1
    event = db.session.query(AuditEvent).filter_by(action="response.exclude").one()
    assert event.before["excluded"] is False and event.after["reason"] == "duplicate paper form"
    assert "A2" not in set(estimates.compute(current(wave), ["agency"])["agency"])
    exported = client.get(f"/admin/waves/{wave.slug}/export/csv").get_data(as_text=True)
    assert len(list(csv.DictReader(io.StringIO(exported)))) == 3
    client.post(f"/admin/responses/{target.id}", data={"excluded": "0", "reason": "not a duplicate after all"})
    db.session.refresh(target)
    assert not target.excluded and db.session.query(AuditEvent).filter_by(action="response.restore").count() == 1


def test_exports_have_the_contract_columns_and_a_codebook_in_each_language(client, login_as):
    wave = wave_with_responses(2)
    login_as("admin")
    header = client.get(f"/admin/waves/{wave.slug}/export/csv").get_data(as_text=True).splitlines()[0]
    assert header.startswith("response_id,agency,block,channel,language,submitted_on,weight,")
    assert client.get(f"/admin/waves/{wave.slug}/export/xlsx").get_data()[:2] == b"PK"
    assert client.get(f"/admin/waves/{wave.slug}/export/sav").get_data()[:4] == b"$FL2"
    vi = client.get(f"/admin/waves/{wave.slug}/codebook.csv?in=vi").get_data(as_text=True)
    en = client.get(f"/admin/waves/{wave.slug}/codebook.csv?in=en").get_data(as_text=True)
    assert "5=Rất hài lòng" in vi and "5=Very satisfied" in en
    assert client.get(f"/admin/waves/{wave.slug}/export/pdf").status_code == 404
    assert db.session.query(AuditEvent).filter_by(action="wave.export").count() == 3


def test_the_detail_page_lists_the_answers(client, login_as):
    wave_with_responses(1)
    login_as("admin")
    response = db.session.query(Response).first()
    page = client.get(f"/admin/responses/{response.id}").get_data(as_text=True)
    assert "f1_1" in page


def test_no_page_or_audit_record_leads_from_a_receipt_to_its_row(client, login_as):
    wave = wave_with_responses(3)
    login_as("admin")
    target = a_response(wave, "A2")
    listing = client.get(f"/admin/waves/{wave.slug}/responses").get_data(as_text=True)
    detail = client.get(f"/admin/responses/{target.id}").get_data(as_text=True)
    client.post(f"/admin/responses/{target.id}", data={"excluded": "1", "reason": "duplicate paper form"})
    logged = [e.object_id for e in db.session.query(AuditEvent)]
    receipts = {r.receipt for r in db.session.query(Response)}
    assert not any(r in listing or r in detail or r in logged for r in receipts)


def test_submission_times_are_kept_and_exported_at_day_precision(client, login_as):
    import re

    from sqlalchemy import DateTime

    assert not any(isinstance(c.type, DateTime) for c in Response.__table__.columns)
    wave = wave_with_responses(2)
    login_as("admin")
    exported = client.get(f"/admin/waves/{wave.slug}/export/csv").get_data(as_text=True)
    days = [row["submitted_on"] for row in csv.DictReader(io.StringIO(exported))]
    assert days and all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in days)

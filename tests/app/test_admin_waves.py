"""Waves: create, edit, open, close with retention; frame counts and margins validated; kiosk keys."""
from __future__ import annotations

import io

import pytest

from app.collect import invitations, kiosks
from app.extensions import db
from app.models import FrameCount, Invitation, KioskKey, Margin, Wave
from tests import factories


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def wave_form(version_id: int, **extra) -> dict:
    data = {"slug": "w-2026", "name_vi": "Đợt 2026", "name_en": "", "period_start": "2026-01-01",
            "period_end": "2026-06-30", "survey_version": str(version_id), "agencies": ["A1", "A2"],
            "channels": ["link", "paper"], "purge_dossiers": "y"}
    data.update(extra)
    return data


def test_a_wave_is_created_as_draft_then_opened_and_closed(client, admin):
    factories.agency("A1"), factories.agency("A2")
    version = factories.published()
    db.session.commit()
    response = client.post("/admin/waves/new", data=wave_form(version.id))
    assert response.status_code == 302, response.get_data(as_text=True)
    wave = db.session.query(Wave).filter_by(slug="w-2026").one()
    assert wave.status == "draft" and [a.code for a in wave.agencies] == ["A1", "A2"]
    assert wave.channels == ["link", "paper"] and wave.name_en == "Đợt 2026"
    client.post("/admin/waves/w-2026/status", data={"status": "open"})
    db.session.refresh(wave)
    assert wave.status == "open"
    client.post("/admin/waves/w-2026/status", data={"status": "closed", "confirmed": "yes"})
    db.session.refresh(wave)
    assert wave.status == "closed"


def test_period_must_not_end_before_it_starts(client, admin):
    factories.agency("A1"), factories.agency("A2")
    version = factories.published()
    db.session.commit()
    response = client.post("/admin/waves/new", data=wave_form(version.id, period_end="2025-01-01"))
    assert response.status_code == 400 and db.session.query(Wave).count() == 0


def test_the_questionnaire_of_an_opened_wave_cannot_change(client, admin):
    wave = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    other = factories.published("sipas-2022")
    db.session.commit()
    response = client.post(f"/admin/waves/{wave.slug}/edit", data=wave_form(other.id, slug=wave.slug))
    assert response.status_code == 400 and "không thể đổi phiếu" in response.get_data(as_text=True)


def test_closing_deletes_dossier_digests_when_retention_is_on(client, admin):
    wave = factories.wave()
    invitations.issue(wave, wave.agencies[0], dossiers=["H15.1-0001", "H15.1-0002"])
    db.session.commit()
    client.post(f"/admin/waves/{wave.slug}/status", data={"status": "closed", "confirmed": "yes"})
    assert db.session.query(Invitation).filter(Invitation.dossier_digest.is_not(None)).count() == 0
    assert db.session.query(Invitation).count() == 2


def test_retention_off_keeps_digests_until_the_manual_purge(client, admin):
    wave = factories.wave()
    wave.settings = {"purge_dossiers_on_close": False}
    invitations.issue(wave, wave.agencies[0], dossiers=["H15.1-0001"])
    db.session.commit()
    assert client.post(f"/admin/waves/{wave.slug}/purge-dossiers", data={"confirmed": "yes"}).status_code == 302
    assert db.session.query(Invitation).filter(Invitation.dossier_digest.is_not(None)).count() == 1  # still open
    client.post(f"/admin/waves/{wave.slug}/status", data={"status": "closed", "confirmed": "yes"})
    assert db.session.query(Invitation).filter(Invitation.dossier_digest.is_not(None)).count() == 1
    client.post(f"/admin/waves/{wave.slug}/purge-dossiers", data={"confirmed": "yes"})
    assert db.session.query(Invitation).filter(Invitation.dossier_digest.is_not(None)).count() == 0


def test_typed_frame_counts_are_stored_and_negative_ones_refused(client, admin):
    wave = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    response = client.post(f"/admin/waves/{wave.slug}/frame", data={"n_A1": "1200", "n_A2": ""})
    assert response.status_code == 302
    assert [(c.transactions, c.stratum) for c in db.session.query(FrameCount)] == [(1200, "")]
    version = wave.data_version
    response = client.post(f"/admin/waves/{wave.slug}/frame", data={"n_A1": "-5", "n_A2": "10"})
    assert response.status_code == 400 and "không được âm" in response.get_data(as_text=True)
    db.session.refresh(wave)
    assert db.session.query(FrameCount).one().transactions == 1200 and wave.data_version == version


def test_frame_counts_import_per_stratum_names_bad_lines(client, admin):
    wave = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    bad = "agency,stratum,transactions\nA1,land,100\nZZ,land,5\nA1,land,7\nA2,,abc\n"
    response = client.post(f"/admin/waves/{wave.slug}/frame", data={"file": (io.BytesIO(bad.encode()), "f.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<td>3</td><td>agency</td>" in page and "<td>4</td><td>stratum</td>" in page and "<td>5</td><td>transactions</td>" in page
    good = "agency,stratum,transactions\nA1,land,100\nA1,justice,50\nA2,,80\n"
    response = client.post(f"/admin/waves/{wave.slug}/frame", data={"file": (io.BytesIO(good.encode()), "f.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302 and db.session.query(FrameCount).count() == 3


def test_margins_must_agree_across_variables(client, admin):
    wave = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    disagree = "variable,category,total\nagency,A1,600\nagency,A2,400\ngender,1,500\ngender,2,400\n"
    response = client.post(f"/admin/waves/{wave.slug}/margins", data={"margins": disagree})
    assert response.status_code == 400 and "cùng một tổng thể" in response.get_data(as_text=True)
    negative = "variable,category,total\nagency,A1,-1\n"
    assert "không được âm" in client.post(f"/admin/waves/{wave.slug}/margins",
                                               data={"margins": negative}).get_data(as_text=True)
    unknown = "variable,category,total\nagency,ZZ,1\n"
    assert "không phải là một nhóm của" in client.post(f"/admin/waves/{wave.slug}/margins",
                                           data={"margins": unknown}).get_data(as_text=True)
    agree = "variable,category,total\nagency,A1,600\nagency,A2,400\ngender,1,500\ngender,2,500\n"
    response = client.post(f"/admin/waves/{wave.slug}/margins", data={"margins": agree})
    assert response.status_code == 302 and db.session.query(Margin).count() == 4


def test_a_kiosk_key_is_shown_once_and_only_its_digest_is_stored(client, admin):
    factories.agency("A1")
    db.session.commit()
    response = client.post("/admin/kiosk-keys", data={"agency": "A1", "label": "Desk 1"})
    page = response.get_data(as_text=True)
    key = db.session.query(KioskKey).one()
    raw = page.split('<code class="secret">')[1].split("</code>")[0]
    assert key.key_hash == kiosks.digest(raw) and raw not in key.key_hash
    assert response.headers["Cache-Control"] == "no-store"
    assert raw not in client.get("/admin/kiosk-keys").get_data(as_text=True)
    agency = key.agency
    assert kiosks.verify(agency, raw) is key
    assert client.get(f"/k/A1?key={raw}").status_code == 403  # the key itself is no setup link
    setup_url = page.split('<code class="secret">')[2].split("</code>")[0].replace("&amp;", "&")
    assert client.get(setup_url.replace("http://localhost", "")).status_code == 303  # a one-time code installs it
    client.post(f"/admin/kiosk-keys/{key.id}/revoke")
    assert kiosks.verify(agency, raw) is None


def hidden_fields(html: str, action: str) -> dict[str, str]:
    """The fields the confirmation page's form would post (what a browser without JavaScript sends)."""
    import re

    form = re.search(rf'<form method="post" action="{re.escape(action)}"[^>]*>(.*?)</form>', html, re.S)
    assert form, html[-1500:]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))


def test_closing_a_wave_asks_first_and_says_what_it_stops(client, admin):
    wave = factories.wave()
    invitations.issue(wave, wave.agencies[0], dossiers=["H15.1-0001", "H15.1-0002", "H15.1-0003"])
    db.session.commit()
    asked = client.post(f"/admin/waves/{wave.slug}/status", data={"status": "closed"})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Đóng đợt khảo sát Đợt w1?" in html
    assert "3 thư mời chưa được trả lời sẽ không dùng được nữa" in html and "3 mã băm hồ sơ sẽ bị xóa" in html
    db.session.refresh(wave)
    assert wave.status == "open"  # nothing happened yet
    fields = hidden_fields(html, f"/admin/waves/{wave.slug}/status")
    assert fields.pop("confirmed") == "yes" and fields.pop("status") == "closed" and "csrf_token" in fields
    assert client.post(f"/admin/waves/{wave.slug}/status",
                       data={"status": "closed", "confirmed": "yes"}).status_code == 302
    db.session.refresh(wave)
    assert wave.status == "closed"
    assert db.session.query(Invitation).filter(Invitation.dossier_digest.is_not(None)).count() == 0


def test_the_close_confirmation_is_in_english_too_and_cancel_goes_back(client, admin):
    wave = factories.wave()
    db.session.commit()
    client.get("/admin/waves?lang=en")
    html = client.post(f"/admin/waves/{wave.slug}/status", data={"status": "closed"}).get_data(as_text=True)
    assert "Close the wave Wave w1?" in html and "Yes, close the wave" in html
    assert f'href="/admin/waves/{wave.slug}">Cancel</a>' in html


def test_opening_needs_no_confirmation(client, admin):
    wave = factories.wave(status="draft")
    db.session.commit()
    assert client.post(f"/admin/waves/{wave.slug}/status", data={"status": "open"}).status_code == 302
    db.session.refresh(wave)
    assert wave.status == "open"


def test_deleting_dossier_digests_asks_first(client, admin):
    wave = factories.wave()
    wave.settings = {"purge_dossiers_on_close": False}
    invitations.issue(wave, wave.agencies[0], dossiers=["H15.1-0001"])
    wave.status = "closed"
    db.session.commit()
    asked = client.post(f"/admin/waves/{wave.slug}/purge-dossiers")
    assert asked.status_code == 200 and "1 mã băm hồ sơ sẽ bị xóa" in asked.get_data(as_text=True)
    assert db.session.query(Invitation).filter(Invitation.dossier_digest.is_not(None)).count() == 1
    client.post(f"/admin/waves/{wave.slug}/purge-dossiers", data={"confirmed": "yes"})
    assert db.session.query(Invitation).filter(Invitation.dossier_digest.is_not(None)).count() == 0


def test_a_whole_block_of_agencies_is_selected_with_one_box(client, admin):
    factories.agency("S1", block="departments"), factories.agency("S2", block="departments")
    factories.agency("D1", block="districts")
    factories.agency("S3", block="departments").active = False
    version = factories.published()
    db.session.commit()
    page = client.get("/admin/waves/new").get_data(as_text=True)
    assert 'name="all_blocks" value="departments"' in page and 'name="all_blocks" value="*"' in page
    response = client.post("/admin/waves/new", data=wave_form(version.id, agencies=["D1"], all_blocks=["departments"]))
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    wave = db.session.query(Wave).filter_by(slug="w-2026").one()
    assert [a.code for a in wave.agencies] == ["D1", "S1", "S2"]  # the deactivated S3 is left out


def test_all_active_agencies_at_once_and_an_unknown_block_is_refused(client, admin):
    factories.agency("S1", block="departments"), factories.agency("D1", block="districts")
    version = factories.published()
    db.session.commit()
    refused = client.post("/admin/waves/new", data=wave_form(version.id, agencies=[], all_blocks=["nowhere"]))
    assert refused.status_code == 400 and "nowhere" in refused.get_data(as_text=True)
    response = client.post("/admin/waves/new", data=wave_form(version.id, agencies=[], all_blocks=["*"]))
    assert response.status_code == 302
    assert [a.code for a in db.session.query(Wave).filter_by(slug="w-2026").one().agencies] == ["D1", "S1"]

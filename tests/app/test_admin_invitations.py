"""Invitations in bulk (count or dossier CSV), as CSV or a QR sheet; integration API keys."""
from __future__ import annotations

import csv
import io

import pytest

from app.collect.invitations import dossier_digest
from app.extensions import db
from app.models import ApiKey, Invitation
from app.shared.secrets import token_hash
from tests import factories


@pytest.fixture
def wave(app):
    item = factories.wave()
    db.session.commit()
    return item


def test_a_count_of_invitations_comes_back_as_a_csv_of_working_links(client, login_as, wave):
    login_as("admin")
    response = client.post(f"/admin/waves/{wave.slug}/invitations", data={"agency": "A1", "count": "10", "output": "csv"})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 10 and db.session.query(Invitation).count() == 10
    token = rows[0]["url"].rsplit("/", 1)[1]
    assert db.session.query(Invitation).filter_by(token_hash=token_hash(token)).count() == 1
    assert all(token not in (i.token_hash or "") for i in db.session.query(Invitation))


def test_the_print_sheet_has_one_inline_svg_qr_code_per_invitation(client, login_as, wave):
    login_as("admin")
    page = client.post(f"/admin/waves/{wave.slug}/invitations",
                       data={"agency": "A1", "count": "3", "output": "sheet"}).get_data(as_text=True)
    assert page.count('src="data:image/svg+xml') == 3 and page.count("http://localhost/s/") == 3


def test_dossier_codes_are_stored_as_digests_and_a_second_invitation_is_refused(client, login_as, wave):
    login_as("admin")
    codes = "dossier\nH15.50.05.13-261008-0975\nh15.50.05.13-261008-0976\n"
    response = client.post(f"/admin/waves/{wave.slug}/invitations",
                           data={"agency": "A1", "output": "csv", "dossiers": (io.BytesIO(codes.encode()), "d.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    digests = {i.dossier_digest for i in db.session.query(Invitation)}
    assert digests == {dossier_digest("H15.50.05.13-261008-0975"), dossier_digest("H15.50.05.13-261008-0976")}
    again = "dossier\nH15.50.05.13-261008-0977\nH15.50.05.13-261008-0975\nbad code\nH15.50.05.13-261008-0977\n"
    response = client.post(f"/admin/waves/{wave.slug}/invitations",
                           data={"agency": "A1", "output": "csv", "dossiers": (io.BytesIO(again.encode()), "d.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and db.session.query(Invitation).count() == 2
    assert "<td>3</td><td>dossier</td>" in page and "đã có thư mời trong đợt này" in page
    assert "<td>4</td><td>dossier</td>" in page and "<td>5</td><td>dossier</td>" in page


def test_neither_count_nor_file_is_a_clear_400(client, login_as, wave):
    login_as("admin")
    response = client.post(f"/admin/waves/{wave.slug}/invitations", data={"agency": "A1", "output": "csv"})
    assert response.status_code == 400 and db.session.query(Invitation).count() == 0


def test_an_integration_key_is_shown_once_used_by_the_api_and_revoked(client, login_as, wave):
    login_as("admin")
    page = client.post("/admin/api-keys", data={"name": "Một cửa", "agency": "A1"}).get_data(as_text=True)
    raw = page.split('<code class="secret">')[1].split("</code>")[0]
    key = db.session.query(ApiKey).one()
    assert raw not in key.key_hash and key.last_used_at is None
    response = client.post("/api/v1/invitations", json={"wave": wave.slug, "agency": "A1"}, headers={"X-API-Key": raw})
    assert response.status_code == 201, response.get_json()
    db.session.refresh(key)
    assert key.last_used_at is not None
    listing = client.get("/admin/api-keys").get_data(as_text=True)
    assert raw not in listing and "Một cửa" in listing
    client.post(f"/admin/api-keys/{key.id}/revoke")
    response = client.post("/api/v1/invitations", json={"wave": wave.slug, "agency": "A1"}, headers={"X-API-Key": raw})
    assert response.status_code == 401

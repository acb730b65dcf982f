"""Agencies administration: search, create, edit, deactivate, CSV import with line errors, export."""
from __future__ import annotations

import io

from app.extensions import db
from app.models import Agency, AuditEvent
from tests import factories


def test_agencies_are_searched_by_code_or_name(client, login_as):
    factories.agency("SO-TP", name="Sở Tư pháp")
    factories.agency("UB-HL", name="UBND Hạ Long")
    db.session.commit()
    login_as("admin")
    page = client.get("/admin/agencies?q=tư pháp").get_data(as_text=True)
    assert "SO-TP" in page and "UB-HL" not in page


def test_an_agency_is_created_then_edited_and_both_are_audited(client, login_as):
    login_as("admin")
    response = client.post("/admin/agencies/new", data={"code": "SO-YT", "name_vi": "Sở Y tế", "name_en": "",
                                                         "block": "departments", "parent": "", "level": "department"})
    assert response.status_code == 302
    agency = db.session.query(Agency).filter_by(code="SO-YT").one()
    assert agency.name_en == "Sở Y tế" and agency.block.code == "departments"
    client.post("/admin/agencies/SO-YT/edit", data={"code": "SO-YT", "name_vi": "Sở Y tế tỉnh", "name_en": "Health",
                                                    "block": "departments", "parent": "", "level": "commune"})
    db.session.refresh(agency)
    assert (agency.name_vi, agency.level) == ("Sở Y tế tỉnh", "commune")
    update = db.session.query(AuditEvent).filter_by(action="agency.update").one()
    assert update.before["name_vi"] == "Sở Y tế" and update.after["name_vi"] == "Sở Y tế tỉnh"


def test_a_duplicate_code_is_refused_under_the_field(client, login_as):
    factories.agency("A1")
    db.session.commit()
    login_as("admin")
    response = client.post("/admin/agencies/new", data={"code": "A1", "name_vi": "X", "block": "b", "level": "department"})
    assert response.status_code == 400
    assert "đã có cơ quan mã" in response.get_data(as_text=True)


def test_an_agency_cannot_become_its_own_parent(client, login_as):
    factories.agency("A1")
    db.session.commit()
    login_as("admin")
    response = client.post("/admin/agencies/A1/edit", data={"code": "A1", "name_vi": "X", "block": "departments",
                                                            "parent": "A1", "level": "department"})
    assert response.status_code == 400


def test_deactivating_hides_the_agency_from_the_default_list(client, login_as):
    factories.agency("A1")
    db.session.commit()
    login_as("admin")
    client.post("/admin/agencies/A1/active", data={"active": "0"})
    assert db.session.query(Agency).filter_by(code="A1").one().active is False
    assert "A1" not in client.get("/admin/agencies").get_data(as_text=True).split("<tbody>")[1]
    assert "A1" in client.get("/admin/agencies?inactive=1").get_data(as_text=True).split("<tbody>")[1]


def test_csv_import_reports_every_bad_line_and_changes_nothing(client, login_as):
    login_as("admin")
    data = ("code,name_vi,name_en,block,parent,level,valid_from\nB1,Cơ quan 1,,departments,,department,\n"
            "bad code!,X,,d,,commune,\nB3,,,d,,12,\nB4,Y,,d,,commune,1.7.2025\n")
    response = client.post("/admin/agencies/import", data={"file": (io.BytesIO(data.encode()), "a.csv")},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<td>3</td><td>code</td>" in page and "<td>4</td><td>name_vi</td>" in page and "<td>4</td><td>level</td>" in page
    assert "<td>5</td><td>valid_from</td>" in page
    assert db.session.query(Agency).count() == 0


def test_csv_import_then_export_round_trips(client, login_as):
    login_as("admin")
    data = ("code,name_vi,name_en,block,parent,level,unit_code,one_stop_code,valid_from,valid_to\n"
            "B1,Cơ quan 1,Agency 1,departments,,province,22,,,\n"
            "B2,Cơ quan 2,,districts,B1,district,,h15.50,2020-01-01,2025-06-30\n")
    response = client.post("/admin/agencies/import", data={"file": (io.BytesIO(data.encode()), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    exported = client.get("/admin/agencies/export.csv")
    assert exported.headers["Content-Disposition"].startswith("attachment")
    assert exported.get_data(as_text=True).splitlines()[2] == \
        "B2,Cơ quan 2,Cơ quan 2,districts,B1,district,,H15.50,2020-01-01,2025-06-30"

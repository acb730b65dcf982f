"""The audit log reads as a diff: real Vietnamese letters, only the fields that changed, in pages."""
from __future__ import annotations

import re

import pytest

from app.accounts import audit_log
from app.extensions import db
from app.shared import audit


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def changes_cell(html: str) -> str:
    rows = re.findall(r'<ul class="changes">(.*?)</ul>', html, re.S)
    assert rows, html[-2000:]
    return " ".join(" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows)


def test_an_update_shows_the_changed_fields_only_with_vietnamese_letters(client, admin):
    audit.record("agency.update", "agency", "A1", actor="cán.bộ@example.org",
                 before={"code": "A1", "name_vi": "Sở Tài chính", "block": "departments", "active": True},
                 after={"code": "A1", "name_vi": "Sở Kế hoạch và Đầu tư", "block": "departments", "active": False})
    db.session.commit()
    html = client.get("/admin/audit").get_data(as_text=True)
    cell = changes_cell(html)
    assert "name_vi: Sở Tài chính → Sở Kế hoạch và Đầu tư" in cell
    assert "active: true → false" in cell
    assert "code" not in cell and "block" not in cell  # unchanged fields are left out
    assert "\\u" not in html and "&#34;" not in cell


def test_a_created_object_lists_its_fields_and_a_removed_field_says_so(client, admin):
    audit.record("wave.create", "wave", "w-2026", actor="a@example.org",
                 after={"name_vi": "Đợt khảo sát năm 2026", "agencies": ["A1", "A2"]})
    audit.record("user.update", "user", 7, actor="a@example.org",
                 before={"agency": "Sở Y tế"}, after={})
    db.session.commit()
    cell = changes_cell(client.get("/admin/audit?lang=en").get_data(as_text=True))
    assert "name_vi: Đợt khảo sát năm 2026" in cell and "agencies: A1, A2" in cell
    assert "agency: Sở Y tế → (removed)" in cell


def test_the_page_is_in_vietnamese_and_in_english(client, admin):
    audit.record("wave.close", "wave", "w1", actor="a@example.org", before={"status": "open"},
                 after={"status": "closed"})
    db.session.commit()
    assert "Thay đổi" in client.get("/admin/audit?lang=vi").get_data(as_text=True)
    english = client.get("/admin/audit?lang=en").get_data(as_text=True)
    assert ">Changes<" in english and ">Before<" not in english


def test_the_log_comes_in_pages_of_fifty(client, admin):
    for number in range(60):
        audit.record("agency.update", "agency", f"A{number}", actor="a@example.org",
                     before={"name_vi": "cũ"}, after={"name_vi": f"mới {number}"})
    db.session.commit()
    first = client.get("/admin/audit?action=agency").get_data(as_text=True)
    assert first.count('<ul class="changes">') == 50 and "page=2" in first
    second = client.get("/admin/audit?action=agency&page=2").get_data(as_text=True)
    assert second.count('<ul class="changes">') == 10


def test_long_values_are_cut_on_the_page_but_whole_in_the_export(client, admin):
    text = "Ý kiến " * 100
    audit.record("survey.edit", "survey_version", 1, actor="a@example.org", before={"source": ""},
                 after={"source": text})
    db.session.commit()
    cell = changes_cell(client.get("/admin/audit").get_data(as_text=True))
    assert "…" in cell and len(cell) < 400
    assert text.strip() in client.get("/admin/audit/export.csv").get_data(as_text=True)


def test_changes_compares_nested_values_and_ignores_equal_ones():
    rows = audit_log.changes({"m": {"a": 1, "b": "x"}, "same": [1, 2]}, {"m": {"a": 2, "b": "x"}, "same": [1, 2]})
    assert [(r.field, r.old, r.new) for r in rows] == [("m.a", "1", "2")]
    assert audit_log.changes(None, None) == []


def test_a_list_shows_the_items_added_and_removed_not_the_whole_list(client, admin):
    agencies = [f"S{n:02d}" for n in range(40)]
    audit.record("wave.update", "wave", "w1", actor="a@example.org", before={"agencies": agencies},
                 after={"agencies": agencies[1:] + ["UBND huyện Điện Biên Đông"]})
    db.session.commit()
    cell = changes_cell(client.get("/admin/audit?action=wave").get_data(as_text=True))
    assert cell.replace(" ;", ";") == "agencies: + UBND huyện Điện Biên Đông; − S00"

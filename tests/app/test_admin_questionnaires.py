"""Questionnaire drafts in the browser: create, edit with problems by line, preview, publish, diff, XLSForm."""
from __future__ import annotations

import io

import pytest

from app.extensions import db
from app.models import SurveyVersion
from app.programme.questionnaires import questionnaire_of
from survey_definitions.xlsform_export import write_xlsform
from tests import factories


@pytest.fixture
def published(app, login_as):
    version = factories.published("per-case-61")
    login_as("admin")
    return version


def new_draft(client, version) -> SurveyVersion:
    response = client.post("/admin/questionnaires/new", data={"from": str(version.id), "slug": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.query(SurveyVersion).filter_by(slug=version.slug, version=version.version + 1).one()


def test_a_new_draft_copies_a_version_as_the_next_number(client, published):
    draft = new_draft(client, published)
    assert draft.status == "draft" and "version: 2" in draft.source and draft.checksum


def test_an_invalid_edit_is_kept_and_its_problems_are_shown_by_line(client, published):
    draft = new_draft(client, published)
    broken = draft.source.replace("type: yes_no", "type: yesno", 1)
    line = broken.splitlines().index(next(s for s in broken.splitlines() if "type: yesno" in s)) + 1
    client.post(f"/admin/questionnaires/{draft.id}/edit", data={"source": broken})
    db.session.refresh(draft)
    assert draft.source == broken and draft.checksum == ""
    page = client.get(f"/admin/questionnaires/{draft.id}/edit").get_data(as_text=True)
    assert f'href="#L{line}"' in page and f'<li id="L{line}" class="bad">' in page
    assert client.post(f"/admin/questionnaires/{draft.id}/publish", data={"confirmed": "yes"}).status_code == 302
    db.session.refresh(draft)
    assert draft.status == "draft"


def test_the_id_and_version_of_a_draft_cannot_be_changed_in_the_editor(client, published):
    draft = new_draft(client, published)
    client.post(f"/admin/questionnaires/{draft.id}/edit", data={"source": draft.source.replace("version: 2", "version: 7")})
    assert "does not match" in client.get(f"/admin/questionnaires/{draft.id}/edit").get_data(as_text=True)


def test_authored_text_is_escaped_everywhere(client, published):
    draft = new_draft(client, published)
    source = draft.source.replace("vi: Mã số hồ sơ", "vi: <script>alert(1)</script>", 1)
    client.post(f"/admin/questionnaires/{draft.id}/edit", data={"source": source})
    for url in (f"/admin/questionnaires/{draft.id}/edit", f"/admin/questionnaires/{draft.id}/preview?form_lang=vi"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


def test_preview_shows_the_questionnaire_in_each_language(client, published):
    vi = client.get(f"/admin/questionnaires/{published.id}/preview?form_lang=vi").get_data(as_text=True)
    en = client.get(f"/admin/questionnaires/{published.id}/preview?form_lang=en").get_data(as_text=True)
    assert "Mã số hồ sơ" in vi and "Application (dossier) code" in en
    assert "on_time = &#39;0&#39;" in en  # the apology question's condition is spelled out


def test_publishing_makes_the_draft_immutable(client, published):
    draft = new_draft(client, published)
    assert client.post(f"/admin/questionnaires/{draft.id}/publish", data={"confirmed": "yes"}).status_code == 302
    db.session.refresh(draft)
    assert draft.status == "published" and draft.published_at is not None
    client.post(f"/admin/questionnaires/{draft.id}/edit", data={"source": "id: x"})
    db.session.refresh(draft)
    assert draft.source != "id: x"
    assert client.post(f"/admin/questionnaires/{draft.id}/delete").status_code == 302
    assert db.session.get(SurveyVersion, draft.id) is not None


def test_the_diff_marks_added_and_removed_lines(client, published):
    draft = new_draft(client, published)
    client.post(f"/admin/questionnaires/{draft.id}/edit",
                data={"source": draft.source.replace("max: 30", "max: 40")})
    page = client.get(f"/admin/questionnaires/diff?a={published.id}&b={draft.id}").get_data(as_text=True)
    assert '<span class="d-remove">-        max: 30</span>' in page and '<span class="d-add">+        max: 40</span>' in page


def test_xlsform_export_and_import_give_the_same_questionnaire(client, published):
    workbook = client.get(f"/admin/questionnaires/{published.id}/export.xlsx")
    assert workbook.get_data()[:2] == b"PK"
    response = client.post("/admin/questionnaires/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(workbook.get_data()), "form.xlsx"), "slug": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    draft = db.session.query(SurveyVersion).filter_by(slug="per-case-61", version=2).one()
    assert draft.status == "draft" and draft.checksum  # valid
    assert questionnaire_of(draft).to_dict() | {"version": 1} == questionnaire_of(published).to_dict()


def test_an_xlsform_with_unsupported_features_names_sheet_row_and_column(client, published):
    from openpyxl import Workbook

    book = Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::Vietnamese (vi)", "label::English (en)", "relevant"])
    survey.append(["geopoint", "where", "Ở đâu", "Where", ""])
    survey.append(["integer", "n", "Số", "Number", "${n} > 3"])
    settings = book.create_sheet("settings")
    settings.append(["form_id", "version"])
    settings.append(["demo", "1"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = client.post("/admin/questionnaires/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(buffer.getvalue()), "f.xlsx"), "slug": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<td>survey</td><td>2</td><td>type</td>" in page and "<td>survey</td><td>3</td><td>relevant</td>" in page


def test_a_blank_draft_starts_valid(client, published):
    client.post("/admin/questionnaires/new", data={"slug": "my-form"})
    draft = db.session.query(SurveyVersion).filter_by(slug="my-form").one()
    assert draft.version == 1 and draft.checksum


def test_shipped_questionnaire_exports_as_xlsform_bytes(app):
    version = factories.published("sipas-2017")
    assert write_xlsform(questionnaire_of(version))[:2] == b"PK"


def test_yaml_aliases_that_expand_beyond_the_text_limit_are_refused_and_not_stored(client, published):
    """A 247 KB draft whose aliases repeated one long text became a 220 MB row."""
    draft = new_draft(client, published)
    long_text = "x" * 2_000
    source = draft.source + f"\nnotes: &long {long_text}\nrepeated: [{', '.join(['*long'] * 600)}]\n"
    assert len(source) < 100_000
    response = client.post(f"/admin/questionnaires/{draft.id}/edit", data={"source": source})
    assert response.status_code in (200, 302, 400)
    db.session.refresh(draft)
    assert draft.checksum == "" and draft.definition == {}
    page = client.get(f"/admin/questionnaires/{draft.id}/edit").get_data(as_text=True)
    assert "1,000,000 characters" in page


def test_an_xlsform_with_xml_entities_is_a_clear_400(client, published):
    from tests.survey_definitions.test_workbook_guard import SHEET, plain_workbook, rewrite

    bomb = b'<!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    data = rewrite(plain_workbook(), SHEET, lambda xml: bomb + xml)
    response = client.post("/admin/questionnaires/import", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "f.xlsx"), "slug": ""})
    assert response.status_code == 400 and "DTD or XML entities" in response.get_data(as_text=True)

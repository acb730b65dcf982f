"""Numbers typed as people write them: "3.500" in Vietnamese, "3,500" in English, "3 500" in
either; anything ambiguous in the interface language is refused with the field named."""
from __future__ import annotations

import html
import io
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import ApiKey, FrameCount, Margin
from app.shared import numbers
from tests import factories


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("3.500", "vi", 3500), ("3,500", "en", 3500), ("3 500", "vi", 3500), ("3 500", "en", 3500),
    ("3\u00a0500", "vi", 3500), ("1.234.567", "vi", 1234567), ("1,234,567", "en", 1234567), ("3500", "vi", 3500),
    ("0", "en", 0),
])
def test_whole_numbers_are_read_in_the_interface_language(text, language, expected):
    assert numbers.parse_int_text(text, language) == expected


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("1,5", "vi", Decimal("1.5")), ("1.5", "en", Decimal("1.5")), ("1.234,5", "vi", Decimal("1234.5")),
    ("1,234.5", "en", Decimal("1234.5")), ("1 234,5", "vi", Decimal("1234.5")),
])
def test_decimals_are_read_in_the_interface_language(text, language, expected):
    assert numbers.parse_decimal_text(text, language) == expected


@pytest.mark.parametrize(("text", "language"), [
    ("3,500", "vi"),  # 3,5 in Vietnamese: not a whole number
    ("3.500", "en"),  # 3.5 in English
    ("1,5", "en"), ("1.23", "vi"), ("12.345,6", "en"), ("1e5", "en"), ("\u0663", "en"), ("3 50", "vi"),
    ("abc", "vi"), ("", "en"), ("1 234.5", "vi"),
])
def test_ambiguous_or_foreign_numbers_are_refused(text, language):
    with pytest.raises(numbers.NumberError):
        numbers.parse_int_text(text, language)


def test_machine_written_decimals_are_read_only_where_asked():
    with pytest.raises(numbers.NumberError):
        numbers.parse_decimal_text("1234.5", "vi")
    assert numbers.parse_decimal_text("1234.5", "vi", machine=True) == Decimal("1234.5")
    assert numbers.parse_decimal_text("3.500", "vi", machine=True) == 3500  # the language first


@pytest.mark.parametrize("value", [1_000_000.0, 1234.5, 1.125, 3.0])
@pytest.mark.parametrize("language", ["vi", "en"])
def test_what_the_application_writes_reads_back_as_the_same_number(value, language):
    assert float(numbers.parse_decimal_text(numbers.plain(value, language), language)) == value


@pytest.fixture
def wave(app):
    item = factories.wave(agency_list=[factories.agency("A1"), factories.agency("A2")])
    db.session.commit()
    return item


def test_frame_counts_typed_with_vietnamese_thousands_are_stored(client, login_as, wave):
    login_as("admin")
    response = client.post(f"/admin/waves/{wave.slug}/frame?lang=vi", data={"n_A1": "3.500", "n_A2": "1 200"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert sorted(c.transactions for c in db.session.query(FrameCount)) == [1200, 3500]


def test_frame_counts_typed_with_english_thousands_are_stored(client, login_as, wave):
    login_as("admin")
    response = client.post(f"/admin/waves/{wave.slug}/frame?lang=en", data={"n_A1": "3,500", "n_A2": ""})
    assert response.status_code == 302
    assert db.session.query(FrameCount).one().transactions == 3500


def test_a_bad_typed_count_names_the_agency_not_a_line_of_a_file(client, login_as, wave):
    login_as("admin")
    response = client.post(f"/admin/waves/{wave.slug}/frame?lang=en", data={"n_A1": "3.5", "n_A2": "10"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Transactions of A1:" in page and "e.g. 3,500" in page and 'aria-invalid="true"' in page
    assert "The file was not imported" not in page
    assert db.session.query(FrameCount).count() == 0


def test_frame_count_files_take_the_interface_languages_numbers(client, login_as, wave):
    login_as("admin")
    body = "agency,transactions\nA1,3.500\nA2,12.000\n"
    response = client.post(f"/admin/waves/{wave.slug}/frame?lang=vi",
                           data={"file": (io.BytesIO(body.encode()), "f.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    assert sorted(c.transactions for c in db.session.query(FrameCount)) == [3500, 12000]


def test_margins_with_decimal_commas_are_stored_and_shown_back_the_same(client, login_as, wave):
    login_as("admin")
    text = 'variable,category,total\nagency,A1,"1.234,5"\nagency,A2,"765,5"\n'
    response = client.post(f"/admin/waves/{wave.slug}/margins?lang=vi", data={"margins": text})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert sorted(m.total for m in db.session.query(Margin)) == [765.5, 1234.5]
    page = html.unescape(client.get(f"/admin/waves/{wave.slug}/margins?lang=vi").get_data(as_text=True))
    shown = page.split("<textarea", 1)[1].split(">", 1)[1].split("</textarea>")[0]
    assert '"1234,5"' in shown  # saved again unchanged, it is the same number
    assert client.post(f"/admin/waves/{wave.slug}/margins?lang=vi", data={"margins": shown}).status_code == 302
    assert sorted(m.total for m in db.session.query(Margin)) == [765.5, 1234.5]


def test_a_daily_limit_typed_with_thousands_is_stored(client, login_as, wave):
    login_as("admin")
    response = client.post("/admin/api-keys?lang=vi", data={"name": "Cổng DVC", "agency": "", "daily_limit": "2.000"})
    assert response.status_code in (200, 302), response.get_data(as_text=True)
    assert db.session.query(ApiKey).one().daily_limit == 2000


def test_a_number_field_that_is_not_a_number_names_the_field(client, login_as, wave):
    login_as("admin")
    response = client.post("/admin/api-keys?lang=en", data={"name": "Portal", "agency": "", "daily_limit": "2.000,5"})
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert "Invitations a day (blank: the platform&#39;s setting): enter a whole number, for example 3,500." in page
    assert db.session.query(ApiKey).count() == 0


def test_an_invitation_count_typed_with_thousands_is_read(client, login_as, wave):
    login_as("admin")
    wave.status = "open"
    db.session.commit()
    response = client.post(f"/admin/waves/{wave.slug}/invitations?lang=en",
                           data={"agency": "A1", "count": "1,2", "output": "csv"})
    assert response.status_code == 400
    assert "Number of invitations (without dossier codes): enter a whole number" in response.get_data(as_text=True)


def _paper_wave_with_a_number_question():
    wave = factories.wave("cases", agency_list=[factories.agency("C1")], survey="per-case-61")
    db.session.commit()
    return wave


def test_a_vietnamese_thousand_in_a_number_question_is_not_stored_as_one(client, login_as, app):
    """Before, "1.000" (one thousand in Vietnamese) in a whole-number question was read as 1.0 and stored as 1."""
    from app.models import Response
    from app.programme.questionnaires import questionnaire_of

    wave = _paper_wave_with_a_number_question()
    answers = factories.satisfied_answers(questionnaire_of(wave.survey_version))
    login_as("entry", wave.agencies[0])
    answers["on_time"] = 1  # no apology question revealed
    data = {"form_number": "N-1", "_page": "0", "_shown": " ".join(answers), **answers}
    refused = client.post(f"/paper/{wave.slug}?lang=vi", data=dict(data, visits="1.000"))
    assert refused.status_code == 400 and db.session.query(Response).count() == 0
    counted = client.post(f"/paper/{wave.slug}?lang=vi", data=dict(data, visits="3"))
    assert counted.status_code == 303
    assert db.session.query(Response).one().answers["visits"] == 3


def test_number_answers_are_read_in_the_interface_language(app):
    from app.collect.page_flow import form_value
    from app.programme.questionnaires import questionnaire_of

    question = questionnaire_of(factories.published("per-case-61")).question("visits")
    with app.test_request_context("/?lang=vi"):
        app.preprocess_request()
        assert form_value(question, ["1.000"]) == "1000" and form_value(question, ["2,5"]) == "2.5"
    with app.test_request_context("/?lang=en"):
        app.preprocess_request()
        assert form_value(question, ["1,000"]) == "1000" and form_value(question, ["2.5"]) == "2.5"
        assert form_value(question, ["two"]) == "two"  # refused later, as before, by the cleaning

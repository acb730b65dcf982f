"""Cleaning submissions from HTML forms and JSON: values, every error code, conditions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import survey_definitions as sd
from survey_definitions.answers import (
    MESSAGES,
    FieldError,
    clean_answers,
    clean_section,
    visible_questions,
)

SHIPPED = {p.name: p for p in sd.shipped()}
SIPAS = sd.load(SHIPPED["sipas-2017.v1.yaml"])
CASE = sd.load(SHIPPED["per-case-61.v1.yaml"])


def complete_2017(**overrides):
    """A valid 2017 submission as an HTML form sends it (strings everywhere)."""
    answers = {code: "5" for code in SIPAS.rated_items}
    answers.update(service_field="1", submission_channel="2", overall_satisfaction="4", late="0")
    answers.update(overrides)
    return answers


def codes(errors):
    return [(e.field, e.code) for e in errors]


def test_complete_form_submission_is_cleaned_to_codes():
    cleaned, errors = clean_answers(SIPAS, complete_2017(f1_2="na", harassment_kinds=None,
                                                         gender="2", comments="  Tốt lắm \r\n"))
    assert errors == []
    assert cleaned["f1_1"] == 5 and cleaned["f1_2"] == "na" and cleaned["late"] == 0
    assert cleaned["gender"] == 2 and cleaned["comments"] == "Tốt lắm"
    assert "harassment_kinds" not in cleaned and "apology" not in cleaned


def test_json_values_are_accepted_too():
    raw = {code: 4 for code in SIPAS.rated_items}
    raw.update(service_field=1, submission_channel=1, overall_satisfaction=5, late=True, apology=False,
               harassed=1, harassment_kinds=[4, "1", 4], visits=2.0)
    cleaned, errors = clean_answers(SIPAS, raw)
    assert errors == []
    assert cleaned["late"] == 1 and cleaned["apology"] == 0
    assert cleaned["harassment_kinds"] == [1, 4] and cleaned["visits"] == 2


def test_late_result_asks_about_the_apology_letter():
    cleaned, errors = clean_answers(SIPAS, complete_2017(late="1", apology="1"))
    assert errors == [] and cleaned["late"] == 1 and cleaned["apology"] == 1
    cleaned, errors = clean_answers(SIPAS, complete_2017(late="1"))
    assert errors == [] and "apology" not in cleaned  # optional: respondents may not remember


def test_late_per_case_result_requires_the_apology_question():
    base = {"on_time": "0", "visits": "1", "staff_attitude": "2", "satisfaction": "3"}
    _, errors = clean_answers(CASE, base)
    assert codes(errors) == [("apology", "required")]
    cleaned, errors = clean_answers(CASE, {**base, "apology": "0"})
    assert errors == [] and cleaned["apology"] == 0


def test_apology_answered_when_not_late_is_not_shown():
    _, errors = clean_answers(SIPAS, complete_2017(late="0", apology="1"))
    assert codes(errors) == [("apology", "not_shown")]
    cleaned, errors = clean_answers(SIPAS, complete_2017(late="0", apology="1"), on_hidden="drop")
    assert errors == [] and "apology" not in cleaned


def test_an_invalid_answer_does_not_cascade_into_its_dependants():
    _, errors = clean_answers(SIPAS, complete_2017(late="maybe", apology="1"))
    assert codes(errors) == [("late", "invalid_choice")]


@pytest.mark.parametrize("form, raw, error", [
    (SIPAS, {"nope": "1"}, ("nope", "unknown_question")),
    (SIPAS, {"f1_1": ""}, ("f1_1", "required")),
    (SIPAS, {"f1_1": "9"}, ("f1_1", "out_of_range")),
    (SIPAS, {"f1_1": 0}, ("f1_1", "out_of_range")),
    (SIPAS, {"f1_1": "good"}, ("f1_1", "invalid_choice")),
    (SIPAS, {"f1_1": True}, ("f1_1", "invalid_choice")),
    (SIPAS, {"overall_satisfaction": "na"}, ("overall_satisfaction", "not_applicable_not_offered")),
    (SIPAS, {"service_field": "42"}, ("service_field", "invalid_choice")),
    (SIPAS, {"harassed": "1", "harassment_kinds": ["1", "7"]}, ("harassment_kinds", "invalid_choice")),
    (SIPAS, {"late": "2"}, ("late", "invalid_choice")),
    (SIPAS, {"comments": "x" * 2001}, ("comments", "too_long")),
    (SIPAS, {"comments": 5}, ("comments", "invalid_format")),
    (CASE, {"visits": "two"}, ("visits", "not_a_number")),
    (CASE, {"visits": "1.5"}, ("visits", "not_a_number")),
    (CASE, {"visits": "nan"}, ("visits", "not_a_number")),
    (CASE, {"visits": "31"}, ("visits", "out_of_range")),
    (CASE, {"visits": -1}, ("visits", "out_of_range")),
    (CASE, {"dossier_code": "abc"}, ("dossier_code", "invalid_format")),
    (CASE, {"dossier_code": "H15 50 05"}, ("dossier_code", "invalid_format")),
    (CASE, {"satisfaction": "na"}, ("satisfaction", "not_applicable_not_offered")),
    (CASE, {"on_time": "1", "apology": "0"}, ("apology", "not_shown")),
    (CASE, {"complaint_text": "x"}, ("complaint_text", "not_shown")),
])
def test_each_error_code(form, raw, error):
    base = complete_2017() if form is SIPAS else {"on_time": "1", "visits": "1", "staff_attitude": "2",
                                                   "satisfaction": "3"}
    cleaned, errors = clean_answers(form, {**base, **raw})
    assert codes(errors) == [error]
    assert error[0] not in cleaned


def test_every_error_code_has_a_default_message():
    for code in MESSAGES:
        message = FieldError("f1_1", code, {"min": 1, "max": 5, "max_length": 10, "length": 12}).message
        assert message and "{" not in message
    assert FieldError("f1_1", "out_of_range", {"min": 1, "max": 5}).message == "Enter a value from 1 to 5."


def test_per_case_form_cleans_dossier_codes_and_numbers():
    raw = {"dossier_code": " h15.50.05.13-261008-0975 ", "on_time": "0", "apology": "1",
           "visits": " 3 ", "staff_attitude": "1", "satisfaction": "2", "complaint": "1",
           "complaint_text": "Phải đi lại nhiều lần"}
    cleaned, errors = clean_answers(CASE, raw)
    assert errors == []
    assert cleaned == {"dossier_code": "H15.50.05.13-261008-0975", "on_time": 0, "apology": 1,
                       "visits": 3, "staff_attitude": 1, "satisfaction": 2, "complaint": 1,
                       "complaint_text": "Phải đi lại nhiều lần"}


def test_text_is_normalised_to_nfc():
    decomposed = "Tô\u0301t"  # "Tốt" typed with a combining accent
    cleaned, _ = clean_answers(SIPAS, complete_2017(comments=decomposed))
    assert cleaned["comments"] == "Tốt"


def test_visible_questions_follow_conditions():
    visible = visible_questions(SIPAS, {"late": 1, "harassed": 0})
    assert "apology" in visible and "harassment_kinds" not in visible
    assert "apology" not in visible_questions(SIPAS, {"late": 0, "apology": 1})
    assert visible_questions(SIPAS, {}, "timeliness") == ["late"]


def test_clean_section_uses_previous_pages():
    cleaned, errors = clean_section(SIPAS, "timeliness", {"late": "1", "apology": "0"})
    assert errors == [] and cleaned == {"late": 1, "apology": 0}
    _, errors = clean_section(SIPAS, "timeliness", {"apology": "0"})
    assert codes(errors) == [("late", "required"), ("apology", "not_shown")]
    page, errors = clean_section(SIPAS, "access", {"f1_1": "4", "f1_2": "4", "f1_3": "na", "f1_4": "1"},
                                 previous_answers={"late": 1})
    assert errors == [] and page == {"f1_1": 4, "f1_2": 4, "f1_3": "na", "f1_4": 1}
    _, errors = clean_section(SIPAS, "access", {"f1_1": "4", "f2_1": "4"})
    assert codes(errors) == [("f2_1", "unknown_question"), ("f1_2", "required"), ("f1_3", "required"),
                             ("f1_4", "required")]


TWO_PAGES = """\
id: two-pages
version: 1
title: {vi: Hai trang, en: Two pages}
languages: [vi, en]
sections:
  - code: first
    title: {vi: Trang một, en: Page one}
    questions:
      - {code: late, type: yes_no, required: true, text: {vi: Trễ hẹn?, en: Late?}}
  - code: second
    title: {vi: Trang hai, en: Page two}
    questions:
      - code: apology
        type: yes_no
        required: true
        show_if: {question: late, equals: 1}
        text: {vi: Thư xin lỗi?, en: Apology letter?}
"""


def test_clean_section_sees_conditions_on_earlier_pages():
    form, problems = sd.parse(TWO_PAGES, "two-pages.v1.yaml")
    assert problems == []
    _, errors = clean_section(form, "second", {}, {"late": 1})
    assert codes(errors) == [("apology", "required")]
    _, errors = clean_section(form, "second", {"apology": "1"}, {"late": 0})
    assert codes(errors) == [("apology", "not_shown")]
    assert visible_questions(form, {"late": 1}, "second") == ["apology"]


answer = st.one_of(st.none(), st.text(max_size=8), st.integers(-3, 120), st.booleans(),
                   st.floats(allow_nan=True), st.lists(st.sampled_from(["1", "2", "9", "", 4]), max_size=3))


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from([q.code for q in SIPAS.questions] + ["junk"]), answer))
def test_cleaning_never_crashes_and_cleaned_answers_are_stable(raw):
    cleaned, errors = clean_answers(SIPAS, raw)
    assert all(isinstance(e, FieldError) and e.code in MESSAGES for e in errors)
    assert not set(cleaned) & {e.field for e in errors}
    again, errors_again = clean_answers(SIPAS, cleaned, on_hidden="drop")
    assert again == cleaned
    assert {e.code for e in errors_again} <= {"required"}


def test_a_naive_api_client_can_answer_from_to_api_alone():
    # What a collection app does with GET .../questionnaire: answer every unconditional
    # question, the top satisfied value on rated scales, the first value when required.
    answers = {}
    for question in SIPAS.to_api()["questions"]:
        values = [v["value"] for v in question["values"] or []]
        if question["show_if"]:
            continue
        if question["satisfied"]:
            answers[question["code"]] = max(question["satisfied"])
        elif question["required"]:
            answers[question["code"]] = values[0] if values else "1"
    cleaned, errors = clean_answers(SIPAS, answers)
    assert errors == [] and cleaned["f1_1"] == 5
    _, errors = clean_answers(SIPAS, {**answers, "f1_1": 99})
    assert codes(errors) == [("f1_1", "out_of_range")]

"""XLSForm ↔ questionnaire definitions, without Flask or a database."""
from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

import survey_definitions as sd
from survey_definitions.xlsform import read_xlsform, to_yaml
from survey_definitions.xlsform_export import write_xlsform
from survey_definitions.xlsform_relevant import RelevantError, parse_relevant, to_relevant

VI, EN = "label::Vietnamese (vi)", "label::English (en)"


def workbook(survey: list[list], choices: list[list] | None = None, settings: list[list] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    if choices:
        extra = book.create_sheet("choices")
        for row in choices:
            extra.append(row)
    extra = book.create_sheet("settings")
    for row in settings or [["form_id", "version", "form_title::Vietnamese (vi)", "form_title::English (en)"],
                            ["mini", 1, "Phiếu", "Form"]]:
        extra.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


SATISFACTION = [["list_name", "name", VI, EN]] + [["sat", v, f"Mức {v}", f"Level {v}"] for v in range(1, 6)]


@pytest.mark.parametrize("path", sd.shipped(), ids=lambda p: p.name)
def test_shipped_questionnaires_round_trip_through_xlsform_with_the_same_checksum(path):
    questionnaire = sd.load(path)
    definition, problems = read_xlsform(write_xlsform(questionnaire))
    assert problems == []
    assert sd.from_dict(definition).checksum == questionnaire.checksum
    again, problems = sd.parse(to_yaml(definition), path.name)
    assert problems == [] and again.checksum == questionnaire.checksum


def test_a_five_point_select_one_becomes_a_scale_with_4_and_5_satisfied():
    data = workbook([["type", "name", VI, EN, "required"],
                     ["begin_group", "service", "Dịch vụ", "Service", ""],
                     ["select_one sat", "q1", "Hài lòng?", "Satisfied?", "yes"],
                     ["end_group", "", "", "", ""]], SATISFACTION)
    definition, problems = read_xlsform(data)
    assert problems == []
    questionnaire = sd.from_dict(definition)
    question = questionnaire.question("q1")
    assert question.type == "scale" and question.required and question.text.en == "Satisfied?"
    assert questionnaire.satisfied_values("q1") == [4, 5]
    assert questionnaire.section("service").title.vi == "Dịch vụ"


def test_relevant_becomes_show_if_and_a_group_factor_becomes_an_index():
    data = workbook([["type", "name", VI, EN, "relevant", "factor"],
                     ["begin_group", "staff", "Công chức", "Staff", "", "F3"],
                     ["select_one yes_no", "late", "Trễ hẹn?", "Late?", "", ""],
                     ["select_one sat", "q1", "Lịch sự", "Polite", "${late} = '0' or ${late} = '1'", ""],
                     ["text", "why", "Vì sao?", "Why?", "not(${late} = '0') and ${q1} != ''", ""],
                     ["end_group", "", "", "", "", ""]],
                    SATISFACTION + [["yes_no", 1, "Có", "Yes"], ["yes_no", 0, "Không", "No"]])
    definition, problems = read_xlsform(data)
    assert problems == [], [str(p) for p in problems]
    questionnaire = sd.from_dict(definition)
    assert questionnaire.question("late").type == "yes_no"
    assert questionnaire.question("q1").show_if == {"question": "late", "in": [0, 1]}
    assert questionnaire.question("why").show_if == {"all": [{"not": {"question": "late", "equals": 0}},
                                                             {"question": "q1", "answered": True}]}
    assert questionnaire.factor_items() == {"F3": ["q1"]} and questionnaire.rule == "mean"


def test_each_unsupported_feature_is_named_by_sheet_row_and_column():
    data = workbook([["type", "name", VI, EN, "relevant", "constraint", "choice_filter"],
                     ["calculate", "c", "", "", "", "", ""],
                     ["integer", "n", "Số", "Number", "${x} > 2", ". > 3", ""],
                     ["select_one sat", "q", "Q", "Q", "", "", "${n} = 1"],
                     ["begin_repeat", "r", "R", "R", "", "", ""]], SATISFACTION)
    definition, problems = read_xlsform(data)
    assert definition is None
    where = {(p.sheet, p.row, p.column) for p in problems}
    assert {("survey", 2, "type"), ("survey", 3, "relevant"), ("survey", 3, "constraint"),
            ("survey", 4, "choice_filter"), ("survey", 5, "type")} <= where
    assert all(str(p).startswith("sheet 'survey', row") for p in problems)


def test_missing_english_labels_and_non_numeric_choices_are_reported():
    data = workbook([["type", "name", VI], ["select_one colour", "c", "Màu"]],
                    [["list_name", "name", VI, EN], ["colour", "red", "Đỏ", "Red"], ["colour", 2, "Xanh", "Blue"]])
    definition, problems = read_xlsform(data)
    assert definition is None
    assert ("choices", 2, "name") in {(p.sheet, p.row, p.column) for p in problems}
    assert ("survey", 2, "label::English (en)") in {(p.sheet, p.row, p.column) for p in problems}


def test_validator_problems_point_back_to_the_workbook_row():
    data = workbook([["type", "name", VI, EN], ["integer", "Bad Code", "Số", "Number"]])
    definition, problems = read_xlsform(data)
    assert definition is None and ("survey", 2, "name") in {(p.sheet, p.row, p.column) for p in problems}


def test_metadata_rows_are_skipped_with_a_warning():
    data = workbook([["type", "name", VI, EN], ["start", "start", "", ""], ["text", "note1", "Ý kiến", "Comment"]])
    definition, problems = read_xlsform(data)
    assert definition is not None and [p.severity for p in problems] == ["warning"]


def test_a_workbook_that_is_not_xlsx_is_one_clear_problem():
    definition, problems = read_xlsform(b"not a workbook")
    assert definition is None and "not an .xlsx workbook" in str(problems[0])


@pytest.mark.parametrize("text, expected", [
    ("${a} = 'x'", RelevantError), ("${a} > 1", RelevantError), ("count(${a}) = 1", RelevantError),
    ("selected(${m}, '3')", {"question": "m", "equals": 3}),
    ("${a} = ''", {"question": "a", "answered": False}),
    ("(${a} = 1 or ${b} = 2) and ${c} != 'na'",
     {"all": [{"any": [{"question": "a", "equals": 1}, {"question": "b", "equals": 2}]},
              {"not": {"question": "c", "equals": "na"}}]}),
])
def test_relevant_expressions(text, expected):
    if expected is RelevantError:
        with pytest.raises(RelevantError):
            parse_relevant(text)
    else:
        assert parse_relevant(text) == expected


def test_conditions_written_as_relevant_read_back_the_same():
    cond = {"any": [{"all": [{"question": "a", "equals": 1}, {"not": {"question": "m", "in": [1, 2]}}]},
                    {"question": "t", "answered": True}]}
    assert parse_relevant(to_relevant(cond, {"m"})) == cond

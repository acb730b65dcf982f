"""Broken definitions are reported with file, line and field, one problem per mistake."""

from __future__ import annotations

import pytest

import survey_definitions as sd

NAME = "mini.v1.yaml"
BASE = """\
id: mini
version: 1
title: {vi: Phiếu thử, en: Test form}
languages: [vi, en]
scales:
  five:
    points:
      - {value: 1, label: {vi: Không hài lòng, en: Dissatisfied}}
      - {value: 2, label: {vi: Hài lòng, en: Satisfied}}
    satisfied: [2]
    not_applicable: true
    not_applicable_label: {vi: Không áp dụng, en: Not applicable}
sections:
  - code: main
    title: {vi: Phần chính, en: Main part}
    questions:
      - code: late
        type: yes_no
        required: true
        text: {vi: Trễ hẹn?, en: Late?}
      - code: apology
        type: yes_no
        show_if: {question: late, equals: 1}
        text: {vi: Thư xin lỗi?, en: Apology letter?}
      - code: q1
        type: scale
        scale: five
        text: {vi: Thái độ, en: Attitude}
      - code: note
        type: text
        text: {vi: Góp ý, en: Comments}
indices:
  rule: mean
  factors:
    - code: F1
      name: {vi: Công chức, en: Staff}
      items: [q1]
"""


def line_of(text: str, snippet: str, occurrence: int = 1) -> int:
    found = [i for i, line in enumerate(text.splitlines(), 1) if snippet in line]
    return found[occurrence - 1]


def problems(text: str, name: str = NAME) -> list[sd.Problem]:
    questionnaire, found = sd.parse(text, name)
    assert questionnaire is None and found
    return found


def only(text: str, name: str = NAME) -> sd.Problem:
    found = problems(text, name)
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_the_base_file_is_valid():
    questionnaire, found = sd.parse(BASE, NAME)
    assert found == [] and questionnaire.rated_items == ["q1"]


def test_problem_prints_as_file_line_field_message():
    problem = sd.Problem("sipas-2017.v1.yaml", 42, "sections[1].questions[3].scale", "unknown scale 'x'")
    assert str(problem) == "sipas-2017.v1.yaml:42: sections[1].questions[3].scale: unknown scale 'x'"
    assert str(sd.Problem("f.yaml", None, "", "empty")) == "f.yaml: empty"


@pytest.mark.parametrize("text, line", [
    ("id: broken\nversion: 1\ntitle: {vi: 'x', en: 'x'}\nsections:\n  - code: [unclosed\n", 6),
    ("id: x\n  version: 1\n", 2),
    ("id: x\nsections:\n\t- code: a\n", 3),
])
def test_yaml_syntax_errors_name_their_line(text, line):
    problem = only(text, "broken.yaml")
    assert problem.line == line and "YAML syntax error" in problem.message
    assert str(problem).startswith(f"broken.yaml:{line}: ")


def test_unknown_scale_names_line_and_field():
    text = BASE.replace("scale: five", "scale: fiv")
    problem = only(text)
    assert problem.line == line_of(text, "scale: fiv")
    assert str(problem).startswith(f"{NAME}:{problem.line}: sections[0].questions[2].scale: unknown scale 'fiv'")


def test_missing_english_text():
    text = BASE.replace("text: {vi: Thái độ, en: Attitude}", "text: {vi: Thái độ}")
    problem = only(text)
    assert (problem.line, problem.field) == (line_of(text, "text: {vi: Thái độ}"), "sections[0].questions[2].text.en")
    assert problem.message == "required field is missing"


def test_empty_text_is_refused():
    text = BASE.replace("en: Attitude", "en: '  '")
    assert only(text).field == "sections[0].questions[2].text.en"


def test_text_given_as_a_plain_string():
    text = BASE.replace("text: {vi: Góp ý, en: Comments}", "text: Góp ý")
    problem = only(text)
    assert problem.line == line_of(text, "text: Góp ý") and "{vi: ..., en: ...}" in problem.message


def test_yes_no_read_as_boolean_gets_a_hint_to_quote():
    text = BASE.replace("en: Attitude", "en: No")
    problem = only(text)
    assert problem.field == "sections[0].questions[2].text.en" and "quotes" in problem.message


def test_unquoted_comma_in_flow_text():
    text = BASE.replace("{vi: Góp ý, en: Comments}", "{vi: Góp ý, nhận xét, en: Comments}")
    problem = only(text)
    assert problem.line == line_of(text, "nhận xét") and "quotes" in problem.message


def test_condition_on_a_later_question():
    text = BASE.replace("show_if: {question: late, equals: 1}", "show_if: {question: q1, equals: 1}")
    problem = only(text)
    assert problem.line == line_of(text, "show_if: {question: q1")
    assert problem.field == "sections[0].questions[1].show_if.question"
    assert "not a question asked before" in problem.message


def test_condition_with_an_impossible_value():
    text = BASE.replace("equals: 1}", "equals: 2}")
    problem = only(text)
    assert problem.field == "sections[0].questions[1].show_if.equals" and "possible: 0, 1" in problem.message


def test_condition_on_free_text_only_tests_answered():
    text = BASE.replace(
        "indices:",
        "      - code: after\n        type: yes_no\n        show_if: {question: note, equals: 1}\n"
        "        text: {vi: Sau, en: After}\nindices:")
    problem = only(text)
    assert problem.line == line_of(text, "show_if: {question: note") and "answered" in problem.message


def test_nested_condition_paths():
    text = BASE.replace("show_if: {question: late, equals: 1}",
                        "show_if:\n          all:\n            - {question: late, equals: 1}\n"
                        "            - {not: {question: ghost, answered: true}}")
    problem = only(text)
    assert problem.field == "sections[0].questions[1].show_if.all[1].not.question"
    assert problem.line == line_of(text, "ghost")


def test_duplicate_question_code():
    text = BASE.replace("code: note", "code: q1")
    problem = only(text)
    assert problem.line == line_of(text, "code: q1", 2) and "used twice" in problem.message


def test_factor_item_must_be_a_scale_question():
    text = BASE.replace("items: [q1]", "items: [q1, late]")
    problem = only(text)
    assert (problem.line, problem.field) == (line_of(text, "items: [q1, late]"), "indices.factors[0].items[1]")
    assert "yes_no" in problem.message


def test_satisfied_value_must_be_a_point():
    text = BASE.replace("satisfied: [2]", "satisfied: [2, 5]")
    problem = only(text)
    assert (problem.line, problem.field) == (line_of(text, "satisfied:"), "scales.five.satisfied[1]")


def test_id_and_version_must_match_the_file_name():
    found = problems(BASE, "other.v2.yaml")
    assert [(p.line, p.field) for p in found] == [(1, "id"), (2, "version")]


def test_unknown_field_suggests_the_right_one():
    text = BASE.replace("required: true", "requird: true")
    problem = only(text)
    assert problem.line == line_of(text, "requird") and "did you mean 'required'" in problem.message


def test_key_given_twice():
    text = BASE.replace("        type: text\n", "        type: text\n        type: number\n")
    problem = only(text)
    assert problem.line == line_of(text, "type: number") and "twice" in problem.message


def test_field_that_does_not_apply_to_the_type():
    text = BASE.replace("        type: text\n", "        type: text\n        scale: five\n")
    problem = only(text)
    assert problem.field == "sections[0].questions[3].scale" and "does not apply" in problem.message


def test_export_column_names_are_reserved():
    text = BASE.replace("code: note", "code: channel")
    assert "reserved" in only(text).message


def test_wrong_type_and_bad_choice():
    text = BASE.replace("type: text", "type: essay").replace("version: 1", "version: one")
    found = problems(text, "mini.yaml")
    assert [(p.line, p.field) for p in found] == [(2, "version"), (line_of(text, "essay"), "sections[0].questions[3].type")]


def test_missing_top_level_fields_point_at_line_1():
    found = problems("id: mini\nversion: 1\n")
    assert {p.field for p in found} == {"title", "languages", "sections"}
    assert {p.line for p in found} == {1}


def test_every_problem_is_reported_at_once():
    text = (BASE.replace("scale: five", "scale: nope").replace("items: [q1]", "items: [ghost]")
            .replace("satisfied: [2]", "satisfied: [9]"))
    assert len(problems(text)) == 3


def test_load_raises_with_all_problems(tmp_path):
    path = tmp_path / NAME
    path.write_text(BASE.replace("scale: five", "scale: nope"), encoding="utf-8")
    with pytest.raises(sd.DefinitionError) as info:
        sd.load(path)
    assert len(info.value.problems) == 1
    assert str(info.value).startswith(f"{path}:{line_of(BASE, 'scale: five')}: ")


def test_load_reports_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / NAME
    path.write_bytes(b"id: \xff\n")
    with pytest.raises(sd.DefinitionError, match="UTF-8"):
        sd.load(path)


def test_alias_bombs_and_deep_nesting_are_refused_quickly():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    assert "values" in only(bomb).message
    assert "YAML" in only("[" * 5000 + "]" * 5000).message

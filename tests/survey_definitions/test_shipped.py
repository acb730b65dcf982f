"""The questionnaires shipped with the platform: valid, bilingual, with the expected content."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import survey_definitions as sd

TEXT_KEYS = {"title", "description", "text", "help", "label", "name", "not_applicable_label"}
SHIPPED = {p.name: p for p in sd.shipped()}


def by_id(slug: str) -> sd.Questionnaire:
    return sd.load(SHIPPED[f"{slug}.v1.yaml"])


def test_the_three_questionnaires_are_shipped():
    assert set(SHIPPED) >= {"sipas-2017.v1.yaml", "sipas-2022.v1.yaml", "per-case-61.v1.yaml"}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_file_validates_and_matches_its_name(name):
    q = sd.load(SHIPPED[name])
    assert name == f"{q.id}.v{q.version}.yaml"


def _texts(node, path=""):
    """Every bilingual text in a to_dict() tree, with where it is."""
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if key in TEXT_KEYS:
                yield where, value
            else:
                yield from _texts(value, where)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _texts(item, f"{path}[{i}]")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_every_text_has_vietnamese_and_english(name):
    data = sd.load(SHIPPED[name]).to_dict()
    texts = list(_texts(data))
    assert len(texts) > 10
    for where, text in texts:
        assert isinstance(text, dict) and set(text) == {"vi", "en"}, where
        assert text["vi"].strip() and text["en"].strip(), where


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_vietnamese_question_texts_carry_diacritics(name):
    # Catches a Vietnamese text typed without its accents (or English pasted into vi).
    for question in sd.load(SHIPPED[name]).questions:
        assert re.search(r"[^\x00-\x7f]", question.text.vi), question.code


def test_sipas_2017_has_22_criteria_in_five_factors():
    q = by_id("sipas-2017")
    sizes = {code: len(items) for code, items in q.factor_items().items()}
    assert sizes == {"F1": 4, "F2": 5, "F3": 6, "F4": 3, "F5": 4}
    assert q.rated_items == [f"f{f}_{i}" for f, n in enumerate((4, 5, 6, 3, 4), 1)
                             for i in range(1, n + 1)]
    assert q.rule == "mean"
    assert all(q.satisfied_values(code) == [4, 5] for code in q.rated_items)
    assert q.scale_of("f1_1").not_applicable


def test_sipas_2017_has_profile_late_apology_expectations_and_comments():
    q = by_id("sipas-2017")
    codes = {question.code for question in q.questions}
    assert {"gender", "age_band", "ethnicity", "education", "occupation", "residence"} <= codes
    assert q.question("apology").show_if == {"question": "late", "equals": 1}
    expectations = q.section("expectations").questions
    assert len(expectations) == 9
    assert [p.label.vi for p in q.scale_of(expectations[0].code).points] == ["Ít", "Nhiều", "Rất nhiều"]
    assert q.question("comments").type == "text"
    assert len(q.question("age_band").options) == 5


def test_sipas_2022_has_33_rated_items():
    q = by_id("sipas-2022")
    sizes = {code: len(items) for code, items in q.factor_items().items()}
    assert len(q.rated_items) == 33
    assert sum(n for code, n in sizes.items() if code.startswith("P")) == 14
    assert [sizes[f"F{i}"] for i in range(1, 6)] == [4, 4, 5, 3, 3]


def test_per_case_form_has_the_decree_61_items():
    q = by_id("per-case-61")
    types = {question.code: question.type for question in q.questions}
    assert types == {"dossier_code": "dossier_code", "on_time": "yes_no", "apology": "yes_no",
                     "visits": "number", "staff_attitude": "scale", "satisfaction": "scale",
                     "complaint": "yes_no", "complaint_text": "text"}
    assert q.question("apology").show_if == {"question": "on_time", "equals": 0}
    assert q.definition.kind == "per_case" and q.definition.one_page
    assert q.rule == "pooled"


def test_checksum_is_stable_and_ignores_comments_and_defaults():
    path = SHIPPED["per-case-61.v1.yaml"]
    text = path.read_text(encoding="utf-8")
    first = sd.load(path).checksum
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert sd.load(path).checksum == first
    same, _ = sd.parse("# a new comment\n" + text.replace("[staff_attitude, satisfaction]",
                                                          "\n        - staff_attitude\n"
                                                          "        - satisfaction"), path.name)
    assert same.checksum == first
    explicit, _ = sd.parse(text.replace("      - code: complaint\n        type: yes_no\n",
                                        "      - code: complaint\n        type: yes_no\n"
                                        "        required: false\n"), path.name)
    assert explicit.checksum == first


def test_checksum_changes_with_content():
    path = SHIPPED["per-case-61.v1.yaml"]
    text = path.read_text(encoding="utf-8")
    changed, problems = sd.parse(text.replace("max: 30", "max: 31"), path.name)
    assert not problems
    assert changed.checksum != sd.load(path).checksum


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_to_dict_round_trips_through_json(name):
    q = sd.load(SHIPPED[name])
    again = sd.from_dict(json.loads(json.dumps(q.to_dict())))
    assert again.checksum == q.checksum
    assert again.to_api() == q.to_api()


def test_from_dict_rejects_an_invalid_definition():
    data = by_id("per-case-61").to_dict()
    data["indices"]["factors"][0]["items"].append("nope")
    with pytest.raises(sd.DefinitionError) as info:
        sd.from_dict(data)
    assert "indices.factors[0].items[2]: unknown question 'nope'" in str(info.value)
    assert info.value.problems[0].line is None


def test_to_api_follows_the_http_contract():
    api = by_id("sipas-2017").to_api()
    assert api["survey"] == "sipas-2017" and api["version"] == 1 and api["languages"] == ["vi", "en"]
    questions = {question["code"]: question for question in api["questions"]}
    fields = {"code", "type", "required", "values", "satisfied", "not_applicable", "show_if", "text"}
    assert all(fields <= set(question) for question in api["questions"])
    f11 = questions["f1_1"]
    assert f11["type"] == "scale" and f11["required"] is True
    assert [v["value"] for v in f11["values"]] == [1, 2, 3, 4, 5]
    assert f11["values"][4]["label"] == {"vi": "Rất hài lòng", "en": "Very satisfied"}
    assert f11["satisfied"] == [4, 5] and f11["not_applicable"] == "na"
    assert f11["show_if"] is None and set(f11["text"]) == {"vi", "en"}
    assert questions["late"]["values"] == [{"value": 1, "label": {"vi": "Có", "en": "Yes"}},
                                           {"value": 0, "label": {"vi": "Không", "en": "No"}}]
    assert questions["apology"]["show_if"] == {"question": "late", "equals": 1}
    assert questions["overall_satisfaction"]["not_applicable"] is None
    assert questions["comments"]["values"] is None and questions["comments"]["satisfied"] is None
    assert questions["gender"]["values"][0] == {"value": 1, "label": {"vi": "Nam", "en": "Male"}}
    json.dumps(api)  # JSON-ready


def test_package_never_imports_the_web_stack():
    root = Path(sd.__file__).parent
    for module in root.glob("*.py"):
        source = module.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(from|import)\s+(flask|sqlalchemy|app)\b", source, re.MULTILINE), module

"""show_if conditions: evaluation semantics (mirrored by the browser) and structural checks."""

from __future__ import annotations

import pytest

from survey_definitions.conditions import Domain, check, evaluate, references

ANSWERS = {"late": 1, "field": 3, "kinds": [1, 4], "f1": "na", "visits": 2, "note": "ok"}


@pytest.mark.parametrize("cond, expected", [
    (None, True),
    ({"question": "late", "equals": 1}, True),
    ({"question": "late", "equals": 0}, False),
    ({"question": "field", "in": [1, 3]}, True),
    ({"question": "field", "in": [1, 2]}, False),
    ({"question": "kinds", "equals": 4}, True),
    ({"question": "kinds", "in": [2, 3]}, False),
    ({"question": "f1", "equals": "na"}, True),
    ({"question": "visits", "equals": 2}, True),
    ({"question": "note", "answered": True}, True),
    ({"question": "blank", "answered": False}, True),
    ({"question": "blank", "equals": 1}, False),
    ({"not": {"question": "blank", "equals": 1}}, True),
    ({"all": [{"question": "late", "equals": 1}, {"question": "field", "equals": 3}]}, True),
    ({"all": [{"question": "late", "equals": 1}, {"question": "field", "equals": 2}]}, False),
    ({"any": [{"question": "late", "equals": 0}, {"question": "field", "equals": 3}]}, True),
])
def test_evaluate(cond, expected):
    assert evaluate(cond, ANSWERS) is expected


def test_booleans_never_equal_codes():
    assert evaluate({"question": "late", "equals": 1}, {"late": True}) is False


def test_empty_answers_count_as_unanswered():
    for blank in (None, "", []):
        assert evaluate({"question": "x", "answered": True}, {"x": blank}) is False


def test_references():
    cond = {"all": [{"question": "a", "equals": 1}, {"not": {"any": [{"question": "b", "in": [1]}]}}]}
    assert references(cond) == {"a", "b"}


KNOWN = {"late": Domain(frozenset({0, 1})), "visits": Domain(None), "note": Domain(None, comparable=False)}


@pytest.mark.parametrize("cond, path, words", [
    ("late", (), "must be a mapping"),
    ({"question": "late"}, (), "exactly one of"),
    ({"question": "late", "equals": 1, "in": [1]}, (), "exactly one of"),
    ({"question": "late", "eq": 1}, ("eq",), "unknown condition key"),
    ({"question": "ghost", "equals": 1}, ("question",), "not a question asked before"),
    ({"question": "late", "equals": True}, ("equals",), "not a possible answer"),
    ({"question": "late", "in": []}, ("in",), "non-empty list"),
    ({"question": "late", "in": [1, 7]}, ("in", 1), "not a possible answer"),
    ({"question": "late", "answered": 1}, ("answered",), "true or false"),
    ({"question": "visits", "equals": "3"}, ("equals",), "number"),
    ({"question": "note", "equals": "x"}, ("equals",), "only with 'answered'"),
    ({"all": []}, ("all",), "non-empty list"),
    ({"all": [{"question": "late", "equals": 1}], "question": "late"}, (), "stand alone"),
    ({"not": {"not": {"question": "ghost", "answered": True}}}, ("not", "not", "question"), "not a question"),
])
def test_check_reports_path_and_reason(cond, path, words):
    found = check(cond, KNOWN)
    assert len(found) == 1 and found[0][0] == path and words in found[0][1], found


def test_check_accepts_valid_conditions():
    assert check({"any": [{"question": "late", "in": [0, 1]}, {"question": "visits", "equals": 2.5},
                          {"not": {"question": "note", "answered": True}}]}, KNOWN) == []


def test_deep_nesting_is_refused():
    cond = {"question": "late", "equals": 1}
    for _ in range(20):
        cond = {"not": cond}
    assert "nested" in check(cond, KNOWN)[0][1]

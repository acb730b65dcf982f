"""Dossier codes as Decree 118/2025 (amended by 367/2025) has them: `format: decree118` checks the
unit code, a real receiving date (YYMMDD) and a sequence number; forms without it keep the loose
pattern. per-case-118 is shipped beside per-case-61 (history)."""
from __future__ import annotations

import re

import pytest

import survey_definitions as sd
from survey_definitions.answers import MESSAGES, clean_answers
from survey_definitions.questiontypes import DECREE118_PATTERN, DOSSIER_CODE_PATTERN, dossier_code_problem

SHIPPED = {p.name: p for p in sd.shipped()}
CASE118 = sd.load(SHIPPED["per-case-118.v1.yaml"])
CASE61 = sd.load(SHIPPED["per-case-61.v1.yaml"])


def answers(code: str) -> dict:
    return {"dossier_code": code, "submission_channel": 4, "on_time": 1, "staff_attitude": 3,
            "satisfaction": 2}


@pytest.mark.parametrize("code,stored", [
    ("H15.50.05.13-261008-0975", "H15.50.05.13-261008-0975"),
    ("h15.50.05.13-261008-0975", "H15.50.05.13-261008-0975"),  # case-insensitive, stored upper
    ("  000.00.31.H26-250701-1  ", "000.00.31.H26-250701-1"),
    ("G22-280229-12345678", "G22-280229-12345678"),  # 2028 is a leap year
    ("X1-251231-00000001", "X1-251231-00000001"),
])
def test_good_decree118_codes_are_stored_upper_case(code, stored):
    cleaned, errors = clean_answers(CASE118, answers(code))
    assert errors == []
    assert cleaned["dossier_code"] == stored


@pytest.mark.parametrize("code,error", [
    ("H15.50.05.13-260230-0975", "dossier_date"),  # 30 February 2026 does not exist
    ("H15.50.05.13-270229-0975", "dossier_date"),  # 2027 is no leap year
    ("H15.50.05.13-261302-0975", "dossier_date"),  # month 13
    ("H15.50.05.13-261000-0975", "dossier_date"),  # day 0
    ("H15.50.05.13-20261008-0975", "dossier_shape"),  # YYYYMMDD, not YYMMDD
    ("H15.50.05.13-261008", "dossier_shape"),  # no sequence number
    ("H15.50.05.13-261008-123456789", "dossier_shape"),  # nine digits
    ("H15..50-261008-0975", "dossier_shape"),  # empty unit part
    (".H15-261008-0975", "dossier_shape"),
    ("H15.50.05.13_261008_0975", "dossier_shape"),
    ("H15 50-261008-0975", "dossier_shape"),
    ("H15.50.05.13-26100A-0975", "dossier_shape"),
    ("ABCDE", "dossier_shape"),  # the loose pattern's shape: not enough here
])
def test_bad_decree118_codes_are_refused_naming_the_shape(code, error):
    cleaned, errors = clean_answers(CASE118, answers(code))
    assert [(e.field, e.code) for e in errors] == [("dossier_code", error)]
    assert "dossier_code" not in cleaned
    message = errors[0].message
    assert "{" not in message
    if error == "dossier_shape":
        assert "YYMMDD" in message and "H15.50.05.13-261008-0975" in message
    else:
        assert "not a real date" in message


def test_a_number_is_not_a_dossier_code():
    _cleaned, errors = clean_answers(CASE118, answers(261008))
    assert [e.code for e in errors] == ["invalid_format"]


def test_forms_without_format_keep_the_loose_pattern():
    # per-case-61 (history) accepts codes that are not Decree 118's shape, as before
    base = {"on_time": 1, "visits": 1, "staff_attitude": 3, "satisfaction": 3}
    cleaned, errors = clean_answers(CASE61, {**base, "dossier_code": "ab-12.cd"})
    assert errors == [] and cleaned["dossier_code"] == "AB-12.CD"
    _cleaned, errors = clean_answers(CASE61, {**base, "dossier_code": "x"})
    assert [e.code for e in errors] == ["invalid_format"]
    assert dossier_code_problem("H15.50.05.13-260230-0975", None) is None  # loose: no date check


def test_the_api_questionnaire_gives_the_pattern_and_format():
    item = next(q for q in CASE118.to_api()["questions"] if q["code"] == "dossier_code")
    assert item["format"] == "decree118" and item["pattern"] == DECREE118_PATTERN
    old = next(q for q in CASE61.to_api()["questions"] if q["code"] == "dossier_code")
    assert "format" not in old and old["pattern"] == DOSSIER_CODE_PATTERN
    # the same shape check in JavaScript's syntax (no date check there: the server does it)
    js = re.compile(item["pattern"])
    assert js.match("H15.50.05.13-261008-0975") and not js.match("H15.50.05.13-261008")


def test_format_is_only_for_dossier_codes_and_only_decree118():
    source = SHIPPED["per-case-118.v1.yaml"].read_text(encoding="utf-8")
    on_text = source.replace("        max_length: 1000\n", "        max_length: 1000\n        format: decree118\n", 1)
    questionnaire, problems = sd.parse(on_text, "x.yaml")
    assert questionnaire is None
    assert any("'format' does not apply to a question of type text" in p.message for p in problems)
    unknown = source.replace("format: decree118", "format: decree61", 1)
    questionnaire, problems = sd.parse(unknown, "x.yaml")
    assert questionnaire is None and any("format" in p.field for p in problems)


def test_per_case_118_asks_the_decree_118_items():
    q = CASE118
    assert q.definition.kind == "per_case" and q.definition.one_page
    codes = [x.code for x in q.questions]
    assert codes[:4] == ["dossier_code", "submission_channel", "on_time", "apology"]
    assert {"staff_attitude", "satisfaction", "complaint", "complaint_text"} <= set(codes)
    channel = q.question("submission_channel")
    assert channel.type == "single" and channel.required
    labels = {o.value: (o.label.vi, o.label.en) for o in channel.options}
    assert set(labels) == {1, 2, 3, 4}
    assert "Trực tiếp" in labels[1][0] and "Trực tuyến" in labels[2][0]
    assert "bưu chính công ích" in labels[3][0] and "VNeID" in labels[4][0] and "VNeID" in labels[4][1]
    assert q.question("apology").show_if == {"question": "on_time", "equals": 0}
    assert "Decree 118/2025" in SHIPPED["per-case-118.v1.yaml"].read_text(encoding="utf-8")


def test_the_new_messages_have_english_fallbacks():
    assert {"dossier_shape", "dossier_date"} <= set(MESSAGES)

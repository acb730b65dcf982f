"""A wave's responses as an SPSS .sav file, with the labels SPSS can hold.

Blanks of closed questions become user-missing codes, so that an analyst can tell them apart and
SPSS still leaves them out of every statistic: NOT_APPLICABLE_CODE where the respondent chose "not
applicable", NOT_SHOWN_CODE where the question was not shown (show_if) or left unanswered. Every
variable carries its measure level (scale items ordinal, choices nominal, numbers scale), and each
multiple-choice question is also split into one 0/1 column per option, ``<code>_<option>``, after
the export's own columns (the ⚑ column order of CSV and Excel is kept; only the .sav adds them).

SPSS keeps at most 256 bytes of a variable label and 120 bytes of a value label (UTF-8, so a
Vietnamese label reaches the limit at 80-120 characters). pyreadstat cuts longer labels
silently, possibly inside a character; here they are cut at a character boundary and every cut
is reported: in the file's notes, on the command line and in the codebook.
"""
from __future__ import annotations

import os
import tempfile
import textwrap
from dataclasses import dataclass

import pandas as pd

from app.shared import cells
from survey_definitions import Questionnaire
from survey_definitions.questiontypes import choices

VARIABLE_LABEL_BYTES = 256
VALUE_LABEL_BYTES = 120
NOT_APPLICABLE_CODE, NOT_SHOWN_CODE = -1.0, -2.0
MISSING_LABELS = {NOT_APPLICABLE_CODE: "Không áp dụng (not applicable)",
                  NOT_SHOWN_CODE: "Không hiển thị hoặc không trả lời (not shown or not answered)"}
CHOSEN_LABELS = {0.0: "Không chọn (not chosen)", 1.0: "Có chọn (chosen)"}
MEASURES = {"scale": "ordinal", "single": "nominal", "yes_no": "nominal", "number": "scale",
            "multiple": "nominal", "text": "nominal"}
META_MEASURES = {"response_id": "nominal", "weight": "scale"}


@dataclass(frozen=True)
class LabelCut:
    column: str
    value: float | None  # None: the variable label, else the value whose label was cut
    original_bytes: int
    limit: int

    def __str__(self) -> str:
        what = "variable label" if self.value is None else f"value label {self.value:g}"
        return (f"{self.column}: {what} is {self.original_bytes} bytes; SPSS keeps {self.limit}, "
                f"so the .sav file has it shortened (the codebook has the full text)")


def _note_lines(cuts: list[LabelCut]) -> list[str]:
    """The cuts as the file's document lines (SPSS keeps 80 bytes a line; the messages are ASCII
    but for the column codes, which are short)."""
    return [fit(line, 80) for cut in cuts for line in textwrap.wrap(str(cut), 80)]


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes at a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")


def labels(questionnaire: Questionnaire, columns) -> tuple[dict, dict, list[LabelCut]]:
    """Variable labels, value labels (Vietnamese, made inert for spreadsheets) and the cuts."""
    names, values, cuts = {}, {}, []
    for question in questionnaire.questions:
        if question.code not in columns:
            continue
        text = cells.escape(question.text.vi)
        size = len(text.encode("utf-8"))
        if size > VARIABLE_LABEL_BYTES:
            cuts.append(LabelCut(question.code, None, size, VARIABLE_LABEL_BYTES))
        names[question.code] = fit(text, VARIABLE_LABEL_BYTES)
        points = choices(question, questionnaire.scales)
        if points:
            values[question.code] = {}
            for point in points:
                label = cells.escape(point.label.vi)
                size = len(label.encode("utf-8"))
                if size > VALUE_LABEL_BYTES:
                    cuts.append(LabelCut(question.code, float(point.value), size, VALUE_LABEL_BYTES))
                values[question.code][float(point.value)] = fit(label, VALUE_LABEL_BYTES)
    return names, values, cuts


def split_columns(questionnaire: Questionnaire, table: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Each multiple-choice question as 0/1 columns ``<code>_<option>`` appended to ``table`` (in
    place; NaN where the question has no answer). Returns {new column: (question code, label)}."""
    added = {}
    for question in questionnaire.questions:
        if question.type != "multiple" or question.code not in table.columns:
            continue
        chosen = table[question.code].map(lambda v: set(str(v).split()), na_action="ignore")
        for option in question.options or ():
            name = f"{question.code}_{option.value}"
            if name in table.columns:
                continue  # a question already has that code: keep the export's column
            table[name] = chosen.map(lambda picked, v=str(option.value): float(v in picked), na_action="ignore").astype(float)
            added[name] = (question.code, option.label.vi)
    return added


def _missing_codes(questionnaire: Questionnaire, table: pd.DataFrame, not_applicable: dict) -> dict:
    """Blanks of numeric closed columns as user-missing codes (table changed in place)."""
    missing = {}
    for question in questionnaire.questions:
        if question.type not in ("scale", "single", "yes_no") or question.code not in table.columns:
            continue
        column = table[question.code].astype(float)
        na = pd.Series(not_applicable.get(question.code, False), index=table.index).astype(bool)
        table[question.code] = column.mask(column.isna() & na, NOT_APPLICABLE_CODE).fillna(NOT_SHOWN_CODE)
        missing[question.code] = [NOT_APPLICABLE_CODE, NOT_SHOWN_CODE]
    return missing


def sav_bytes(questionnaire: Questionnaire, table: pd.DataFrame,
              not_applicable: dict | None = None) -> tuple[bytes, list[LabelCut]]:
    """The .sav file and the labels it holds shortened. ``not_applicable``: per closed question, a
    boolean array (table order) of the respondents who answered "not applicable"."""
    import pyreadstat  # optional extra [sav]: only SPSS exports need it

    table = cells.escape_table_text(table).copy()
    for code in table.columns:
        if table[code].dtype.name == "Int64":
            table[code] = table[code].astype(float)
    missing = _missing_codes(questionnaire, table, not_applicable or {})
    split = split_columns(questionnaire, table)
    names, values, cuts = labels(questionnaire, table.columns)
    for code in missing:
        values.setdefault(code, {}).update(MISSING_LABELS)
    for name, (code, option) in split.items():
        names[name] = fit(f"{names.get(code, code)} | {cells.escape(option)}", VARIABLE_LABEL_BYTES)
        values[name] = {**CHOSEN_LABELS, NOT_SHOWN_CODE: MISSING_LABELS[NOT_SHOWN_CODE]}
        missing[name] = [NOT_SHOWN_CODE]
        table[name] = table[name].fillna(NOT_SHOWN_CODE)
    kinds = {q.code: q.type for q in questionnaire.questions}
    measures = {c: MEASURES.get(kinds.get(c, ""), META_MEASURES.get(c, "nominal")) for c in table.columns}
    measures.update({name: "nominal" for name in split})
    fd, path = tempfile.mkstemp(suffix=".sav")
    os.close(fd)
    try:
        pyreadstat.write_sav(table, path, column_labels=[names.get(c, c) for c in table.columns],
                             variable_value_labels=values, note=_note_lines(cuts) or None,
                             missing_ranges={c: list(v) for c, v in missing.items()},
                             variable_measure=measures)
        with open(path, "rb") as handle:
            return handle.read(), cuts
    finally:
        os.unlink(path)


def cut_notes(questionnaire: Questionnaire) -> dict[str, str]:
    """Per question code, the labels the .sav file holds shortened (for the codebook)."""
    notes: dict[str, list[str]] = {}
    for cut in labels(questionnaire, {q.code for q in questionnaire.questions})[2]:
        notes.setdefault(cut.column, []).append(str(cut).split(": ", 1)[1])
    return {code: "; ".join(parts) for code, parts in notes.items()}

"""A wave's responses as an SPSS .sav file, with the labels SPSS can hold.

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

from app.services import cells
from survey_definitions import Questionnaire
from survey_definitions.questiontypes import choices

VARIABLE_LABEL_BYTES = 256
VALUE_LABEL_BYTES = 120


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


def sav_bytes(questionnaire: Questionnaire, frame: pd.DataFrame) -> tuple[bytes, list[LabelCut]]:
    import pyreadstat

    names, values, cuts = labels(questionnaire, frame.columns)
    frame = cells.escape_frame_text(frame)
    for code in frame.columns:
        if frame[code].dtype.name == "Int64":
            frame[code] = frame[code].astype(float)
    fd, path = tempfile.mkstemp(suffix=".sav")
    os.close(fd)
    try:
        pyreadstat.write_sav(frame, path, column_labels=[names.get(c, c) for c in frame.columns],
                             variable_value_labels=values, note=_note_lines(cuts) or None)
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

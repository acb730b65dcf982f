"""The shape of a questionnaire definition, as pydantic v2 models (see README.md for each field).

These models check types and required fields only; rules that relate one part of the file to
another (unique codes, references, conditions) live in ``checks.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

QUESTION_TYPES = ("scale", "single", "multiple", "yes_no", "number", "text", "dossier_code")
QuestionType = Literal["scale", "single", "multiple", "yes_no", "number", "text", "dossier_code"]

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Model(BaseModel):
    # strict: YAML gives real ints, strings and booleans, and a quoted "5" where a number is
    # meant, or `no` read as a boolean where text is meant, is a mistake worth reporting.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Text(_Model):
    """A human text in both languages."""

    vi: NonEmpty
    en: NonEmpty


class Choice(_Model):
    """A scale point or an option: an integer code (as in SPSS) and its label."""

    value: int
    label: Text


class Scale(_Model):
    points: list[Choice] = Field(min_length=2)
    satisfied: list[int] = []
    not_applicable: bool = False
    not_applicable_label: Text | None = None


class Question(_Model):
    code: str
    type: QuestionType
    text: Text
    help: Text | None = None
    required: bool = False
    scale: str | None = None
    options: list[Choice] | None = None
    min: int | float | None = None
    max: int | float | None = None
    integer: bool = True
    max_length: int | None = None
    format: Literal["decree118"] | None = None
    show_if: dict[str, Any] | None = None


class Section(_Model):
    code: str
    title: Text
    description: Text | None = None
    factor: str | None = None
    questions: list[Question] = Field(min_length=1)


class Factor(_Model):
    code: str
    name: Text
    items: list[str] = Field(min_length=1)


class Indices(_Model):
    rule: Literal["pooled", "mean"]
    overall: bool = True
    factors: list[Factor] = Field(min_length=1)


class Definition(_Model):
    id: str
    version: int
    title: Text
    description: Text | None = None
    languages: list[Literal["vi", "en"]]
    kind: Literal["survey", "per_case"] = "survey"
    one_page: bool = False
    scales: dict[str, Scale] = {}
    sections: list[Section] = Field(min_length=1)
    indices: Indices | None = None

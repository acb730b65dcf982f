"""Questionnaire definitions: versioned YAML files, their validation, and answer cleaning.

Pure Python (PyYAML + pydantic); never imports Flask, SQLAlchemy or ``app``. See README.md.
"""

from .answers import FieldError, clean_answers, clean_section, visible_questions
from .conditions import evaluate
from .loader import DefinitionError, Problem, from_dict, load, parse, shipped
from .questionnaire import Questionnaire
from .questiontypes import NOT_APPLICABLE

__all__ = [
    "NOT_APPLICABLE",
    "DefinitionError",
    "FieldError",
    "Problem",
    "Questionnaire",
    "clean_answers",
    "clean_section",
    "evaluate",
    "from_dict",
    "load",
    "parse",
    "shipped",
    "visible_questions",
]

"""XLSForm import problems in the interface language.

survey_definitions has no Flask (the ``survey`` command line reads workbooks too) and words its
diagnostics in English for that command line. The admin pages translate the sentences they know
here, pattern by pattern; a sentence not listed (none today) is shown as written rather than lost.
"""
from __future__ import annotations

import dataclasses
import re

from flask_babel import lazy_gettext as _l

from survey_definitions.xlsform import XlsProblem

PATTERNS = [(re.compile(pattern), template) for pattern, template in (
    (r"the (?P<base>\S+) is empty", _l("the %(base)s is empty")),
    (r"the (?P<base>\S+) in (?P<language>\S+) is missing", _l("the %(base)s in %(language)s is missing")),
    (r"expected yes or no, got '(?P<value>.*)'", _l("expected yes or no, got '%(value)s'")),
    (r"'(?P<value>.*)' is not a whole number: answer values are numeric codes \(as in SPSS\); "
     r"use 'na' for not applicable",
     _l("'%(value)s' is not a whole number: answer values are numeric codes (as in SPSS); "
        "use 'na' for not applicable")),
    (r"no list '(?P<name>.*)' in the choices sheet", _l("no list '%(name)s' in the choices sheet")),
    (r"'na' is allowed only in scale lists", _l("'na' is allowed only in scale lists")),
    (r"unsupported constraint '(?P<clause>.*)' \(supported: \. >= N and \. <= N\)",
     _l("unsupported constraint '%(clause)s' (supported: . >= N and . <= N)")),
    (r"constraints are supported on integer and decimal only",
     _l("constraints are supported on integer and decimal only")),
    (r"the column '(?P<column>.*)' is not supported", _l("the column '%(column)s' is not supported")),
    (r"the column '(?P<column>.*)' has no equivalent", _l("the column '%(column)s' has no equivalent")),
    (r"groups inside groups are not supported", _l("groups inside groups are not supported")),
    (r"'(?P<kind>.*)' is recorded by the platform itself", _l("'%(kind)s' is recorded by the platform itself")),
    (r"the question type '(?P<kind>.*)' is not supported \(supported: (?P<supported>.*)\)",
     _l("the question type '%(kind)s' is not supported (supported: %(supported)s)")),
    (r"not an \.xlsx workbook \((?P<detail>.*)\)", _l("not an .xlsx workbook (%(detail)s)")),
    (r"the workbook's sheets cannot be read \((?P<detail>.*)\)",
     _l("the workbook's sheets cannot be read (%(detail)s)")),
    (r"the workbook has no 'survey' sheet", _l("the workbook has no 'survey' sheet")),
    (r"the form_id \(the questionnaire's short name\) is missing",
     _l("the form_id (the questionnaire's short name) is missing")),
    (r"expected a whole number, got '(?P<value>.*)'", _l("expected a whole number, got '%(value)s'")),
    (r"the workbook has more than (?P<n>\d+) parts", _l("the workbook has more than %(n)s parts")),
    (r"sheet '(?P<sheet>.*)' has more than (?P<n>\d+) rows", _l("sheet '%(sheet)s' has more than %(n)s rows")),
    (r"cannot read the expression near '(?P<text>.*)'", _l("cannot read the expression near '%(text)s'")),
    (r"unsupported operator '(?P<op>.*)' \(use = or !=\)", _l("unsupported operator '%(op)s' (use = or !=)")),
    (r"unsupported value (?P<value>.*): answer values are whole numbers \(or 'na'\)",
     _l("unsupported value %(value)s: answer values are whole numbers (or 'na')")),
    (r"expected a value after (?P<op>.*), found '(?P<found>.*)'", _l("expected a value after %(op)s, found '%(found)s'")),
    (r"expected (?P<expected>.*), found (?P<found>.*)", _l("expected %(expected)s, found %(found)s")),
    (r"unexpected '(?P<found>.*)'", _l("unexpected '%(found)s'")),
    (r"unsupported expression at (?P<found>.*) \(supported: \$\{q\} = 'v', selected\(\), and, or, not\(\)\)",
     _l("unsupported expression at %(found)s (supported: ${q} = 'v', selected(), and, or, not())")),
)]


def translated(message: str) -> str:
    for pattern, template in PATTERNS:
        match = pattern.fullmatch(message)
        if match:
            return str(template) % match.groupdict() if match.groupdict() else str(template)
    return message


def localised(problems: list[XlsProblem]) -> list[XlsProblem]:
    return [dataclasses.replace(p, message=translated(p.message)) for p in problems]

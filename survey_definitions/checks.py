"""Rules that relate one part of a definition to another, beyond what the schema can say."""

from __future__ import annotations

import re
from collections.abc import Iterator

from . import conditions
from .conditions import Domain
from .questiontypes import TYPE_FIELDS, TYPED_FIELDS, domain
from .schema import Definition, Question

Path = tuple[str | int, ...]
Found = Iterator[tuple[Path, str]]

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Question codes become column names in CSV, Excel and SPSS exports: short, lower-case, ASCII.
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
# Export columns that come before the question columns (DESIGN.md, `responses export`), and
# SPSS reserved words: a question must not be called like either.
RESERVED_CODES = frozenset({
    "response_id", "agency", "block", "channel", "language", "submitted_on", "weight", "processing_unit",
    "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with",
})


def check(d: Definition) -> list[tuple[Path, str]]:
    """Every cross-reference problem in ``d``, as (field path, message)."""
    return [
        *_identity(d),
        *_scales(d),
        *_sections(d),
        *_questions(d),
        *_indices(d),
    ]


def _identity(d: Definition) -> Found:
    if not SLUG_RE.match(d.id):
        yield ("id",), f"'{d.id}' must be lower-case letters, digits and dashes (e.g. sipas-2017)"
    if d.version < 1:
        yield ("version",), "version must be 1 or more"
    if sorted(d.languages) != ["en", "vi"]:
        yield ("languages",), "languages must be [vi, en]: every text is written in both"


def _scales(d: Definition) -> Found:
    for name, scale in d.scales.items():
        path: Path = ("scales", name)
        if not NAME_RE.match(name):
            yield path, f"scale name '{name}' must be a letter followed by letters, digits or _"
        values = [p.value for p in scale.points]
        for i, v in enumerate(values):
            if v in values[:i]:
                yield (*path, "points", i, "value"), f"value {v} appears twice in the scale"
        for i, v in enumerate(scale.satisfied):
            if v not in values:
                yield (*path, "satisfied", i), f"{v} is not a point of the scale ({_list(values)})"
        if scale.not_applicable and scale.not_applicable_label is None:
            yield (*path, "not_applicable"), "not_applicable: true needs a not_applicable_label"
        if not scale.not_applicable and scale.not_applicable_label is not None:
            yield (*path, "not_applicable_label"), "a label for 'not applicable' that is not offered"


def _sections(d: Definition) -> Found:
    seen: set[str] = set()
    factors = {f.code for f in d.indices.factors} if d.indices else set()
    for s, section in enumerate(d.sections):
        if not CODE_RE.match(section.code):
            yield ("sections", s, "code"), f"section code '{section.code}' must be like 'profile'"
        if section.code in seen:
            yield ("sections", s, "code"), f"section code '{section.code}' is used twice"
        seen.add(section.code)
        if section.factor is not None and section.factor not in factors:
            yield ("sections", s, "factor"), f"unknown factor '{section.factor}' (see indices.factors)"


def _questions(d: Definition) -> Found:
    known: dict[str, Domain] = {}
    for s, section in enumerate(d.sections):
        for i, q in enumerate(section.questions):
            path: Path = ("sections", s, "questions", i)
            yield from _question(d, q, path, known)
            if q.code not in known:
                known[q.code] = domain(q, d.scales)


def _question(d: Definition, q: Question, path: Path, known: dict[str, Domain]) -> Found:
    if not CODE_RE.match(q.code):
        yield (*path, "code"), f"code '{q.code}' must be lower-case letters, digits and _ (max 32)"
    elif q.code in RESERVED_CODES:
        yield (*path, "code"), f"'{q.code}' is reserved (an export column or an SPSS keyword)"
    if q.code in known:
        yield (*path, "code"), f"question code '{q.code}' is used twice"
    allowed = TYPE_FIELDS.get(q.type, set())
    for name in sorted((q.model_fields_set & TYPED_FIELDS) - allowed):
        yield (*path, name), f"'{name}' does not apply to a question of type {q.type}"
    if q.type == "scale":
        if q.scale is None:
            yield (*path, "scale"), "a scale question needs 'scale: NAME' (see scales)"
        elif q.scale not in d.scales:
            yield (*path, "scale"), f"unknown scale '{q.scale}' (defined: {_list(d.scales)})"
    if q.type in ("single", "multiple"):
        yield from _options(q, path)
    if q.type == "number" and q.min is not None and q.max is not None and q.min > q.max:
        yield (*path, "min"), f"min ({q.min}) is greater than max ({q.max})"
    if q.type == "number" and q.integer:
        for name in ("min", "max"):
            if isinstance(getattr(q, name), float):
                yield (*path, name), f"{name} must be a whole number (or set integer: false)"
    if q.max_length is not None and not 1 <= q.max_length <= 10000:
        yield (*path, "max_length"), "max_length must be between 1 and 10000"
    if q.show_if is not None:
        earlier = {code: dom for code, dom in known.items() if code != q.code}
        yield from conditions.check(q.show_if, earlier, (*path, "show_if"))


def _options(q: Question, path: Path) -> Found:
    if not q.options:
        yield (*path, "options"), f"a {q.type} question needs options: [{{value, label}}, ...]"
        return
    values = [o.value for o in q.options]
    for i, v in enumerate(values):
        if v in values[:i]:
            yield (*path, "options", i, "value"), f"option value {v} is used twice"


def _indices(d: Definition) -> Found:
    if d.indices is None:
        return
    questions: dict[str, Question] = {}
    for section in d.sections:
        for q in section.questions:
            questions.setdefault(q.code, q)  # a duplicate code is reported once, elsewhere
    owner: dict[str, str] = {}
    codes: set[str] = set()
    for f, factor in enumerate(d.indices.factors):
        path: Path = ("indices", "factors", f)
        if not NAME_RE.match(factor.code):
            yield (*path, "code"), f"factor code '{factor.code}' must be like F1"
        if factor.code in codes:
            yield (*path, "code"), f"factor code '{factor.code}' is used twice"
        codes.add(factor.code)
        for i, item in enumerate(factor.items):
            where = (*path, "items", i)
            q = questions.get(item)
            if q is None:
                yield where, f"unknown question '{item}'"
            elif q.type != "scale":
                yield where, f"'{item}' is a {q.type} question; factor items must be scale questions"
            elif q.scale in d.scales and not d.scales[q.scale].satisfied:
                yield where, f"'{item}' uses scale '{q.scale}', which declares no satisfied values"
            if item in owner:
                yield where, f"'{item}' already belongs to factor {owner[item]}"
            owner.setdefault(item, factor.code)


def _list(values) -> str:
    return ", ".join(str(v) for v in values) or "none"

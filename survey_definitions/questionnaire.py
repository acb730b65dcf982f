"""A validated questionnaire and the views the rest of the platform needs of it."""

from __future__ import annotations

import copy
import hashlib
import json
from functools import cached_property
from typing import Any

from .questiontypes import (
    DECREE118,
    DECREE118_PATTERN,
    DOSSIER_CODE_PATTERN,
    NOT_APPLICABLE,
    choices,
    offers_not_applicable,
    text_max_length,
)
from .schema import Definition, Question, Scale, Section


class Questionnaire:
    """One version of a questionnaire. Build it with ``load``, ``parse`` or ``from_dict`` (in loader.py)."""

    def __init__(self, definition: Definition) -> None:
        self.definition = definition
        self._by_code = {q.code: q for q in self.questions}
        self._section_of = {q.code: s.code for s in definition.sections for q in s.questions}

    # -- identity -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.definition.id

    @property
    def version(self) -> int:
        return self.definition.version

    def __repr__(self) -> str:
        return f"<Questionnaire {self.id} v{self.version} ({len(self.questions)} questions)>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Questionnaire) and self.checksum == other.checksum

    def __hash__(self) -> int:
        return hash(self.checksum)

    def to_dict(self) -> dict[str, Any]:
        """The definition as JSON-ready data (what the database stores).

        Fields left at their default are omitted, so a file that spells out ``required: false``
        and one that does not are the same definition, and adding an optional field to the
        format later does not change the checksum of versions already published.
        """
        return self.definition.model_dump(mode="json", exclude_defaults=True)

    @cached_property
    def checksum(self) -> str:
        """sha256 of the canonical JSON of ``to_dict()`` (comments and layout do not count)."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    # -- structure ------------------------------------------------------------------------
    @property
    def sections(self) -> list[Section]:
        return self.definition.sections

    @property
    def scales(self) -> dict[str, Scale]:
        return self.definition.scales

    @cached_property
    def questions(self) -> tuple[Question, ...]:
        """Every question, in the order asked."""
        return tuple(q for s in self.definition.sections for q in s.questions)

    def question(self, code: str) -> Question:
        """The question with this code; KeyError if there is none."""
        return self._by_code[code]

    def section(self, code: str) -> Section:
        for s in self.definition.sections:
            if s.code == code:
                return s
        raise KeyError(code)

    def section_of(self, question_code: str) -> str:
        return self._section_of[question_code]

    def scale_of(self, code: str) -> Scale | None:
        q = self.question(code)
        return self.definition.scales.get(q.scale or "") if q.type == "scale" else None

    # -- indices --------------------------------------------------------------------------
    @property
    def rule(self) -> str | None:
        """'pooled' or 'mean' (DESIGN.md, statistical definitions); None without indices."""
        return self.definition.indices.rule if self.definition.indices else None

    @property
    def overall(self) -> bool:
        return bool(self.definition.indices and self.definition.indices.overall)

    def factor_items(self) -> dict[str, list[str]]:
        """Factor code → its item codes, in the declared order."""
        indices = self.definition.indices
        return {f.code: list(f.items) for f in indices.factors} if indices else {}

    @cached_property
    def rated_items(self) -> list[str]:
        """Codes of all criteria that count in the indices, factor by factor."""
        return [code for items in self.factor_items().values() for code in items]

    @cached_property
    def coded_questions(self) -> list[str]:
        """Closed questions (scale, single choice, yes/no) whose values are all integers 0 … 50,000,
        in questionnaire order: answers that fit one character each (app/collect/store.py)."""
        out = []
        for q in self.questions:
            if q.type not in ("scale", "single", "yes_no"):
                continue
            values = [c.value for c in choices(q, self.scales) or ()]
            if values and all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 50_000 for v in values):
                out.append(q.code)
        return out

    @cached_property
    def dossier_codes(self) -> frozenset[str]:
        """Codes of the dossier-code questions (stored only as keyed digests)."""
        return frozenset(q.code for q in self.questions if q.type == "dossier_code")

    @cached_property
    def points(self) -> dict[str, tuple[int, ...]]:
        """Scale question code → its points, for cleaning answers without rebuilding them."""
        return {q.code: tuple(c.value for c in choices(q, self.scales) or ()) for q in self.questions
                if q.type == "scale"}

    def satisfied_values(self, code: str) -> list[int]:
        """Values that count as satisfied for a scale question; [] for other questions."""
        scale = self.scale_of(code)
        return list(scale.satisfied) if scale else []

    # -- HTTP contract --------------------------------------------------------------------
    def to_api(self) -> dict[str, Any]:
        """``GET /api/v1/waves/<slug>/questionnaire`` (DESIGN.md ⚑), plus a few extra fields."""
        d = self.definition
        return {
            "survey": d.id,
            "version": d.version,
            "languages": list(d.languages),
            "title": d.title.model_dump(),
            "kind": d.kind,
            "one_page": d.one_page,
            "sections": [
                {"code": s.code, "title": s.title.model_dump(), "factor": s.factor,
                 "questions": [q.code for q in s.questions]}
                for s in d.sections
            ],
            "questions": [self._api_question(q) for q in self.questions],
        }

    def _api_question(self, q: Question) -> dict[str, Any]:
        fixed = choices(q, self.definition.scales)
        scale = self.scale_of(q.code)
        na = offers_not_applicable(q, self.definition.scales)
        item: dict[str, Any] = {
            "code": q.code,
            "type": q.type,
            "required": q.required,
            "values": [c.model_dump() for c in fixed] if fixed is not None else None,
            "satisfied": list(scale.satisfied) if scale and scale.satisfied else None,
            "not_applicable": NOT_APPLICABLE if na else None,
            "show_if": copy.deepcopy(q.show_if),
            "text": q.text.model_dump(),
            "help": q.help.model_dump() if q.help else None,
            "section": self._section_of[q.code],
        }
        if na:
            item["not_applicable_label"] = scale.not_applicable_label.model_dump()
        if q.type == "number":
            item.update(min=q.min, max=q.max, integer=q.integer)
        elif q.type == "text":
            item["max_length"] = text_max_length(q)
        elif q.type == "dossier_code":
            item["pattern"] = DECREE118_PATTERN if q.format == DECREE118 else DOSSIER_CODE_PATTERN
            if q.format:
                item["format"] = q.format
        return item

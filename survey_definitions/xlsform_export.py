"""A questionnaire → an XLSForm workbook (and a definition → YAML text). Pure Python (openpyxl, PyYAML).

The workbook reads back through ``xlsform.read_xlsform`` into the same definition (same checksum):
scales carry ``scale``/``satisfied`` columns on the choices sheet and the indices a ``factors`` sheet.
"""

from __future__ import annotations

import io
from typing import Any

import yaml

from .questionnaire import Questionnaire
from .xlsform_relevant import to_relevant

VI, EN = "Vietnamese (vi)", "English (en)"
SURVEY_COLUMNS = ["type", "name", f"label::{VI}", f"label::{EN}", f"hint::{VI}", f"hint::{EN}", "required",
                  "relevant", "constraint", "appearance", "max_length", "factor"]
CHOICE_COLUMNS = ["list_name", "name", f"label::{VI}", f"label::{EN}", "scale", "satisfied"]


def dump_yaml(definition: dict[str, Any]) -> str:
    return yaml.safe_dump(definition, allow_unicode=True, sort_keys=False, width=100, default_flow_style=False)


def _texts(base: str, text: Any) -> dict[str, str]:
    return {f"{base}::{VI}": text.vi, f"{base}::{EN}": text.en} if text is not None else {}


def _survey_rows(q: Questionnaire) -> list[dict[str, Any]]:
    multiple = {x.code for x in q.questions if x.type == "multiple"}
    factor_of = {item: code for code, items in q.factor_items().items() for item in items}
    rows: list[dict[str, Any]] = []
    for section in q.sections:
        rows.append({"type": "begin_group", "name": section.code, **_texts("label", section.title),
                     **_texts("hint", section.description), "factor": section.factor or ""})
        for x in section.questions:
            kind = {"scale": f"select_one {x.scale}", "single": f"select_one {x.code}_options",
                    "multiple": f"select_multiple {x.code}_options", "yes_no": "select_one yes_no",
                    "number": "integer" if x.integer else "decimal", "text": "text", "dossier_code": "text"}[x.type]
            bounds = [f". >= {x.min}"] if x.min is not None else []
            bounds += [f". <= {x.max}"] if x.max is not None else []
            rows.append({"type": kind, "name": x.code, **_texts("label", x.text), **_texts("hint", x.help),
                         "required": "yes" if x.required else "",
                         "relevant": to_relevant(x.show_if, multiple) if x.show_if else "",
                         "constraint": " and ".join(bounds),
                         "appearance": " ".join(filter(None, ["dossier_code", x.format]))
                                       if x.type == "dossier_code" else "",
                         "max_length": x.max_length or "", "factor": factor_of.get(x.code, "")})
        rows.append({"type": "end_group", "name": section.code})
    return rows


def _choice_rows(q: Questionnaire) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for name, scale in q.scales.items():
        for point in scale.points:
            rows.append({"list_name": name, "name": point.value, **_texts("label", point.label), "scale": "yes",
                         "satisfied": "yes" if point.value in scale.satisfied else ""})
        if scale.not_applicable:
            rows.append({"list_name": name, "name": "na", **_texts("label", scale.not_applicable_label),
                         "scale": "yes"})
    if any(x.type == "yes_no" for x in q.questions):
        rows += [{"list_name": "yes_no", "name": 1, f"label::{VI}": "Có", f"label::{EN}": "Yes"},
                 {"list_name": "yes_no", "name": 0, f"label::{VI}": "Không", f"label::{EN}": "No"}]
    for x in q.questions:
        for option in x.options or ():
            rows.append({"list_name": f"{x.code}_options", "name": option.value, **_texts("label", option.label),
                         "scale": "no"})
    return rows


def write_xlsform(q: Questionnaire) -> bytes:
    from openpyxl import Workbook  # slow to import; only workbook downloads need it

    d = q.definition
    book = Workbook()
    sheets = [("survey", SURVEY_COLUMNS, _survey_rows(q)), ("choices", CHOICE_COLUMNS, _choice_rows(q))]
    settings = {"form_id": d.id, "version": d.version, **_texts("form_title", d.title),
                **_texts("description", d.description), "kind": d.kind, "one_page": "yes" if d.one_page else "",
                "index_rule": q.rule or "", "index_overall": "" if not d.indices or d.indices.overall else "no"}
    sheets.append(("settings", list(settings), [settings]))
    if d.indices:
        factors = [{"code": f.code, **_texts("label", f.name), "items": " ".join(f.items)} for f in d.indices.factors]
        sheets.append(("factors", ["code", f"label::{VI}", f"label::{EN}", "items"], factors))
    book.remove(book.active)
    for title, columns, rows in sheets:
        sheet = book.create_sheet(title)
        sheet.append(columns)
        for row in rows:
            sheet.append([row.get(c, "") for c in columns])
        for line in sheet.iter_rows():  # text is text: a label like "=HYPERLINK(...)" never runs as a formula
            for cell in line:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()

"""XLSForm workbooks → questionnaire definitions (see README.md, "Mapping to XLSForm").

Pure Python (openpyxl); never imports Flask, SQLAlchemy or ``app``. ``read_xlsform`` returns the
definition as data plus every problem, each naming the sheet, the row and the column, so that an
administrator can fix the workbook. Problems of severity "warning" name what was ignored; any
"error" means there is no definition.
"""

from __future__ import annotations

import io
import re
import time
from dataclasses import dataclass
from typing import Any

from .loader import DefinitionError, parse_data
from .workbook_guard import MAX_SECONDS, WorkbookRefused, bounded_rows, check_archive
from .xlsform_export import dump_yaml
from .xlsform_relevant import RelevantError, parse_relevant

META_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber", "username",
              "email", "audit", "start-geopoint"}
ERROR_COLUMNS = {"choice_filter", "calculation", "default", "repeat_count", "read_only", "trigger"}
KNOWN_COLUMNS = {"type", "name", "label", "hint", "required", "relevant", "constraint", "appearance", "factor",
                 "max_length"}
LANGS = {"vi": ("vi", "vietnamese", "tiếng việt"), "en": ("en", "english")}
YES = {"yes", "true", "1", "true()"}
NO = {"", "no", "false", "0", "false()"}
BOUND = re.compile(r"^\.\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)$")

@dataclass(frozen=True)
class XlsProblem:
    sheet: str
    row: int | None
    column: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"sheet '{self.sheet}'" + (f", row {self.row}" if self.row else "")
        where += f", column '{self.column}'" if self.column else ""
        return f"{where}: {self.message}" + (" (ignored)" if self.severity == "warning" else "")


def _lang_of(column: str, base: str) -> str | None:
    head, sep, tail = column.partition("::")
    if head != base or not sep:
        return None
    tail = tail.strip().lower()
    for lang, names in LANGS.items():
        if tail in names or f"({lang})" in tail or tail.split(" ")[0] in names:
            return lang
    return None


def _sheet_rows(book, name: str, deadline: float) -> tuple[list[str], list[tuple[int, dict[str, str]]]] | None:
    sheet = next((book[s] for s in book.sheetnames if s.strip().lower() == name), None)
    if sheet is None:
        return None
    rows = bounded_rows(sheet, deadline)
    if not rows:
        return [], []
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    out = []
    for number, values in enumerate(rows[1:], start=2):
        cells = {h: _cell(v) for h, v in zip(header, values, strict=False) if h}
        if any(cells.values()):
            out.append((number, cells))
    return header, out


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class _Reader:
    def __init__(self) -> None:
        self.problems: list[XlsProblem] = []

    def problem(self, sheet: str, row: int | None, column: str | None, message: str, severity: str = "error") -> None:
        self.problems.append(XlsProblem(sheet, row, column, message, severity))

    def text(self, sheet: str, number: int, row: dict[str, str], base: str, required: bool = True) -> dict | None:
        found = {lang: value for column, value in row.items() if value and (lang := _lang_of(column, base))}
        plain = row.get(base, "")
        for lang in ("vi", "en"):
            found.setdefault(lang, plain) if plain else None
        if not found:
            if required:
                self.problem(sheet, number, f"{base}::Vietnamese (vi)", f"the {base} is empty")
            return None
        for lang, title in (("vi", "Vietnamese (vi)"), ("en", "English (en)")):
            if not found.get(lang):
                self.problem(sheet, number, f"{base}::{title}", f"the {base} in {title.split(' ')[0]} is missing")
        return {"vi": found.get("vi", ""), "en": found.get("en", "")}

    def flag(self, sheet: str, number: int, row: dict[str, str], column: str) -> bool:
        value = row.get(column, "").lower()
        if value in YES:
            return True
        if value not in NO:
            self.problem(sheet, number, column, f"expected yes or no, got '{row[column]}'")
        return False


def _choice_lists(reader: _Reader, table) -> dict[str, dict[str, Any]]:
    lists: dict[str, dict[str, Any]] = {}
    if table is None:
        return lists
    for number, row in table[1]:
        name, value = row.get("list_name", ""), row.get("name", "")
        entry = lists.setdefault(name, {"points": [], "na": None, "satisfied": [], "scale": None, "row": number})
        label = reader.text("choices", number, row, "label")
        if row.get("scale"):  # explicit yes / no; blank leaves the 5-point rule to decide
            entry["scale"] = reader.flag("choices", number, row, "scale")
        if value.lower() == "na":
            entry["na"] = label
            continue
        if not re.fullmatch(r"-?\d+", value):
            reader.problem("choices", number, "name", f"'{value}' is not a whole number: answer values are "
                           "numeric codes (as in SPSS); use 'na' for not applicable")
            continue
        entry["points"].append({"value": int(value), "label": label})
        if "satisfied" in row and reader.flag("choices", number, row, "satisfied"):
            entry["satisfied"].append(int(value))
    return lists


def _question(reader: _Reader, number: int, row: dict[str, str], kind: str, arg: str, lists, scales) -> dict | None:
    q: dict[str, Any] = {"code": row.get("name", ""), "type": ""}
    if kind in ("select_one", "select_multiple"):
        choice_list = lists.get(arg)
        if choice_list is None:
            reader.problem("survey", number, "type", f"no list '{arg}' in the choices sheet")
            return None
        explicit = choice_list["scale"]
        is_scale = kind == "select_one" and (explicit if explicit is not None else
                                             len(choice_list["points"]) == 5 or choice_list["na"] is not None)
        values = {p["value"] for p in choice_list["points"]}
        if kind == "select_one" and arg == "yes_no" and values == {0, 1}:
            q["type"] = "yes_no"
        elif is_scale:
            q.update(type="scale", scale=arg)
            scales[arg] = _scale(choice_list)
        else:
            if choice_list["na"] is not None:
                reader.problem("choices", choice_list["row"], "name", "'na' is allowed only in scale lists")
            q.update(type="single" if kind == "select_one" else "multiple", options=choice_list["points"])
    elif kind in ("integer", "decimal"):
        q["type"] = "number"
        if kind == "decimal":
            q["integer"] = False
        for clause in filter(None, re.split(r"\s+and\s+", row.get("constraint", ""))):
            match = BOUND.match(clause.strip())
            if match is None:
                reader.problem("survey", number, "constraint", f"unsupported constraint '{clause}' "
                               "(supported: . >= N and . <= N)")
                continue
            bound = float(match[2]) if "." in match[2] else int(match[2])
            q["min" if match[1] == ">=" else "max"] = bound
    elif kind == "text":
        appearance = row.get("appearance", "").split()  # "dossier_code", "dossier_code decree118"
        q["type"] = "dossier_code" if "dossier_code" in appearance else "text"
        if q["type"] == "dossier_code" and "decree118" in appearance:
            q["format"] = "decree118"
        if row.get("max_length"):
            q["max_length"] = int(row["max_length"]) if row["max_length"].isdigit() else row["max_length"]
    q["text"] = reader.text("survey", number, row, "label")
    help_text = reader.text("survey", number, row, "hint", required=False)
    if help_text:
        q["help"] = help_text
    if reader.flag("survey", number, row, "required"):
        q["required"] = True
    if row.get("relevant"):
        try:
            q["show_if"] = parse_relevant(row["relevant"])
        except RelevantError as exc:
            reader.problem("survey", number, "relevant", str(exc))
    if row.get("constraint") and kind not in ("integer", "decimal"):
        reader.problem("survey", number, "constraint", "constraints are supported on integer and decimal only")
    return q


def _scale(choice_list: dict) -> dict:
    points = choice_list["points"]
    scale: dict[str, Any] = {"points": points}
    satisfied = choice_list["satisfied"]
    if not satisfied and choice_list["scale"] is None and [p["value"] for p in points] == [1, 2, 3, 4, 5]:
        satisfied = [4, 5]  # the SIPAS convention: "Hài lòng" and "Rất hài lòng"
    if satisfied:
        scale["satisfied"] = satisfied
    if choice_list["na"] is not None:
        scale.update(not_applicable=True, not_applicable_label=choice_list["na"])
    return scale


def _survey(reader: _Reader, table, lists, scales, title) -> tuple[list[dict], dict, dict]:
    """Sections with their questions; origins map definition paths to sheet rows; group factors."""
    sections: list[dict] = []
    origins: dict[tuple, int] = {}
    group_factor: dict[str, tuple[str, dict]] = {}
    current: dict | None = None
    loose = 0
    for number, row in table[1]:
        for column in row:
            base = column.split("::")[0]
            if row[column] and base in ERROR_COLUMNS:
                reader.problem("survey", number, column, f"the column '{base}' is not supported")
            elif row[column] and base not in KNOWN_COLUMNS and column not in ("factor",):
                reader.problem("survey", number, column, f"the column '{base}' has no equivalent", "warning")
        kind, _, arg = re.sub(r"\s+", " ", row.get("type", "")).partition(" ")
        kind = kind.replace("begin group", "begin_group")
        if kind in ("begin_group", "begin") and (kind == "begin_group" or arg == "group"):
            if current is not None and current.get("_group"):
                reader.problem("survey", number, "type", "groups inside groups are not supported")
                continue
            current = {"code": row.get("name", ""), "title": reader.text("survey", number, row, "label"),
                       "questions": [], "_group": True}
            description = reader.text("survey", number, row, "hint", required=False)
            if description:
                current["description"] = description
            if row.get("factor"):
                current["factor"] = row["factor"]
                group_factor[row["factor"]] = (row["factor"], current["title"])
            origins[(len(sections),)] = number
            sections.append(current)
        elif kind in ("end_group", "end") and (kind == "end_group" or arg == "group"):
            current = None
        elif kind in META_TYPES:
            reader.problem("survey", number, "type", f"'{kind}' is recorded by the platform itself", "warning")
        elif kind in ("select_one", "select_multiple", "integer", "decimal", "text"):
            if current is None:
                loose += 1
                current = {"code": "main" if loose == 1 else f"main_{loose}", "title": title, "questions": []}
                origins[(len(sections),)] = number
                sections.append(current)
            question = _question(reader, number, row, kind, arg.strip(), lists, scales)
            if question is not None:
                origins[(len(sections) - 1, len(current["questions"]))] = number
                if row.get("factor"):
                    question["_factor"] = row["factor"]
                current["questions"].append(question)
        else:
            reader.problem("survey", number, "type", f"the question type '{row.get('type')}' is not supported "
                           "(supported: select_one, select_multiple, integer, decimal, text, begin_group, end_group)")
    return sections, origins, group_factor


def _indices(reader: _Reader, sections, settings, factors_table, group_factor) -> dict | None:
    factors: dict[str, dict] = {}
    if factors_table is not None:
        for number, row in factors_table[1]:
            factors[row.get("code", "")] = {"code": row.get("code", ""),
                                            "name": reader.text("factors", number, row, "label"),
                                            "items": row.get("items", "").split()}
    else:
        for section in sections:
            for q in section["questions"]:
                code = q.get("_factor") or (section.get("factor") if q["type"] == "scale" else None)
                if code:
                    name = group_factor.get(code, (code, {"vi": code, "en": code}))[1]
                    factors.setdefault(code, {"code": code, "name": name, "items": []})["items"].append(q["code"])
    if not factors:
        return None
    indices: dict[str, Any] = {"rule": settings.get("index_rule") or "mean", "factors": list(factors.values())}
    if settings.get("index_overall", "").lower() in NO - {""}:
        indices["overall"] = False
    return indices


def read_xlsform(data: bytes, *, slug: str | None = None, version: int | None = None
                 ) -> tuple[dict | None, list[XlsProblem]]:
    """An XLSForm workbook → (definition data, problems); the data is None when any problem is an error.

    ``slug`` and ``version`` override the settings sheet's ``form_id`` and ``version``.
    """
    from openpyxl import load_workbook  # slow to import; only workbook uploads need it

    reader = _Reader()
    deadline = time.monotonic() + MAX_SECONDS
    try:
        check_archive(data)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except WorkbookRefused as exc:
        return None, [XlsProblem("(file)", None, None, str(exc))]
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a bad file
        return None, [XlsProblem("(file)", None, None, f"not an .xlsx workbook ({type(exc).__name__})")]
    try:
        survey, choices_table = _sheet_rows(book, "survey", deadline), _sheet_rows(book, "choices", deadline)
        settings_table = _sheet_rows(book, "settings", deadline)
        factors_table = _sheet_rows(book, "factors", deadline)
    except WorkbookRefused as exc:
        return None, [XlsProblem("(file)", None, None, str(exc))]
    except Exception as exc:  # noqa: BLE001 - sheets are parsed lazily: XML errors surface here
        return None, [XlsProblem("(file)", None, None, f"the workbook's sheets cannot be read ({type(exc).__name__})")]
    finally:
        book.close()
    if survey is None:
        return None, [XlsProblem("survey", None, None, "the workbook has no 'survey' sheet")]
    settings = settings_table[1][0][1] if settings_table and settings_table[1] else {}
    settings_row = settings_table[1][0][0] if settings_table and settings_table[1] else 2
    title = reader.text("settings", settings_row, settings, "form_title") or {"vi": "", "en": ""}
    lists, scales = _choice_lists(reader, choices_table), {}
    sections, origins, group_factor = _survey(reader, survey, lists, scales, title)
    form_id = slug or settings.get("form_id", "")
    raw_version = str(version) if version is not None else settings.get("version", "")
    if not form_id:
        reader.problem("settings", settings_row, "form_id", "the form_id (the questionnaire's short name) is missing")
    if not raw_version.isdigit():
        reader.problem("settings", settings_row, "version", f"expected a whole number, got '{raw_version}'")
    definition: dict[str, Any] = {"id": form_id, "version": int(raw_version) if raw_version.isdigit() else 0,
                                  "title": title, "languages": ["vi", "en"]}
    description = reader.text("settings", settings_row, settings, "description", required=False)
    if description:
        definition["description"] = description
    if settings.get("kind"):
        definition["kind"] = settings["kind"]
    if settings.get("one_page", "").lower() in YES:
        definition["one_page"] = True
    if scales:
        definition["scales"] = scales
    indices = _indices(reader, sections, settings, factors_table, group_factor)
    for section in sections:
        section.pop("_group", None)
        for q in section["questions"]:
            q.pop("_factor", None)
    definition["sections"] = sections
    if indices:
        definition["indices"] = indices
    if any(p.severity == "error" for p in reader.problems):
        return None, reader.problems
    try:
        parse_data(definition, "<xlsform>")
    except DefinitionError as exc:
        for p in exc.problems:
            sheet, row, column = _origin(p.field, origins, lists)
            reader.problem(sheet, row, column, p.message)
        return None, reader.problems
    return definition, reader.problems


def _origin(field: str, origins: dict[tuple, int], lists) -> tuple[str, int | None, str | None]:
    """Where a validator problem (a definition path) came from in the workbook."""
    numbers = [int(n) for n in re.findall(r"\[(\d+)\]", field)]
    tail = field.rsplit(".", 1)[-1] if "." in field else field
    if field.startswith("sections") and numbers:
        key = tuple(numbers[:2]) if ".questions[" in field else (numbers[0],)
        column = {"code": "name", "text": "label", "help": "hint", "show_if": "relevant",
                  "title": "label", "min": "constraint", "max": "constraint"}.get(tail.split("[")[0], tail)
        return "survey", origins.get(key), column
    if field.startswith("scales."):
        name = field.split(".")[1]
        return "choices", lists.get(name, {}).get("row"), tail
    if field.startswith("indices"):
        return "factors", None, tail
    return "settings", 2, {"id": "form_id", "title": "form_title"}.get(tail, tail)


def to_yaml(definition: dict) -> str:
    """A definition as a YAML file in the house layout (bilingual texts in flow style)."""
    return dump_yaml(definition)

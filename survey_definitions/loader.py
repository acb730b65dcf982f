"""Loading definition files and reporting every problem with its file, line and field."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import schema
from .checks import check
from .questionnaire import Questionnaire
from .yamlsource import Source, YamlSyntaxError, read

FILENAME_RE = re.compile(r"^(?P<slug>.+)\.v(?P<version>\d+)\.ya?ml$")
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Problem:
    """One mistake in a definition: ``file:line: field: message``."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class DefinitionError(ValueError):
    """A definition is invalid; ``problems`` lists every mistake found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def shipped() -> list[Path]:
    """The definition files shipped in this package, by survey and then version."""
    files = [p for p in HERE.glob("*.yaml") if FILENAME_RE.match(p.name)]
    return sorted(files, key=lambda p: (FILENAME_RE.match(p.name)["slug"],
                                        int(FILENAME_RE.match(p.name)["version"])))


def load(path: str | os.PathLike[str]) -> Questionnaire:
    """Read and validate a definition file; raise ``DefinitionError`` listing every problem."""
    name = os.fspath(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError([Problem(name, None, "", f"not UTF-8 text ({exc.reason})")]) from None
    questionnaire, problems = parse(text, name)
    if questionnaire is None:
        raise DefinitionError(problems)
    return questionnaire


def parse(text: str, filename: str) -> tuple[Questionnaire | None, list[Problem]]:
    """Validate YAML ``text`` as if read from ``filename``: (questionnaire, []) or (None, problems).

    When the file name has the form ``<slug>.v<N>.yaml``, the definition's id and version must
    be ``slug`` and ``N``.
    """
    try:
        source = read(text)
    except YamlSyntaxError as exc:
        return None, [Problem(filename, exc.line, "", exc.message)]
    problems = [Problem(filename, line, _field(path), f"'{path[-1]}' is given twice")
                for path, line in source.duplicates]
    questionnaire, found = _validate(source.data, filename, source)
    problems = sorted(problems + found, key=lambda p: (p.line or 0, p.field))
    return (questionnaire if not problems else None), problems


def from_dict(data: dict[str, Any]) -> Questionnaire:
    """Rebuild from ``Questionnaire.to_dict()`` output (no line numbers); raises ``DefinitionError``."""
    return parse_data(data, filename="<dict>")


def parse_data(data: dict[str, Any], filename: str) -> Questionnaire:
    """Validate already-parsed data (e.g. JSON from the database); raise ``DefinitionError``."""
    questionnaire, problems = _validate(data, filename, None)
    if questionnaire is None:
        raise DefinitionError(problems)
    return questionnaire


def _validate(data: Any, filename: str, source: Source | None) -> tuple[Questionnaire | None, list[Problem]]:
    def problem(path: tuple, message: str) -> Problem:
        line = source.line_of(path) if source else None
        return Problem(filename, line, _field(path), message)

    if not isinstance(data, dict):
        return None, [problem((), "a definition must be a mapping")]
    try:
        definition = schema.Definition.model_validate(data)
    except ValidationError as exc:
        seen: set[tuple] = set()
        problems = []
        for err in exc.errors():
            path = _data_path(data, err)
            if path not in seen:
                seen.add(path)
                problems.append(problem(path, _message(err)))
        return None, problems
    problems = [problem(path, message) for path, message in check(definition)]
    if source is not None:
        problems += [problem(path, message) for path, message in _filename(definition, filename)]
    return (Questionnaire(definition) if not problems else None), problems


def _filename(d: schema.Definition, filename: str):
    match = FILENAME_RE.match(os.path.basename(filename))
    if match is None:
        return
    if match["slug"] != d.id:
        yield ("id",), f"'{d.id}' does not match the file name (expected id: {match['slug']})"
    if int(match["version"]) != d.version:
        yield ("version",), f"{d.version} does not match the file name (expected {match['version']})"


def _data_path(data: Any, err: dict) -> tuple:
    """The error's location cut to what exists in the data (drops pydantic's union tags)."""
    path: list = []
    node = data
    for i, key in enumerate(err["loc"]):
        present = (key in node if isinstance(node, dict)
                   else isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node))
        if present:
            node = node[key]
        else:
            if err["type"] == "missing" and i == len(err["loc"]) - 1:
                path.append(key)
            break
        path.append(key)
    return tuple(path)


def _field(path: tuple) -> str:
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


FIELD_NAMES = sorted({name for model in (schema.Text, schema.Choice, schema.Scale, schema.Question,
                                         schema.Section, schema.Factor, schema.Indices,
                                         schema.Definition) for name in model.model_fields})


def _message(err: dict) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        name = err["loc"][-1]
        close = difflib.get_close_matches(str(name), FIELD_NAMES, n=1)
        if value is None and " " in str(name):
            return (f"unknown field '{name}': a comma inside {{vi: ..., en: ...}} starts a new "
                    "field, so put text that contains commas in quotes")
        return f"unknown field '{name}'" + (f" (did you mean '{close[0]}'?)" if close else "")
    if kind == "model_type" and ctx.get("class_name") == "Text":
        return "expected a text in both languages: {vi: ..., en: ...}"
    if kind in ("model_type", "dict_type"):
        return f"expected a mapping (key: value), got {_shown(value)}"
    if kind == "list_type":
        return f"expected a list, got {_shown(value)}"
    if kind == "string_type" and isinstance(value, bool):
        return "expected text, got a boolean: put the text in quotes (YAML reads yes/no/on/off as true/false)"
    if kind == "string_type":
        return f"expected text, got {_shown(value)}"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "int_type":
        return f"expected a whole number, got {_shown(value)}"
    if kind == "float_type":
        return f"expected a number, got {_shown(value)}"
    if kind == "bool_type":
        return f"expected true or false, got {_shown(value)}"
    if kind == "literal_error":
        return f"{_shown(value)} is not allowed; use {ctx.get('expected', '')}"
    if kind == "too_short":
        return "must not be empty"
    return err["msg"]


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."

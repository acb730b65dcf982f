"""Read YAML into plain Python data while remembering the line of every key and list item.

PyYAML's ``compose`` gives nodes with marks; we build the data from them ourselves so that each
value can be traced back to a line for error messages. Only the safe YAML tags are constructed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

Path = tuple[str | int, ...]

# Aliases can make a small text expand into a huge tree ("billion laughs"), or repeat one long
# text thousands of times (a 247 KB draft became a 220 MB definition): a questionnaire has a few
# thousand values and well under a million characters of text, counted after expansion.
MAX_VALUES = 100_000
MAX_TEXT = 1_000_000


class YamlSyntaxError(Exception):
    """The text is not valid YAML (or not a single mapping); ``line`` is 1-based or None."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass
class Source:
    """Parsed data plus a map from a field path to the line where it is written."""

    data: Any
    lines: dict[Path, int]
    duplicates: list[tuple[Path, int]]

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest written ancestor (a missing field's parent)."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


def _loader_class() -> type:
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read(text: str) -> Source:
    """Parse ``text``; raise ``YamlSyntaxError`` with the line of the first syntax error."""
    loader = _loader_class()(text)
    try:
        root = loader.get_single_node()
        if root is None:
            raise YamlSyntaxError("the file is empty", 1)
        builder = _Builder(loader)
        data = builder.build(root, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = ": ".join(part for part in (exc.context, exc.problem) if part)
        start = exc.context_mark
        if start is not None and mark is not None and start.line != mark.line:
            message += f" (the construct opened on line {start.line + 1})"
        raise YamlSyntaxError(f"YAML syntax error: {message}", line) from None
    except yaml.YAMLError as exc:  # pragma: no cover - PyYAML raises marked errors in practice
        raise YamlSyntaxError(f"YAML syntax error: {exc}", None) from None
    except RecursionError:
        raise YamlSyntaxError("the YAML is nested too deeply", None) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise YamlSyntaxError("the file must be a YAML mapping (id: ..., version: ..., ...)",
                              root.start_mark.line + 1)
    return Source(data, builder.lines, builder.duplicates)


class _Builder:
    def __init__(self, loader: Any) -> None:
        self.loader = loader
        self.lines: dict[Path, int] = {}
        self.duplicates: list[tuple[Path, int]] = []
        self.count = 0
        self.text = 0

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise yaml.MarkedYAMLError(problem=f"more than {MAX_VALUES} values (aliases expanding?)",
                                       problem_mark=node.start_mark)
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        self.text += len(node.value)
        if self.text > MAX_TEXT:
            raise yaml.MarkedYAMLError(problem=f"more than {MAX_TEXT:,} characters of text once aliases (*name) "
                                       "are expanded", problem_mark=node.start_mark)
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict:
        result: dict = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.MarkedYAMLError(problem="merge keys (<<) are not supported",
                                           problem_mark=key_node.start_mark)
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int)):
                raise yaml.MarkedYAMLError(problem=f"a key must be text, not {key!r}",
                                           problem_mark=key_node.start_mark)
            child = (*path, key)
            if key in result:
                self.duplicates.append((child, key_node.start_mark.line + 1))
                continue
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child)
        return result

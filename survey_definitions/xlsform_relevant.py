"""XLSForm ``relevant`` expressions ↔ ``show_if`` conditions, for the simple forms only.

Supported: ``${q} = 'v'``, ``${q} != 'v'``, ``${q} != ''`` / ``${q} = ''`` (answered),
``selected(${q}, 'v')``, ``not(...)``, ``and``, ``or`` and parentheses. Anything else is refused
with a message, never guessed.
"""

from __future__ import annotations

import re
from typing import Any

TOKEN = re.compile(r"""\s*(?:(?P<ref>\$\{[A-Za-z_][A-Za-z0-9_]*\})|(?P<str>'[^']*'|"[^"]*")|"""
                   r"""(?P<num>-?\d+(?:\.\d+)?)|(?P<op>!=|=|\(|\)|,)|(?P<word>[A-Za-z_][A-Za-z0-9_-]*))""")


class RelevantError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise RelevantError(f"cannot read the expression near '{text[pos:pos + 20]}'")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return out


def _value(kind: str, raw: str) -> Any:
    text = raw[1:-1] if kind == "str" else raw
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text == "na":
        return "na"
    raise RelevantError(f"unsupported value {raw}: answer values are whole numbers (or 'na')")


class _Parser:
    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str | None = None, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (kind and token[0] != kind) or (value and token[1] != value):
            found = f"'{token[1]}'" if token else "the end"
            raise RelevantError(f"expected {value or kind}, found {found}")
        self.i += 1
        return token

    def parse(self) -> dict:
        cond = self.disjunction()
        if self.peek() is not None:
            raise RelevantError(f"unexpected '{self.peek()[1]}'")
        return cond

    def disjunction(self) -> dict:
        parts = [self.conjunction()]
        while self.peek() == ("word", "or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else _merge_any(parts)

    def conjunction(self) -> dict:
        parts = [self.atom()]
        while self.peek() == ("word", "and"):
            self.take()
            parts.append(self.atom())
        return parts[0] if len(parts) == 1 else {"all": parts}

    def atom(self) -> dict:
        token = self.peek()
        if token == ("op", "("):
            self.take()
            cond = self.disjunction()
            self.take("op", ")")
            return cond
        if token == ("word", "not"):
            self.take()
            self.take("op", "(")
            cond = self.disjunction()
            self.take("op", ")")
            return {"not": cond}
        if token == ("word", "selected"):
            self.take()
            self.take("op", "(")
            ref = self.take("ref")[1][2:-1]
            self.take("op", ",")
            kind, raw = self.take()
            self.take("op", ")")
            return {"question": ref, "equals": _value(kind, raw)}
        if token and token[0] == "ref":
            ref = self.take()[1][2:-1]
            op = self.take("op")[1]
            if op not in ("=", "!="):
                raise RelevantError(f"unsupported operator '{op}' (use = or !=)")
            kind, raw = self.take()
            if kind not in ("str", "num"):
                raise RelevantError(f"expected a value after {op}, found '{raw}'")
            if kind == "str" and raw[1:-1] == "":
                return {"question": ref, "answered": op == "!="}
            leaf = {"question": ref, "equals": _value(kind, raw)}
            return leaf if op == "=" else {"not": leaf}
        found = f"'{token[1]}'" if token else "the end"
        raise RelevantError(f"unsupported expression at {found} (supported: ${{q}} = 'v', selected(), "
                            "and, or, not())")


def _merge_any(parts: list[dict]) -> dict:
    """``${q} = 1 or ${q} = 2`` is ``{question: q, in: [1, 2]}``."""
    questions = {p.get("question") for p in parts}
    if len(questions) == 1 and None not in questions and all(set(p) == {"question", "equals"} for p in parts):
        return {"question": parts[0]["question"], "in": [p["equals"] for p in parts]}
    return {"any": parts}


def parse_relevant(text: str) -> dict:
    """An XLSForm relevant expression → a show_if condition; RelevantError when unsupported."""
    return _Parser(text).parse()


def _quote(value: Any) -> str:
    return f"'{value}'"


def to_relevant(cond: dict, multiple: set[str], nested: bool = False) -> str:
    """A show_if condition → an XLSForm relevant expression (``multiple``: codes of multi-choice questions)."""
    if "all" in cond or "any" in cond:
        word = " and " if "all" in cond else " or "
        text = word.join(to_relevant(c, multiple, True) for c in cond.get("all", cond.get("any")))
        return f"({text})" if nested else text
    if "not" in cond:
        return f"not({to_relevant(cond['not'], multiple)})"
    q = cond["question"]
    if "answered" in cond:
        return f"${{{q}}} {'!=' if cond['answered'] else '='} ''"
    values = cond["in"] if "in" in cond else [cond["equals"]]
    leaves = [f"selected(${{{q}}}, {_quote(v)})" if q in multiple else f"${{{q}}} = {_quote(v)}" for v in values]
    text = " or ".join(leaves)
    return f"({text})" if nested and len(leaves) > 1 else text

"""Structured ``show_if`` conditions: checking them and evaluating them, without ``eval``.

A condition is plain JSON-like data, so that the server evaluates it here and the browser can
mirror the same few rules from a ``data-show-if`` attribute::

    {question: late, equals: 1}            the answer equals the value
    {question: field, in: [1, 2]}          the answer is one of the values
    {question: comments, answered: true}   the question has an answer (false: has none)
    {all: [COND, ...]}                     every condition holds
    {any: [COND, ...]}                     at least one holds
    {not: COND}                            the condition does not hold

For a ``multiple`` question (a list of choices) ``equals: v`` means "v is among the choices" and
``in: [..]`` means "at least one of these is among the choices". An unanswered question equals
nothing and is in nothing, so ``{not: {question: x, equals: 1}}`` holds when x is blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LEAF_OPERATORS = ("equals", "in", "answered")
GROUP_OPERATORS = ("all", "any", "not")
MAX_DEPTH = 8

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Domain:
    """What a condition may compare a question with.

    ``values`` is the set of possible answers, or None when any number is possible;
    ``comparable`` is False for free text, which conditions may only test with ``answered``.
    """

    values: frozenset | None
    comparable: bool = True


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def evaluate(cond: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """True when ``cond`` holds for the (cleaned) ``answers``; None always holds."""
    if cond is None:
        return True
    if "all" in cond:
        return all(evaluate(c, answers) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, answers) for c in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], answers)
    answer = answers.get(cond["question"])
    if "answered" in cond:
        return (not is_blank(answer)) is bool(cond["answered"])
    if is_blank(answer):
        return False
    wanted = [cond["equals"]] if "equals" in cond else list(cond["in"])
    given = answer if isinstance(answer, list) else [answer]
    return any(_same(a, w) for a in given for w in wanted)


def _same(a: Any, b: Any) -> bool:
    # 1 == True in Python; answers and condition values are never booleans, but be exact anyway.
    return type(a) is not bool and type(b) is not bool and a == b


def references(cond: Mapping[str, Any] | None) -> set[str]:
    """The question codes a (valid) condition refers to."""
    if cond is None:
        return set()
    if "all" in cond or "any" in cond:
        return set().union(*(references(c) for c in cond.get("all", cond.get("any"))))
    if "not" in cond:
        return references(cond["not"])
    return {cond["question"]}


def check(cond: Any, known: Mapping[str, Domain], path: Path = ()) -> list[tuple[Path, str]]:
    """Problems in ``cond`` as (path, message); ``known`` holds the questions asked before it."""
    return _check(cond, known, path, 0)


def _check(cond: Any, known: Mapping[str, Domain], path: Path, depth: int) -> list[tuple[Path, str]]:
    if depth > MAX_DEPTH:
        return [(path, f"conditions may be nested at most {MAX_DEPTH} levels deep")]
    if not isinstance(cond, Mapping):
        return [(path, "a condition must be a mapping such as {question: late, equals: 1}")]
    groups = [op for op in GROUP_OPERATORS if op in cond]
    if groups:
        if len(cond) != 1:
            return [(path, f"'{groups[0]}' must stand alone in its condition")]
        op = groups[0]
        inner = cond[op]
        if op == "not":
            return _check(inner, known, (*path, op), depth + 1)
        if not isinstance(inner, list) or not inner:
            return [((*path, op), f"'{op}' takes a non-empty list of conditions")]
        problems = []
        for i, c in enumerate(inner):
            problems += _check(c, known, (*path, op, i), depth + 1)
        return problems
    return _check_leaf(cond, known, path)


def _check_leaf(cond: Mapping[str, Any], known: Mapping[str, Domain], path: Path) -> list[tuple[Path, str]]:
    unknown = sorted(str(k) for k in cond if k != "question" and k not in LEAF_OPERATORS)
    if unknown:
        allowed = ", ".join(("question", *LEAF_OPERATORS, *GROUP_OPERATORS))
        return [((*path, unknown[0]), f"unknown condition key '{unknown[0]}' (allowed: {allowed})")]
    code = cond.get("question")
    if not isinstance(code, str):
        return [(path, "a condition needs 'question: CODE' (or all / any / not)")]
    if code not in known:
        return [((*path, "question"), f"'{code}' is not a question asked before this one")]
    ops = [op for op in LEAF_OPERATORS if op in cond]
    if len(ops) != 1:
        return [(path, "give exactly one of equals, in, answered")]
    op, arg = ops[0], cond[ops[0]]
    domain = known[code]
    if op == "answered":
        if not isinstance(arg, bool):
            return [((*path, op), "'answered' must be true or false")]
        return []
    if not domain.comparable:
        return [((*path, op), f"'{code}' is free text: test it only with 'answered'")]
    if op == "in":
        if not isinstance(arg, list) or not arg:
            return [((*path, op), "'in' takes a non-empty list of values")]
        values = list(enumerate(arg))
        return [p for i, v in values for p in _check_value(v, code, domain, (*path, op, i))]
    return _check_value(arg, code, domain, (*path, op))


def _check_value(value: Any, code: str, domain: Domain, path: Path) -> list[tuple[Path, str]]:
    if domain.values is None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [(path, f"'{code}' is answered with a number, not {value!r}")]
        return []
    if isinstance(value, bool) or value not in domain.values:
        allowed = ", ".join(str(v) for v in sorted(domain.values, key=str))
        return [(path, f"{value!r} is not a possible answer to '{code}' (possible: {allowed})")]
    return []

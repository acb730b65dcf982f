"""Keyword rules: the labels a comment's phrases name, from the domain dictionary.

A phrase matches whole syllables (``"phí"`` is not found in ``"phía"``). With diacritics first;
the folded spelling (no diacritics) is tried too when the comment has none at all, or when the
phrase has two syllables or more (folding one syllable confuses words: "tiền"/"tiến" → "tien").
A phrase inside a longer one that matched counts for the longer one only. A red-flag phrase shortly after a negation ("không gây phiền hà", "khong doi tien") does not
raise the flag but still counts for the factor it implies.
"""
from __future__ import annotations

from functools import cache

from app.review import vitext

FACTORS = ("access", "procedures", "civil_servants", "results", "feedback")
RED_FLAGS = ("harassment", "money", "late", "repeat_visits")
LABELS = FACTORS + RED_FLAGS
NEGATION_WINDOW = 3  # syllables between a negation and the phrase it negates


@cache
def _phrases() -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(label, syllables with diacritics, folded syllables), longest phrases first."""
    rows = []
    for label, phrases in vitext.terms()["labels"].items():
        if label not in LABELS:
            raise ValueError(f"comment_terms.json: unknown label {label!r} (expected one of {', '.join(LABELS)})")
        for phrase in phrases:
            rows.append((label, tuple(vitext.syllables(phrase)), tuple(vitext.syllables(vitext.fold(phrase)))))
    return sorted(rows, key=lambda row: -len(row[1]))


@cache
def _by_first_syllable() -> dict[str, list[int]]:
    """Each syllable (with and without diacritics) → the phrases (their places in _phrases()) that
    begin with it: a comment is checked against the few phrases its syllables can start."""
    out: dict[str, list[int]] = {}
    for place, (_label, phrase, folded) in enumerate(_phrases()):
        for first in {phrase[0], folded[0]}:
            out.setdefault(first, []).append(place)
    return out


@cache
def _negations() -> tuple[set[tuple[str, ...]], set[tuple[str, ...]]]:
    words = vitext.terms()["negations"]
    return ({tuple(vitext.syllables(w)) for w in words}, {tuple(vitext.syllables(vitext.fold(w))) for w in words})


def _positions(haystack: list[str], needle: tuple[str, ...], starts: dict[str, list[int]] | None = None) -> list[int]:
    """Where the phrase starts in the syllables (``starts``: each syllable's positions, to look
    only where the phrase's first syllable is)."""
    size = len(needle)
    candidates = starts.get(needle[0], ()) if starts is not None else range(len(haystack) - size + 1)
    return [i for i in candidates if tuple(haystack[i:i + size]) == needle]


def _index(words: list[str]) -> dict[str, list[int]]:
    starts: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        starts.setdefault(word, []).append(i)
    return starts


def _negated(haystack: list[str], start: int, negations: set[tuple[str, ...]]) -> bool:
    before = haystack[max(0, start - NEGATION_WINDOW - 1):start]
    return any(_positions(before, n) for n in negations)


def matches(text: str) -> list[tuple[str, str, bool]]:
    """(label, phrase, negated) for every phrase found in the comment."""
    accented, plain = vitext.syllables(text), vitext.syllables(vitext.fold(text))
    bare = not vitext.has_diacritics(text)
    ambiguous = set(vitext.terms().get("fold_ambiguous", ()))
    negations, folded_negations = _negations()
    accented_starts, plain_starts = _index(accented), _index(plain)
    found, covered = [], set()
    phrases, firsts = _phrases(), _by_first_syllable()
    candidates = sorted({place for word in {*accented, *plain} for place in firsts.get(word, ())})
    for label, phrase, folded in (phrases[place] for place in candidates):
        hits = _positions(accented, phrase, accented_starts)
        words, negs = accented, negations
        if not hits and (len(folded) > 1 or (bare and folded[0] not in ambiguous)):
            hits, words, negs = _positions(plain, folded, plain_starts), plain, folded_negations
        # a shorter phrase inside a longer one already found is that one ("bảng hướng dẫn" is a sign)
        hits = [i for i in hits if not set(range(i, i + len(phrase))) <= covered]
        if hits:
            covered.update(j for i in hits for j in range(i, i + len(phrase)))
            negated = label in RED_FLAGS and all(_negated(words, i, negs) for i in hits)
            found.append((label, " ".join(phrase), negated))
    return found


def implied(labels: set[str]) -> set[str]:
    """A red flag also speaks of its factor (money demanded → civil servants; late → results)."""
    out = set(labels)
    for flag, factors in vitext.terms()["implies"].items():
        if flag in labels:
            out.update(factors)
    return out


def negated_flags(text: str) -> set[str]:
    """Red flags the comment names only to deny them ("không nhũng nhiễu")."""
    found = matches(text)
    return {label for label, _p, negated in found if negated} - {label for label, _p, negated in found if not negated}


def rule_labels(text: str) -> set[str]:
    """The labels the rules give a comment: matched phrases, negated red flags dropped (their
    implied factors kept), implications added."""
    labels = set()
    for label, _phrase, negated in matches(text):
        labels.update(implied({label}) - ({label} if negated else set()))
    return labels

"""Vietnamese comment text: normal form, syllables, accent folding and word tokens.

Tokens come from pyvi's word segmenter (MIT; its CRF model ships inside the wheel, nothing is
downloaded), then the domain dictionary (app/review/data/comment_terms.json "compounds") joins
the terms pyvi does not know as one word ("bộ phận một cửa" → "bộ_phận_một_cửa"). Comments
typed on phones often have no diacritics ("can bo huong dan tan tinh"): ``fold`` removes them
so that rules and model features can compare both spellings.
"""
from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SYLLABLE = re.compile(r"\w+", re.UNICODE)


@cache
def terms() -> dict:
    """The domain dictionary (compounds, negations, implications, phrases per label)."""
    return json.loads((DATA / "comment_terms.json").read_text(encoding="utf-8"))


def normal(text: str) -> str:
    """NFC, lower case, one space between words (the same letters whether typed with composed
    or combining accents)."""
    return " ".join(unicodedata.normalize("NFC", text or "").lower().split())


def fold(text: str) -> str:
    """Without diacritics: "Đi lại nhiều lần" → "di lai nhieu lan"."""
    decomposed = unicodedata.normalize("NFD", normal(text).replace("đ", "d"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def has_diacritics(text: str) -> bool:
    return fold(text) != normal(text)


def syllables(text: str) -> list[str]:
    """The words of the normal form without punctuation (Vietnamese writes one syllable per word)."""
    return SYLLABLE.findall(normal(text))


@cache
def _compounds() -> dict[tuple[str, ...], str]:
    found = {}
    for term in terms()["compounds"]:
        parts = tuple(syllables(term))
        if len(parts) > 1:
            found[parts] = "_".join(parts)
    return found


def _segment(text: str) -> list[str]:
    from pyvi import ViTokenizer  # heavy: loads its CRF model (about 1 s), only when comments are tokenised

    segmented = ViTokenizer.tokenize(normal(text)) if text and text.strip() else ""
    return [t for t in segmented.split() if SYLLABLE.search(t)]


def join_compounds(words: list[str]) -> list[str]:
    """Longest match of the dictionary's compounds over the syllables; a compound overrides the
    segmenter's boundaries, other words keep them."""
    longest = max((len(k) for k in _compounds()), default=1)
    flat, starts = [], []
    for word in words:
        parts = word.split("_")
        starts.append(len(flat))
        flat.extend(parts)
    word_at = dict(zip(starts, words))
    out, i = [], 0
    while i < len(flat):
        for size in range(min(longest, len(flat) - i), 1, -1):
            joined = _compounds().get(tuple(flat[i:i + size]))
            if joined:
                out.append(joined)
                i += size
                break
        else:
            word = word_at.get(i)
            if word is not None:
                out.append(word)
                i += len(word.split("_"))
            else:  # inside a segmenter word cut by a compound: the rest of it, one syllable each
                out.append(flat[i])
                i += 1
    return out


def tokens(text: str) -> list[str]:
    """Word tokens of a comment: pyvi's segmentation, then the dictionary's compounds."""
    return join_compounds([w.lower() for w in _segment(text)])


def features(text: str) -> list[str]:
    """What the model reads: the word tokens (with diacritics) and the folded syllables and
    syllable pairs, so that "cán bộ" and "can bo" share the features "f:can", "f:can_bo"."""
    plain = SYLLABLE.findall(fold(text))
    return (tokens(text) + [f"f:{s}" for s in plain]
            + [f"f:{a}_{b}" for a, b in zip(plain, plain[1:])])

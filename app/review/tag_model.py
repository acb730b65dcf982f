"""The linear half of the comment tagger: TF-IDF over pyvi tokens and folded syllables (plus one
feature per label the rules gave), one logistic regression per label (one-vs-rest).

Fitting uses scikit-learn (installed with pyvi); the fitted model is plain JSON (vocabulary, idf,
weights, intercepts: ``params``), applied here with numpy, so nothing is unpickled. Combined with
the rules: a label is given when the model's probability is at least THRESHOLD, or when a rule
found it and the model does not all but rule it out (probability ≥ VETO; moderators' corrections
of a rule teach the model to veto it).
"""
from __future__ import annotations

import math
from collections import Counter
from functools import lru_cache

from app.review import tag_rules, vitext
from app.review.tag_rules import LABELS

THRESHOLD = 0.5
VETO = 0.2
C = 4.0  # inverse regularisation of each logistic regression (chosen by cross-validation on the seed set)
MIN_POSITIVE = 2  # a label with fewer positive examples gets no regression (rules only)


@lru_cache(maxsize=8192)
def example_features(text: str) -> tuple[str, ...]:
    """A comment's features (cached: cross-validation and bulk tagging read each comment often)."""
    return tuple(vitext.features(text) + [f"rule:{label}" for label in sorted(tag_rules.rule_labels(text))]
                 + [f"denied:{label}" for label in sorted(tag_rules.negated_flags(text))])


def _vocabulary(docs: list[tuple[str, ...]]) -> tuple[dict[str, int], list[float]]:
    df = Counter(term for doc in docs for term in set(doc))
    terms = sorted(df)
    n = len(docs)
    # scikit-learn's smooth idf: ln((1 + n) / (1 + df)) + 1
    return {t: i for i, t in enumerate(terms)}, [math.log((1 + n) / (1 + df[t])) + 1 for t in terms]


def _row(doc: tuple[str, ...], vocabulary: dict[str, int], idf: list[float]) -> dict[int, float]:
    """Sublinear tf × idf, L2-normalised, as {column: value}."""
    counts = Counter(t for t in doc if t in vocabulary)
    row = {vocabulary[t]: (1 + math.log(c)) * idf[vocabulary[t]] for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in row.values())) or 1.0
    return {k: v / norm for k, v in row.items()}


def fit(texts: list[str], labels: list[set[str]], c: float = C) -> dict:
    """Fit on comments and their label sets; returns the JSON-able parameters."""
    import numpy as np  # heavy: only when a model is fitted (the CLI, tests)
    from scipy.sparse import csr_matrix  # heavy: as numpy
    from sklearn.linear_model import LogisticRegression  # heavy: as numpy

    docs = [example_features(t) for t in texts]
    vocabulary, idf = _vocabulary(docs)
    rows = [_row(d, vocabulary, idf) for d in docs]
    data = [v for r in rows for v in r.values()]
    cols = [k for r in rows for k in r]
    ptr = np.cumsum([0] + [len(r) for r in rows])
    matrix = csr_matrix((data, cols, ptr), shape=(len(rows), len(vocabulary)))
    weights, intercepts = {}, {}
    for label in LABELS:
        y = np.array([label in s for s in labels], dtype=int)
        if y.sum() < MIN_POSITIVE or y.sum() == len(y):
            continue
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000).fit(matrix, y)
        coef = model.coef_[0]
        weights[label] = {int(i): round(float(coef[i]), 5) for i in np.flatnonzero(np.abs(coef) > 1e-5)}
        intercepts[label] = round(float(model.intercept_[0]), 5)
    terms = sorted(vocabulary, key=vocabulary.get)
    return {"version": 1, "terms": terms, "idf": [round(v, 6) for v in idf],
            "weights": {label: {terms[i]: w for i, w in ws.items()} for label, ws in weights.items()},
            "intercepts": intercepts}


class Fitted:
    """Parameters read once: the term index built, ready to score comments."""

    def __init__(self, params: dict):
        self.params = params
        self.vocabulary = {t: i for i, t in enumerate(params["terms"])}

    def probabilities(self, text: str) -> dict[str, float]:
        """The model's probability of each label it was fitted for."""
        row = _row(example_features(text), self.vocabulary, self.params["idf"])
        terms, out = self.params["terms"], {}
        for label, weights in self.params["weights"].items():
            z = self.params["intercepts"][label] + sum(v * weights.get(terms[k], 0.0) for k, v in row.items())
            out[label] = 1 / (1 + math.exp(-max(min(z, 50.0), -50.0)))
        return out

    def labels(self, text: str) -> set[str]:
        return combine(tag_rules.rule_labels(text), self.probabilities(text))


def probabilities(params: dict, text: str) -> dict[str, float]:
    return Fitted(params).probabilities(text)


def combine(rule: set[str], probs: dict[str, float]) -> set[str]:
    """Rules first, the model adding (p ≥ THRESHOLD) or vetoing (p < VETO) labels."""
    out = {label for label, p in probs.items() if p >= THRESHOLD}
    out |= {label for label in rule if probs.get(label, 1.0) >= VETO}
    return out


def uncertainty(probs: dict[str, float]) -> float:
    """How close the least certain label is to 0.5 (0 = a coin toss): active learning asks the
    moderator about these first."""
    return min((abs(p - 0.5) for p in probs.values()), default=0.5)


def scores(gold: list[set[str]], predicted: list[set[str]]) -> dict:
    """Per label precision, recall and F1, micro-averaged F1 and exact-match accuracy."""
    table, total = {}, Counter()
    for label in LABELS:
        tp = sum(label in g and label in p for g, p in zip(gold, predicted))
        fp = sum(label not in g and label in p for g, p in zip(gold, predicted))
        fn = sum(label in g and label not in p for g, p in zip(gold, predicted))
        total.update(tp=tp, fp=fp, fn=fn)
        table[label] = {"precision": _ratio(tp, tp + fp), "recall": _ratio(tp, tp + fn),
                        "f1": _ratio(2 * tp, 2 * tp + fp + fn), "support": tp + fn}
    return {"labels": table, "micro_f1": _ratio(2 * total["tp"], 2 * total["tp"] + total["fp"] + total["fn"]),
            "exact": _ratio(sum(g == p for g, p in zip(gold, predicted)), len(gold)), "n": len(gold)}


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 1.0


def cross_validate(texts: list[str], labels: list[set[str]], folds: int = 5, c: float = C) -> dict:
    """k-fold scores of rules + model (every comment predicted by a model that did not see it);
    the folds are every k-th comment, so the result does not depend on a random seed."""
    predicted: list[set[str]] = [set()] * len(texts)
    for fold in range(folds):
        train = [i for i in range(len(texts)) if i % folds != fold]
        fitted = Fitted(fit([texts[i] for i in train], [labels[i] for i in train], c))
        for i in range(fold, len(texts), folds):
            predicted[i] = fitted.labels(texts[i])
    return scores(labels, predicted)

"""Comments read by factor: suggested labels, moderators' labels, training and bulk tagging.

A comment's labels are the SIPAS factors it speaks of and the red flags it raises
(app/review/tag_rules.py LABELS). Suggestions come from the keyword rules and the newest fitted
model (comment_model table); a moderator confirms or corrects them when approving, and those
labels (source "moderator") are what the next `flask comments train` learns from, with the
shipped seed set (app/review/data/comments_vi_seed.csv). Only labels are ever audited, never the
comment's text.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, select

from app.extensions import db
from app.models import CommentModel, CommentReview, CommentTag, Response, Wave
from app.models.comment_tag import NO_LABEL
from app.review import tag_model, tag_rules
from app.review.vitext import DATA
from app.shared import audit
from app.shared.refusal import Refusal

LABELS = tag_rules.LABELS
SEED = DATA / "comments_vi_seed.csv"
KEEP_MODELS = 3  # the newest fitted models kept (the newest is used)
_fitted: dict[tuple[int, str], tag_model.Fitted] = {}  # (model row id, created) → parameters read once


def label_names() -> dict[str, str]:
    """Each label's name in the current language."""
    return {"access": _("Access to the service"), "procedures": _("Administrative procedures"),
            "civil_servants": _("Civil servants"), "results": _("Results"),
            "feedback": _("Handling of feedback and petitions"), "harassment": _("Harassment"),
            "money": _("Demands for money"), "late": _("Late results"), "repeat_visits": _("Repeated visits")}


@dataclass
class Suggestion:
    labels: set[str]
    rule: set[str]
    probabilities: dict[str, float] = field(default_factory=dict)

    @property
    def uncertainty(self) -> float | None:
        return tag_model.uncertainty(self.probabilities) if self.probabilities else None

    def source(self, label: str) -> str:
        return "rule" if label in self.rule else "model"


def read_labels(value: str, where: str) -> set[str]:
    """'a|b' → {'a', 'b'}; an unknown label is refused naming where it was and what is allowed."""
    labels = {part.strip() for part in (value or "").split("|") if part.strip()}
    unknown = labels - set(LABELS)
    if unknown:
        raise ValueError(f"{where}: unknown label {', '.join(sorted(unknown))} (expected {', '.join(LABELS)})")
    return labels


def read_examples(path) -> tuple[list[str], list[set[str]]]:
    """A labelled CSV (columns text, labels with labels separated by '|')."""
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            if not (row.get("text") or "").strip():
                raise ValueError(f"{path.name} line {line}: the text is empty")
            texts.append(row["text"])
            labels.append(read_labels(row.get("labels", ""), f"{path.name} line {line}"))
    return texts, labels


def current_model() -> tag_model.Fitted | None:
    """The newest fitted model, or None before the first `flask comments train` (rules only). Its
    parameters are read from the table once per process and model."""
    newest = db.session.execute(select(CommentModel.id, CommentModel.created_at)
                                .order_by(CommentModel.id.desc()).limit(1)).first()
    if newest is None:
        return None
    key = (newest.id, newest.created_at.isoformat())
    if key not in _fitted:
        params = db.session.scalar(select(CommentModel.params).where(CommentModel.id == newest.id))
        _fitted.clear()
        _fitted[key] = tag_model.Fitted(params)
    return _fitted[key]


def suggest(text: str, fitted: tag_model.Fitted | None = None) -> Suggestion:
    rule = tag_rules.rule_labels(text)
    if fitted is None:
        return Suggestion(rule, rule)
    probabilities = fitted.probabilities(text)
    return Suggestion(tag_model.combine(rule, probabilities), rule, probabilities)


def comment_text(review: CommentReview) -> str | None:
    response = db.session.get(Response, review.response_id)
    text = (response.answers or {}).get(review.question_code) if response else None
    return text if isinstance(text, str) else None


def tags_of(review_ids: list[int]) -> dict[int, dict[str, str]]:
    """review id → {label: source} (NO_LABEL left out)."""
    out: dict[int, dict[str, str]] = {}
    if not review_ids:
        return out
    for review_id, label, source in db.session.execute(
            select(CommentTag.comment_review_id, CommentTag.label, CommentTag.source)
            .where(CommentTag.comment_review_id.in_(review_ids))):
        if label != NO_LABEL:
            out.setdefault(review_id, {})[label] = source
    return out


def moderated(review: CommentReview) -> bool:
    return db.session.scalar(select(CommentTag.id).where(CommentTag.comment_review_id == review.id,
                                                         CommentTag.source == "moderator").limit(1)) is not None


def _replace(review: CommentReview, labels: dict[str, str]) -> None:
    db.session.execute(delete(CommentTag).where(CommentTag.comment_review_id == review.id))
    for label, source in sorted(labels.items()):
        db.session.add(CommentTag(comment_review_id=review.id, label=label, source=source))
    db.session.flush()


def confirm(review: CommentReview, labels: list[str], actor) -> set[str]:
    """A moderator's labels for a comment (replacing suggestions and earlier labels); none at all is
    kept as "checked, nothing". Audited with the labels only."""
    chosen = set(labels)
    unknown = chosen - set(LABELS)
    if unknown:
        raise Refusal("labels", _("Unknown label: %(labels)s.", labels=", ".join(sorted(unknown))))
    before = sorted(tags_of([review.id]).get(review.id, {}))
    _replace(review, {label: "moderator" for label in chosen} or {NO_LABEL: "moderator"})
    audit.record("comment.tags", "response", review.response_id, user=actor,
                 before={"question": review.question_code, "labels": before},
                 after={"question": review.question_code, "labels": sorted(chosen)})
    return chosen


def tag_suggested(review: CommentReview, fitted: tag_model.Fitted | None, text: str | None = None) -> set[str] | None:
    """Store the rules' and model's labels of a comment no moderator has labelled; None when a
    moderator has (their labels stay) or the answer is gone."""
    if moderated(review):
        return None
    text = comment_text(review) if text is None else text
    if text is None:
        return None
    suggestion = suggest(text, fitted)
    _replace(review, {label: suggestion.source(label) for label in suggestion.labels})
    return suggestion.labels


def tag_wave(wave: Wave) -> dict[str, int]:
    """Tag every approved comment of the wave that no moderator labelled (after a new model)."""
    fitted = current_model()
    counts = {"comments": 0, "moderated": 0, **{label: 0 for label in LABELS}}
    reviews = db.session.scalars(
        select(CommentReview).join(Response, Response.id == CommentReview.response_id)
        .where(Response.wave_id == wave.id, Response.excluded.is_(False), CommentReview.status == "approved")
        .order_by(CommentReview.id)).all()
    for review in reviews:
        labels = tag_suggested(review, fitted)
        if labels is None:
            counts["moderated"] += moderated(review)
            continue
        counts["comments"] += 1
        for label in labels:
            counts[label] += 1
    return counts


def moderator_examples(wave: Wave | None = None) -> tuple[list[str], list[set[str]]]:
    """Texts and labels of every comment a moderator labelled (of one wave, or all)."""
    query = (select(CommentReview, CommentTag.label).join(CommentTag, CommentTag.comment_review_id == CommentReview.id)
             .where(CommentTag.source == "moderator").order_by(CommentReview.id))
    if wave is not None:
        query = query.join(Response, Response.id == CommentReview.response_id).where(Response.wave_id == wave.id)
    grouped: dict[int, tuple[CommentReview, set[str]]] = {}
    for review, label in db.session.execute(query):
        grouped.setdefault(review.id, (review, set()))[1].add(label)
    texts, labels = [], []
    for review, chosen in grouped.values():
        text = comment_text(review)
        if text is not None and text.strip():
            texts.append(text)
            labels.append(chosen - {NO_LABEL})
    return texts, labels


def train(wave: Wave | None = None, folds: int = 5) -> CommentModel:
    """Fit on the seed set plus the moderators' labels; stores the model with its k-fold scores."""
    seed_texts, seed_labels = read_examples(SEED)
    own_texts, own_labels = moderator_examples(wave)
    texts, labels = seed_texts + own_texts, seed_labels + own_labels
    summary = {"seed": len(seed_texts), "moderated": len(own_texts), "wave": wave.slug if wave else None,
               "folds": folds, "cross_validated": tag_model.cross_validate(texts, labels, folds)}
    row = CommentModel(params=tag_model.fit(texts, labels), summary=summary)
    db.session.add(row)
    db.session.flush()
    kept = select(CommentModel.id).order_by(CommentModel.id.desc()).limit(KEEP_MODELS).scalar_subquery()
    db.session.execute(delete(CommentModel).where(CommentModel.id.not_in(kept)))  # a few hundred kB each
    audit.record("comment.model_trained", "comment_model", row.id, actor="cli",
                 after={"seed": summary["seed"], "moderated": summary["moderated"], "wave": summary["wave"],
                        "micro_f1": summary["cross_validated"]["micro_f1"]})
    return row

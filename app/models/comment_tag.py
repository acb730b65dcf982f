"""Labels of approved comments (SIPAS factors and red flags) and the tagger's fitted model."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base, utcnow

TAG_SOURCES = ("rule", "model", "moderator")
# a moderator who confirms that a comment speaks of none of the labels: one row with this label,
# so that "checked, nothing" differs from "not tagged yet" (and trains the model too)
NO_LABEL = "none"


class CommentTag(Base):
    """One label of one comment. Tags hang on the comment's review row (created when a comment is
    first approved or rejected), so they go with it; a pending comment's suggestions are computed
    when the page is shown, not stored."""

    __tablename__ = "comment_tag"
    __table_args__ = (UniqueConstraint("comment_review_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_review_id: Mapped[int] = mapped_column(ForeignKey("comment_review.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(10))  # rule, model, moderator
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentModel(Base):
    """A fitted comment tagger (`flask comments train`): its parameters as JSON (vocabulary, idf,
    one weight vector and intercept per label; never a pickle) and how well it did. The newest
    row is the one in use."""

    __tablename__ = "comment_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)  # examples, cross-validated scores

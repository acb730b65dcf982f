"""Themes per unit: how many approved comments speak of each SIPAS factor or raise each red flag.

What officials see of the comment tags, under the anonymity rule of app/results/disclosure.py: a
unit's counts are shown only when at least MIN_GROUP_SIZE respondents of it have an approved
comment (then it has at least that many approved comments); otherwise the unit is listed with its
counts hidden, and no total is given from which the hidden units' counts could be recovered. Never a
comment's text here: the agency page shows approved texts only under its own suppression.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from app.extensions import db
from app.models import Agency, CommentReview, CommentTag, Wave
from app.models.comment_tag import NO_LABEL
from app.results import disclosure
from app.review import comments, tag_rules

LABELS = tag_rules.LABELS


@dataclass(frozen=True)
class UnitThemes:
    agency: str
    agency_id: int
    comments: int  # approved comments (shown even when the counts are hidden, like n on the dashboard)
    respondents: int
    counts: dict[str, int] | None  # None: hidden, too few respondents with an approved comment
    tagged: int | None  # approved comments with labels (rule, model or moderator)

    @property
    def hidden(self) -> bool:
        return self.counts is None


def unit_themes(wave: Wave, agency: Agency | None = None) -> list[UnitThemes]:
    """One row per unit with approved comments (one unit only when ``agency`` is given), by code."""
    rows_of = comments.comment_rows(wave, comments.text_codes(wave))
    if rows_of is None:
        return []
    approved = (select(rows_of.c.agency, rows_of.c.agency_id, rows_of.c.response_id, CommentReview.id.label("review_id"))
                .join(CommentReview, and_(CommentReview.response_id == rows_of.c.response_id,
                                          CommentReview.question_code == rows_of.c.code))
                .where(rows_of.c.status == "approved"))
    if agency is not None:
        approved = approved.where(rows_of.c.agency_id == agency.id)
    approved = approved.subquery()
    sizes = db.session.execute(
        select(approved.c.agency, approved.c.agency_id, func.count(), func.count(func.distinct(approved.c.response_id)))
        .group_by(approved.c.agency, approved.c.agency_id).order_by(approved.c.agency)).all()
    label_counts: dict[int, dict[str, int]] = {}
    for agency_id, label, count in db.session.execute(
            select(approved.c.agency_id, CommentTag.label, func.count(func.distinct(CommentTag.comment_review_id)))
            .join(CommentTag, CommentTag.comment_review_id == approved.c.review_id)
            .group_by(approved.c.agency_id, CommentTag.label)):
        label_counts.setdefault(agency_id, {})[label] = count
    tagged = dict(db.session.execute(
        select(approved.c.agency_id, func.count(func.distinct(CommentTag.comment_review_id)))
        .join(CommentTag, CommentTag.comment_review_id == approved.c.review_id)
        .group_by(approved.c.agency_id)).all())
    out = []
    for code, agency_id, count, respondents in sizes:
        shown = respondents >= disclosure.minimum()
        found = label_counts.get(agency_id, {})
        out.append(UnitThemes(code, agency_id, count, respondents,
                              {label: found.get(label, 0) for label in LABELS} if shown else None,
                              tagged.get(agency_id, 0) if shown else None))
    return out


def agency_section(wave: Wave, agency: Agency) -> dict:
    """The agency page's themes: the unit's row (or None when it has no approved comment) and
    whether its counts are hidden."""
    rows = unit_themes(wave, agency)
    row = rows[0] if rows else None
    return {"row": row, "min_group": disclosure.minimum(), "labels": LABELS,
            "factors": tag_rules.FACTORS, "red_flags": tag_rules.RED_FLAGS, "none_label": NO_LABEL}

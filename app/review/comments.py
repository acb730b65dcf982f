"""Moderation of free-text answers: officials see a comment only after an administrator approves it."""
from __future__ import annotations

import unicodedata
from dataclasses import replace

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import and_, func, literal, select, union_all

from app.extensions import db
from app.models import Agency, CommentReview, Response, User, Wave
from app.models.base import utcnow
from app.programme.questionnaires import questionnaire_of
from app.review import comment_tags
from app.shared import audit
from app.shared.paging import PAGE_SIZE, Page, paginate
from app.shared.refusal import Refusal

STATUSES = ("pending", "approved", "rejected")
# Characters that change how the text around them is shown without being seen themselves: format
# characters (bidi overrides and isolates, zero-width spaces and joiners, BOM, soft hyphen),
# controls, line/paragraph separators, and letters that are drawn as blanks (Hangul fillers).
HIDDEN_CATEGORIES = {"Cf", "Cc", "Zl", "Zp", "Co", "Cn"}
BLANK_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def _hidden(char: str) -> bool:
    return char not in "\n\t" and (unicodedata.category(char) in HIDDEN_CATEGORIES or char in BLANK_LETTERS)


def visible(text: str) -> Markup:
    """The comment as HTML in which every invisible or reordering character is shown as a marker
    such as <U+202E>, so that a moderator reads exactly the characters that were sent."""
    if not any(_hidden(c) for c in text):
        return escape(text)
    parts = []
    for char in text:
        if _hidden(char):
            name = unicodedata.name(char, "unnamed character")
            parts.append(Markup('<span class="hidden-char" title="{}">&lt;U+{:04X}&gt;</span>').format(
                name, ord(char)))
        else:
            parts.append(escape(char))
    return Markup("").join(parts)


def text_codes(wave: Wave) -> list[str]:
    return [q.code for q in questionnaire_of(wave.survey_version).questions if q.type == "text"]


def comment_rows(wave: Wave, codes: list[str]):
    """One SELECT per free-text question (UNION ALL): response id, code, text, agency code and
    review status of every non-empty free-text answer in the wave (excluded responses left out)."""
    selects = []
    for code in codes:
        text = Response.answers[code].as_string()
        status = func.coalesce(CommentReview.status, "pending")
        selects.append(
            select(Response.id.label("response_id"), literal(code).label("code"), text.label("text"),
                   Agency.code.label("agency"), status.label("status"), Response.agency_id.label("agency_id"))
            .join(Agency, Agency.id == Response.agency_id)
            .outerjoin(CommentReview, and_(CommentReview.response_id == Response.id,
                                           CommentReview.question_code == code))
            .where(Response.wave_id == wave.id, Response.excluded.is_(False), text.is_not(None), text != "",
                   text != "na"))
    return union_all(*selects).subquery() if selects else None


ORDERS = ("newest", "uncertain")
MAX_RANKED = 2000  # "uncertain first" scores at most this many of the newest pending comments


def browse(wave: Wave, status: str = "pending", page: int = 1, size: int = PAGE_SIZE, order: str = "newest") -> Page:
    """Free-text answers of the wave with their review status (no review yet = pending), each with
    its labels: suggested by the rules and model while pending, stored once decided. Items are
    (response id, code, text shown, agency, status, review id, labels {label: source}, suggestion).
    order "uncertain" (pending only, with a fitted model): the comments whose labels the model is
    least sure of first, so a moderator's labels teach it most (active learning)."""
    if status not in STATUSES:
        status = "pending"
    rows_of = comment_rows(wave, text_codes(wave))
    if rows_of is None:
        return Page([], 0, 1, size)
    review_id = (select(CommentReview.id).where(CommentReview.response_id == rows_of.c.response_id,
                                                CommentReview.question_code == rows_of.c.code)
                 .scalar_subquery())
    query = (select(rows_of.c.response_id, rows_of.c.code, rows_of.c.text, rows_of.c.agency, rows_of.c.status,
                    review_id.label("review_id"))
             .where(rows_of.c.status == status)
             .order_by(rows_of.c.response_id.desc(), rows_of.c.code))
    fitted = comment_tags.current_model()
    if order == "uncertain" and status == "pending" and fitted is not None:
        ranked = [(row, comment_tags.suggest(row[2], fitted)) for row in db.session.execute(query.limit(MAX_RANKED))]
        ranked.sort(key=lambda pair: pair[1].uncertainty)
        page = max(1, page)
        found = Page(ranked[(page - 1) * size: page * size], len(ranked), page, size)
    else:
        found = paginate(query, page, size, scalars=False)
        found = replace(found, items=[(row, comment_tags.suggest(row[2], fitted) if status == "pending" else None)
                                      for row in found.items])
    stored = comment_tags.tags_of([row[5] for row, _s in found.items if row[5] is not None])
    return replace(found, items=[
        (r[0], r[1], visible(r[2]), r[3], r[4], r[5],
         stored.get(r[5], {}) if suggestion is None else {lab: suggestion.source(lab) for lab in suggestion.labels},
         suggestion)
        for r, suggestion in found.items])


def pending_count(wave: Wave) -> int:
    """How many comments of the wave wait for a decision."""
    rows_of = comment_rows(wave, text_codes(wave))
    if rows_of is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(rows_of).where(rows_of.c.status == "pending")) or 0


def review(wave: Wave, response_id: int, code: str, status: str, actor: User,
           labels: list[str] | None = None) -> CommentReview:
    """Approve or reject one comment. Approving with ``labels`` (the moderator's confirmed or
    corrected labels, possibly none) stores them as the moderator's; approving without stores the
    suggested ones unless a moderator labelled the comment before."""
    row, before = _decide(wave, response_id, code, status, actor)
    audit.record("comment.review", "response", response_id, user=actor,
                 before={"question": code, "status": before}, after={"question": code, "status": status})
    if status == "approved" and labels is not None:
        comment_tags.confirm(row, labels, actor)
    elif status == "approved":
        comment_tags.tag_suggested(row, comment_tags.current_model())
    return row


MAX_BULK = 500


def review_many(wave: Wave, selected: list[tuple[int, str]], status: str, actor: User) -> int:
    """Approve or reject several comments at once: all or none (the caller commits once), one audit
    event with the count and the comments. Raises Refusal naming the problem."""
    selected = list(dict.fromkeys(selected))
    if not selected:
        raise Refusal("selected", _("Select at least one comment."))
    if len(selected) > MAX_BULK:
        raise Refusal("selected", _("At most %(num)d comments at once.", num=MAX_BULK))
    try:
        decided = [_decide(wave, response_id, code, status, actor) for response_id, code in selected]
    except Refusal as refusal:
        raise Refusal(refusal.field, _("Nothing was changed: %(problem)s.", problem=refusal.message)) from refusal
    before = [previous for _row, previous in decided]
    if status == "approved":
        fitted = comment_tags.current_model()
        for row, _previous in decided:
            comment_tags.tag_suggested(row, fitted)
    audit.record("comment.review_bulk", "wave", wave.slug, user=actor,
                 before={"statuses": sorted(set(before))},
                 after={"status": status, "count": len(selected),
                        "comments": [f"{response_id}:{code}" for response_id, code in selected]})
    return len(selected)


def _decide(wave: Wave, response_id: int, code: str, status: str, actor: User) -> tuple[CommentReview, str]:
    if status not in ("approved", "rejected"):
        raise Refusal("status", _("choose approve or reject"))
    response = db.session.get(Response, response_id) if isinstance(response_id, int) else None
    if (response is None or response.wave_id != wave.id or code not in text_codes(wave)
            or not isinstance((response.answers or {}).get(code), str)):
        raise Refusal(None, _("no such comment in this wave"))
    row = db.session.scalar(select(CommentReview).where(CommentReview.response_id == response_id,
                                                        CommentReview.question_code == code))
    before = row.status if row else "pending"
    if row is None:
        row = CommentReview(response_id=response_id, question_code=code)
        db.session.add(row)
    row.status, row.reviewed_by, row.reviewed_at = status, actor.id, utcnow()
    db.session.flush()
    return row, before

"""Moderation of free-text answers: officials see a comment only after an administrator approves it."""
from __future__ import annotations

from sqlalchemy import and_, func, select

from app.extensions import db
from app.models import Agency, Answer, CommentReview, Response, User, Wave
from app.models.base import utcnow
from app.services import audit
from app.services.admin_errors import AdminError
from app.services.agencies_admin import Page
from app.services.surveys import questionnaire_of

STATUSES = ("pending", "approved", "rejected")


def text_codes(wave: Wave) -> list[str]:
    return [q.code for q in questionnaire_of(wave.survey_version).questions if q.type == "text"]


def browse(wave: Wave, status: str = "pending", page: int = 1, size: int = 50) -> Page:
    """Free-text answers of the wave with their review status (no review yet = pending)."""
    if status not in STATUSES:
        status = "pending"
    review = CommentReview.status
    query = (select(Answer.response_id, Answer.question_code, Answer.text, Agency.code, func.coalesce(review, "pending"))
             .join(Response, Response.id == Answer.response_id)
             .join(Agency, Agency.id == Response.agency_id)
             .outerjoin(CommentReview, and_(CommentReview.response_id == Answer.response_id,
                                            CommentReview.question_code == Answer.question_code))
             .where(Response.wave_id == wave.id, Response.excluded.is_(False),
                    Answer.question_code.in_(text_codes(wave)), Answer.text.is_not(None), Answer.text != "",
                    func.coalesce(review, "pending") == status))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    rows = db.session.execute(query.order_by(Answer.response_id.desc()).offset((page - 1) * size).limit(size)).all()
    return Page([tuple(r) for r in rows], total, page, size)


def review(wave: Wave, response_id: int, code: str, status: str, actor: User) -> CommentReview:
    if status not in ("approved", "rejected"):
        raise AdminError("status", "choose approve or reject")
    answer = db.session.scalar(select(Answer).join(Response).where(
        Response.wave_id == wave.id, Answer.response_id == response_id, Answer.question_code == code,
        Answer.question_code.in_(text_codes(wave))))
    if answer is None:
        raise AdminError(None, "no such comment in this wave")
    row = db.session.scalar(select(CommentReview).where(CommentReview.response_id == response_id,
                                                        CommentReview.question_code == code))
    before = row.status if row else "pending"
    if row is None:
        row = CommentReview(response_id=response_id, question_code=code)
        db.session.add(row)
    row.status, row.reviewed_by, row.reviewed_at = status, actor.id, utcnow()
    db.session.flush()
    audit.record("comment.review", "response", response_id, user=actor,
                 before={"question": code, "status": before}, after={"question": code, "status": status})
    return row
